// The sign-in check's read: the user, their account and their token in one query instead of three.
import { sql, type Kysely } from 'kysely';
import { compiledStatement, runRaw, type RawStatement } from './raw-statements.js';
import type { AccountRow, Database, TokenRow, UserRow } from './schema.js';
import { usernameKey } from './user-store.js';

// Every column of each row, checked by the compiler: a column added to the schema must be added here.
const ACCOUNT_COLUMNS: Record<keyof AccountRow, true> = {
  id: true, name: true, look_ahead_window: true, associate_window: true, sync_window: true, max_failures: true,
  self_association: true, restriction: true, created_at: true,
};
const TOKEN_COLUMNS: Record<keyof TokenRow, true> = {
  id: true, account_id: true, serial: true, type: true, algorithm: true, digits: true, counter: true, period_in_seconds: true,
  time_offset_in_seconds: true, secret_sealed: true, status: true, user_id: true, fail_count: true, locked_at: true,
  last_used_at: true, associated_at: true, manufacturer: true, model: true, issuer: true, friendly_name: true, created_at: true,
};
const accountColumns = Object.keys(ACCOUNT_COLUMNS);
const tokenColumns = Object.keys(TOKEN_COLUMNS);

export interface SignInSubject {
  user: UserRow;
  account: AccountRow;
  /** The user's token (one per user, unique user_id), if any. */
  token: TokenRow | undefined;
}

function pick<T>(row: Record<string, unknown>, prefix: string, columns: string[]): T {
  return Object.fromEntries(columns.map((c) => [c, row[`${prefix}${c}`]])) as T;
}

function subjectQuery(db: Kysely<Database>, key: string) {
  return db
    .selectFrom('users')
    .innerJoin('accounts', 'accounts.id', 'users.account_id')
    .leftJoin('tokens', 'tokens.user_id', 'users.id')
    .selectAll('users')
    .select([...accountColumns.map((c) => sql.ref(`accounts.${c}`).as(`a__${c}`)), ...tokenColumns.map((c) => sql.ref(`tokens.${c}`).as(`t__${c}`))])
    .where('users.username_key', '=', key);
}

/**
 * The query's SQL, compiled once per database by Kysely for its engine and then run as a statement prepared
 * once on the driver: building and compiling forty aliased columns on every check cost more than the three
 * small queries it replaces. Only the bound value varies.
 */
const compiled = new WeakMap<Kysely<Database>, RawStatement>();

/** The user of this name (any account), with their account and token; undefined for an unknown name. */
export async function findSignInSubject(db: Kysely<Database>, username: string): Promise<SignInSubject | undefined> {
  const key = usernameKey(username);
  let query = compiled.get(db);
  if (query === undefined) {
    query = compiledStatement('sign_in_subject', subjectQuery(db, key).compile().sql);
    compiled.set(db, query);
  }
  const row = (await runRaw<Record<string, unknown>>(db, query, [key])).rows[0];
  if (!row) return undefined;
  const user = Object.fromEntries(Object.entries(row).filter(([k]) => !k.startsWith('a__') && !k.startsWith('t__'))) as unknown as UserRow;
  const account = pick<AccountRow>(row, 'a__', accountColumns);
  const token = row.t__id === null || row.t__id === undefined ? undefined : pick<TokenRow>(row, 't__', tokenColumns);
  return { user, account, token };
}
