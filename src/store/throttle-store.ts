// Back-off state per user and per end-user address, kept in the database so every instance sees it.
import type { Executor } from './transaction.js';
import { NO_FAILURES, type ThrottleState } from '../core/throttle.js';

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

export async function clearThrottles(db: Executor, keys: string[]): Promise<void> {
  if (keys.length > 0) await db.deleteFrom('throttles').where('key', 'in', keys).execute();
}
