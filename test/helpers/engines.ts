// The store and service contract runs once per engine: a SQLite file in a temp dir, and a fresh
// PostgreSQL database. Each case's start() is the one builder, buildInstallation (installation.ts), on that
// engine; its services read the real time unless the options give a clock.
import { OPERATOR } from '../../src/services/context.js';
import type { AccountRow } from '../../src/store/schema.js';
import type { Services } from '../../src/services/services.js';
import { createTestDatabase, postgresSkipReason } from '../postgres/test-database.js';
import { buildInstallation, type Installation, type InstallationOptions } from './installation.js';

export type EngineName = 'sqlite' | 'postgres';

export interface EngineCase {
  engine: EngineName;
  /** A reason to skip (PostgreSQL unreachable outside CI), or false. */
  skip: string | false;
  /** A new installation; with `schemaAt`, its schema stops at that migration (an older otpgate's database). */
  start(options?: StartOptions): Promise<TestInstallation>;
}

/** What engineCases' start takes: the builder's options less the engine, which the case chooses. */
export type StartOptions = Omit<InstallationOptions, 'database'>;

/** The installation a case starts (the one builder's, test/helpers/installation.ts). */
export type TestInstallation = Installation;

export async function engineCases(): Promise<EngineCase[]> {
  const postgresSkip = await postgresSkipReason();
  return [
    { engine: 'sqlite', skip: false, start: (options) => buildInstallation(options) },
    {
      engine: 'postgres',
      skip: postgresSkip,
      async start(options) {
        return buildInstallation({ ...options, database: await createTestDatabase() });
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
