// The store and service contract runs once per engine: a SQLite file in a temp dir, and a fresh
// PostgreSQL database. Each case opens a real installation through initInstance, as `otpgate init` does.
import { mkdirSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../src/runtime/config.js';
import { initInstance, openInstance, type Instance } from '../../src/runtime/instance.js';
import { OPERATOR } from '../../src/services/context.js';
import type { AccountRow } from '../../src/store/schema.js';
import type { Services } from '../../src/services/services.js';
import { createTestDatabase, postgresSkipReason } from '../postgres/test-database.js';

export type EngineName = 'sqlite' | 'postgres';

export interface EngineCase {
  engine: EngineName;
  /** A reason to skip (PostgreSQL unreachable outside CI), or false. */
  skip: string | false;
  /** A new installation; with `schemaAt`, its schema stops at that migration (an older otpgate's database). */
  start(options?: StartOptions): Promise<TestInstallation>;
}

export interface StartOptions {
  schemaAt?: string;
  /**
   * With `schemaAt`: what to write through the services before the schema goes back to it (the installation
   * is initialised at the latest schema, whose audit chains this otpgate's writes need, then migrated down).
   */
  prepare?: (services: Services, account: AccountRow) => Promise<void>;
  /** More environment for the installation (settings such as OTPGATE_WEBHOOK_ALLOW_PRIVATE). */
  env?: Record<string, string>;
}

export interface TestInstallation {
  instance: Instance;
  services: Services;
  account: AccountRow;
  /** The environment the installation was opened with (for a second instance on the same database). */
  env: NodeJS.ProcessEnv;
  /** Closes the instance and opens the installation again, as the next command or start does (migrating). */
  reopen(): Promise<void>;
  close(): Promise<void>;
}

async function startInstallation(databaseUrl: string | undefined, dropDatabase: () => Promise<void>, options: StartOptions = {}): Promise<TestInstallation> {
  const dir = await mkdtemp(join(tmpdir(), 'otpgate-store-'));
  const env: NodeJS.ProcessEnv = { OTPGATE_DATA_DIR: join(dir, 'data'), OTPGATE_SCRYPT_LOG2N: '10', OTPGATE_DB_POOL_SIZE: '10', ...options.env };
  if (databaseUrl) env.OTPGATE_DATABASE_URL = databaseUrl;
  const config = loadConfig(env);
  if (options.schemaAt !== undefined) {
    mkdirSync(config.dataDir, { recursive: true, mode: 0o700 });
    const { instance: latest } = await initInstance(config);
    await options.prepare?.(latest.services, await latest.services.accounts.resolve(OPERATOR));
    await latest.database.migrate(options.schemaAt);
    await latest.close();
  }
  const instance = options.schemaAt !== undefined ? await openInstance(config, { migrate: false }) : (await initInstance(config)).instance;
  const account = await instance.services.accounts.resolve(OPERATOR);
  const installation: TestInstallation = {
    instance,
    services: instance.services,
    account,
    env,
    async reopen() {
      await installation.instance.close();
      installation.instance = await openInstance(loadConfig(env));
      installation.services = installation.instance.services;
      // Read again: a migration may have added settings to the account's row.
      installation.account = await installation.services.accounts.resolve(OPERATOR);
    },
    async close() {
      await installation.instance.close();
      await dropDatabase();
      await rm(dir, { recursive: true, force: true });
    },
  };
  return installation;
}

export async function engineCases(): Promise<EngineCase[]> {
  const postgresSkip = await postgresSkipReason();
  return [
    { engine: 'sqlite', skip: false, start: (options) => startInstallation(undefined, () => Promise.resolve(), options) },
    {
      engine: 'postgres',
      skip: postgresSkip,
      async start(options) {
        const database = await createTestDatabase();
        try {
          return await startInstallation(database.url, () => database.drop(), options);
        } catch (error) {
          await database.drop();
          throw error;
        }
      },
    },
  ];
}

export interface SeedToken {
  serial: string;
  secretHex: string;
  counter?: number;
}

/** Imports tokens through the CSV seed reader, as an administrator would. */
export async function importTokens(services: Services, account: AccountRow, tokens: SeedToken[]): Promise<void> {
  const csv = tokens.map((t) => `${t.serial},${t.secretHex},hotp,6,${t.counter ?? 0}`).join('\n');
  const report = await services.imports.import(OPERATOR, account, { input: inputOf(csv), format: 'csv' });
  if (report.imported !== tokens.length) throw new Error(`imported ${report.imported} of ${tokens.length}: ${JSON.stringify(report.skipped)}`);
}

/** A file's content as the stream of chunks the import service reads. */
export async function* inputOf(text: string): AsyncIterable<Buffer> {
  await Promise.resolve();
  yield Buffer.from(text);
}
