// Writes that commit together with their audit event. A sign-in check's counter move, fail count and
// back-off, and the event that records it, are one unit: the units that arrive together are written in one
// transaction (group commit, group-commit.ts), so a consumed passcode never exists without its audit event,
// even after kill -9 or a killed connection, and every caller still answers only after its unit committed.
import type { Kysely } from 'kysely';
import type { ThrottlePolicy } from '../core/throttle.js';
import { appendAfterHead, lockAuditHead, type AuditEventInput } from './audit-log.js';
import { isDataRefused } from './database-errors.js';
import { GroupCommit } from './group-commit.js';
import { inRawTransaction } from './raw-statements.js';
import type { Database } from './schema.js';
import { clearThrottleIn, recordThrottleFailureIn } from './throttle-store.js';
import { endTempCodeIn, useTempCodeIn } from './temp-code-store.js';
import { advanceCounterIn, advanceCountersIn, clearUserFailuresIn, recordUserFailureIn, type CounterMove } from './token-store.js';

/** What one outcome writes beside its audit event. */
export interface WritePlan {
  event: AuditEventInput;
  /** One more wrong passcode for this user (locking every usable token of theirs at maxFailures). */
  userFailure?: { userId: number; maxFailures: number };
  /** A passcode accepted: the user's count of wrong passcodes starts again. */
  userFailuresClear?: { userId: number };
  /** Keys whose back-off gets one more failure. */
  throttleFailures?: readonly { key: string; policy: ThrottlePolicy }[];
  /** Keys whose back-off is cleared. */
  throttleClears?: readonly string[];
  /** The user's temporary code ends (their real token signed in); `event` is written when there was one. */
  tempCodeEnd?: { userId: number; event: AuditEventInput };
}

export interface AuditedWrite {
  /** Epoch milliseconds of the writes (last use, lock time, back-off). */
  at: number;
  /**
   * The compare-and-sets of every token of the user that the passcode matched (distinct tokens; a seed
   * shared by two tokens matches both, and both move past it). When at least one moves, `won` is written;
   * when other requests moved every one of them first (in this batch, another process or another instance),
   * `lost` is.
   */
  counters?: readonly CounterCheck[];
  /** The user whose tokens `counters` names (their failures elsewhere in the batch keep its order). */
  userOf?: number;
  /** One use of a temporary code, by compare-and-set on its uses left; `won` and `lost` as for `counter`. */
  tempCodeUse?: { userId: number; codeHash: string; expectedUses: number };
  won: WritePlan;
  lost?: WritePlan;
}

/** One token's compare-and-set: its counter from `expected` to `next`. */
export interface CounterCheck {
  tokenId: number;
  expected: number;
  next: number;
}

export interface AuditedWriteResult {
  /** The compare-and-set's result (any of the counters', or the temporary code's); null when the unit had none. */
  counterMoved: boolean | null;
  /** The user's fail count after a recorded failure, or null. */
  userFailure: { failCount: number; locked: boolean } | null;
}

/**
 * Writes the units in one transaction, in order. The audit head is locked first, so the write transactions
 * of every process and instance queue on that one row and cannot deadlock one another; under PostgreSQL's
 * READ COMMITTED a compare-and-set that waited for a token row re-reads its committed counter, so exactly one
 * of any number of racing units (in one batch or across instances) moves it.
 */
