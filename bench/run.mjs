// `npm run bench`: the figures users compare, side by side in one run, all on 127.0.0.1.
//   node bench/run.mjs [--smoke] [--out FILE]      (BENCH_SMOKE=1 is --smoke; BENCH_OUT=FILE is --out)
// Ratios, not absolute times, are the point: every comparison runs in the same run on the same machine,
// interleaved round by round. Writes bench/results.json (or --out), prints the JSON and a table.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, copyFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { randomBytes } from 'node:crypto';
import { fromDist, hotp, runJson, runProcess, startProcess, stop, stopAll, summarize } from './common.mjs';
import { writeCsv, writePskc } from './seed-files.mjs';
import { NGINX, nginxAvailable, startNginx, stopNginx } from './nginx.mjs';

/** @typedef {ReturnType<typeof summarize>} Stat */
/**
 * A user the load generator signs in as, with the serial of the token it sends passcodes of.
 * @typedef {import('./common.mjs').PlanUser & { serial: string }} BenchUser
 */
/** @typedef {{ child: import('node:child_process').ChildProcess, url: string, processes?: undefined }} Started */
/** @typedef {{ role: string, pid: number | undefined }} RoleProcess */
/**
 * Several processes behind nginx, measured as one target.
 * @typedef {{ url: string, nginx: import('./nginx.mjs').Nginx, members: Started[], processes: () => Promise<RoleProcess[]> }} Balanced
 */
/** @typedef {Started | Balanced} Target */
/**
 * What bench/load.mjs prints for one run, and the server CPU per request load() adds (null where /proc is not).
 * @typedef {object} LoadResult
 * @property {number} requestsPerSecond
 * @property {number} totalRequests
 * @property {number} latencyP50Ms
 * @property {number} latencyP99Ms
 * @property {number} latencyMaxMs
 * @property {number} loadGeneratorCpuPercent
 * @property {number} errors
 * @property {number} timeouts
 * @property {number} non2xx
 * @property {number} accepted
 * @property {number} other
 * @property {string[]} otherSamples
 * @property {Record<string, number>} counters
 * @property {number | null} serverCpuUsPerRequest
 * @property {Record<string, number> | null} cpuUsPerRequestByRole
 */
/**
 * What bench/core.mjs prints.
 * @typedef {object} CoreResult
 * @property {Stat} rawHmacPerSecond
 * @property {Stat} verifyHitPerSecond
 * @property {Stat} verifyMissPerSecond
 * @property {Stat} hitRatioPerCode
 * @property {Stat} missRatioPerCode
 * @property {Stat} rawHmacMsPer10000
 * @property {Stat} resyncSearchMs
 * @property {number} syncWindow
 * @property {number} sink
 */
/**
 * An installation made by setUp: its users by kind, its API keys, the hash of the full check's users' password.
 * @typedef {object} Setup
 * @property {string} dataDir
 * @property {NodeJS.ProcessEnv} engineEnv
 * @property {{ otpOnly: string, check: string, admin: string }} keys
 * @property {BenchUser[]} otpUsers
 * @property {BenchUser[]} resyncUsers
 * @property {BenchUser[]} passwordUsers
 * @property {string} passwordHash
 * @property {BenchUser[]} [severalUsers] users with three tokens each (addSeveralTokenUsers), when that section runs
 */
/** @typedef {Setup & { severalUsers: BenchUser[] }} SeveralSetup */

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const { values: args } = parseArgs({ options: { smoke: { type: 'boolean' }, out: { type: 'string' }, only: { type: 'string' } } });
// --only core,accept,several,full,resync,scale,postgres,import runs a subset (for profiling; the results then lack the rest).
const only = args.only ? new Set(args.only.split(',')) : null;
const wanted = (/** @type {string} */ section) => only === null || only.has(section);
// BENCH_CPU_PROF=DIR starts the otpgate server with --cpu-prof, its profile written to DIR on exit.
const cpuProfDir = process.env.BENCH_CPU_PROF;
const smoke = args.smoke === true || process.env.BENCH_SMOKE === '1';
const outFile = resolve(args.out ?? process.env.BENCH_OUT ?? join(root, 'bench', 'results.json'));

const S = smoke
  ? { rounds: 2, seconds: 1, warmup: 1, connections: 10, otpUsers: 24, passwordUsers: 12, passwordSeconds: 1, resyncUsers: 2, inventory: 100, importSizes: [200, 1000], importRounds: 1, scaleTokens: 3000, coreRounds: 2, coreMs: 100, passwordLog2N: 10 }
  : { rounds: 3, seconds: 6, warmup: 2, connections: 50, otpUsers: 200, passwordUsers: 60, passwordSeconds: 6, resyncUsers: 4, inventory: 1000, importSizes: [10_000, 100_000], importRounds: 3, scaleTokens: 1_000_000, coreRounds: 5, coreMs: 400, passwordLog2N: undefined };
const SYNC_WINDOW = 10_000;
const PASSWORD = 'bench-password-0123';
const node = process.execPath;
const cli = join(root, 'bin', 'otpgate.js');
const started = Date.now();
// The server (and the bare reference) on CPU 0, the load generator on CPU 1, when taskset and two CPUs exist:
// without it the load generator competes with the server for the same core and the ratios say little.
// Not in --smoke: there every figure must merely be present, and a server held to one core of a loaded
// machine answered too few full checks in a 1-second round to time any.
const pinned = !smoke && process.env.BENCH_PIN !== '0' && (await import('node:os')).cpus().length >= 2 && (await runProcess('taskset', ['-c', '0', 'true'])).code === 0;
/** @type {(cpu: number, command: string, commandArgs: string[]) => [string, string[]]} */
const onCpu = (cpu, command, commandArgs) => (pinned ? ['taskset', ['-c', String(cpu), command, ...commandArgs]] : [command, commandArgs]);
/** Over this share of its core the load generator is the bottleneck: the round is flagged. */
const LOAD_GENERATOR_SATURATED_PERCENT = 90;
/** @type {string[]} */
const saturatedRounds = [];

/** @param {string} message */
function log(message) {
  process.stderr.write(`[bench ${((Date.now() - started) / 1000).toFixed(0).padStart(3)} s] ${message}\n`);
}

// The default configuration: log level info (one access-log line per request), unless BENCH_LOG_LEVEL says otherwise.
/**
 * @param {string} dataDir
 * @param {NodeJS.ProcessEnv} [extra]
 */
function envFor(dataDir, extra = {}) {
  /** @type {NodeJS.ProcessEnv} */
  const env = { ...process.env, OTPGATE_DATA_DIR: dataDir, OTPGATE_HOST: '127.0.0.1', OTPGATE_PORT: '0', ...extra };
  if (process.env.BENCH_LOG_LEVEL) env.OTPGATE_LOG_LEVEL = process.env.BENCH_LOG_LEVEL;
  else delete env.OTPGATE_LOG_LEVEL;
  if (!('OTPGATE_DATABASE_URL' in extra)) delete env.OTPGATE_DATABASE_URL;
  delete env.OTPGATE_KEY_FILE;
  return env;
}

/**
 * @param {string} dataDir
 * @param {string[]} cliArgs
 * @param {NodeJS.ProcessEnv} [extraEnv]
 */
async function otpgate(dataDir, cliArgs, extraEnv) {
  const result = await runProcess(node, [cli, ...cliArgs], { env: envFor(dataDir, extraEnv), cwd: root });
  if (result.code !== 0) throw new Error(`otpgate ${cliArgs.join(' ')} exited with ${result.code}\n${result.stderr}${result.stdout}`);
  return result.stdout;
}

