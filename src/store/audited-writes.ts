// Writes that commit together with their audit event. A sign-in check's counter move, fail count and
// back-off, and the event that records it, are one unit: the units that arrive together are written in one
// transaction (group commit, group-commit.ts), so a consumed passcode never exists without its audit event,
// even after kill -9 or a killed connection, and every caller still answers only after its unit committed.
import type { Kysely } from 'kysely';
import type { ThrottlePolicy } from '../core/throttle.js';
import { appendEvents, chainNameOf, lockChains, MissingChainError, type AuditEventInput, type ChainDirectory } from './audit-log.js';
import { isDataRefused } from './database-errors.js';
import { GroupCommit } from './group-commit.js';
import { inRawTransaction, rawDriverOf } from './raw-statements.js';
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
 * Writes the units in one transaction, in order. The heads of the chains its events go to are locked first
 * (in ascending id order, so the write transactions of every process and instance that share a chain queue
 * on its head, and none deadlock on heads); under PostgreSQL's READ COMMITTED a compare-and-set that
 * waited for a token row re-reads its committed counter, so exactly one of any number of racing units (in
 * one batch or across instances) moves it. The back-offs are written last, in key order: two transactions
 * of different chains may share an address's back-off, and taking those rows in one order keeps them from
 * deadlocking.
 */
export async function commitAuditedWrites(db: Kysely<Database>, chainKey: Buffer, chainsKnown: ChainDirectory, units: readonly AuditedWrite[]): Promise<AuditedWriteResult[]> {
  const names = new Map<string, number | null>();
  for (const unit of units) {
    for (const plan of [unit.won, unit.lost]) {
      for (const event of plan ? [plan.event, ...(plan.tempCodeEnd ? [plan.tempCodeEnd.event] : [])] : []) names.set(chainNameOf(event), event.accountId);
    }
  }
  const ids = await chainsKnown.idsOf(names.keys(), (name) => names.get(name) ?? null);
  const chainOf = (event: AuditEventInput) => ids.get(chainNameOf(event))!;
  try {
    return await inRawTransaction(db, async (trx) => {
      const chains = await lockChains(trx, chainKey, ids.values());
      // The compare-and-sets of the units whose token no other unit of the batch touches go first, in one
      // statement (on PostgreSQL one round trip for the whole batch): nothing else in the batch writes their
      // rows, so moving them first is the order the batch was written in. A token touched by several units (a
      // double submit, a failure beside a success) keeps the batch's order, one statement at a time.
      const alone = tokensTouchedOnce(units);
      const moves: CounterMove[] = [];
      for (const unit of units) for (const check of unit.counters ?? []) if (alone.has(check.tokenId)) moves.push({ ...check, at: unit.at });
      const moved = await advanceCountersIn(trx, moves);
      const results: AuditedWriteResult[] = [];
      const events: { chainId: number; input: AuditEventInput }[] = [];
      const throttles: { key: string; at: number; failure?: ThrottlePolicy }[] = [];
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
        for (const { key, policy } of plan.throttleFailures ?? []) throttles.push({ key, at: unit.at, failure: policy });
        for (const key of plan.throttleClears ?? []) throttles.push({ key, at: unit.at });
        events.push({ chainId: chainOf(plan.event), input: plan.event });
        if (plan.tempCodeEnd && (await endTempCodeIn(trx, plan.tempCodeEnd.userId))) events.push({ chainId: chainOf(plan.tempCodeEnd.event), input: plan.tempCodeEnd.event });
        // The failure that locked the user's tokens is an event of its own (and the token.locked notification).
        if (userFailure?.locked) events.push({ chainId: chainOf(plan.event), input: { ...plan.event, action: 'token.lock', outcome: 'success', reason: `locked after ${userFailure.failCount} failed passcodes` } });
        results.push({ counterMoved, userFailure });
      }
      // A stable sort: one key's failures and clears keep the batch's order.
      for (const t of throttles.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))) {
        if (t.failure) await recordThrottleFailureIn(trx, t.key, t.failure, t.at);
        else await clearThrottleIn(trx, t.key);
      }
      await appendEvents(trx, chainKey, chains, events);
      return results;
    });
  } catch (error) {
    // The database was replaced under the server (a restore): the chains are looked up again next time.
    if (error instanceof MissingChainError) chainsKnown.forget();
    throw error;
  }
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
 * retried unit by unit, and each caller gets its own outcome. On PostgreSQL there is one queue per chain,
 * so that the batches of different chains commit side by side (each on its own connection, holding only
 * its chain's head); SQLite has one writer at a time anyway, so there one queue batches every chain's units.
 */
export class AuditedWriter {
  readonly #queues = new Map<string, GroupCommit<AuditedWrite, AuditedWriteResult>>();
  readonly #perChain: boolean;

  constructor(
    private readonly db: Kysely<Database>,
    private readonly chainKey: Buffer,
    private readonly chains: ChainDirectory,
  ) {
    this.#perChain = rawDriverOf(db).engine === 'postgres';
  }

  write(unit: AuditedWrite): Promise<AuditedWriteResult> {
    const name = this.#perChain ? chainNameOf(unit.won.event) : '';
    let queue = this.#queues.get(name);
    if (!queue) {
      queue = new GroupCommit({ commit: (units) => commitAuditedWrites(this.db, this.chainKey, this.chains, units), isOneJobsFault: isDataRefused, maxBatch: MAX_BATCH });
      this.#queues.set(name, queue);
    }
    return queue.submit(unit);
  }
}
