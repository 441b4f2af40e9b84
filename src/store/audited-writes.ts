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
import { advanceCounterIn, advanceCountersIn, recordTokenFailureIn, type CounterMove } from './token-store.js';

/** What one outcome writes beside its audit event. */
export interface WritePlan {
  event: AuditEventInput;
  /** One more failed passcode on this token (locking it at maxFailures). */
  tokenFailure?: { tokenId: number; maxFailures: number };
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
   * A compare-and-set of a token's counter. When it moves the counter `won` is written; when another
   * request moved it first (in this batch, another process or another instance), `lost` is.
   */
  counter?: { tokenId: number; expected: number; next: number };
  /** One use of a temporary code, by compare-and-set on its uses left; `won` and `lost` as for `counter`. */
  tempCodeUse?: { userId: number; codeHash: string; expectedUses: number };
  won: WritePlan;
  lost?: WritePlan;
}

export interface AuditedWriteResult {
  /** The compare-and-set's result (the counter's or the temporary code's); null when the unit had none. */
  counterMoved: boolean | null;
  /** The token's fail count after a recorded failure, or null. */
  tokenFailure: { failCount: number; locked: boolean } | null;
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
      for (const unit of units) if (unit.counter && alone.has(unit.counter.tokenId)) moves.push({ ...unit.counter, at: unit.at });
      const moved = await advanceCountersIn(trx, moves);
      const results: AuditedWriteResult[] = [];
      const events: { chainId: number; input: AuditEventInput }[] = [];
      const throttles: { key: string; at: number; failure?: ThrottlePolicy }[] = [];
      for (const unit of units) {
        let counterMoved: boolean | null = null;
        let plan = unit.won;
        if (unit.counter) {
          const { tokenId, expected, next } = unit.counter;
          counterMoved = alone.has(tokenId) ? moved.has(tokenId) : await advanceCounterIn(trx, tokenId, expected, next, unit.at);
          if (!counterMoved) plan = unit.lost ?? unit.won;
        } else if (unit.tempCodeUse) {
          const use = unit.tempCodeUse;
          counterMoved = await useTempCodeIn(trx, use.userId, use.codeHash, use.expectedUses, unit.at);
          if (!counterMoved) plan = unit.lost ?? unit.won;
        }
        const tokenFailure = plan.tokenFailure ? await recordTokenFailureIn(trx, plan.tokenFailure.tokenId, plan.tokenFailure.maxFailures, unit.at) : null;
        for (const { key, policy } of plan.throttleFailures ?? []) throttles.push({ key, at: unit.at, failure: policy });
        for (const key of plan.throttleClears ?? []) throttles.push({ key, at: unit.at });
        events.push({ chainId: chainOf(plan.event), input: plan.event });
        if (plan.tempCodeEnd && (await endTempCodeIn(trx, plan.tempCodeEnd.userId))) events.push({ chainId: chainOf(plan.tempCodeEnd.event), input: plan.tempCodeEnd.event });
        // The failure that locked the token is an event of its own (and the token.locked notification).
        if (tokenFailure?.locked) events.push({ chainId: chainOf(plan.event), input: { ...plan.event, action: 'token.lock', outcome: 'success', reason: `locked after ${tokenFailure.failCount} failed passcodes` } });
        results.push({ counterMoved, tokenFailure });
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

/** The tokens that exactly one unit of the batch touches (its compare-and-set or a failure, won or lost). */
function tokensTouchedOnce(units: readonly AuditedWrite[]): Set<number> {
  const touches = new Map<number, number>();
  for (const unit of units) {
    const ids = new Set<number>();
    if (unit.counter) ids.add(unit.counter.tokenId);
    if (unit.won.tokenFailure) ids.add(unit.won.tokenFailure.tokenId);
    if (unit.lost?.tokenFailure) ids.add(unit.lost.tokenFailure.tokenId);
    for (const id of ids) touches.set(id, (touches.get(id) ?? 0) + 1);
  }
  return new Set([...touches].filter(([, n]) => n === 1).map(([id]) => id));
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
