// Installation-wide facts: the master key's check value, the schema's owner.
import { sql, type Kysely } from 'kysely';
import { rawDriverOf } from './raw-statements.js';
import type { Database } from './schema.js';
import type { Executor } from './transaction.js';

export async function readMeta(db: Executor, key: string): Promise<string | undefined> {
  const row = await db.selectFrom('meta').select('value').where('key', '=', key).executeTakeFirst();
  return row?.value;
}

export async function writeMeta(db: Executor, key: string, value: string): Promise<void> {
  await db.insertInto('meta').values({ key, value }).onConflict((oc) => oc.column('key').doUpdateSet({ value })).execute();
}

/** One cheap round trip that needs the schema: throws when the database cannot be reached. */
export async function pingDatabase(db: Executor): Promise<void> {
  await db.selectFrom('meta').select('key').limit(1).execute();
}

/** Which engine the database is (no round trip). */
export function databaseEngine(db: Kysely<Database>): 'sqlite' | 'postgres' {
  return rawDriverOf(db).engine;
}

/** The newest migration applied (its name, e.g. `0015-help-contact`); throws when the database is unreachable. */
export async function newestMigration(db: Kysely<Database>): Promise<string | null> {
  // The table Kysely's migrator keeps (store/database.ts, MIGRATION_TABLE).
  const { rows } = await sql<{ name: string }>`SELECT name FROM otpgate_migrations ORDER BY name DESC LIMIT 1`.execute(db);
  return rows[0]?.name ?? null;
}