/**
 * The new key: the last line `apikey create` prints.
 * @param {string} dataDir
 * @param {string} name
 * @param {string} scope
 * @param {NodeJS.ProcessEnv} [extraEnv]
 */
async function createApiKey(dataDir, name, scope, extraEnv) {
  return /** @type {string} */ ((await otpgate(dataDir, ['apikey', 'create', name, '--scope', scope], extraEnv)).trim().split('\n').pop());
}

/**
 * @param {string} dataDir
 * @param {NodeJS.ProcessEnv} [extraEnv]
 * @returns {Promise<Started>}
 */
async function startServer(dataDir, extraEnv = {}) {
  const profile = cpuProfDir ? ['--cpu-prof', '--cpu-prof-dir', resolve(cpuProfDir)] : [];
  const [command, commandArgs] = onCpu(0, node, [...profile, cli, 'serve']);
  const { child, match } = await startProcess(command, commandArgs, { env: envFor(dataDir, extraEnv), cwd: root, ready: /listening on (http:\/\/[0-9.]+:\d+)/ });
  return { child, url: match[1] };
}

/** @returns {Promise<Started>} */
async function startBare() {
  const [command, commandArgs] = onCpu(0, node, [join(root, 'bench', 'bare-server.mjs')]);
  const { child, match } = await startProcess(command, commandArgs, { cwd: root, ready: /listening on (http:\/\/[0-9.]+:\d+)/ });
  return { child, url: match[1] };
}

/**
 * nginx (on the servers' CPU) in front of `members` (started servers): a target whose CPU is that of every
 * member ("instance 1", "instance 2", …) and of nginx's master and worker processes ("nginx").
 * @param {string} dir
 * @param {Started[]} members
 * @returns {Promise<Balanced>}
 */
async function startBalanced(dir, members) {
  const nginx = await startNginx(dir, members.map((m) => m.url), (command, commandArgs) => onCpu(0, command, commandArgs));
  return {
    url: nginx.url,
    nginx,
    members,
    processes: async () => [
      ...members.map((m, i) => ({ role: `instance ${i + 1}`, pid: m.child.pid })),
      { role: 'nginx', pid: nginx.child.pid },
      ...(await nginx.workerPids()).map((pid) => ({ role: 'nginx', pid })),
    ],
  };
}

let planNumber = 0;
/** @type {string[]} */
const problems = [];

/**
 * A process's CPU time so far in ms (user + system, all its threads, not its children's; /proc, Linux), or
 * null elsewhere. CPU time per request does not depend on what else the machine runs, unlike requests per second.
 * @param {number | undefined} pid
 */
