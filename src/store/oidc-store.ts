// The OpenID Provider's rows: its models (codes, tokens, sessions, grants, interactions) as JSON payloads,
// the clients of each account, and the signing keys (sealed; this file only moves rows).
import type { Insertable } from 'kysely';
import type { Executor } from './transaction.js';
import type { OidcClientRow, OidcClientsTable, OidcKeyRow, OidcKeysTable, OidcModelRow, OidcModelsTable } from './schema.js';

export function findOidcModel(db: Executor, model: string, id: string): Promise<OidcModelRow | undefined> {
  return db.selectFrom('oidc_models').selectAll().where('model', '=', model).where('id', '=', id).executeTakeFirst();
}

export function findOidcModelByUid(db: Executor, model: string, uid: string): Promise<OidcModelRow | undefined> {
  return db.selectFrom('oidc_models').selectAll().where('model', '=', model).where('uid', '=', uid).executeTakeFirst();
}

/** Writes a model's payload (a re-save replaces it; a consumed code stays consumed). */
export async function upsertOidcModel(db: Executor, row: Insertable<OidcModelsTable>): Promise<void> {
  await db
    .insertInto('oidc_models')
    .values(row)
    .onConflict((oc) => oc.columns(['model', 'id']).doUpdateSet({ payload: row.payload, grant_id: row.grant_id ?? null, uid: row.uid ?? null, user_id: row.user_id ?? null, expires_at: row.expires_at ?? null }))
    .execute();
}

/**
 * Redeems a code or a refresh token: ONE conditional write, so that of two requests (or two instances)
 * only one finds the row unconsumed. True when this call consumed it.
 */
export async function consumeOidcModel(db: Executor, model: string, id: string, now: number): Promise<boolean> {
  const result = await db.updateTable('oidc_models').set({ consumed_at: now }).where('model', '=', model).where('id', '=', id).where('consumed_at', 'is', null).executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

export async function deleteOidcModel(db: Executor, model: string, id: string): Promise<void> {
  await db.deleteFrom('oidc_models').where('model', '=', model).where('id', '=', id).execute();
}

/** Every row of a grant of one model, or (model null) of every model, the grant itself included. */
export async function deleteOidcGrant(db: Executor, grantId: string, model: string | null): Promise<void> {
  let query = db.deleteFrom('oidc_models').where('grant_id', '=', grantId);
  if (model !== null) query = query.where('model', '=', model);
  await query.execute();
}

/** Ends everything the provider holds for a user: sessions, grants, codes and tokens. Returns the count. */
export async function deleteOidcModelsOfUser(db: Executor, userId: number): Promise<number> {
  const result = await db.deleteFrom('oidc_models').where('user_id', '=', userId).executeTakeFirst();
  return Number(result.numDeletedRows);
}

export async function deleteExpiredOidcModels(db: Executor, now: number): Promise<number> {
  const result = await db.deleteFrom('oidc_models').where('expires_at', '<', now).executeTakeFirst();
  return Number(result.numDeletedRows);
}

export function listOidcClients(db: Executor, accountId: number): Promise<OidcClientRow[]> {
  return db.selectFrom('oidc_clients').selectAll().where('account_id', '=', accountId).orderBy('name').execute();
}

export function findOidcClientByClientId(db: Executor, clientId: string): Promise<OidcClientRow | undefined> {
  return db.selectFrom('oidc_clients').selectAll().where('client_id', '=', clientId).executeTakeFirst();
}

export function findOidcClientByName(db: Executor, accountId: number, name: string): Promise<OidcClientRow | undefined> {
  return db.selectFrom('oidc_clients').selectAll().where('account_id', '=', accountId).where('name', '=', name).executeTakeFirst();
}

export async function insertOidcClient(db: Executor, row: Insertable<OidcClientsTable>): Promise<void> {
  await db.insertInto('oidc_clients').values(row).execute();
}

/** Replaces a client's redirect URIs and allowed groups (JSON arrays); false when the account has no such client. */
export async function updateOidcClient(db: Executor, accountId: number, name: string, changes: Pick<Insertable<OidcClientsTable>, 'redirect_uris' | 'post_logout_redirect_uris' | 'allowed_groups'>): Promise<boolean> {
  const result = await db.updateTable('oidc_clients').set(changes).where('account_id', '=', accountId).where('name', '=', name).executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

/** Removes a client: the provider no longer finds it, so nothing it was issued is accepted again. */
export async function deleteOidcClient(db: Executor, accountId: number, name: string): Promise<string | null> {
  const row = await db.deleteFrom('oidc_clients').where('account_id', '=', accountId).where('name', '=', name).returning('client_id').executeTakeFirst();
  return row ? row.client_id : null;
}

export function listOidcKeys(db: Executor): Promise<OidcKeyRow[]> {
  return db.selectFrom('oidc_keys').selectAll().orderBy('created_at').execute();
}

export async function insertOidcKey(db: Executor, row: Insertable<OidcKeysTable>): Promise<void> {
  await db.insertInto('oidc_keys').values(row).execute();
}

export async function setOidcKeyStatus(db: Executor, kid: string, status: OidcKeyRow['status'], retireAt: number | null): Promise<void> {
  await db.updateTable('oidc_keys').set({ status, retire_at: retireAt }).where('kid', '=', kid).execute();
}

export async function setOidcKeySealed(db: Executor, kid: string, sealed: Buffer): Promise<void> {
  await db.updateTable('oidc_keys').set({ private_sealed: sealed }).where('kid', '=', kid).execute();
}

/** Retired keys past their overlap: no token they signed is still live. */
export async function deleteRetiredOidcKeys(db: Executor, now: number): Promise<number> {
  const result = await db.deleteFrom('oidc_keys').where('status', '=', 'retired').where('retire_at', '<', now).executeTakeFirst();
  return Number(result.numDeletedRows);
}
