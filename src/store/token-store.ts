// Tokens. The counter moves only by compare-and-set: an UPDATE whose WHERE names the counter the caller
// read, so that of any number of racing requests exactly one sees one affected row.
import { sql, type Kysely, type Transaction } from 'kysely';
import { inRawTransaction, statement, type RawTransaction } from './raw-statements.js';
import { inTransaction, type Executor } from './transaction.js';
import type { Database, NewToken, TokenRow } from './schema.js';

/** The account's token of this serial: serials are unique per account, and another account's do not exist here. */
export function findTokenBySerial(db: Executor, accountId: number, serial: string): Promise<TokenRow | undefined> {
  return db.selectFrom('tokens').selectAll().where('account_id', '=', accountId).where('serial', '=', serial).executeTakeFirst();
}

export interface TokenListQuery {
  accountId: number;
  status?: TokenRow['status'];
  /** Matches the serial's start. */
  serialPrefix?: string;
  /**
   * Only tokens in users' hands (associated or locked) that signed no one in since this time: never used and
   * associated before it, or last used before it.
   */
  unusedSince?: number;
  /** Only disabled tokens their user reported lost (issue #29). */
  reportedLost?: boolean;
  /** Only tokens that would otherwise sign in (available or associated) whose valid-until is at or before this time. */
  expiredAt?: number;
  limit?: number;
  offset?: number;
}

function tokensMatching(db: Executor, query: Omit<TokenListQuery, 'limit' | 'offset'>) {
  let select = db.selectFrom('tokens').leftJoin('users', 'users.id', 'tokens.user_id').where('tokens.account_id', '=', query.accountId);
  if (query.status) select = select.where('tokens.status', '=', query.status);
  if (query.reportedLost) select = select.where('tokens.status', '=', 'disabled').where('tokens.lost_reported_at', 'is not', null);
  const expiredAt = query.expiredAt;
  if (expiredAt !== undefined) select = select.where('tokens.status', 'in', ['available', 'associated']).where('tokens.valid_until', 'is not', null).where('tokens.valid_until', '<=', expiredAt);
  // A prefix by substr, not LIKE: exact and case-sensitive on both engines (SQLite's LIKE ignores case).
  const prefix = query.serialPrefix;
  if (prefix) select = select.where((eb) => eb(eb.fn<string>('substr', ['tokens.serial', eb.val(1), eb.val(prefix.length)]), '=', prefix));
  const since = query.unusedSince;
  if (since !== undefined) {
    select = select
      .where('tokens.status', 'in', ['associated', 'locked'])
      .where((eb) => eb.or([eb('tokens.last_used_at', '<', since), eb.and([eb('tokens.last_used_at', 'is', null), eb('tokens.associated_at', '<', since)])]));
  }
  return select;
}

export function listTokens(db: Executor, query: TokenListQuery): Promise<(TokenRow & { username: string | null })[]> {
  return tokensMatching(db, query).selectAll('tokens').select('users.username').orderBy('tokens.serial').limit(query.limit ?? 1000).offset(query.offset ?? 0).execute();
}

export async function countTokens(db: Executor, query: Omit<TokenListQuery, 'limit' | 'offset'>): Promise<number> {
  const row = await tokensMatching(db, query).select((eb) => eb.fn.countAll<number | string | bigint>().as('count')).executeTakeFirstOrThrow();
  return Number(row.count);
}

/** Disabled tokens their users reported lost (the Health page's figure). */
export async function countReportedLost(db: Executor, accountId: number): Promise<number> {
  return countTokens(db, { accountId, reportedLost: true });
}

export async function countTokensByStatus(db: Executor, accountId: number): Promise<Record<string, number>> {
  const rows = await db
    .selectFrom('tokens')
    .select(['status', (eb) => eb.fn.countAll<number>().as('count')])
    .where('account_id', '=', accountId)
    .groupBy('status')
    .execute();
  return Object.fromEntries(rows.map((r) => [r.status, Number(r.count)]));
}

/** Locked tokens of every account (a metric). */
export async function countLockedTokens(db: Executor): Promise<number> {
  const row = await db.selectFrom('tokens').select((eb) => eb.fn.countAll<number | string>().as('n')).where('status', '=', 'locked').executeTakeFirst();
  return Number(row?.n ?? 0);
}

export async function insertTokens(db: Executor, rows: NewToken[]): Promise<void> {
  // Batches keep each statement under SQLite's bound-parameter limit.
  for (let start = 0; start < rows.length; start += 500) {
    await db.insertInto('tokens').values(rows.slice(start, start + 500)).execute();
  }
}

