// The sign-in check's read: the user, their account and every token they hold in one query (one row per
// token, the user's and account's columns repeated), instead of one query per table or per token.
import { sql, type ExpressionBuilder, type Kysely } from 'kysely';
import { compiledStatement, runRaw, type RawStatement } from './raw-statements.js';
import type { AccountRow, Database, TokenRow, UserRow } from './schema.js';
import type { ThrottleRow } from './throttle-store.js';
import { usernameKey } from './user-store.js';

// The columns the sign-in check reads, checked by the compiler against the schema: the whole user row (the
// directory's password check refreshes it), the account's settings and restriction, and of each token
// what deciding, matching, opening its seed and the compare-and-set need (not its labels, maker, dates of
// use or retirement): a narrower row to read, transfer and pick apart, on PostgreSQL fewer field parsers.
const ACCOUNT_COLUMNS = {
  id: true, look_ahead_window: true, associate_window: true, sync_window: true, max_failures: true,
  self_association: true, admins_require_otp: true, max_tokens_per_user: true, totp_window: true, totp_sync_steps: true, app_enrolment: true, totp_issuer: true, help_contact: true, restriction: true,
} as const satisfies Partial<Record<keyof AccountRow, true>>;
const TOKEN_COLUMNS = {
  id: true, account_id: true, serial: true, type: true, algorithm: true, digits: true, counter: true, period_in_seconds: true,
  time_offset_in_seconds: true, drift_steps: true, secret_sealed: true, seal_version: true, status: true, user_id: true,
  valid_from: true, valid_until: true,
} as const satisfies Partial<Record<keyof TokenRow, true>>;
const USER_COLUMNS: Record<keyof UserRow, true> = {
  id: true, account_id: true, username: true, username_key: true, display_name: true, role: true, password_hash: true, restriction: true, created_at: true,
  source: true, dn: true, email: true, disabled_at: true, disabled_reason: true, otp_fail_count: true,
};
/** An account as the sign-in check reads it. */
export type SignInAccount = Pick<AccountRow, keyof typeof ACCOUNT_COLUMNS>;
/** A token as the sign-in check reads it. */
export type SignInToken = Pick<TokenRow, keyof typeof TOKEN_COLUMNS>;
const userColumns = Object.keys(USER_COLUMNS);
const accountColumns = Object.keys(ACCOUNT_COLUMNS);
const tokenColumns = Object.keys(TOKEN_COLUMNS);

export interface SignInSubject {
  user: UserRow;
  account: SignInAccount;
  /** Every token the user holds (associated, locked or disabled), oldest association first; none is []. */
  tokens: SignInToken[];
  /** Whether the account has any group restriction (only then are the user's groups read at sign-in). */
  accountHasGroupRestrictions: boolean;
  /** Whether the user has a temporary code with uses left (only then is it read at sign-in). */
  hasTempCode: boolean;
}

/**
 * The columns of one table out of the joined row, read as an array of values in the select list's order
 * (users, then accounts, then tokens, then the two flags): no row object with fifty property names is built
 * only to be taken apart again.
 */
function picker<T>(columns: string[], offset: number): (row: unknown[]) => T {
  return (row) => {
    const picked: Record<string, unknown> = {};
    for (let i = 0; i < columns.length; i++) picked[columns[i]!] = row[offset + i];
    return picked as T;
  };
}
const pickUser = picker<UserRow>(userColumns, 0);
const pickAccount = picker<SignInAccount>(accountColumns, userColumns.length);
const TOKEN_AT = userColumns.length + accountColumns.length;
const pickToken = picker<SignInToken>(tokenColumns, TOKEN_AT);
const TOKEN_ID_AT = TOKEN_AT + tokenColumns.indexOf('id');
const FLAGS_AT = TOKEN_AT + tokenColumns.length;