function cpuMsOf(pid) {
  try {
    const fields = /** @type {string} */ (readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100;
  } catch {
    return null;
  }
}

/**
 * The processes a target's server CPU is the sum of, each with the role it is reported under.
 * @param {Target} target
 * @returns {Promise<RoleProcess[]>}
 */
async function processesOf(target) {
  return target.processes ? target.processes() : [{ role: 'server', pid: target.child.pid }];
}

/**
 * CPU ms so far by role, or null when a process's CPU cannot be read.
 * @param {RoleProcess[]} processes
 */
function cpuByRole(processes) {
  /** @type {Record<string, number>} */
  const byRole = {};
  for (const { role, pid } of processes) {
    const ms = cpuMsOf(pid);
    if (ms === null) return null;
    byRole[role] = (byRole[role] ?? 0) + ms;
  }
  return byRole;
}

/**
 * One load-generator run; moves each user's counter on by what it sent.
 * @param {string} work
 * @param {string} label
 * @param {Target} target
 * @param {string} apiKey
 * @param {BenchUser[]} users
 * @param {{ seconds?: number, password?: string }} [options]
 */
async function load(work, label, target, apiKey, users, { seconds = S.seconds, password } = {}) {
  const plan = join(work, `plan-${planNumber++}.json`);
  writeFileSync(plan, JSON.stringify({ url: target.url, apiKey, connections: S.connections, durationSeconds: seconds, password, users }));
  const [command, commandArgs] = onCpu(1, node, [join(root, 'bench', 'load.mjs'), plan]);
  const processes = await processesOf(target);
  const cpuBefore = cpuByRole(processes);
  const result = /** @type {LoadResult} */ (await runJson(command, commandArgs, { cwd: root }));
  const cpuAfter = cpuByRole(processes);
  // Server CPU per request: the sum over the target's processes, and each role's part.
  if (cpuBefore === null || cpuAfter === null || result.totalRequests === 0) {
    result.serverCpuUsPerRequest = null;
    result.cpuUsPerRequestByRole = null;
  } else {
    result.cpuUsPerRequestByRole = Object.fromEntries(Object.keys(cpuAfter).map((role) => [role, ((/** @type {number} */ (cpuAfter[role]) - /** @type {number} */ (cpuBefore[role])) * 1000) / result.totalRequests]));
    result.serverCpuUsPerRequest = Object.values(result.cpuUsPerRequestByRole).reduce((a, b) => a + b, 0);
  }
  for (const user of users) user.counter = result.counters[user.username] ?? user.counter;
  if (result.loadGeneratorCpuPercent > LOAD_GENERATOR_SATURATED_PERCENT) saturatedRounds.push(`${label}: load generator at ${result.loadGeneratorCpuPercent.toFixed(0)} % of its core`);
  if (result.other > 0 || result.errors > 0 || result.timeouts > 0) {
    problems.push(`${label}: ${result.other} responses not accept, ${result.errors} errors, ${result.timeouts} timeouts; e.g. ${result.otherSamples.join(' | ')}`);
  }
  return result;
}

/**
 * Round i of `a` over round i of `b`.
 * @param {number[]} a
 * @param {number[]} b
 */
function ratioOf(a, b) {
  return summarize(a.map((v, i) => v / /** @type {number} */ (b[i])));
}

// ---------------------------------------------------------------------------------------------------
/** @returns {Promise<CoreResult>} */
async function benchCore() {
  log('core: HOTP verification and the re-sync search');
  return runJson(node, [join(root, 'bench', 'core.mjs'), '--rounds', String(S.coreRounds), '--ms', String(S.coreMs), '--sync-window', String(SYNC_WINDOW)], { cwd: root });
}

/**
 * An installation with an inventory of S.inventory tokens (CSV import), users associated with them, API keys.
 * @param {string} work
 * @param {string} [name]
 * @param {NodeJS.ProcessEnv} [engineEnv]
 * @returns {Promise<Setup>}
 */
async function setUp(work, name = 'main', engineEnv = {}) {
  const dataDir = join(work, name);
  log(`setting up: ${S.inventory} tokens, ${S.otpUsers} otp-only users, ${S.passwordUsers} users with passwords`);
  await otpgate(dataDir, ['init'], engineEnv);
  const csv = join(work, `inventory-${name}.csv`);
  const needed = S.otpUsers + S.passwordUsers + S.resyncUsers;
  const secrets = await writeCsv(csv, S.inventory, 'INV', needed);
  await otpgate(dataDir, ['token', 'import', csv], engineEnv);
  await otpgate(dataDir, ['account', 'settings', '--sync-window', String(SYNC_WINDOW)], engineEnv);
  const keys = {
    otpOnly: await createApiKey(dataDir, 'bench', 'otp-only', engineEnv),
    check: await createApiKey(dataDir, 'bench-check', 'check', engineEnv),
    admin: await createApiKey(dataDir, 'bench-admin', 'admin', engineEnv),
  };

  // Users and associations through the services (the CLI would pay a process start per user). The
  // otp-only and re-sync users get a cheap password hash (their password is never checked); the users of
  // the full sign-in check get the product's configured cost.
  const { loadConfig } = /** @type {typeof import('../src/runtime/config.js')} */ (await fromDist('runtime/config.js'));
  const { openInstance } = /** @type {typeof import('../src/runtime/instance.js')} */ (await fromDist('runtime/instance.js'));
  const { OPERATOR } = /** @type {typeof import('../src/services/context.js')} */ (await fromDist('services/context.js'));
  /**
   * @param {number | undefined} scryptLog2
   * @param {number} from
   * @param {number} count
   * @param {string} prefix
   */
  const make = async (scryptLog2, from, count, prefix) => {
    const instance = await openInstance(loadConfig(envFor(dataDir, { ...engineEnv, ...(scryptLog2 ? { OTPGATE_SCRYPT_LOG2N: String(scryptLog2) } : {}) })));
    try {
      const { accounts, users, tokens } = instance.services;
      const account = await accounts.resolve(OPERATOR, undefined);
      /** @type {BenchUser[]} */
      const made = [];
      const batch = [];
      for (let i = 0; i < count; i++) {
        const { serial, secretHex } = /** @type {{ serial: string, secretHex: string }} */ (secrets[from + i]);
        const username = `${prefix}${i}`;
        batch.push(
          users.create(OPERATOR, account, { username, password: PASSWORD, role: 'user' }).then(async () => {
            await tokens.associate(OPERATOR, account, username, serial, hotp(Buffer.from(secretHex, 'hex'), 0));
            made.push({ username, serial, secretHex, counter: 1, digits: 6 });
          }),
        );
        if (batch.length >= 8) await Promise.all(batch.splice(0));
      }
      await Promise.all(batch);
      return made.sort((a, b) => a.username.localeCompare(b.username));
    } finally {
      await instance.close();
    }
  };
  const otpUsers = await make(10, 0, S.otpUsers, 'otp');
  const resyncUsers = await make(10, S.otpUsers, S.resyncUsers, 'resync');
  const passwordUsers = await make(S.passwordLog2N, S.otpUsers + S.resyncUsers, S.passwordUsers, 'pw');
  const passwordHash = await (async () => {
    const instance = await openInstance(loadConfig(envFor(dataDir, engineEnv)));
    try {
      const row = await instance.services.ctx.db.selectFrom('users').select('password_hash').where('username_key', '=', 'pw0').executeTakeFirstOrThrow();
      return row.password_hash;
    } finally {
      await instance.close();
    }
  })();
  return { dataDir, engineEnv, keys, otpUsers, resyncUsers, passwordUsers, passwordHash };
}

/**
 * @param {string} work
 * @param {Setup} setup
 * @param {Started} server
 */
async function benchAcceptPath(work, setup, server) {
  log('accept path: otp-only auth check against a bare Fastify JSON POST');
  const bare = await startBare();
  try {
    const fakeUsers = setup.otpUsers.map((u) => ({ ...u, secretHex: randomBytes(20).toString('hex') }));
    await load(work, 'warm-up otpgate', server, setup.keys.otpOnly, setup.otpUsers, { seconds: S.warmup });
    await load(work, 'warm-up bare', bare, 'none', fakeUsers, { seconds: S.warmup });
    /** @type {{ otpgate: LoadResult[], bare: LoadResult[] }} */
    const rows = { otpgate: [], bare: [] };
    for (let round = 0; round < S.rounds; round++) {
      rows.otpgate.push(await load(work, 'accept path', server, setup.keys.otpOnly, setup.otpUsers));
      rows.bare.push(await load(work, 'bare fastify', bare, 'none', fakeUsers));
    }
    return acceptFigures(setup, rows.otpgate, rows.bare);
  } finally {
    await stop(bare.child);
  }
}

/**
 * Users holding three tokens each (their own CSV import, associated through the services like setUp's), for
 * the accept path with several tokens per user. The load generator sends the newest token's passcodes.
 * @param {string} work
 * @param {Setup} setup
 * @returns {Promise<BenchUser[]>}
 */
async function addSeveralTokenUsers(work, setup) {
  log(`setting up: ${S.otpUsers} users with 3 tokens each`);
  const csv = join(work, 'several.csv');
  const secrets = await writeCsv(csv, 3 * S.otpUsers, 'SEV', 3 * S.otpUsers);
  await otpgate(setup.dataDir, ['token', 'import', csv], setup.engineEnv);
  const { loadConfig } = /** @type {typeof import('../src/runtime/config.js')} */ (await fromDist('runtime/config.js'));
  const { openInstance } = /** @type {typeof import('../src/runtime/instance.js')} */ (await fromDist('runtime/instance.js'));
  const { OPERATOR } = /** @type {typeof import('../src/services/context.js')} */ (await fromDist('services/context.js'));
  const instance = await openInstance(loadConfig(envFor(setup.dataDir, { ...setup.engineEnv, OTPGATE_SCRYPT_LOG2N: '10' })));
  try {
    const { accounts, users, tokens } = instance.services;
    const account = await accounts.resolve(OPERATOR, undefined);
    /** @type {BenchUser[]} */
    const made = [];
    for (let i = 0; i < S.otpUsers; i++) {
      const username = `sev${i}`;
      await users.create(OPERATOR, account, { username, password: PASSWORD, role: 'user' });
      const held = secrets.slice(3 * i, 3 * i + 3);
      for (const [n, { serial, secretHex }] of held.entries()) {
        await tokens.associate(OPERATOR, account, username, serial, hotp(Buffer.from(secretHex, 'hex'), 0), true, ['desk', 'spare', 'home'][n]);
      }
      const newest = /** @type {{ serial: string, secretHex: string }} */ (held[2]);
      made.push({ username, serial: newest.serial, secretHex: newest.secretHex, counter: 1, digits: 6 });
    }
    return made.sort((a, b) => a.username.localeCompare(b.username));
  } finally {
    await instance.close();
  }
}

/**
 * The accept path for users with 3 tokens against users with 1, on the same server, rounds interleaved.
 * @param {string} work
 * @param {SeveralSetup} setup
 * @param {Started} server
 */
async function benchSeveralTokens(work, setup, server) {
  log('accept path: users with 3 tokens against users with 1 token');
  await load(work, 'warm-up 1 token', server, setup.keys.otpOnly, setup.otpUsers, { seconds: S.warmup });
  await load(work, 'warm-up 3 tokens', server, setup.keys.otpOnly, setup.severalUsers, { seconds: S.warmup });
  /** @type {LoadResult[]} */
  const one = [];
  /** @type {LoadResult[]} */
  const three = [];
  for (let round = 0; round < S.rounds; round++) {
    one.push(await load(work, 'accept path, 1 token per user', server, setup.keys.otpOnly, setup.otpUsers));
    three.push(await load(work, 'accept path, 3 tokens per user', server, setup.keys.otpOnly, setup.severalUsers));
  }
  return {
    connections: S.connections,
    users: setup.severalUsers.length,
    oneToken: { requestsPerSecond: summarize(one.map((r) => r.requestsPerSecond)), p99Ms: summarize(one.map((r) => r.latencyP99Ms)), serverCpuUsPerRequest: summarize(one.map((r) => r.serverCpuUsPerRequest ?? 0)) },
    threeTokens: { requestsPerSecond: summarize(three.map((r) => r.requestsPerSecond)), p99Ms: summarize(three.map((r) => r.latencyP99Ms)), serverCpuUsPerRequest: summarize(three.map((r) => r.serverCpuUsPerRequest ?? 0)) },
    ratioThreeToOne: ratioOf(three.map((r) => r.requestsPerSecond), one.map((r) => r.requestsPerSecond)),
    cpuRatioThreeToOne: ratioOf(one.map((r) => r.serverCpuUsPerRequest ?? 0), three.map((r) => r.serverCpuUsPerRequest ?? 1)),
  };
}

/**
 * The accept path's figures from interleaved otpgate and bare rounds (load() results, round i beside round i).
 * @param {Setup} setup
 * @param {LoadResult[]} otpgateRuns
 * @param {LoadResult[]} bareRuns
 */
function acceptFigures(setup, otpgateRuns, bareRuns) {
  const rps = otpgateRuns.map((r) => r.requestsPerSecond);
  const bareRps = bareRuns.map((r) => r.requestsPerSecond);
  return {
    connections: S.connections,
    users: setup.otpUsers.length,
    requestsPerSecond: summarize(rps),
    p50Ms: summarize(otpgateRuns.map((r) => r.latencyP50Ms)),
    p99Ms: summarize(otpgateRuns.map((r) => r.latencyP99Ms)),
    accepted: otpgateRuns.reduce((n, r) => n + r.accepted, 0),
    bare: {
      requestsPerSecond: summarize(bareRps),
      p50Ms: summarize(bareRuns.map((r) => r.latencyP50Ms)),
      p99Ms: summarize(bareRuns.map((r) => r.latencyP99Ms)),
    },
    ratioToBare: ratioOf(rps, bareRps),
    loadGeneratorCpuPercent: summarize(otpgateRuns.map((r) => r.loadGeneratorCpuPercent)),
    // Server CPU per request, and the bare route's over otpgate's: the throughput ratio a server bound by
    // its own CPU would show, less sensitive to the machine's other load than req/s.
    serverCpuUsPerRequest: summarize(otpgateRuns.map((r) => r.serverCpuUsPerRequest ?? 0)),
    bareServerCpuUsPerRequest: summarize(bareRuns.map((r) => r.serverCpuUsPerRequest ?? 0)),
    cpuRatioToBare: ratioOf(bareRuns.map((r) => r.serverCpuUsPerRequest ?? 0), otpgateRuns.map((r) => r.serverCpuUsPerRequest ?? 1)),
    bareLoadGeneratorCpuPercent: summarize(bareRuns.map((r) => r.loadGeneratorCpuPercent)),
  };
}

/**
 * Each round's CPU per request of one role (e.g. "nginx") of a target of several processes.
 * @param {LoadResult[]} runs
 * @param {string} role
 */
function roleCpu(runs, role) {
  return summarize(runs.map((r) => r.cpuUsPerRequestByRole?.[role] ?? 0));
}

/**
 * The accept path on PostgreSQL (a fresh database on BENCH_POSTGRES_URL's server): one instance beside one
 * bare route, and two instances behind nginx (sharing the database and the data directory, trusting nginx's
 * X-Forwarded-For) beside two bare routes behind the same nginx configuration; the four interleaved round
 * by round. Everything served on CPU 0, nginx too; the two-instance CPU per request is that of both
 * instances and of nginx (its part reported too).
 * @param {string} work
 */
async function benchPostgres(work) {
  const adminUrl = process.env.BENCH_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
  const { default: pg } = await import('pg');
  const name = `otpgate_bench_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  try {
    await admin.connect();
  } catch (error) {
    log(`postgres: skipped, no server at ${adminUrl} (${/** @type {Error} */ (error).message})`);
    return null;
  }
  await admin.query(`create database ${name}`);
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  const balanced = nginxAvailable();
  // Everything started here, stopped in the finally block (nginx first: it holds connections to the rest).
  /** @type {Started[]} */
  const servers = [];
  /** @type {Balanced[]} */
  const balancers = [];
  const startedServer = async (/** @type {() => Promise<Started>} */ start) => {
    const started = await start();
    servers.push(started);
    return started;
  };
  try {
    log(`accept path on PostgreSQL: one instance against a bare Fastify JSON POST${balanced ? '; two instances behind nginx against two bare routes behind nginx' : ''}`);
    if (!balanced) log(`postgres: two instances behind nginx skipped, no nginx at ${NGINX} (scripts/install-test-tools.sh installs nginx-light)`);
    const setup = await setUp(work, 'postgres', { OTPGATE_DATABASE_URL: url.toString() });
    const fakeUsers = setup.otpUsers.map((u) => ({ ...u, secretHex: randomBytes(20).toString('hex') }));
    const one = await startedServer(() => startServer(setup.dataDir, setup.engineEnv));
    const oneBare = await startedServer(startBare);
    /** @type {{ name: 'one' | 'oneBare' | 'two' | 'twoBare', label: string, target: Target, key: string, users: BenchUser[] }[]} */
    const targets = [
      { name: 'one', label: 'postgres, 1 instance', target: one, key: setup.keys.otpOnly, users: setup.otpUsers },
      { name: 'oneBare', label: 'postgres, bare fastify', target: oneBare, key: 'none', users: fakeUsers },
    ];
    if (balanced) {
      const proxied = { ...setup.engineEnv, OTPGATE_TRUSTED_PROXIES: '127.0.0.1' };
      const pair = [await startedServer(() => startServer(setup.dataDir, proxied)), await startedServer(() => startServer(setup.dataDir, proxied))];
      const barePair = [await startedServer(startBare), await startedServer(startBare)];
      const two = await startBalanced(join(work, 'nginx-otpgate'), pair);
      balancers.push(two);
      const twoBare = await startBalanced(join(work, 'nginx-bare'), barePair);
      balancers.push(twoBare);
      targets.push(
        { name: 'two', label: 'postgres, 2 instances behind nginx', target: two, key: setup.keys.otpOnly, users: setup.otpUsers },
        { name: 'twoBare', label: 'postgres, 2 bare fastify behind nginx', target: twoBare, key: 'none', users: fakeUsers },
      );
      // For BENCH_CPU_PROF: which profile (CPU.*.PID.*.cpuprofile) is which server.
      log(`postgres: 1 instance pid ${one.child.pid}; 2 instances pids ${pair.map((s) => s.child.pid).join(', ')} behind nginx pid ${two.nginx.child.pid} (${two.url})`);
    }
    for (const t of targets) await load(work, `warm-up ${t.label}`, t.target, t.key, t.users, { seconds: S.warmup });
    const runs = /** @type {Record<'one' | 'oneBare' | 'two' | 'twoBare', LoadResult[]>} */ (Object.fromEntries(targets.map((t) => [t.name, /** @type {LoadResult[]} */ ([])])));
    /** @type {{ one: PerCheck[], two: PerCheck[] }} */
    const lockWaits = { one: [], two: [] };
    for (let round = 0; round < S.rounds; round++) {
      for (const t of targets) {
        const sampling = t.name in lockWaits ? await sampleLockWaits(pg, url.toString(), name) : null;
        const run = await load(work, t.label, t.target, t.key, t.users);
        runs[t.name].push(run);
        if (sampling) lockWaits[/** @type {'one' | 'two'} */ (t.name)].push(perCheck(await sampling(), run));
      }
    }
    const twoInstances = balanced
      ? {
          instances: 2,
          balancer: `${(await runProcess(NGINX, ['-v'])).stderr.trim().replace(/^nginx version: /, '')}, 1 worker, round robin, upstream keepalive 64`,
          ...acceptFigures(setup, runs.two, runs.twoBare),
          // Of serverCpuUsPerRequest (both instances and nginx): nginx's part, and each instance's.
          nginxCpuUsPerRequest: roleCpu(runs.two, 'nginx'),
          bareNginxCpuUsPerRequest: roleCpu(runs.twoBare, 'nginx'),
          instanceCpuUsPerRequest: [roleCpu(runs.two, 'instance 1'), roleCpu(runs.two, 'instance 2')],
          ratioToOneInstance: ratioOf(
            runs.two.map((r) => r.requestsPerSecond),
            runs.one.map((r) => r.requestsPerSecond),
          ),
          cpuPerCheckToOneInstance: ratioOf(
            runs.two.map((r) => r.serverCpuUsPerRequest ?? 0),
            runs.one.map((r) => r.serverCpuUsPerRequest ?? 1),
          ),
          lockWaits: lockWaitFigures(lockWaits.two),
        }
      : null;
    return { instances: 1, ...acceptFigures(setup, runs.one, runs.oneBare), lockWaits: lockWaitFigures(lockWaits.one), twoInstances };
  } finally {
    for (const balancer of balancers) {
      await stopNginx(balancer.nginx);
      // Anything nginx logged (warn and above), for the reader: a refused or failed upstream also fails checks.
      const logged = existsSync(join(balancer.nginx.dir, 'error.log')) ? readFileSync(join(balancer.nginx.dir, 'error.log'), 'utf8').trim() : '';
      if (logged) log(`nginx (${balancer.nginx.dir}) logged:\n${logged.split('\n').slice(0, 10).join('\n')}`);
    }
    for (const server of servers) await stop(server.child);
    await admin.query(`drop database if exists ${name} with (force)`);
    await admin.end();
  }
}

/**
 * Samples PostgreSQL's sessions of the bench database every 20 ms while a run goes: how many wait for a lock
 * (wait_event_type Lock), by wait event and by the statement waiting. Resolves, when called, to the sums.
 * @param {typeof import('pg').default} pg
 * @param {string} url
 * @param {string} database
 * @returns {Promise<() => Promise<LockSums>>}
 */
async function sampleLockWaits(pg, url, database) {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  let stopped = false;
  /** @type {Omit<LockSums, 'ms'>} */
  const sums = { samples: 0, waiting: 0, byStatement: {} };
  const sampling = (async () => {
    while (!stopped) {
      const { rows } = await client.query(
        "select wait_event, left(regexp_replace(query, '\\s+', ' ', 'g'), 60) as statement, count(*)::int as n from pg_stat_activity where datname = $1 and wait_event_type = 'Lock' group by 1, 2",
        [database],
      );
      sums.samples++;
      for (const row of rows) {
        sums.waiting += row.n;
        const key = `${row.wait_event}: ${row.statement}`;
        sums.byStatement[key] = (sums.byStatement[key] ?? 0) + row.n;
      }
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  })();
  const started = performance.now();
  return async () => {
    stopped = true;
    await sampling;
    await client.end();
    return { ...sums, ms: performance.now() - started };
  };
}

/**
 * Samples of PostgreSQL sessions waiting for a lock over `ms`: how many samples, how many sessions waiting
 * summed over them, and that sum by "wait event: statement".
 * @typedef {{ samples: number, waiting: number, byStatement: Record<string, number>, ms: number }} LockSums
 */
/** @typedef {{ usPerCheck: number, byStatement: Record<string, number> }} PerCheck */

/**
 * Lock-wait time per check from the samples of one run: sessions waiting on average × run time / checks.
 * @param {LockSums} sums
 * @param {LoadResult} run
 * @returns {PerCheck}
 */
function perCheck(sums, run) {
  const checks = run.requestsPerSecond * (sums.ms / 1000);
  const perSession = (/** @type {number} */ n) => (sums.samples === 0 || checks === 0 ? 0 : ((n / sums.samples) * sums.ms * 1000) / checks);
  return { usPerCheck: perSession(sums.waiting), byStatement: Object.fromEntries(Object.entries(sums.byStatement).map(([k, n]) => [k, Math.round(perSession(n) * 10) / 10])) };
}

/** @param {PerCheck[]} runs */
function lockWaitFigures(runs) {
  if (runs.length === 0) return null;
  return { usPerCheck: summarize(runs.map((r) => r.usPerCheck)), byStatementUsPerCheck: /** @type {PerCheck} */ (runs.at(-1)).byStatement };
}

/**
 * @param {string} work
 * @param {Setup} setup
 * @param {Started} server
 */
async function benchFullCheck(work, setup, server) {
  log('full sign-in check (password + passcode) against the password hash alone');
  /** @type {LoadResult[]} */
  const checks = [];
  /** @type {{ verificationsPerSecond: number, verifications: number }[]} */
  const hashes = [];
  // A round ends with up to one request per connection still being hashed on the server: the load generator
  // has given up on them, the server has not. Before the next round sends those users' next codes, let the
  // server finish them (else a user's next code could overtake the old one, which is then refused as a replay).
  const drain = (/** @type {LoadResult} */ result) => new Promise((resolve) => setTimeout(resolve, Math.min(30_000, 1000 + 2 * (result.latencyMaxMs ?? 0))));
  await drain(await load(work, 'warm-up full check', server, setup.keys.check, setup.passwordUsers, { seconds: S.warmup, password: PASSWORD }));
  for (let round = 0; round < S.rounds; round++) {
    const check = await load(work, 'full check', server, setup.keys.check, setup.passwordUsers, { seconds: S.passwordSeconds, password: PASSWORD });
    checks.push(check);
    await drain(check);
    // The hash alone on the server's CPU: the server's scrypt runs in libuv's threads, which share its
    // pinning to CPU 0; unpinned, the hash alone would get both cores and the ratio would halve.
    const [hashCommand, hashArgs] = onCpu(0, node, [join(root, 'bench', 'hash-rate.mjs'), setup.passwordHash, String(S.connections), String(S.passwordSeconds)]);
    hashes.push(await runJson(hashCommand, hashArgs, { cwd: root, env: { ...process.env, BENCH_PASSWORD: PASSWORD } }));
  }
  const rps = checks.map((r) => r.requestsPerSecond);
  const hashRate = hashes.map((h) => h.verificationsPerSecond);
  return {
    scryptCost: setup.passwordHash.split('$').slice(1, 4).join('/'),
    requestsPerSecond: summarize(rps),
    p50Ms: summarize(checks.map((r) => r.latencyP50Ms)),
    p99Ms: summarize(checks.map((r) => r.latencyP99Ms)),
    hashVerificationsPerSecond: summarize(hashRate),
    ratioToHash: ratioOf(rps, hashRate),
  };
}

/**
 * @param {string} work
 * @param {Setup} setup
 * @param {Started} server
 */
async function benchResyncUnderLoad(work, setup, server) {
  log(`accept path while re-syncs search ${SYNC_WINDOW}-counter windows beside it`);
  /** @type {LoadResult[]} */
  const quiet = [];
  /** @type {LoadResult[]} */
  const busy = [];
  /** @type {{ resyncs: number, failures: number, latencyMs: number, counters: Record<string, number> }[]} */
  const resyncs = [];
  for (let round = 0; round < S.rounds; round++) {
    quiet.push(await load(work, 'accept path (no re-sync)', server, setup.keys.otpOnly, setup.otpUsers));
    const plan = join(work, `resync-${round}.json`);
    writeFileSync(plan, JSON.stringify({ url: server.url, apiKey: setup.keys.admin, durationSeconds: S.seconds, syncWindow: SYNC_WINDOW, users: setup.resyncUsers }));
    const [underLoad, driver] = await Promise.all([
      load(work, 'accept path (re-syncs beside)', server, setup.keys.otpOnly, setup.otpUsers),
      runJson(node, [join(root, 'bench', 'resync-driver.mjs'), plan], { cwd: root }),
    ]);
    for (const user of setup.resyncUsers) user.counter = driver.counters[user.username];
    if (driver.failures > 0) problems.push(`re-sync driver: ${driver.failures} re-syncs failed`);
    busy.push(underLoad);
    resyncs.push(driver);
  }
  return {
    syncWindow: SYNC_WINDOW,
    p99Ms: summarize(busy.map((r) => r.latencyP99Ms)),
    p99MsWithout: summarize(quiet.map((r) => r.latencyP99Ms)),
    requestsPerSecond: summarize(busy.map((r) => r.requestsPerSecond)),
    resyncsPerSecond: summarize(resyncs.map((d) => d.resyncs / S.seconds)),
    resyncLatencyMs: summarize(resyncs.map((d) => d.latencyMs)),
  };
}

/** @param {string} work */
async function benchImport(work) {
  const pskcReady = existsSync(join(root, 'src', 'import', 'pskc'));
  const format = pskcReady ? 'pskc' : 'csv';
  log(`import: ${S.importSizes.join(' and ')} keys (${format}${pskcReady ? '' : '; the PSKC reader is not on this branch yet'})`);
  const psk = randomBytes(16);
  /** @type {Record<string, { seconds: Stat, keysPerSecond: Stat, peakRssMb: Stat }>} */
  const sizes = {};
  for (const size of S.importSizes) {
    const file = join(work, `import-${size}.${format === 'pskc' ? 'pskcxml' : 'csv'}`);
    if (pskcReady) await writePskc(file, size, 'IMP', psk);
    else await writeCsv(file, size, 'IMP');
    const seconds = [];
    const peakMb = [];
    for (let round = 0; round < S.importRounds; round++) {
      const dataDir = join(work, `import-${size}-${round}`);
      await otpgate(dataDir, ['init']);
      const rssFile = join(work, `rss-${size}-${round}`);
      const importArgs = ['--import', join(root, 'bench', 'peak-rss.mjs'), cli, 'token', 'import', file, ...(pskcReady ? ['--psk', psk.toString('hex')] : [])];
      const begin = process.hrtime.bigint();
      const result = await runProcess(node, importArgs, { env: envFor(dataDir, { BENCH_PEAK_RSS_FILE: rssFile }), cwd: root });
      seconds.push(Number(process.hrtime.bigint() - begin) / 1e9);
      if (result.code !== 0 || !result.stdout.includes(`imported ${size}`)) throw new Error(`import of ${size} keys failed (${result.code})\n${result.stderr}${result.stdout}`);
      peakMb.push(Number(readFileSync(rssFile, 'utf8')) / 1024);
      rmSync(dataDir, { recursive: true, force: true });
    }
    sizes[size] = { seconds: summarize(seconds), keysPerSecond: summarize(seconds.map((s) => size / s)), peakRssMb: summarize(peakMb) };
  }
  return { format, pskcPending: !pskcReady, sizes };
}

/**
 * @param {string} work
 * @param {Setup} setup
 * @param {Started} small
 */
async function benchScale(work, setup, small) {
  const bigDir = join(work, 'scale');
  log(`scale: copying the installation and filling it to ${S.scaleTokens} tokens`);
  mkdirSync(bigDir);
  for (const name of readdirSync(setup.dataDir)) copyFileSync(join(setup.dataDir, name), join(bigDir, name));
  const seeded = await runJson(node, [join(root, 'bench', 'seed-tokens.mjs'), bigDir, String(S.scaleTokens)], { cwd: root, timeoutMs: 600_000 });
  log(`scale: ${seeded.tokens} tokens in ${seeded.seconds.toFixed(1)} s; ${S.rounds} rounds against ${S.inventory} tokens`);
  // The copy has the users' counters as they were when it was made; each database keeps its own.
  const bigUsers = setup.otpUsers.map((u) => ({ ...u }));
  const big = await startServer(bigDir);
  try {
    await load(work, 'warm-up scale', big, setup.keys.otpOnly, bigUsers, { seconds: S.warmup });
    const smallRuns = [];
    const bigRuns = [];
    for (let round = 0; round < S.rounds; round++) {
      smallRuns.push(await load(work, `accept path, ${S.inventory} tokens`, small, setup.keys.otpOnly, setup.otpUsers));
      bigRuns.push(await load(work, `accept path, ${S.scaleTokens} tokens`, big, setup.keys.otpOnly, bigUsers));
    }
    const smallRps = smallRuns.map((r) => r.requestsPerSecond);
    const bigRps = bigRuns.map((r) => r.requestsPerSecond);
    return {
      smallTokens: S.inventory,
      bigTokens: seeded.tokens,
      seedSeconds: seeded.seconds,
      requestsPerSecondSmall: summarize(smallRps),
      requestsPerSecondBig: summarize(bigRps),
      p99MsBig: summarize(bigRuns.map((r) => r.latencyP99Ms)),
      ratioBigToSmall: ratioOf(bigRps, smallRps),
    };
  } finally {
    await stop(big.child);
  }
}

// ---------------------------------------------------------------------------------------------------
/**
 * What a run writes to bench/results.json: each section's figures, null where the section did not run.
 * @typedef {object} Results
 * @property {string} mode
 * @property {string} date
 * @property {string} node
 * @property {number} cpus
 * @property {number[]} loadAverage
 * @property {string} pinned
 * @property {string[]} loadGeneratorSaturated
 * @property {number} seconds
 * @property {CoreResult | null} core
 * @property {Awaited<ReturnType<typeof benchAcceptPath>> | null} acceptPath
 * @property {Awaited<ReturnType<typeof benchSeveralTokens>> | null} severalTokens
 * @property {Awaited<ReturnType<typeof benchFullCheck>> | null} fullCheck
 * @property {Awaited<ReturnType<typeof benchResyncUnderLoad>> | null} resyncUnderLoad
 * @property {Awaited<ReturnType<typeof benchImport>> | null} import
 * @property {Awaited<ReturnType<typeof benchScale>> | null} scale
 * @property {Awaited<ReturnType<typeof benchPostgres>>} postgres
 * @property {string[]} problems
 * @property {Goal[]} [goals]
 */
/** @typedef {{ goal: string, measured: number, target: number, met: boolean, off: string | null }} Goal */

/**
 * @param {unknown} value
 * @param {number} [digits]
 */
function fmt(value, digits = 1) {
  if (typeof value !== 'number') return String(value);
  if (Math.abs(value) >= 1000) return Math.round(value).toLocaleString('en-US');
  return value.toFixed(digits);
}

/**
 * @param {Stat} stat
 * @param {number} [digits]
 */
function cell(stat, digits) {
  return `${fmt(stat.median, digits)} (${fmt(stat.min, digits)}–${fmt(stat.max, digits)})`;
}

/** @param {Results} results */
function table(results) {
  const r = results;
  // Each section's rows, when the section ran (--only runs some).
  const rows = [
    ...(r.core
      ? [
          ['Core: verify, hit at first counter (/s)', cell(r.core.verifyHitPerSecond), `${cell(r.core.hitRatioPerCode, 2)}× raw HMAC-SHA1 per code`, '≥ 0.9×'],
          ['Core: verify, full miss of 10 (/s)', cell(r.core.verifyMissPerSecond), `${cell(r.core.missRatioPerCode, 2)}× raw HMAC-SHA1 per code`, '≥ 0.9×'],
          ['Core: raw HMAC-SHA1 (/s)', cell(r.core.rawHmacPerSecond), '', ''],
          [`Core: re-sync search, ${r.core.syncWindow} counters (ms)`, cell(r.core.resyncSearchMs), `10,000 raw HMACs: ${cell(r.core.rawHmacMsPer10000)} ms`, '≤ 15 ms'],
        ]
      : []),
    ...(r.acceptPath
      ? [
          [`Accept path, otp-only, ${r.acceptPath.connections} conns (req/s)`, cell(r.acceptPath.requestsPerSecond), `${cell(r.acceptPath.ratioToBare, 2)}× bare Fastify`, '≥ 0.5×'],
          ['Accept path p50 / p99 (ms)', `${cell(r.acceptPath.p50Ms)} / ${cell(r.acceptPath.p99Ms)}`, '', 'p50 ≤ 3, p99 ≤ 10 ms'],
          ['Bare Fastify JSON POST (req/s)', cell(r.acceptPath.bare.requestsPerSecond), `p99 ${cell(r.acceptPath.bare.p99Ms)} ms`, ''],
          ['Server CPU per request, otpgate / bare (µs)', `${cell(r.acceptPath.serverCpuUsPerRequest, 0)} / ${cell(r.acceptPath.bareServerCpuUsPerRequest, 0)}`, `${cell(r.acceptPath.cpuRatioToBare, 2)}× bare Fastify, by CPU`, '≥ 0.5×'],
          ['Load generator CPU, otpgate / bare rounds (%)', `${cell(r.acceptPath.loadGeneratorCpuPercent, 0)} / ${cell(r.acceptPath.bareLoadGeneratorCpuPercent, 0)}`, r.loadGeneratorSaturated.length ? `FLAGGED: saturated in ${r.loadGeneratorSaturated.length} rounds` : 'not saturated', '< 90 %'],
        ]
      : []),
    ...(r.severalTokens
      ? [
          ['Accept path, 3 tokens per user (req/s)', cell(r.severalTokens.threeTokens.requestsPerSecond), `${cell(r.severalTokens.ratioThreeToOne, 2)}× 1 token per user (${cell(r.severalTokens.oneToken.requestsPerSecond)})`, '≥ 0.9×'],
          ['Server CPU per request, 3 tokens / 1 token (µs)', `${cell(r.severalTokens.threeTokens.serverCpuUsPerRequest, 0)} / ${cell(r.severalTokens.oneToken.serverCpuUsPerRequest, 0)}`, `${cell(r.severalTokens.cpuRatioThreeToOne, 2)}× by CPU`, ''],
        ]
      : []),
    ...(r.fullCheck
      ? [
          [`Full check, password + passcode, scrypt ${r.fullCheck.scryptCost} (req/s)`, cell(r.fullCheck.requestsPerSecond), `${cell(r.fullCheck.ratioToHash, 2)}× scrypt alone`, '≥ 0.9×'],
          ['scrypt verifications alone, same concurrency (/s)', cell(r.fullCheck.hashVerificationsPerSecond), '', ''],
        ]
      : []),
    ...(r.resyncUnderLoad
      ? [[`Accept p99 with ${r.resyncUnderLoad.syncWindow}-counter re-syncs beside (ms)`, cell(r.resyncUnderLoad.p99Ms), `without: ${cell(r.resyncUnderLoad.p99MsWithout)} ms; ${cell(r.resyncUnderLoad.resyncsPerSecond)} re-syncs/s`, '≤ 20 ms']]
      : []),
    ...(r.postgres
      ? [
          ['PostgreSQL accept path, 1 instance (req/s)', cell(r.postgres.requestsPerSecond), `${cell(r.postgres.ratioToBare, 2)}× bare Fastify (${cell(r.postgres.bare.requestsPerSecond)})`, ''],
          ['PostgreSQL accept p50 / p99 (ms)', `${cell(r.postgres.p50Ms)} / ${cell(r.postgres.p99Ms)}`, '', ''],
          ['PostgreSQL server CPU per request, otpgate / bare (µs)', `${cell(r.postgres.serverCpuUsPerRequest, 0)} / ${cell(r.postgres.bareServerCpuUsPerRequest, 0)}`, `${cell(r.postgres.cpuRatioToBare, 2)}× bare Fastify, by CPU`, ''],
          ...(r.postgres.twoInstances
            ? [
                [
                  'PostgreSQL accept path, 2 instances behind nginx (req/s)',
                  cell(r.postgres.twoInstances.requestsPerSecond),
                  `${cell(r.postgres.twoInstances.ratioToBare, 2)}× 2 bare Fastify behind nginx (${cell(r.postgres.twoInstances.bare.requestsPerSecond)}); ${cell(r.postgres.twoInstances.ratioToOneInstance, 2)}× 1 instance`,
                  '',
                ],
                ['PostgreSQL 2 instances p50 / p99 (ms)', `${cell(r.postgres.twoInstances.p50Ms)} / ${cell(r.postgres.twoInstances.p99Ms)}`, `bare pair: p99 ${cell(r.postgres.twoInstances.bare.p99Ms)} ms`, ''],
                [
                  'PostgreSQL 2 instances + nginx, CPU per request, otpgate / bare (µs)',
                  `${cell(r.postgres.twoInstances.serverCpuUsPerRequest, 0)} / ${cell(r.postgres.twoInstances.bareServerCpuUsPerRequest, 0)}`,
                  `${cell(r.postgres.twoInstances.cpuRatioToBare, 2)}× bare pair, by CPU; nginx's part ${cell(r.postgres.twoInstances.nginxCpuUsPerRequest, 0)} / ${cell(r.postgres.twoInstances.bareNginxCpuUsPerRequest, 0)} µs`,
                  '',
                ],
              ]
            : [['PostgreSQL accept path, 2 instances behind nginx', 'skipped', `no nginx at ${NGINX}`, '']]),
        ]
      : []),
    ...(r.import
      ? Object.entries(r.import.sizes).map(([size, s]) => [
          `Import ${Number(size).toLocaleString('en-US')} keys, ${/** @type {NonNullable<Results['import']>} */ (r.import).format} (s)`,
          cell(s.seconds, 2),
          `${cell(s.keysPerSecond)} keys/s, peak RSS ${cell(s.peakRssMb)} MB`,
          size === '100000' ? '≤ 10 s, ≤ 250 MB' : '',
        ])
      : []),
    ...(r.scale
      ? [[`Accept path, ${fmt(r.scale.bigTokens)} vs ${fmt(r.scale.smallTokens)} tokens (req/s)`, `${cell(r.scale.requestsPerSecondBig)} vs ${cell(r.scale.requestsPerSecondSmall)}`, `${cell(r.scale.ratioBigToSmall, 2)}×`, '≥ 0.8×']]
      : []),
  ];
  const widths = [0, 1, 2, 3].map((i) => Math.max(...rows.map((row) => /** @type {string} */ (row[i]).length), /** @type {string} */ (['Figure', 'Median (min–max)', 'Compared', 'Goal'][i]).length));
  const line = (/** @type {string[]} */ cells) => `| ${cells.map((c, i) => c.padEnd(/** @type {number} */ (widths[i]))).join(' | ')} |`;
  return [line(['Figure', 'Median (min–max)', 'Compared', 'Goal']), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...rows.map(line)].join('\n');
}

