// The store and service contract runs once per engine: a SQLite file in a temp dir, and a fresh
// PostgreSQL database. Each case opens a real installation through initInstance, as `otpgate init` does.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../src/runtime/config.js';
import { initInstance, type Instance } from '../../src/runtime/instance.js';
import { OPERATOR } from '../../src/services/context.js';
import type { AccountRow } from '../../src/store/schema.js';
import type { Services } from '../../src/services/services.js';
import { createTestDatabase, postgresSkipReason } from '../postgres/test-database.js';

export type EngineName = 'sqlite' | 'postgres';

export interface EngineCase {
  engine: EngineName;
  /** A reason to skip (PostgreSQL unreachable outside CI), or false. */
  skip: string | false;
  start(): Promise<TestInstallation>;
}

export interface TestInstallation {
  instance: Instance;
  services: Services;
  account: AccountRow;
  /** The environment the installation was opened with (for a second instance on the same database). */
  env: NodeJS.ProcessEnv;
  close(): Promise<void>;
}

async function startInstallation(databaseUrl: string | undefined, dropDatabase: () => Promise<void>): Promise<TestInstallation> {
  const dir = await mkdtemp(join(tmpdir(), 'otpgate-store-'));
  const env: NodeJS.ProcessEnv = { OTPGATE_DATA_DIR: join(dir, 'data'), OTPGATE_SCRYPT_LOG2N: '10', OTPGATE_DB_POOL_SIZE: '10' };
  if (databaseUrl) env.OTPGATE_DATABASE_URL = databaseUrl;
  const { instance } = await initInstance(loadConfig(env));
  const account = await instance.services.accounts.resolve(OPERATOR);
  return {
    instance,
    services: instance.services,
    account,
    env,
    async close() {
      await instance.close();
      await dropDatabase();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

export async function engineCases(): Promise<EngineCase[]> {
  const postgresSkip = await postgresSkipReason();
  return [
    { engine: 'sqlite', skip: false, start: () => startInstallation(undefined, () => Promise.resolve()) },
    {
      engine: 'postgres',
      skip: postgresSkip,
      async start() {
        const database = await createTestDatabase();
        try {
          return await startInstallation(database.url, () => database.drop());
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