/** Which of these serials the account already has (another account's serials are not looked at). */
export async function existingSerials(db: Executor, accountId: number, serials: string[]): Promise<Set<string>> {
  const found = new Set<string>();
  for (let start = 0; start < serials.length; start += 500) {
    const rows = await db
      .selectFrom('tokens')
      .select('serial')
      .where('account_id', '=', accountId)
      .where('serial', 'in', serials.slice(start, start + 500))
      .execute();
    for (const row of rows) found.add(row.serial);
  }
  return found;
}

/** A page of the tokens whose sealed secret has seal version `version`, by id after `afterId`. */
export function listTokensSealedAs(
  db: Executor,
  version: number,
  afterId: number,
  limit: number,
): Promise<Pick<TokenRow, 'id' | 'account_id' | 'serial' | 'secret_sealed' | 'seal_version'>[]> {
  return db
    .selectFrom('tokens')
    .select(['id', 'account_id', 'serial', 'secret_sealed', 'seal_version'])
    // The version as a literal, not a bound value: only then can SQLite use the partial index on version 1.
    .where('seal_version', '=', sql.lit(version))
    .where('id', '>', afterId)
    .orderBy('id')
    .limit(limit)
    .execute();
}

/** Replaces a sealed secret of seal version `fromVersion`; false when another instance did it first. */
export async function resealTokenSecret(db: Executor, tokenId: number, fromVersion: number, sealed: Uint8Array, toVersion: number): Promise<boolean> {
  const result = await db
    .updateTable('tokens')
    .set({ secret_sealed: sealed, seal_version: toVersion })
    .where('id', '=', tokenId)
    .where('seal_version', '=', fromVersion)
    .executeTakeFirst();
  return affected(result);
}

function affected(result: { numUpdatedRows: bigint }): boolean {
  return result.numUpdatedRows === 1n;
}

/**
 * Binds an available token to a user at the matched counter, with its label, while the user holds fewer than
 * `maxTokens`. False when the token changed meanwhile or the user reached the limit. In a transaction: the
 * user's row is written first, so that simultaneous associations for one user take turns and each counts
 * what the one before it bound (PostgreSQL's READ COMMITTED would otherwise let two both count one below
 * the limit, and the user end one over it).
 */
export async function bindToken(
  trx: Transaction<Database>,
  bind: { tokenId: number; userId: number; label: string | null; maxTokens: number },
  expectedCounter: number,
  nextCounter: number,
  now: number,
): Promise<boolean> {
  await trx.updateTable('users').set((eb) => ({ id: eb.ref('id') })).where('id', '=', bind.userId).execute();
  const result = await trx
    .updateTable('tokens')
    .set({ user_id: bind.userId, label: bind.label, status: 'associated', counter: nextCounter, fail_count: 0, locked_at: null, associated_at: now, last_used_at: now })
    .where('id', '=', bind.tokenId)
    .where('status', '=', 'available')
    .where('counter', '=', expectedCounter)
    .where((eb) => eb(eb.selectFrom('tokens as held').select((h) => h.fn.countAll<number>().as('n')).where('held.user_id', '=', bind.userId), '<', bind.maxTokens))
    .executeTakeFirst();
  return affected(result);
}

/** Every token the user holds (associated, locked or disabled), oldest first. */
export function findTokensOfUser(db: Executor, userId: number): Promise<TokenRow[]> {
  return db.selectFrom('tokens').selectAll().where('user_id', '=', userId).orderBy('id').execute();
}

/**
 * The user's lock lifted (an unlock, or a re-sync of any of their tokens): every locked token of theirs
 * accepts passcodes again and their count of wrong passcodes starts again. Returns the tokens it unlocked.
 */
export function unlockUser(db: Kysely<Database>, userId: number): Promise<number> {
  return inTransaction(db, (trx) => unlockUserWith(trx, userId));
}

async function unlockUserWith(db: Executor, userId: number): Promise<number> {
  await db.updateTable('users').set({ otp_fail_count: 0 }).where('id', '=', userId).execute();
  const result = await db
    .updateTable('tokens')
    .set({ fail_count: 0, status: 'associated', locked_at: null })
    .where('user_id', '=', userId)
    .where('status', 'in', ['associated', 'locked'])
    .executeTakeFirst();
  return Number(result.numUpdatedRows);
}

/**
 * A wrong re-sync pair: one more failure for the user, as a wrong passcode at sign-in is. One transaction:
 * the user's row, updated first, keeps concurrent failures of one user in turn on their tokens' rows.
 */
