// A real installation in a fresh temporary data directory: real SQLite file, real master key, services.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { loadConfig, type Config } from '../../src/runtime/config.js';
import { initInstance, openInstance, type Instance } from '../../src/runtime/instance.js';
import { OPERATOR, type Actor } from '../../src/services/context.js';
import type { Services } from '../../src/services/services.js';
import type { AccountRow } from '../../src/store/schema.js';
import { randomSecretHex } from './secrets.js';

/** A clock the test moves by hand; services read it through ServiceContext.now. */
export class TestClock {
  constructor(public ms = Date.UTC(2026, 0, 1)) {}
  readonly now = (): number => this.ms;
  advanceSeconds(seconds: number): void {
    this.ms += seconds * 1000;
  }
}

export function makeTempDir(prefix = 'otpgate-test-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** Environment for a data directory: cheap password hashing (tests only). */
export function testEnv(dataDir: string, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return { OTPGATE_DATA_DIR: dataDir, OTPGATE_SCRYPT_LOG2N: '10', ...extra };
}

export interface Installation {
  dir: string;
  config: Config;
  env: NodeJS.ProcessEnv;
  clock: TestClock;
  instance: Instance;
  services: Services;
  account: AccountRow;
  adminPassword: string;
  /** Closes the database and removes the data directory. */
  cleanup(): Promise<void>;
  /** Closes and re-opens the instance (to see the database as another process would). */
  reopen(): Promise<void>;
}

export async function makeInstallation(): Promise<Installation> {
  const dir = makeTempDir();
  const env = testEnv(dir);
  const config = loadConfig(env);
  const clock = new TestClock();
  const { instance, result } = await initInstance(config, { now: clock.now });
  const inst: Installation = {
    dir,
    config,
    env,
    clock,
    instance,
    services: instance.services,
    account: await instance.services.accounts.resolve(OPERATOR),
    adminPassword: result.firstAdmin!.password,
    async cleanup() {
      await inst.instance.close();
      rmSync(dir, { recursive: true, force: true });
    },
    async reopen() {
      await inst.instance.close();
      inst.instance = await openInstance(config, { now: clock.now });
      inst.services = inst.instance.services;
      inst.account = await inst.services.accounts.resolve(OPERATOR, inst.account.name);
    },
  };
  return inst;
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
