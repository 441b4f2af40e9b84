// Accounts (tenants) and their settings.
import type { Executor } from './transaction.js';
import type { Insertable } from 'kysely';
import type { AccountRow, AccountsTable } from './schema.js';

export function findAccountByName(db: Executor, name: string): Promise<AccountRow | undefined> {
  return db.selectFrom('accounts').selectAll().where('name', '=', name).executeTakeFirst();
}

export function findAccountById(db: Executor, id: number): Promise<AccountRow | undefined> {
  return db.selectFrom('accounts').selectAll().where('id', '=', id).executeTakeFirst();
}

export function listAccounts(db: Executor): Promise<AccountRow[]> {
  return db.selectFrom('accounts').selectAll().orderBy('name').execute();
}

export async function insertAccount(db: Executor, row: Omit<Insertable<AccountsTable>, 'id'>): Promise<number> {
  const inserted = await db.insertInto('accounts').values(row).returning('id').executeTakeFirstOrThrow();
  return Number(inserted.id);
}

export async function updateAccount(db: Executor, id: number, changes: Partial<Omit<AccountRow, 'id' | 'name' | 'created_at'>>): Promise<void> {
  await db.updateTable('accounts').set(changes).where('id', '=', id).execute();
}
