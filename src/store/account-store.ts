// Accounts (tenants) and their settings.
import type { Insertable, Kysely, Transaction } from 'kysely';
import { rawDriverOf } from './raw-statements.js';
import type { AccountRow, AccountsTable, Database } from './schema.js';
import { inTransaction, type Executor } from './transaction.js';

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

/**
 * Runs `work` in one transaction that holds the account's row against every other such transaction, in
 * this process or another (SPEC, "Administrators keep a way in": a check of who can still sign in and the
 * write it allows must not interleave with another change of the same account). PostgreSQL: the row is
 * read FOR UPDATE, so a second transaction waits there and then reads what the first committed (READ
 * COMMITTED takes a new snapshot per statement). SQLite has one writer: the first statement is a write
 * (to the row itself, changing nothing), which takes the database's write lock at once, as BEGIN
 * IMMEDIATE would; a second process waits (busy_timeout) or retries from the start. `work` gets the
 * account as it is now and must do all its reading and writing through the transaction.
 */
export async function withAccountLocked<T>(db: Kysely<Database>, accountId: number, work: (trx: Transaction<Database>, account: AccountRow) => Promise<T>): Promise<T> {
  const engine = rawDriverOf(db).engine;
  return inTransaction(db, async (trx) => {
    const locked =
      engine === 'postgres'
        ? trx.selectFrom('accounts').selectAll().where('id', '=', accountId).forUpdate()
        : trx.updateTable('accounts').set((eb) => ({ id: eb.ref('id') })).where('id', '=', accountId).returningAll();
    const account = await locked.executeTakeFirst();
    if (!account) throw new Error(`no account ${accountId}`);
    return work(trx, account);
  });
}
