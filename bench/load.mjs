// The load generator, in its own process: autocannon against POST /api/v1/auth/check, every request a
// fresh valid passcode for a user not in flight on another connection (so none is a replay), every
// response checked to be {"result":"accept"}. Reads a plan (JSON file), prints one JSON line.
// Plan: { url, apiKey, connections, durationSeconds, password?, users: [{ username, secretHex, counter, digits }] }
import autocannon from 'autocannon';
import { readFileSync } from 'node:fs';
import { hotp } from './common.mjs';

/** @typedef {import('./common.mjs').PlanUser} PlanUser */
/** @typedef {{ url: string, apiKey: string, connections: number, durationSeconds: number, password?: string, users: PlanUser[] }} Plan */
/** @typedef {PlanUser & { secret: Buffer }} User */
/**
 * What each connection keeps between its requests: the user in flight and when its request was built.
 * @typedef {{ user?: User, sentAt?: bigint | null }} Context
 */

const plan = /** @type {Plan} */ (JSON.parse(readFileSync(/** @type {string} */ (process.argv[2]), 'utf8')));
const users = plan.users.map((u) => ({ ...u, secret: Buffer.from(u.secretHex, 'hex') }));
if (users.length <= plan.connections) throw new Error('need more users than connections, so that no user is ever in flight twice');

// Idle users, first in first out. A user leaves the queue when its request is built and comes back when
// the response has been read: the server has then moved its counter past the code just sent.
/** @type {User[]} */
const idle = [...users];
let accepted = 0;
let other = 0;
/** @type {string[]} */
const otherSamples = [];
// Latency in microseconds, from building a request (just before it is written) to reading its response;
// autocannon's own histogram has whole milliseconds, too coarse for a bare route. Requests built while
// autocannon sets up (the first of each connection) are not timed.
/** @type {number[]} */
const latenciesUs = [];
let settingUp = true;

const instance = autocannon({
  url: plan.url,
  connections: plan.connections,
  duration: plan.durationSeconds,
  pipelining: 1,
  timeout: 10,
  requests: [
    {
      method: 'POST',
      path: '/api/v1/auth/check',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${plan.apiKey}` },
      setupRequest(request, /** @type {Context} */ context) {
        const user = idle.shift();
        if (!user) throw new Error('no idle user');
        context.user = user;
        context.sentAt = settingUp ? null : process.hrtime.bigint();
        const otp = hotp(user.secret, user.counter++, user.digits);
        const body = plan.password === undefined ? { username: user.username, otp } : { username: user.username, password: plan.password, otp };
        return { ...request, body: JSON.stringify(body) };
      },
      onResponse(status, body, /** @type {Context} */ context) {
        if (status === 200 && body === '{"result":"accept"}') accepted++;
        else {
          other++;
          if (otherSamples.length < 5) otherSamples.push(`${status} ${body.slice(0, 200)}`);
        }
        if (context.sentAt) latenciesUs.push(Number(process.hrtime.bigint() - context.sentAt) / 1000);
        if (context.user) idle.push(context.user);
        context.user = undefined;
      },
    },
  ],
});

settingUp = false;
const cpuBefore = process.cpuUsage();
const wallBefore = process.hrtime.bigint();
const result = await instance;
// The load generator's own CPU use over the run, in % of one core: near 100 % it, not the server, is the limit.
const cpu = process.cpuUsage(cpuBefore);
const cpuPercent = ((cpu.user + cpu.system) / 1000 / (Number(process.hrtime.bigint() - wallBefore) / 1e6)) * 100;
latenciesUs.sort((a, b) => a - b);
const percentile = (/** @type {number} */ p) => (latenciesUs.length ? /** @type {number} */ (latenciesUs[Math.min(latenciesUs.length - 1, Math.floor((p / 100) * latenciesUs.length))]) / 1000 : 0);
console.log(
  JSON.stringify({
    requestsPerSecond: result.requests.average,
    totalRequests: result.requests.total,
    latencyP50Ms: percentile(50),
    latencyP99Ms: percentile(99),
    latencyMaxMs: result.latency.max,
    loadGeneratorCpuPercent: cpuPercent,
    errors: result.errors,
    timeouts: result.timeouts,
    non2xx: result.non2xx,
    accepted,
    other,
    otherSamples,
    counters: Object.fromEntries(users.map((u) => [u.username, u.counter])),
  }),
);
