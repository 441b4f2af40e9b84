// `otpgate migrate` applies pending migrations and says what it did; `serve` with OTPGATE_NO_MIGRATE=1
// refuses a database without a schema; `serve` initialises an empty database once and never again.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { knownMigrations } from '../../src/store/database.js';
import { spawnSync } from 'node:child_process';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { startServer } from './fixture.js';
import { createTestDatabase, postgresSkipReason, type TestDatabase } from './test-database.js';
import { makeTempDir } from '../helpers/temp-dir.js';

const skip = await postgresSkipReason();
const BIN = join(import.meta.dirname, '..', '..', 'bin', 'otpgate.js');

describe('migrate and first start on PostgreSQL', { skip }, () => {
  let database: TestDatabase;
  let dir: string;
  let env: NodeJS.ProcessEnv;
  before(async () => {
    database = await createTestDatabase();
    dir = makeTempDir('otpgate-migrate-');
    env = { PATH: process.env.PATH, OTPGATE_DATABASE_URL: database.url, OTPGATE_DATA_DIR: join(dir, 'data'), OTPGATE_SCRYPT_LOG2N: '10' };
  });
  after(async () => {
    await database?.drop();
    await rm(dir, { recursive: true, force: true });
  });

  const otpgate = (args: string[], extra: NodeJS.ProcessEnv = {}) => spawnSync(process.execPath, [BIN, ...args], { env: { ...env, ...extra }, encoding: 'utf8', timeout: 60_000 });

  test('serve with OTPGATE_NO_MIGRATE=1 refuses an empty database and says what to do', () => {
    const run = otpgate(['serve'], { OTPGATE_NO_MIGRATE: '1', OTPGATE_PORT: '0' });
    assert.equal(run.status, 1);
    assert.match(run.stderr, /no otpgate schema.*run `otpgate migrate` first/);
  });

  test('migrate applies the pending migrations and prints them; a second run has nothing to apply', async () => {
    const first = otpgate(['migrate']);
    assert.equal(first.status, 0, first.stderr);
    const known = await knownMigrations();
    assert.equal(first.stdout, `${known.map((name) => `applied ${name}\n`).join('')}PostgreSQL is now at ${known.at(-1)}\n`);
    const second = otpgate(['migrate']);
    assert.equal(second.status, 0, second.stderr);
    assert.equal(second.stdout, `nothing to apply: PostgreSQL is up to date (${known.length} migrations, latest ${known.at(-1)})\n`);
  });

  test('serve initialises the migrated, empty database once; a restart does not initialise again', async () => {
    const first = await startServer({ ...env, OTPGATE_NO_MIGRATE: '1' }, 'first start');
    await first.stop();
    assert.match(first.output(), /first admin of account "default": admin\npassword \(shown only now\): \S{16}\n/);
    const second = await startServer(env, 'restart');
    await second.stop();
    assert.doesNotMatch(second.output(), /first admin|password/);
    assert.match(second.output(), /otpgate listening on/);
  });

  test('a malformed database URL is refused instead of falling back to SQLite', () => {
    const run = otpgate(['migrate'], { OTPGATE_DATABASE_URL: 'mysql://localhost/otpgate' });
    assert.equal(run.status, 1);
    assert.match(run.stderr, /OTPGATE_DATABASE_URL must be a postgres:\/\//);
  });
});