function subjectQuery(db: Kysely<Database>, key: string, userThrottle: string, addressThrottle: string) {
  // A back-off row as one value (failures:blocked until:updated at), or null when the key has none.
  const throttleOf = (eb: ExpressionBuilder<Database, 'users'>, throttleKey: string) =>
    eb.selectFrom('throttles').select(sql<string>`${sql.ref('consecutive_failures')} || ':' || ${sql.ref('blocked_until')} || ':' || ${sql.ref('updated_at')}`.as('state')).where('throttles.key', '=', throttleKey);
  return db
    .selectFrom('users')
    .innerJoin('accounts', 'accounts.id', 'users.account_id')
    .leftJoin('tokens', 'tokens.user_id', 'users.id')
    .select([...userColumns.map((c) => sql.ref(`users.${c}`).as(c)), ...accountColumns.map((c) => sql.ref(`accounts.${c}`).as(`a__${c}`)), ...tokenColumns.map((c) => sql.ref(`tokens.${c}`).as(`t__${c}`)),
      (eb) => eb.exists(eb.selectFrom('group_restrictions').select(sql.lit(1).as('one')).whereRef('group_restrictions.account_id', '=', 'users.account_id')).as('x__group_restrictions'),
      (eb) => eb.exists(eb.selectFrom('temp_codes').select(sql.lit(1).as('one')).whereRef('temp_codes.user_id', '=', 'users.id').where('temp_codes.uses_left', '>', sql.lit(0))).as('x__temp_code'),
      (eb) => throttleOf(eb, userThrottle).as('x__throttle_user'),
      (eb) => throttleOf(eb, addressThrottle).as('x__throttle_address'),
    ])
    .where('users.username_key', '=', key)
    .orderBy('tokens.id');
}

/** The compiled query and where each of its three values goes among its parameters. */
interface SubjectStatement {
  statement: RawStatement;
  order: ('key' | 'user' | 'address')[];
}

/**
 * The query's SQL, compiled once per database by Kysely for its engine and then run as a statement prepared
 * once on the driver: building and compiling fifty aliased columns on every check cost more than the three
 * small queries it replaces. Only the bound values vary (their order is read off a compilation with marked
 * values, so the select list's subqueries can come before or after the name's condition).
 */
const compiled = new WeakMap<Kysely<Database>, SubjectStatement>();

function subjectStatement(db: Kysely<Database>): SubjectStatement {
  let query = compiled.get(db);
  if (query === undefined) {
    const marks = { key: '\u0000key', user: '\u0000user', address: '\u0000address' } as const;
    const { sql: text, parameters } = subjectQuery(db, marks.key, marks.user, marks.address).compile();
    const order = parameters.map((p) => (Object.keys(marks) as (keyof typeof marks)[]).find((k) => marks[k] === p)!);
    if (order.length !== 3 || new Set(order).size !== 3) throw new Error('the sign-in read did not compile to its three parameters');
    query = { statement: compiledStatement('sign_in_subject', text, { arrays: true }), order };
    compiled.set(db, query);
  }
  return query;
}

/** A back-off row from its one-value form, or null. */
function throttleRowOf(key: string, value: unknown): ThrottleRow | null {
  if (typeof value !== 'string') return null;
  const [failures, blockedUntil, updatedAt] = value.split(':').map(Number);
  return { key, consecutive_failures: failures!, blocked_until: blockedUntil!, updated_at: updatedAt! };
}

/** The back-off rows the sign-in read brought, for the keys it was asked about. */
export interface SubjectThrottles {
  keys: { user: string; address: string | null };
  rows: ThrottleRow[];
}

/**
 * The user of this name (any account), with their account and tokens; undefined for an unknown name. With
 * `throttleKeys`, the same statement reads the back-off rows of the user's key and the address's key (one
 * statement, on PostgreSQL one round trip, instead of two); they come back only when the user was found.
 */
export async function findSignInSubject(
  db: Kysely<Database>,
  username: string,
  throttleKeys?: { user: string; address: string | null },
): Promise<(SignInSubject & { throttles?: SubjectThrottles }) | undefined> {
  const key = usernameKey(username);
  const { statement, order } = subjectStatement(db);
  // No back-off key is ever empty (they start with "user:" or "ip:"): '' reads no row.
  const values = { key, user: throttleKeys?.user ?? '', address: throttleKeys?.address ?? '' };
  const rows = (await runRaw<unknown[]>(db, statement, order.map((name) => values[name]))).rows;
  const row = rows[0];
  if (!row) return undefined;
  // A user without a token comes back as one row whose token columns are null.
  const tokens = rows.filter((r) => r[TOKEN_ID_AT] !== null && r[TOKEN_ID_AT] !== undefined).map(pickToken);
  // SQLite answers EXISTS with 0 or 1, PostgreSQL with a boolean.
  const flag = (value: unknown) => value === true || Number(value) === 1;
  const subject: SignInSubject & { throttles?: SubjectThrottles } = { user: pickUser(row), account: pickAccount(row), tokens, accountHasGroupRestrictions: flag(row[FLAGS_AT]), hasTempCode: flag(row[FLAGS_AT + 1]) };
  if (throttleKeys) {
    const rows = [throttleRowOf(throttleKeys.user, row[FLAGS_AT + 2]), throttleKeys.address === null ? null : throttleRowOf(throttleKeys.address, row[FLAGS_AT + 3])];
    subject.throttles = { keys: throttleKeys, rows: rows.filter((r) => r !== null) };
  }
  return subject;
}
