// The sign-in check's read: the user, their account and their token in one query instead of three.
import { sql, type Kysely } from 'kysely';
import { compiledStatement, runRaw, type RawStatement } from './raw-statements.js';
import type { AccountRow, Database, TokenRow, UserRow } from './schema.js';
import { usernameKey } from './user-store.js';

// Every column of each row, checked by the compiler: a column added to the schema must be added here.
const ACCOUNT_COLUMNS: Record<keyof AccountRow, true> = {
  id: true, name: true, look_ahead_window: true, associate_window: true, sync_window: true, max_failures: true,
  self_association: true, admins_require_otp: true, restriction: true, created_at: true,
};
const TOKEN_COLUMNS: Record<keyof TokenRow, true> = {
  id: true, account_id: true, serial: true, type: true, algorithm: true, digits: true, counter: true, period_in_seconds: true,
  time_offset_in_seconds: true, secret_sealed: true, seal_version: true, status: true, user_id: true, fail_count: true, locked_at: true,
  last_used_at: true, associated_at: true, manufacturer: true, model: true, issuer: true, friendly_name: true, created_at: true,
  valid_from: true, valid_until: true, retired_at: true, retired_reason: true,
};
const USER_COLUMNS: Record<keyof UserRow, true> = {
  id: true, account_id: true, username: true, username_key: true, display_name: true, role: true, password_hash: true, restriction: true, created_at: true,
  source: true, dn: true, email: true, disabled_at: true, disabled_reason: true,
};
const userColumns = Object.keys(USER_COLUMNS);
const accountColumns = Object.keys(ACCOUNT_COLUMNS);
const tokenColumns = Object.keys(TOKEN_COLUMNS);

export interface SignInSubject {
  user: UserRow;
  account: AccountRow;
  /** The user's token (one per user, unique user_id), if any. */
  token: TokenRow | undefined;
  /** Whether the account has any group restriction (only then are the user's groups read at sign-in). */
  accountHasGroupRestrictions: boolean;
  /** Whether the user has a temporary code with uses left (only then is it read at sign-in). */
  hasTempCode: boolean;
}

/** The columns of one table out of the joined row (the aliased names, prefix + column, computed once). */
function picker<T>(prefix: string, columns: string[]): (row: Record<string, unknown>) => T {
  const aliases = columns.map((c) => `${prefix}${c}`);
  return (row) => {
    const picked: Record<string, unknown> = {};
    for (let i = 0; i < columns.length; i++) picked[columns[i]!] = row[aliases[i]!];
    return picked as T;
  };
}
const pickUser = picker<UserRow>('', userColumns);
const pickAccount = picker<AccountRow>('a__', accountColumns);
const pickToken = picker<TokenRow>('t__', tokenColumns);

function subjectQuery(db: Kysely<Database>, key: string) {
  return db
    .selectFrom('users')
    .innerJoin('accounts', 'accounts.id', 'users.account_id')
    .leftJoin('tokens', 'tokens.user_id', 'users.id')
    .select([...userColumns.map((c) => sql.ref(`users.${c}`).as(c)), ...accountColumns.map((c) => sql.ref(`accounts.${c}`).as(`a__${c}`)), ...tokenColumns.map((c) => sql.ref(`tokens.${c}`).as(`t__${c}`)),
      (eb) => eb.exists(eb.selectFrom('group_restrictions').select(sql.lit(1).as('one')).whereRef('group_restrictions.account_id', '=', 'users.account_id')).as('x__group_restrictions'),
      (eb) => eb.exists(eb.selectFrom('temp_codes').select(sql.lit(1).as('one')).whereRef('temp_codes.user_id', '=', 'users.id').where('temp_codes.uses_left', '>', sql.lit(0))).as('x__temp_code'),
    ])
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
  const token = row.t__id === null || row.t__id === undefined ? undefined : pickToken(row);
  // SQLite answers EXISTS with 0 or 1, PostgreSQL with a boolean.
  const flag = (value: unknown) => value === true || Number(value) === 1;
  return { user: pickUser(row), account: pickAccount(row), token, accountHasGroupRestrictions: flag(row.x__group_restrictions), hasTempCode: flag(row.x__temp_code) };
}
