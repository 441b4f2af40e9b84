// The one test builder: a real installation in a fresh temporary data directory — real database (a SQLite file,
// or a PostgreSQL database given by `engine-cases` in engines.ts), real master key, the real services, opened
// through initInstance as `otpgate init` does. makeFixture (app.ts) adds accounts, users, tokens, API keys and
// the Fastify app on top of it; engineCases (engines.ts) runs it once per engine.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { loadConfig, type Config } from '../../src/runtime/config.js';
import { initInstance, openInstance, type Instance } from '../../src/runtime/instance.js';
import { OPERATOR, type Actor } from '../../src/services/context.js';
import type { Services } from '../../src/services/services.js';
import type { AccountRow } from '../../src/store/schema.js';
import { TestClock } from './clock.js';
import { randomSecretHex } from './secrets.js';
import { makeTempDir, removeTempDir } from './temp-dir.js';

export { TestClock } from './clock.js';
export { makeTempDir } from './temp-dir.js';

/**
 * The one test environment for a data directory: cheap password hashing (tests only), an ephemeral port and
 * warn-level logs for `otpgate serve`. Spread `process.env` in front of it for a child process.
 */
export function testEnv(dataDir: string, extra: Record<string, string> = {}): Record<string, string> {
  return { OTPGATE_DATA_DIR: dataDir, OTPGATE_SCRYPT_LOG2N: '10', OTPGATE_PORT: '0', OTPGATE_LOG_LEVEL: 'warn', ...extra };
}

export interface InstallationOptions {
  /** A PostgreSQL database (from createTestDatabase) instead of the SQLite file in the data directory. */
  database?: { url: string; drop(): Promise<void> };
  /** The clock the services read; without one they read the real time. */
  clock?: TestClock;
  /** More environment for the installation (settings such as OTPGATE_WEBHOOK_ALLOW_PRIVATE). */
  env?: Record<string, string>;
  /** The schema stops at this migration (an older otpgate's database); opened without migrating. */
  schemaAt?: string;
  /**
   * With `schemaAt`: what to write through the services before the schema goes back to it (the installation
   * is initialised at the latest schema, whose audit chains this otpgate's writes need, then migrated down).
   */
  prepare?: (services: Services, account: AccountRow) => Promise<void>;
}

export interface Installation {
  /** The data directory (a fresh temporary directory). */
  dir: string;
  config: Config;
  /** The environment the installation was opened with (for the CLI, or a second instance on the same database). */
  env: Record<string, string>;
  /** The clock the services read (moved by the test only when it was given one). */
  clock: TestClock;
  instance: Instance;
  services: Services;
  /** The default account. */
  account: AccountRow;
  /** The first administrator's password, as `otpgate init` printed it (empty when opened at `schemaAt`). */
  adminPassword: string;
  /** Closes the instance and opens the installation again, as the next command or start does (migrating). */
  reopen(): Promise<void>;
  /** Closes the database, drops a PostgreSQL database, and removes the data directory. */
  close(): Promise<void>;
  /** The former name of close(), kept for one release. */
  cleanup(): Promise<void>;
}

/** A new installation (see InstallationOptions); close() it when done. */
export async function buildInstallation(options: InstallationOptions = {}): Promise<Installation> {
  const dir = makeTempDir();
  const env = testEnv(dir, { OTPGATE_DB_POOL_SIZE: '10', ...(options.database ? { OTPGATE_DATABASE_URL: options.database.url } : {}), ...options.env });
  const config = loadConfig(env);
  const clock = options.clock ?? new TestClock(Date.now());
  const timing = options.clock ? { now: clock.read } : {};
  const dropDatabase = async () => {
    await options.database?.drop();
    removeTempDir(dir);
  };
  let instance: Instance;
  let adminPassword = '';
  try {
    if (options.schemaAt !== undefined) {
      mkdirSync(config.dataDir, { recursive: true, mode: 0o700 });
      const { instance: latest } = await initInstance(config, timing);
      await options.prepare?.(latest.services, await latest.services.accounts.resolve(OPERATOR));
      await latest.database.migrate(options.schemaAt);
      await latest.close();
      instance = await openInstance(config, { ...timing, migrate: false });
    } else {
      const opened = await initInstance(config, timing);
      instance = opened.instance;
      adminPassword = opened.result.firstAdmin?.password ?? '';
    }
  } catch (error) {
    await dropDatabase();
    throw error;
  }
  const inst: Installation = {
    dir,
    config,
    env,
    clock,
    instance,
    services: instance.services,
    account: await instance.services.accounts.resolve(OPERATOR),
    adminPassword,
    async reopen() {
      await inst.instance.close();
      inst.instance = await openInstance(loadConfig(env), timing);
      inst.services = inst.instance.services;
      // Read again: a migration may have added settings to the account's row.
      inst.account = await inst.services.accounts.resolve(OPERATOR, inst.account.name);
    },
    async close() {
      await inst.instance.close();
      await dropDatabase();
    },
    cleanup: () => inst.close(),
  };
  return inst;
}

/** A SQLite installation whose services read a TestClock set to 2026-01-01 (the services tests' default). */
export function makeInstallation(options: Omit<InstallationOptions, 'database'> = {}): Promise<Installation> {
  return buildInstallation({ clock: new TestClock(), ...options });
}

/** Imports CSV text into an account through the import service. */
export async function importCsv(services: Services, account: AccountRow, csv: string, actor: Actor = OPERATOR) {
  return services.imports.import(actor, account, { input: Readable.from([Buffer.from(csv)]), format: 'csv' });
}

export function writeFile(dir: string, name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

export const PASSWORD = 'correct horse battery';

export interface UserWithToken {
  username: string;
  serial: string;
  secretHex: string;
}

let serialSeq = 1000000000000;

export function nextSerial(): string {
  return String(serialSeq++);
}

/**
 * Imports a fresh HOTP token (counter 0) and a user in the default account, and associates them with
 * the token's code for counter 0, so the next expected counter is 1.
 */
export async function userWithToken(inst: Installation, username: string, oathCode: (hex: string, c: number) => string): Promise<UserWithToken> {
  const serial = nextSerial();
  const secretHex = randomSecretHex();
  await importCsv(inst.services, inst.account, `${serial},${secretHex}\n`);
  await inst.services.users.create(OPERATOR, inst.account, { username, password: PASSWORD });
  await inst.services.tokens.associate(OPERATOR, inst.account, username, serial, oathCode(secretHex, 0));
  return { username, serial, secretHex };
}

/** One sign-in through the sign-in service, as the API would run it for an end-user address. */
export function signIn(inst: Installation, username: string, options: { password?: string | null; otp?: string | null; ip?: string | null } = {}) {
  return inst.services.signIn.check({
    accountId: null,
    username,
    password: options.password === undefined ? PASSWORD : options.password,
    passcode: options.otp ?? null,
    actor: { name: 'test', accountId: null, clientIp: options.ip ?? null },
  });
}

/** The token as stored (through the service's view). */
export function tokenOf(inst: Installation, username: string) {
  return inst.services.tokens.ofUser(inst.account, username);
}

/** Audit events of the default account, newest first. */
export function auditEvents(inst: Installation, query: { username?: string } = {}) {
  return inst.services.audit.list({ accountId: null, limit: 10_000, ...query });
}
