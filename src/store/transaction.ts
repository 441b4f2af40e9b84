// Transactions that survive contention between processes sharing one SQLite file.
import type { Kysely, Transaction } from 'kysely';
import type { Database } from './schema.js';

export type Executor = Kysely<Database> | Transaction<Database>;

function isBusy(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  // SQLite answers BUSY (not after busy_timeout) when a read transaction cannot become a write one because
  // another process wrote meanwhile; PostgreSQL's 40001/40P01 are serialisation failures and deadlocks.
  return typeof code === 'string' && (code.startsWith('SQLITE_BUSY') || code === '40001' || code === '40P01');
}

/** Runs `work` in a transaction, retrying it from the start when the engine reports contention. */
export async function inTransaction<T>(db: Kysely<Database>, work: (trx: Transaction<Database>) => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await db.transaction().execute(work);
    } catch (error) {
      if (!isBusy(error) || attempt >= 20) throw error;
      await new Promise((resolve) => setTimeout(resolve, Math.random() * 10 * attempt));
    }
  }
}

/** True for a unique-constraint violation, on either engine. */
export function isUniqueViolation(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY' || code === '23505';
}
