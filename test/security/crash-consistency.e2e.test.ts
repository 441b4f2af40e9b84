// Property: killing the server with SIGKILL (kill -9) under sign-in load, at random moments, never leaves
// the database inconsistent. After each kill, with the server down: SQLite's integrity check passes,
// `otpgate audit verify` passes, no token's counter is behind the last passcode it accepted, and every
// counter a sign-in consumed has its audit `accept` event (the counter move and its event commit together).
// An import killed part-way leaves all of its tokens or none. On SQLite and on PostgreSQL (where the kill
// also ends the server's connections mid-transaction).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { Agent, request as httpRequest } from 'node:http';
import { rm, writeFile } from 'node:fs/promises';
import { randomInt } from 'node:crypto';
import { join } from 'node:path';
import SQLite from 'better-sqlite3';
import { loadConfig } from '../../src/runtime/config.js';
import { initInstance, openInstance } from '../../src/runtime/instance.js';
import { OPERATOR } from '../../src/services/context.js';
import { BIN, runCli } from '../helpers/cli.js';
import { oathCodes } from '../helpers/otp.js';
import { createTestDatabase, postgresSkipReason, type TestDatabase } from '../postgres/test-database.js';
import { randomSecretHex } from '../helpers/secrets.js';
import { importTokens } from '../helpers/engines.js';
import { makeTempDir } from '../helpers/temp-dir.js';

const KILLS = 4;
const USERS = 32;
/** Codes computed ahead per user (by oathtool), more than one user can spend in all the rounds. */
const CODES_PER_USER = 400;

interface LoadUser {
  username: string;
  serial: string;
  codes: string[];
  /** The counters whose passcode the server answered `accept` for. */
  accepted: number[];
}

interface Served {
  child: ChildProcess;
  url: string;
}

function serve(env: NodeJS.ProcessEnv): Promise<Served> {
  const child = spawn(process.execPath, [BIN, 'serve'], {
    env: { PATH: process.env.PATH, OTPGATE_PORT: '0', OTPGATE_HOST: '127.0.0.1', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((resolve, reject) => {
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      const match = /otpgate listening on (http:\/\/\S+?)(,|\s)/.exec(stdout);
      if (match?.[1]) resolve({ child, url: match[1] });
    });
    child.once('exit', (code) => reject(new Error(`serve exited with ${code} before listening: ${stdout} ${stderr}`)));
  });
}

/** POST a JSON body over a kept-alive connection; resolves with the status and the parsed body. */
function post(agent: Agent, url: string, apiKey: string, body: unknown): Promise<{ status: number; body: { result?: string } }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { method: 'POST', agent, headers: { 'content-type': 'application/json', authorization: `Bearer ${apiKey}` } }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) as { result?: string } }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(JSON.stringify(body));
  });
}

async function kill9(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill('SIGKILL');
  await exited;
}

const cases = [
  { engine: 'sqlite' as const, skip: false as string | false },
  { engine: 'postgres' as const, skip: await postgresSkipReason() },
];

