// Users. Usernames are unique across the installation, compared by their canonical key (username_key, see
// core/username.ts).
import { sql } from 'kysely';
import { usernameKey } from '../core/username.js';
import type { Executor } from './transaction.js';
import type { Role } from '../core/values.js';
import type { NewUser, UserRow } from './schema.js';

export { usernameKey };

export function findUserByName(db: Executor, username: string): Promise<UserRow | undefined> {
  return db.selectFrom('users').selectAll().where('username_key', '=', usernameKey(username)).executeTakeFirst();
}

export function findUserById(db: Executor, id: number): Promise<UserRow | undefined> {
  return db.selectFrom('users').selectAll().where('id', '=', id).executeTakeFirst();
}

export interface UserListQuery {
  accountId: number;
  /** Matches username or display name, case-insensitively. */
  search?: string;
  /** Only users who have no token. */
  withoutToken?: boolean;
  /** Only users of this role. */
  role?: Role;
  limit?: number;
  offset?: number;
}

/** The account's users matching the search (username or display name, case-insensitively). */
function usersMatching(db: Executor, query: Omit<UserListQuery, 'limit' | 'offset'>) {
  let select = db.selectFrom('users').where('account_id', '=', query.accountId);
  if (query.search) {
    // Both sides in lower case, and an explicit ESCAPE: the engines' LIKE differ in case and escapes.
    const pattern = `%${query.search.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
    select = select.where((eb) =>
      eb.or([sql<boolean>`${eb.ref('username_key')} like ${pattern} escape '\\'`, sql<boolean>`lower(${eb.ref('display_name')}) like ${pattern} escape '\\'`]),
    );
  }
  if (query.role) select = select.where('role', '=', query.role);
  if (query.withoutToken) select = select.where((eb) => eb.not(eb.exists(eb.selectFrom('tokens').select('tokens.id').whereRef('tokens.user_id', '=', 'users.id'))));
  return select;
}

export function listUsers(db: Executor, query: UserListQuery): Promise<UserRow[]> {
  return usersMatching(db, query).selectAll().orderBy('username_key').limit(query.limit ?? 1000).offset(query.offset ?? 0).execute();
}

export async function countUsers(db: Executor, query: Omit<UserListQuery, 'limit' | 'offset'>): Promise<number> {
  const row = await usersMatching(db, query).select((eb) => eb.fn.countAll<number | string | bigint>().as('count')).executeTakeFirstOrThrow();
  return Number(row.count);
}

export async function insertUser(db: Executor, row: NewUser): Promise<number> {
  const inserted = await db.insertInto('users').values(row).returning('id').executeTakeFirstOrThrow();
  return Number(inserted.id);
}

export async function updateUser(db: Executor, id: number, changes: Partial<Pick<UserRow, 'display_name' | 'role' | 'password_hash' | 'restriction' | 'disabled_at' | 'disabled_reason' | 'email'>>): Promise<void> {
  await db.updateTable('users').set(changes).where('id', '=', id).execute();
}

export async function deleteUser(db: Executor, id: number): Promise<void> {
  await db.deleteFrom('users').where('id', '=', id).execute();
}