export async function recordUserFailure(db: Kysely<Database>, userId: number, maxFailures: number, now: number): Promise<{ failCount: number; locked: boolean }> {
  const failure = await inRawTransaction(db, (trx) => recordUserFailureIn(trx, userId, maxFailures, now));
  if (!failure) throw new Error(`no user ${userId}`);
  return failure;
}

/**
 * RFC 4226 §7.4 re-sync: a new counter, the fail count cleared and the lock lifted; for a time-based token
 * (RFC 6238 §6) also its clock's drift in steps (null: kept). Compare-and-set on the counter.
 */
export async function resyncCounter(db: Executor, tokenId: number, expectedCounter: number, nextCounter: number, now: number, driftSteps: number | null = null): Promise<boolean> {
  const result = await db
    .updateTable('tokens')
    .set({ counter: nextCounter, fail_count: 0, status: 'associated', locked_at: null, last_used_at: now, ...(driftSteps === null ? {} : { drift_steps: driftSteps }) })
    .where('id', '=', tokenId)
    .where('counter', '=', expectedCounter)
    .where('status', 'in', ['associated', 'locked'])
    .executeTakeFirst();
  return affected(result);
}

/** The token returns to the inventory; its counter is kept (the token's own counter has moved on). */
export async function unbindToken(db: Executor, tokenId: number): Promise<boolean> {
  const result = await db
    .updateTable('tokens')
    .set({ user_id: null, label: null, status: 'available', fail_count: 0, locked_at: null, associated_at: null, lost_reported_at: null })
    .where('id', '=', tokenId)
    .where('status', 'in', ['associated', 'locked', 'disabled'])
    .executeTakeFirst();
  return affected(result);
}

/**
 * A user's token stops accepting passcodes (it stays theirs); `lostReportedAt` when its user reported it lost.
 * False when it is not associated or locked.
 */
export async function disableToken(db: Executor, tokenId: number, lostReportedAt: number | null = null): Promise<boolean> {
  const result = await db.updateTable('tokens').set({ status: 'disabled', lost_reported_at: lostReportedAt }).where('id', '=', tokenId).where('status', 'in', ['associated', 'locked']).executeTakeFirst();
  return affected(result);
}

/** A disabled token accepts passcodes again, its fail count cleared. False when it is not disabled. */
export async function enableToken(db: Executor, tokenId: number): Promise<boolean> {
  const result = await db
    .updateTable('tokens')
    .set({ status: 'associated', fail_count: 0, locked_at: null, lost_reported_at: null })
    .where('id', '=', tokenId)
    .where('status', '=', 'disabled')
    .executeTakeFirst();
  return affected(result);
}

/**
 * Takes a token out of service for good: no user, status retired. A sign-in verifying one of its passcodes
 * meanwhile loses its counter's compare-and-set (which requires `associated`). False when already retired.
 */
export async function retireToken(db: Executor, tokenId: number, reason: NonNullable<TokenRow['retired_reason']>, now: number): Promise<boolean> {
  const result = await db
    .updateTable('tokens')
    .set({ status: 'retired', user_id: null, label: null, fail_count: 0, locked_at: null, associated_at: null, retired_at: now, retired_reason: reason, lost_reported_at: null })
    .where('id', '=', tokenId)
    .where('status', '!=', 'retired')
    .executeTakeFirst();
  return affected(result);
}

/** Sets a token's validity dates (epoch ms; null is open-ended). */
export async function setTokenValidity(db: Executor, tokenId: number, validFrom: number | null, validUntil: number | null): Promise<void> {
  await db.updateTable('tokens').set({ valid_from: validFrom, valid_until: validUntil }).where('id', '=', tokenId).execute();
}

/** The serial and status of every token of the account that is associated with a user. */
export function listAssociatedTokens(
  db: Executor,
  accountId: number,
): Promise<Pick<TokenRow, 'user_id' | 'serial' | 'status' | 'valid_from' | 'valid_until' | 'label' | 'lost_reported_at'>[]> {
  return db.selectFrom('tokens').select(['user_id', 'serial', 'status', 'valid_from', 'valid_until', 'label', 'lost_reported_at']).where('account_id', '=', accountId).where('user_id', 'is not', null).orderBy('id').execute();
}

// The sign-in check's writes, inside the audited write's transaction (audited-writes.ts).
const ADVANCE_COUNTER = statement(
  'token_advance_counter',
  "UPDATE tokens SET counter = ?, fail_count = 0, last_used_at = ? WHERE id = ? AND counter = ? AND status = 'associated'",
);

