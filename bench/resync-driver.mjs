// Re-syncs back to back, in its own process, while the load generator runs: each one sends the two codes at
// the far end of the account's sync window, so the server searches the whole window.
//   node bench/resync-driver.mjs PLAN.json   (plan: { url, apiKey, durationSeconds, syncWindow, users: [{ username, secretHex, counter, digits }] })
import { readFileSync } from 'node:fs';
import { hotp, summarize } from './common.mjs';

/** @typedef {import('./common.mjs').PlanUser} PlanUser */
/** @typedef {{ url: string, apiKey: string, durationSeconds: number, syncWindow: number, users: PlanUser[] }} Plan */

const plan = /** @type {Plan} */ (JSON.parse(readFileSync(/** @type {string} */ (process.argv[2]), 'utf8')));
const users = plan.users.map((u) => ({ ...u, secret: Buffer.from(u.secretHex, 'hex') }));
const deadline = Date.now() + plan.durationSeconds * 1000;
/** @type {number[]} */
const latencies = [];
let failures = 0;
let i = 0;
while (Date.now() < deadline) {
  const user = /** @type {(typeof users)[number]} */ (users[i++ % users.length]);
  // The last pair the window [C, C + syncWindow) holds: c = C + syncWindow - 1 and c + 1.
  const c = user.counter + plan.syncWindow - 1;
  const started = process.hrtime.bigint();
  const response = await fetch(`${plan.url}/api/v1/users/${encodeURIComponent(user.username)}/token/resync`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${plan.apiKey}` },
    body: JSON.stringify({ otp1: hotp(user.secret, c, user.digits), otp2: hotp(user.secret, c + 1, user.digits) }),
  });
  await response.text();
  latencies.push(Number(process.hrtime.bigint() - started) / 1e6);
  if (response.status === 200) user.counter = c + 2;
  else failures++;
}
console.log(
  JSON.stringify({
    resyncs: latencies.length,
    failures,
    latencyMs: latencies.length ? summarize(latencies).median : 0,
    counters: Object.fromEntries(users.map((u) => [u.username, u.counter])),
  }),
);