/**
 * Each goal of the figures this run measured, judged on the median: met, or not met and by how much. A
 * goal whose section did not run is left out. Printed after the table and kept in the JSON.
 * @param {Results} r
 */
function goals(r) {
  // A figure the run lacks (undefined) fails Number.isFinite: its goal is dropped at the end.
  const at = (/** @type {Stat | undefined} */ x) => /** @type {number} */ (x?.median);
  /** @type {Goal[]} */
  const list = [];
  /** @type {(goal: string, measured: number, target: number, unit?: string) => number} */
  const atLeast = (goal, measured, target, unit = '×') => list.push({ goal, measured, target, met: measured >= target, off: measured >= target ? null : `${fmt2(target / measured)}× short (${fmt2(measured)}${unit} of ${target}${unit})` });
  /** @type {(goal: string, measured: number, target: number, unit?: string) => number} */
  const atMost = (goal, measured, target, unit = ' ms') => list.push({ goal, measured, target, met: measured <= target, off: measured <= target ? null : `${fmt2(measured / target)}× over (${fmt2(measured)}${unit}, goal ${target}${unit})` });
  if (r.core) {
    atLeast('core verify, hit at first counter, vs raw HMAC-SHA1', at(r.core.hitRatioPerCode), 0.9);
    atLeast('core verify, full miss of 10, vs raw HMAC-SHA1', at(r.core.missRatioPerCode), 0.9);
    atMost(`re-sync search over ${r.core.syncWindow} counters`, at(r.core.resyncSearchMs), 15);
  }
  if (r.acceptPath) {
    atLeast('accept path vs bare Fastify, by req/s', at(r.acceptPath.ratioToBare), 0.5);
    atLeast('accept path vs bare Fastify, by server CPU per request (this round)', at(r.acceptPath.cpuRatioToBare), 0.35);
    atLeast('accept path vs bare Fastify, by server CPU per request (moonshot)', at(r.acceptPath.cpuRatioToBare), 0.5);
    atMost('accept path p50', at(r.acceptPath.p50Ms), 3);
    atMost('accept path p99', at(r.acceptPath.p99Ms), 10);
  }
  if (r.fullCheck) atLeast('full check vs scrypt alone', at(r.fullCheck.ratioToHash), 0.9);
  if (r.severalTokens) atLeast('accept path, 3 tokens per user vs 1', at(r.severalTokens.ratioThreeToOne), 0.9);
  if (r.resyncUnderLoad) atMost('accept p99 with re-syncs beside', at(r.resyncUnderLoad.p99Ms), 20);
  if (r.import?.sizes?.['100000']) {
    atMost('import of 100,000 keys', at(r.import.sizes['100000'].seconds), 10, ' s');
    atMost('import of 100,000 keys, peak RSS', at(r.import.sizes['100000'].peakRssMb), 250, ' MB');
  }
  if (r.postgres) {
    atLeast('PostgreSQL, 1 instance vs bare Fastify, by server CPU per request', at(r.postgres.cpuRatioToBare), 0.2);
    atMost('PostgreSQL, 1 instance, lock waits per check', at(r.postgres.lockWaits?.usPerCheck), 10, ' µs');
    const two = r.postgres.twoInstances;
    if (two) {
      atLeast('PostgreSQL, 2 instances vs 1, by req/s', at(two.ratioToOneInstance), 1.0);
      atMost('PostgreSQL, CPU per check with 2 instances vs 1', at(two.cpuPerCheckToOneInstance), 1.2, '×');
      atMost('PostgreSQL, 2 instances, lock waits per check', at(two.lockWaits?.usPerCheck), 10, ' µs');
    }
  }
  if (r.scale) atLeast('accept path with 1,000,000 tokens vs 1,000', at(r.scale.ratioBigToSmall), 0.8);
  return list.filter((g) => Number.isFinite(g.measured));
}