// PostgreSQL: the compare-and-sets of a batch in one statement (one round trip instead of one per check),
// each row under the same condition as ADVANCE_COUNTER; under READ COMMITTED a row another transaction
// moved meanwhile is re-checked against its committed counter, so a row moves only from its expected value.
// The tokens must be distinct: a row matched twice in one UPDATE … FROM is updated once, by either match.
const ADVANCE_COUNTERS_PG = statement(
  'token_advance_counters_pg',
  `UPDATE tokens SET counter = v.next, fail_count = 0, last_used_at = v.at
   FROM unnest(?::bigint[], ?::bigint[], ?::bigint[], ?::bigint[]) AS v(id, expected, next, at)
   WHERE tokens.id = v.id AND tokens.counter = v.expected AND tokens.status = 'associated'
   RETURNING tokens.id`,
);

export interface CounterMove {
  tokenId: number;
  expected: number;
  next: number;
  at: number;
}

/**
 * The compare-and-sets of several distinct tokens in one transaction; returns the ids of the tokens that
 * moved. On SQLite one statement each (no round trip to save); on PostgreSQL one statement for all.
 */
export async function advanceCountersIn(trx: RawTransaction, moves: readonly CounterMove[]): Promise<Set<number>> {
  if (new Set(moves.map((m) => m.tokenId)).size !== moves.length) throw new Error('advanceCountersIn: a token appears twice');
  const moved = new Set<number>();
  if (moves.length === 0) return moved;
  if (trx.engine === 'postgres' && moves.length > 1) {
    const { rows } = await trx.run<{ id: number | string }>(ADVANCE_COUNTERS_PG, [moves.map((m) => m.tokenId), moves.map((m) => m.expected), moves.map((m) => m.next), moves.map((m) => m.at)]);
    for (const row of rows) moved.add(Number(row.id));
    return moved;
  }
  for (const m of moves) if (await advanceCounterIn(trx, m.tokenId, m.expected, m.next, m.at)) moved.add(m.tokenId);
  return moved;
}

/** A verified passcode: counter to `nextCounter`, fail count cleared; the compare-and-set that decides the one winner (false: another request won). */
export async function advanceCounterIn(trx: RawTransaction, tokenId: number, expectedCounter: number, nextCounter: number, now: number): Promise<boolean> {
  return (await trx.run(ADVANCE_COUNTER, [nextCounter, now, tokenId, expectedCounter])).changes === 1;
}

// A wrong passcode counts once for the user, whatever the number of tokens they hold (a spare never reaches
// the limit on its own): the user's count moves by one, and every usable token of the user shows it; at
// maxFailures every one of them is locked, so the lock is the user's.
const RECORD_USER_FAILURE = statement('user_record_failure', 'UPDATE users SET otp_fail_count = otp_fail_count + 1 WHERE id = ? RETURNING otp_fail_count');
const SHOW_USER_FAILURES = statement('tokens_show_user_failures', "UPDATE tokens SET fail_count = ? WHERE user_id = ? AND status = 'associated'");
const LOCK_USER_TOKENS = statement('tokens_lock_user', "UPDATE tokens SET fail_count = ?, status = 'locked', locked_at = ? WHERE user_id = ? AND status = 'associated'");
const CLEAR_USER_FAILURES = statement('user_clear_failures', 'UPDATE users SET otp_fail_count = 0 WHERE id = ? AND otp_fail_count <> 0');
const CLEAR_TOKEN_FAILURES = statement('tokens_clear_user_failures', "UPDATE tokens SET fail_count = 0 WHERE user_id = ? AND fail_count <> 0 AND status = 'associated'");

/** One more wrong passcode for the user; at maxFailures every usable token of theirs is locked. */
export async function recordUserFailureIn(trx: RawTransaction, userId: number, maxFailures: number, now: number): Promise<{ failCount: number; locked: boolean } | null> {
  const row = (await trx.run<{ otp_fail_count: number }>(RECORD_USER_FAILURE, [userId])).rows[0];
  if (!row) return null;
  const failCount = Number(row.otp_fail_count);
  if (failCount >= maxFailures) {
    const locked = (await trx.run(LOCK_USER_TOKENS, [failCount, now, userId])).changes > 0;
    return { failCount, locked };
  }
  await trx.run(SHOW_USER_FAILURES, [failCount, userId]);
  return { failCount, locked: false };
}

/** A passcode accepted: the user's count of wrong ones starts again (on every token of theirs). */
export async function clearUserFailuresIn(trx: RawTransaction, userId: number): Promise<void> {
  await trx.run(CLEAR_USER_FAILURES, [userId]);
  await trx.run(CLEAR_TOKEN_FAILURES, [userId]);
}
