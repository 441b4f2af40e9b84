// Transactions that survive contention between processes sharing one SQLite file.
import type { Kysely, Transaction } from 'kysely';
import { isContention } from './database-errors.js';
import type { Database } from './schema.js';

export type Executor = Kysely<Database> | Transaction<Database>;

/** Runs `work` in a transaction, retrying it from the start when the engine reports contention. */
export async function inTransaction<T>(db: Kysely<Database>, work: (trx: Transaction<Database>) => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await db.transaction().execute(work);
    } catch (error) {
      if (!isContention(error) || attempt >= 20) throw error;
      await new Promise((resolve) => setTimeout(resolve, Math.random() * 10 * attempt));
    }
  }
}
