// Directories (one per account), directory users' groups, and enabling or disabling users. Only rows here.
import type { Insertable } from 'kysely';
import type { Executor } from './transaction.js';
import type { DirectoriesTable, DirectoryRow, UserRow } from './schema.js';

export function findDirectory(db: Executor, accountId: number): Promise<DirectoryRow | undefined> {
  return db.selectFrom('directories').selectAll().where('account_id', '=', accountId).executeTakeFirst();
}

/**
 * The users other than the account's own directory users who hold one of these names (`username_key`s): the
 * account's local users and every other account's users. A sync compares a directory's people with them.
 */
export async function usersHoldingNames(db: Executor, accountId: number, keys: readonly string[]): Promise<UserRow[]> {
  const rows: UserRow[] = [];
  // 500 names a statement, so that its bound values stay few on both engines.
  for (let i = 0; i < keys.length; i += 500) {
    const chunk = keys.slice(i, i + 500);
    rows.push(...(await db.selectFrom('users').selectAll().where('username_key', 'in', chunk).where((eb) => eb.or([eb('source', '=', 'local'), eb('account_id', '!=', accountId)])).execute()));
  }
  return rows;
}

/** Every account's directory, oldest account first (the scheduled sync and a sign-in without an account). */
export function listDirectories(db: Executor): Promise<DirectoryRow[]> {
  return db.selectFrom('directories').selectAll().orderBy('account_id').execute();
}

/** The directory shared with sign-ins that name no account (console, `check`), if the operator chose one. */
export function findSharedDirectory(db: Executor): Promise<DirectoryRow | undefined> {
  return db.selectFrom('directories').selectAll().where('shared', '=', 1).orderBy('account_id').executeTakeFirst();
}

/** Makes the account's directory the shared one (and no other), or no directory shared when accountId is null. */
export async function setSharedDirectory(db: Executor, accountId: number | null): Promise<void> {
  await db.updateTable('directories').set({ shared: 0 }).where('shared', '=', 1).execute();
  if (accountId !== null) await db.updateTable('directories').set({ shared: 1 }).where('account_id', '=', accountId).execute();
}

/** Creates or replaces the account's directory. */
export async function saveDirectory(db: Executor, row: Insertable<DirectoriesTable>): Promise<void> {
  // On replace, everything but the account and the creation time changes.
  const changes = Object.fromEntries(Object.entries(row).filter(([column]) => column !== 'account_id' && column !== 'created_at')) as Partial<Insertable<DirectoriesTable>>;
  await db
    .insertInto('directories')
    .values(row)
    .onConflict((oc) => oc.column('account_id').doUpdateSet(changes))
    .execute();
}

export async function deleteDirectory(db: Executor, accountId: number): Promise<boolean> {
  const deleted = await db.deleteFrom('directories').where('account_id', '=', accountId).returning('id').executeTakeFirst();
  return deleted !== undefined;
}

export async function groupsOf(db: Executor, userId: number): Promise<string[]> {
  const rows = await db.selectFrom('user_groups').select('group_name').where('user_id', '=', userId).orderBy('group_name').execute();
  return rows.map((r) => r.group_name);
}

/** Every group of every user of the account, for a sync's comparison. */
export async function groupsOfAccount(db: Executor, accountId: number): Promise<Map<number, string[]>> {
  const rows = await db
    .selectFrom('user_groups')
    .innerJoin('users', 'users.id', 'user_groups.user_id')
    .select(['user_groups.user_id', 'user_groups.group_name'])
    .where('users.account_id', '=', accountId)
    .orderBy('user_groups.group_name')
    .execute();
  const byUser = new Map<number, string[]>();
  for (const row of rows) byUser.set(Number(row.user_id), [...(byUser.get(Number(row.user_id)) ?? []), row.group_name]);
  return byUser;
}

export async function replaceGroups(db: Executor, userId: number, groups: string[]): Promise<void> {
  await db.deleteFrom('user_groups').where('user_id', '=', userId).execute();
  if (groups.length > 0) await db.insertInto('user_groups').values(groups.map((group_name) => ({ user_id: userId, group_name }))).execute();
}

export async function updateDirectoryFields(db: Executor, userId: number, changes: Partial<Pick<UserRow, 'display_name' | 'email' | 'dn' | 'disabled_at' | 'disabled_reason'>>): Promise<void> {
  await db.updateTable('users').set(changes).where('id', '=', userId).execute();
}

/** The account's users that came from its directory. */
export function listDirectoryUsers(db: Executor, accountId: number): Promise<UserRow[]> {
  return db.selectFrom('users').selectAll().where('account_id', '=', accountId).where('source', '=', 'directory').orderBy('username_key').execute();
}