for (const { engine, skip } of cases) {
  describe(`kill -9 under sign-in load on ${engine}`, { skip }, () => {
    let dir: string;
    let database: TestDatabase | undefined;
    let env: NodeJS.ProcessEnv;
    let apiKey: string;
    const users: LoadUser[] = [];

    before(async () => {
      dir = makeTempDir('otpgate-crash-');
      env = { OTPGATE_DATA_DIR: join(dir, 'data'), OTPGATE_SCRYPT_LOG2N: '10', OTPGATE_LOG_LEVEL: 'error' };
      if (engine === 'postgres') {
        database = await createTestDatabase();
        env.OTPGATE_DATABASE_URL = database.url;
      }
      const { instance } = await initInstance(loadConfig(env));
      try {
        const { services } = instance;
        const account = await services.accounts.resolve(OPERATOR);
        const seeds = Array.from({ length: USERS }, (_, i) => ({ serial: `CRASH${String(i).padStart(3, '0')}`, secretHex: randomSecretHex() }));
        await importTokens(services, account, seeds);
        for (const [i, seed] of seeds.entries()) {
          const codes = oathCodes(seed.secretHex, 0, CODES_PER_USER);
          const username = `crash${i}`;
          await services.users.create(OPERATOR, account, { username, password: `${username}-password` });
          await services.tokens.associate(OPERATOR, account, username, seed.serial, codes[0]!);
          users.push({ username, serial: seed.serial, codes, accepted: [0] });
        }
        apiKey = (await services.apiKeys.create(OPERATOR, account, 'crash', ['otp-only'], false)).key;
      } finally {
        await instance.close();
      }
    });

    after(async () => {
      await database?.drop();
      if (dir) await rm(dir, { recursive: true, force: true });
    });

    /** The tokens' counters and each serial's accepted sign-ins in the audit log, read by a fresh process's view. */
    async function readState(): Promise<{ counters: Map<string, number>; accepts: Map<string, number> }> {
      const instance = await openInstance(loadConfig(env), { migrate: false });
      try {
        const db = instance.services.ctx.db;
        const tokens = await db.selectFrom('tokens').select(['serial', 'counter']).where('serial', 'like', 'CRASH%').execute();
        const events = await db
          .selectFrom('audit_events')
          .select(['target_serial', (eb) => eb.fn.countAll<number>().as('n')])
          .where('action', '=', 'signin')
          .where('outcome', '=', 'accept')
          .groupBy('target_serial')
          .execute();
        return {
          counters: new Map(tokens.map((t) => [t.serial, Number(t.counter)])),
          accepts: new Map(events.map((e) => [e.target_serial ?? '', Number(e.n)])),
        };
      } finally {
        await instance.close();
      }
    }

    async function assertConsistent(when: string): Promise<Map<string, number>> {
      if (engine === 'sqlite') {
        const file = new SQLite(join(env.OTPGATE_DATA_DIR!, 'otpgate.db'));
        try {
          assert.equal(file.pragma('integrity_check', { simple: true }), 'ok', `${when}: PRAGMA integrity_check`);
        } finally {
          file.close();
        }
      }
      const verify = await runCli(['audit', 'verify'], env);
      assert.equal(verify.code, 0, `${when}: otpgate audit verify: ${verify.stdout}${verify.stderr}`);
      const { counters, accepts } = await readState();
      for (const user of users) {
        const counter = counters.get(user.serial)!;
        const lastAccepted = Math.max(...user.accepted);
        assert.ok(counter > lastAccepted, `${when}: ${user.serial} counter ${counter} is behind its last accepted passcode's counter ${lastAccepted}`);
        // Association consumed counter 0 (its own event, token.associate); every sign-in accept moved the
        // counter by one (each request sends the code for the counter the server expects next).
        assert.equal(accepts.get(user.serial) ?? 0, counter - 1, `${when}: ${user.serial} counter ${counter}: ${counter - 1} consumed by sign-ins, but ${accepts.get(user.serial) ?? 0} accept events`);
      }
      return counters;
    }

    test(`${KILLS} kills at random moments leave the counters, the audit log and the file consistent`, async () => {
      let counters = await assertConsistent('before the first start');
      for (let kill = 1; kill <= KILLS; kill++) {
        const server = await serve(env);
        const agent = new Agent({ keepAlive: true, maxSockets: USERS });
        let running = true;
        let answered = 0;
        let warmedUp: () => void = () => undefined;
        const answering = new Promise<void>((resolve) => (warmedUp = resolve));
        // Each user sends the code for the counter the server expects next, then the next once answered.
        const loops = users.map(async (user) => {
          let counter = counters.get(user.serial)!;
          while (running && counter < CODES_PER_USER) {
            try {
              const response = await post(agent, `${server.url}/api/v1/auth/check`, apiKey, { username: user.username, otp: user.codes[counter] });
              if (++answered === 2 * USERS) warmedUp();
              if (response.status === 200 && response.body.result === 'accept') user.accepted.push(counter++);
            } catch {
              // the server was killed with this request in flight: its fate is whatever the database says
              running = false;
            }
          }
          warmedUp();
        });
        // A random moment once the load is under way (not a fixed time: a loaded machine starts slowly).
        await answering;
        await new Promise((resolve) => setTimeout(resolve, randomInt(800)));
        await kill9(server.child);
        running = false;
        await Promise.all(loops);
        agent.destroy();
        assert.ok(answered >= 2 * USERS, `kill ${kill}: the server answered ${answered} requests before it was killed`);
        counters = await assertConsistent(`after kill ${kill}`);
      }
    });

    test('an import killed part-way leaves all of its tokens or none', async () => {
      const rows = Array.from({ length: 20_000 }, (_, i) => `IMPORT${String(i).padStart(6, '0')},${randomSecretHex()},hotp,6,0`);
      const file = join(dir, 'import.csv');
      await writeFile(file, `${rows.join('\n')}\n`);
      for (let kill = 1; kill <= 2; kill++) {
        const child = spawn(process.execPath, [BIN, 'token', 'import', file], { env: { PATH: process.env.PATH, ...env }, stdio: 'ignore' });
        await new Promise((resolve) => setTimeout(resolve, 200 + randomInt(1500)));
        await kill9(child);
        if (engine === 'sqlite') {
          const sqlite = new SQLite(join(env.OTPGATE_DATA_DIR!, 'otpgate.db'));
          try {
            assert.equal(sqlite.pragma('integrity_check', { simple: true }), 'ok');
          } finally {
            sqlite.close();
          }
        }
        const instance = await openInstance(loadConfig(env), { migrate: false });
        try {
          const found = await instance.services.ctx.db.selectFrom('tokens').select((eb) => eb.fn.countAll<number>().as('n')).where('serial', 'like', 'IMPORT%').executeTakeFirstOrThrow();
          assert.ok([0, 20_000].includes(Number(found.n)), `kill ${kill}: ${Number(found.n)} of 20,000 tokens imported`);
        } finally {
          await instance.close();
        }
        const verify = await runCli(['audit', 'verify'], env);
        assert.equal(verify.code, 0, `after the import's kill ${kill}: otpgate audit verify: ${verify.stdout}${verify.stderr}`);
      }
    });
  });
}