/** @param {number} value */
function fmt2(value) {
  return value >= 100 ? value.toFixed(0) : value >= 10 ? value.toFixed(1) : value.toFixed(2);
}

/** @param {Goal[]} list */
function goalLines(list) {
  const width = Math.max(...list.map((g) => g.goal.length));
  return list.map((g) => `  ${g.met ? 'met    ' : 'NOT MET'}  ${g.goal.padEnd(width)}  ${g.met ? '' : g.off}`.trimEnd()).join('\n');
}

async function main() {
  const work = mkdtempSync(join(tmpdir(), 'otpgate-bench-'));
  let server;
  try {
    const core = wanted('core') ? await benchCore() : null;
    const needsServer = ['accept', 'several', 'full', 'resync', 'scale'].some(wanted);
    const setup = needsServer ? await setUp(work) : null;
    if (setup && wanted('several')) setup.severalUsers = await addSeveralTokenUsers(work, setup);
    server = needsServer ? await startServer(/** @type {Setup} */ (setup).dataDir) : null;
    // Each section below that uses them is one of needsServer's: where it runs, both are set (and severalUsers).
    const set = /** @type {SeveralSetup} */ (setup);
    const at = /** @type {Started} */ (server);
    const acceptPath = wanted('accept') ? await benchAcceptPath(work, set, at) : null;
    const severalTokens = wanted('several') ? await benchSeveralTokens(work, set, at) : null;
    const fullCheck = wanted('full') ? await benchFullCheck(work, set, at) : null;
    const resyncUnderLoad = wanted('resync') ? await benchResyncUnderLoad(work, set, at) : null;
    const scale = wanted('scale') ? await benchScale(work, set, at) : null;
    if (server) await stop(server.child);
    const postgres = wanted('postgres') ? await benchPostgres(work) : null;
    const imported = wanted('import') ? await benchImport(work) : null;
    /** @type {Results} */
    const results = {
      mode: smoke ? 'smoke' : 'full',
      date: new Date().toISOString(),
      node: process.version,
      cpus: (await import('node:os')).cpus().length,
      loadAverage: (await import('node:os')).loadavg(),
      pinned: pinned ? 'server and bare route (and nginx with the servers behind it) on CPU 0, load generator on CPU 1 (taskset)' : 'not pinned (no taskset or one CPU)',
      loadGeneratorSaturated: saturatedRounds,
      seconds: (Date.now() - started) / 1000,
      core,
      acceptPath,
      severalTokens,
      fullCheck,
      resyncUnderLoad,
      import: imported,
      scale,
      postgres,
      problems,
    };
    results.goals = goals(results);
    mkdirSync(dirname(outFile), { recursive: true });
    writeFileSync(outFile, `${JSON.stringify(results, null, 2)}\n`);
    process.stdout.write(`${JSON.stringify(results)}\n\n${table(results)}\n`);
    if (results.goals.length > 0) process.stdout.write(`\ngoals (medians of this run):\n${goalLines(results.goals)}\n`);
    if (saturatedRounds.length > 0) {
      process.stderr.write(`\nFLAGGED: the load generator saturated its core in ${saturatedRounds.length} rounds; those rounds measure it, not the server:\n${saturatedRounds.map((p) => `  ${p}`).join('\n')}\n`);
    }
    if (problems.length > 0) {
      process.stderr.write(`\nproblems:\n${problems.map((p) => `  ${p}`).join('\n')}\n`);
      process.exitCode = 1;
    }
    log(`done; results in ${outFile}`);
  } finally {
    await stopAll();
    rmSync(work, { recursive: true, force: true });
  }
}

await main();
