// A development aid, not part of `npm run bench`: the sign-in check called in-process in a loop (no HTTP),
// to see where its CPU time goes (run it under `node --cpu-prof`). Prints checks per second of CPU time.
//   node [--cpu-prof] bench/check-loop.mjs [CHECKS] [CONCURRENCY]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { fromDist, hotp } from './common.mjs';
const { loadConfig } = /** @type {typeof import('../src/runtime/config.js')} */ (await fromDist('runtime/config.js'));
const { initInstance } = /** @type {typeof import('../src/runtime/instance.js')} */ (await fromDist('runtime/instance.js'));
const { OPERATOR } = /** @type {typeof import('../src/services/context.js')} */ (await fromDist('services/context.js'));
const { sealTokenSecret, TOKEN_SEAL_VERSION } = /** @type {typeof import('../src/services/sealed-secrets.js')} */ (await fromDist('services/sealed-secrets.js'));
const { startBackgroundCheckpoints } = /** @type {typeof import('../src/store/sqlite/wal-checkpointer.js')} */ (await fromDist('store/sqlite/wal-checkpointer.js'));

const checks = Number(process.argv[2] ?? 20000);
const concurrency = Number(process.argv[3] ?? 50);
const dir = mkdtempSync(join(tmpdir(), 'otpgate-loop-'));
try {
  const { instance } = await initInstance(loadConfig({ OTPGATE_DATA_DIR: dir, OTPGATE_SCRYPT_LOG2N: '10' }));
  const { accounts, users, tokens, signIn, ctx } = instance.services;
  const account = await accounts.resolve(OPERATOR, undefined);
  /** @type {{ username: string, secret: Buffer, counter: number }[]} */
  const people = [];
  for (let i = 0; i < 100; i++) {
    const secret = randomBytes(20);
    const serial = `L${i}`;
    await ctx.db.insertInto('tokens').values({ account_id: account.id, serial, type: 'hotp', algorithm: 'SHA1', digits: 6, counter: 0, period_in_seconds: null, time_offset_in_seconds: 0, secret_sealed: sealTokenSecret(ctx.masterKey, account.id, serial, secret), seal_version: TOKEN_SEAL_VERSION, status: 'available', fail_count: 0, created_at: Date.now() }).execute();
    await users.create(OPERATOR, account, { username: `u${i}`, password: 'loop-password-1', role: 'user' });
    await tokens.associate(OPERATOR, account, `u${i}`, serial, hotp(secret, 0));
    people.push({ username: `u${i}`, secret, counter: 1 });
  }
  // As `serve` does: SQLite's checkpoints in a worker thread, not inside the checks' commits.
  const checkpoints = startBackgroundCheckpoints(ctx.db, (error) => console.error(error));
  const actor = { name: 'apikey:loop', accountId: account.id, clientIp: '127.0.0.1' };
  const idle = [...people];
  let done = 0;
  let rejected = 0;
  const cpu = process.cpuUsage();
  const started = process.hrtime.bigint();
  async function lane() {
    while (done < checks) {
      const p = /** @type {(typeof people)[number]} */ (idle.shift());
      done++;
      const outcome = await signIn.check({ accountId: account.id, username: p.username, password: null, passcode: hotp(p.secret, p.counter++), actor });
      if (outcome.result !== 'accept') rejected++;
      idle.push(p);
    }
  }
  await Promise.all(Array.from({ length: concurrency }, lane));
  const used = process.cpuUsage(cpu);
  const wall = Number(process.hrtime.bigint() - started) / 1e9;
  console.log(JSON.stringify({ checks: done, rejected, checksPerCpuSecond: done / ((used.user + used.system) / 1e6), checksPerWallSecond: done / wall }));
  await checkpoints.stop();
  await instance.close();
} finally {
  rmSync(dir, { recursive: true, force: true });
}
