// Console sessions, kept in the database so that every instance behind a load balancer shares them.
import { deleteOidcModelsOfUser } from './oidc-store.js';
import type { Executor } from './transaction.js';
import type { SessionRow } from './schema.js';

export function findSession(db: Executor, idHash: string): Promise<SessionRow | undefined> {
  return db.selectFrom('sessions').selectAll().where('id_hash', '=', idHash).executeTakeFirst();
}

export async function insertSession(db: Executor, row: SessionRow): Promise<void> {
  await db.insertInto('sessions').values(row).execute();
}

export async function touchSession(db: Executor, idHash: string, now: number): Promise<void> {
  await db.updateTable('sessions').set({ last_seen_at: now }).where('id_hash', '=', idHash).execute();
}

export async function deleteSession(db: Executor, idHash: string): Promise<void> {
  await db.deleteFrom('sessions').where('id_hash', '=', idHash).execute();
}

export async function deleteExpiredSessions(db: Executor, idleBefore: number, createdBefore: number): Promise<void> {
  await db.deleteFrom('sessions').where((eb) => eb.or([eb('last_seen_at', '<', idleBefore), eb('created_at', '<', createdBefore)])).execute();
}

/**
 * Ends every session of a user (a new password, a deleted or disabled user): the console's, and the OpenID
 * Provider's sessions, grants, codes and refresh tokens with them; with `exceptIdHash`, every console session
 * but that one (a lost token reported from it).
 */
export async function deleteSessionsOfUser(db: Executor, userId: number, exceptIdHash?: string): Promise<void> {
  let query = db.deleteFrom('sessions').where('user_id', '=', userId);
  if (exceptIdHash !== undefined) query = query.where('id_hash', '!=', exceptIdHash);
  await query.execute();
  await deleteOidcModelsOfUser(db, userId);
}
