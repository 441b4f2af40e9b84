// Pending authenticator-app enrolments: one per user, replaced when a new one starts, deleted when it is
// activated (in the transaction that creates its token) or abandoned. Nothing else reads them: a pending
// enrolment is no token.
import type { Executor } from './transaction.js';
import { inTransaction } from './transaction.js';
import type { AppEnrolmentRow, Database, NewToken } from './schema.js';
import type { Kysely } from 'kysely';

export function findAppEnrolment(db: Executor, userId: number): Promise<AppEnrolmentRow | undefined> {
  return db.selectFrom('app_enrolments').selectAll().where('user_id', '=', userId).executeTakeFirst();
}

/** Stores a user's pending enrolment, replacing the one they had. */
export async function putAppEnrolment(db: Kysely<Database>, row: AppEnrolmentRow): Promise<void> {
  await inTransaction(db, async (trx) => {
    await trx.deleteFrom('app_enrolments').where('user_id', '=', row.user_id).execute();
    await trx.insertInto('app_enrolments').values(row).execute();
  });
}

/** Deletes a user's pending enrolment; false when they had none. */
export async function deleteAppEnrolment(db: Executor, userId: number): Promise<boolean> {
  const result = await db.deleteFrom('app_enrolments').where('user_id', '=', userId).executeTakeFirst();
  return result.numDeletedRows > 0n;
}

export type ActivationResult = 'activated' | 'gone' | 'token_limit';

/**
 * Activates the enrolment the caller read (its user, binding and creation time) as the token `token`, in one
 * transaction: the enrolment is deleted only while it is still that one, bound to that session and unexpired
 * (`gone` otherwise: another activation, a restart or an expiry won), and the token is inserted only while the
 * user holds fewer than `maxTokens` (`token_limit`: nothing changes). The token carries the matched step.
 */
export function activateAppEnrolment(
  db: Kysely<Database>,
  pending: Pick<AppEnrolmentRow, 'user_id' | 'binding' | 'created_at'>,
  token: NewToken,
  maxTokens: number,
  now: number,
): Promise<ActivationResult> {
  return inTransaction(db, async (trx) => {
    const taken = await trx
      .deleteFrom('app_enrolments')
      .where('user_id', '=', pending.user_id)
      .where('binding', '=', pending.binding)
      .where('created_at', '=', pending.created_at)
      .where('expires_at', '>', now)
      .executeTakeFirst();
    if (taken.numDeletedRows !== 1n) return 'gone';
    const held = await trx.selectFrom('tokens').select((eb) => eb.fn.countAll<number>().as('n')).where('user_id', '=', pending.user_id).executeTakeFirstOrThrow();
    if (Number(held.n) >= maxTokens) throw new TokenLimitReached();
    await trx.insertInto('tokens').values(token).execute();
    return 'activated';
  }).catch((error: unknown) => {
    if (error instanceof TokenLimitReached) return 'token_limit';
    throw error;
  });
}

/** Rolls the activation back (the enrolment stays) when the user reached the limit meanwhile. */
class TokenLimitReached extends Error {}
