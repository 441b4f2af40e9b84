// Temporary codes: one per user, replaced on issue, deleted on revoke or by the token's next success. A use
// moves uses_left only by compare-and-set, so of two uses of a code's last use exactly one wins.
import { statement, type RawTransaction } from './raw-statements.js';
import type { Executor } from './transaction.js';
import type { TempCodeRow } from './schema.js';

export function findTempCode(db: Executor, userId: number): Promise<TempCodeRow | undefined> {
  return db.selectFrom('temp_codes').selectAll().where('user_id', '=', userId).executeTakeFirst();
}

/** Stores a user's code, replacing the one they had. */
export async function putTempCode(db: Executor, row: TempCodeRow): Promise<void> {
  await db.deleteFrom('temp_codes').where('user_id', '=', row.user_id).execute();
  await db.insertInto('temp_codes').values(row).execute();
}

/** Deletes a user's code; false when they had none. */
export async function deleteTempCode(db: Executor, userId: number): Promise<boolean> {
  const result = await db.deleteFrom('temp_codes').where('user_id', '=', userId).executeTakeFirst();
  return result.numDeletedRows > 0n;
}

// The sign-in check's writes, inside the audited write's transaction (audited-writes.ts).
const USE_TEMP_CODE = statement(
  'temp_code_use',
  'UPDATE temp_codes SET uses_left = uses_left - 1 WHERE user_id = ? AND code_hash = ? AND uses_left = ? AND uses_left > 0 AND expires_at > ?',
);
const END_TEMP_CODE = statement('temp_code_end', 'DELETE FROM temp_codes WHERE user_id = ?');

/** One use of the code, by compare-and-set on the uses the caller read; false when another use won. */
export async function useTempCodeIn(trx: RawTransaction, userId: number, codeHash: string, expectedUses: number, now: number): Promise<boolean> {
  return (await trx.run(USE_TEMP_CODE, [userId, codeHash, expectedUses, now])).changes === 1;
}

/** Ends the user's code (the real token signed in); true when there was one. */
export async function endTempCodeIn(trx: RawTransaction, userId: number): Promise<boolean> {
  return (await trx.run(END_TEMP_CODE, [userId])).changes > 0;
}
