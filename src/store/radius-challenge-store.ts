// Pending RADIUS Access-Challenges, shared by every instance on the database. Only a hash of each State is
// stored, so reading the table does not let anyone complete a challenge.
import type { Executor } from './transaction.js';

export interface PendingChallengeRow {
  stateHash: string;
  clientId: number;
  usernameKey: string;
  expiresAt: number;
}

export async function insertChallenge(db: Executor, row: PendingChallengeRow): Promise<void> {
  await db
    .insertInto('radius_challenges')
    .values({ state_hash: row.stateHash, client_id: row.clientId, username_key: row.usernameKey, expires_at: row.expiresAt })
    .execute();
}

/**
 * Uses up a pending challenge: one conditional DELETE whose affected-row count decides, so that of two
 * instances (or two requests) presenting the same State at once exactly one succeeds.
 */
export async function consumeChallenge(db: Executor, row: Omit<PendingChallengeRow, 'expiresAt'> & { now: number }): Promise<boolean> {
  const result = await db
    .deleteFrom('radius_challenges')
    .where('state_hash', '=', row.stateHash)
    .where('client_id', '=', row.clientId)
    .where('username_key', '=', row.usernameKey)
    .where('expires_at', '>', row.now)
    .executeTakeFirst();
  return result.numDeletedRows === 1n;
}

/** Removes a State whatever it was bound to (a State presented once is never valid again). */
export async function deleteChallenge(db: Executor, stateHash: string): Promise<void> {
  await db.deleteFrom('radius_challenges').where('state_hash', '=', stateHash).execute();
}

export async function deleteExpiredChallenges(db: Executor, now: number): Promise<void> {
  await db.deleteFrom('radius_challenges').where('expires_at', '<=', now).execute();
}
