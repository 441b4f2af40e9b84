// Back-off state per user and per end-user address, kept in the database so every instance sees it.
import type { Kysely } from 'kysely';
import { inTransaction, type Executor } from './transaction.js';
import type { Database } from './schema.js';
import { afterFailure, NO_FAILURES, type ThrottlePolicy, type ThrottleState } from '../core/throttle.js';

/** Failures older than this no longer count: the back-off starts over. */
const FORGET_AFTER_MS = 15 * 60 * 1000;

export async function readThrottles(db: Executor, keys: string[], now: number): Promise<Map<string, ThrottleState>> {
  const rows = keys.length === 0 ? [] : await db.selectFrom('throttles').selectAll().where('key', 'in', keys).execute();
  const states = new Map<string, ThrottleState>();
  for (const key of keys) states.set(key, NO_FAILURES);
  for (const row of rows) {
    if (now - Number(row.updated_at) > FORGET_AFTER_MS) continue;
    states.set(row.key, { consecutiveFailures: row.consecutive_failures, blockedUntil: Number(row.blocked_until) });
  }
  return states;
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

export async function clearThrottles(db: Executor, keys: string[]): Promise<void> {
  if (keys.length > 0) await db.deleteFrom('throttles').where('key', 'in', keys).execute();
}