export async function commitAuditedWrites(db: Kysely<Database>, chainKey: Buffer, units: readonly AuditedWrite[]): Promise<AuditedWriteResult[]> {
  return inRawTransaction(db, async (trx) => {
    const head = await lockAuditHead(trx);
    // The compare-and-sets of the units whose token no other unit of the batch touches go first, in one
    // statement (on PostgreSQL one round trip for the whole batch): nothing else in the batch writes their
    // rows, so moving them first is the order the batch was written in. A token touched by several units (a
    // double submit, a failure beside a success) keeps the batch's order, one statement at a time.
    const alone = tokensTouchedOnce(units);
    const moves: CounterMove[] = [];
    for (const unit of units) for (const check of unit.counters ?? []) if (alone.has(check.tokenId)) moves.push({ ...check, at: unit.at });
    const moved = await advanceCountersIn(trx, moves);
    const results: AuditedWriteResult[] = [];
    const events: AuditEventInput[] = [];
    for (const unit of units) {
      let counterMoved: boolean | null = null;
      let plan = unit.won;
      if (unit.counters) {
        counterMoved = false;
        // Every matched token moves past the passcode (not only the first), so that it cannot be replayed
        // through another token of the same seed; the unit wins when any of them moved.
        for (const { tokenId, expected, next } of unit.counters) {
          const movedNow = alone.has(tokenId) ? moved.has(tokenId) : await advanceCounterIn(trx, tokenId, expected, next, unit.at);
          counterMoved ||= movedNow;
        }
        if (!counterMoved) plan = unit.lost ?? unit.won;
      } else if (unit.tempCodeUse) {
        const use = unit.tempCodeUse;
        counterMoved = await useTempCodeIn(trx, use.userId, use.codeHash, use.expectedUses, unit.at);
        if (!counterMoved) plan = unit.lost ?? unit.won;
      }
      const userFailure = plan.userFailure ? await recordUserFailureIn(trx, plan.userFailure.userId, plan.userFailure.maxFailures, unit.at) : null;
      if (plan.userFailuresClear) await clearUserFailuresIn(trx, plan.userFailuresClear.userId);
      for (const { key, policy } of plan.throttleFailures ?? []) await recordThrottleFailureIn(trx, key, policy, unit.at);
      for (const key of plan.throttleClears ?? []) await clearThrottleIn(trx, key);
      events.push(plan.event);
      if (plan.tempCodeEnd && (await endTempCodeIn(trx, plan.tempCodeEnd.userId))) events.push(plan.tempCodeEnd.event);
      // The failure that locked the user's tokens is an event of its own (and the token.locked notification).
      if (userFailure?.locked) events.push({ ...plan.event, action: 'token.lock', outcome: 'success', reason: `locked after ${userFailure.failCount} failed passcodes` });
      results.push({ counterMoved, userFailure });
    }
    await appendAfterHead(trx, chainKey, head, events);
    return results;
  });
}

/**
 * The tokens whose compare-and-set can go first: exactly one unit of the batch names them, and that unit's
 * user has no failure or clearing in the batch (a failure locks every usable token of the user, a success
 * clears their counts: those must keep the batch's order with the compare-and-sets of the user's tokens).
 */
function tokensTouchedOnce(units: readonly AuditedWrite[]): Set<number> {
  const touches = new Map<number, number>();
  for (const unit of units) for (const check of unit.counters ?? []) touches.set(check.tokenId, (touches.get(check.tokenId) ?? 0) + 1);
  const usersWritten = new Set<number>();
  for (const unit of units) {
    for (const plan of [unit.won, unit.lost]) {
      if (plan?.userFailure) usersWritten.add(plan.userFailure.userId);
    }
  }
  const alone = new Set<number>();
  for (const unit of units) {
    if (unit.userOf !== undefined && usersWritten.has(unit.userOf)) continue;
    for (const check of unit.counters ?? []) if (touches.get(check.tokenId) === 1) alone.add(check.tokenId);
  }
  return alone;
}

/** The most units one transaction writes; more wait for the next. */
const MAX_BATCH = 256;

/**
 * The queue in front of commitAuditedWrites: `write` resolves once the transaction holding its unit has
 * committed. A unit the database refuses (a value too long for a column) fails alone: its batch is
 * retried unit by unit, and each caller gets its own outcome.
 */
export class AuditedWriter {
  readonly #queue: GroupCommit<AuditedWrite, AuditedWriteResult>;

  constructor(db: Kysely<Database>, chainKey: Buffer) {
    this.#queue = new GroupCommit({ commit: (units) => commitAuditedWrites(db, chainKey, units), isOneJobsFault: isDataRefused, maxBatch: MAX_BATCH });
  }

  write(unit: AuditedWrite): Promise<AuditedWriteResult> {
    return this.#queue.submit(unit);
  }
}
