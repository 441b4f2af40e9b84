// API keys: only a hash of each key is stored.
import type { Executor } from './transaction.js';
import type { ApiKeyRow } from './schema.js';

export function findApiKeyByHash(db: Executor, keyHash: string): Promise<ApiKeyRow | undefined> {
  return db.selectFrom('api_keys').selectAll().where('key_hash', '=', keyHash).executeTakeFirst();
}

export function listApiKeys(db: Executor, accountId: number): Promise<ApiKeyRow[]> {
  return db.selectFrom('api_keys').selectAll().where('account_id', '=', accountId).orderBy('name').execute();
}

export async function insertApiKey(db: Executor, row: Omit<ApiKeyRow, 'id' | 'last_used_at'>): Promise<void> {
  await db.insertInto('api_keys').values(row).execute();
}

export async function deleteApiKey(db: Executor, accountId: number, name: string): Promise<boolean> {
  const result = await db.deleteFrom('api_keys').where('account_id', '=', accountId).where('name', '=', name).executeTakeFirst();
  return result.numDeletedRows > 0n;
}
