// Back-off state per user and per end-user address, kept in the database so every instance sees it.
import type { Kysely } from 'kysely';
import { inTransaction, type Executor } from './transaction.js';
import type { Database } from './schema.js';
import { afterFailure, NO_FAILURES, type ThrottlePolicy, type ThrottleState } from '../core/throttle.js';
import { runRaw, statement, type RawTransaction } from './raw-statements.js';

/** Failures older than this no longer count: the back-off starts over. */
const FORGET_AFTER_MS = 15 * 60 * 1000;

export interface ThrottleRow {
  key: string;
  consecutive_failures: number;
  blocked_until: number;
  updated_at: number;
}

/** The back-off state of each key from the rows read (a key without a row, or with an old one, has none). */
export function statesOf(keys: readonly string[], rows: readonly ThrottleRow[], now: number): Map<string, ThrottleState> {
  const states = new Map<string, ThrottleState>();
  for (const key of keys) states.set(key, NO_FAILURES);
  for (const row of rows) {
    if (now - Number(row.updated_at) > FORGET_AFTER_MS) continue;
    states.set(row.key, { consecutiveFailures: Number(row.consecutive_failures), blockedUntil: Number(row.blocked_until) });
  }
  return states;
}

export async function readThrottles(db: Executor, keys: string[], now: number): Promise<Map<string, ThrottleState>> {
  const rows = keys.length === 0 ? [] : await db.selectFrom('throttles').selectAll().where('key', 'in', keys).execute();
  return statesOf(keys, rows, now);
}

const READ_ONE = statement('throttle_read_one', 'SELECT key, consecutive_failures, blocked_until, updated_at FROM throttles WHERE key = ?');
const READ_TWO = statement('throttle_read_two', 'SELECT key, consecutive_failures, blocked_until, updated_at FROM throttles WHERE key IN (?, ?)');

/** readThrottles for the sign-in check (one or two keys), as a statement prepared once. */
export async function readSignInThrottles(db: Kysely<Database>, keys: string[], now: number): Promise<Map<string, ThrottleState>> {
  if (keys.length !== 1 && keys.length !== 2) return readThrottles(db, keys, now);
  const { rows } = await runRaw<ThrottleRow>(db, keys.length === 1 ? READ_ONE : READ_TWO, keys);
  return statesOf(keys, rows, now);
}

export async function writeThrottle(db: Executor, key: string, state: ThrottleState, now: number): Promise<void> {
  await db
    .insertInto('throttles')
    .values({ key, consecutive_failures: state.consecutiveFailures, blocked_until: state.blockedUntil, updated_at: now })
    .onConflict((oc) => oc.column('key').doUpdateSet({ consecutive_failures: state.consecutiveFailures, blocked_until: state.blockedUntil, updated_at: now }))
    .execute();
}

/**
 * Adds one failure to a key's back-off, atomically: concurrent failures (parallel requests, other
 * processes or instances) each count, instead of each writing "one more" onto the same stale count.
 */
export async function recordThrottleFailure(db: Kysely<Database>, key: string, policy: ThrottlePolicy, now: number): Promise<ThrottleState> {
  return inTransaction(db, async (trx) => {
    // Writing first takes the write lock (SQLite) or the row lock (PostgreSQL) before the state is read.
    await trx
      .insertInto('throttles')
      .values({ key, consecutive_failures: 0, blocked_until: 0, updated_at: now })
      .onConflict((oc) => oc.column('key').doUpdateSet((eb) => ({ updated_at: eb.ref('throttles.updated_at') })))
      .execute();
    const current = (await readThrottles(trx, [key], now)).get(key) ?? NO_FAILURES;
    const next = afterFailure(current, now, policy);
    await trx
      .updateTable('throttles')
      .set({ consecutive_failures: next.consecutiveFailures, blocked_until: next.blockedUntil, updated_at: now })
      .where('key', '=', key)
      .execute();
    return next;
  });
}

const TOUCH = statement(
  'throttle_touch',
  'INSERT INTO throttles (key, consecutive_failures, blocked_until, updated_at) VALUES (?, 0, 0, ?) ON CONFLICT (key) DO UPDATE SET updated_at = throttles.updated_at',
);
const WRITE = statement('throttle_write', 'UPDATE throttles SET consecutive_failures = ?, blocked_until = ?, updated_at = ? WHERE key = ?');
const CLEAR = statement('throttle_clear', 'DELETE FROM throttles WHERE key = ?');

/** recordThrottleFailure inside a transaction (the row is locked first, as there). */
export async function recordThrottleFailureIn(trx: RawTransaction, key: string, policy: ThrottlePolicy, now: number): Promise<ThrottleState> {
  await trx.run(TOUCH, [key, now]);
  const { rows } = await trx.run<ThrottleRow>(READ_ONE, [key]);
  const next = afterFailure(statesOf([key], rows, now).get(key) ?? NO_FAILURES, now, policy);
  await trx.run(WRITE, [next.consecutiveFailures, next.blockedUntil, now, key]);
  return next;
}

export async function clearThrottleIn(trx: RawTransaction, key: string): Promise<void> {
  await trx.run(CLEAR, [key]);
}

export async function clearThrottles(db: Executor, keys: string[]): Promise<void> {
  if (keys.length > 0) await db.deleteFrom('throttles').where('key', 'in', keys).execute();
}
