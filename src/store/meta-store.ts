// Installation-wide facts: the master key's check value, the schema's owner.
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
