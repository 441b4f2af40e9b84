// The append-only audit log. Each event carries a chain value: an HMAC, under a key derived from the master
// key, of the previous event's chain value and this event's fields. Editing, deleting or reordering events
// breaks the chain, and it cannot be recomputed without the master key (`otpgate audit verify`).
import { createHmac } from 'node:crypto';
import type { Kysely } from 'kysely';
import { inTransaction, type Executor } from './transaction.js';
import type { AuditEventRow, Database } from './schema.js';

export interface AuditEventInput {
  accountId: number | null;
  at: number;
  actor: string;
  action: string;
  targetUser?: string | null;
  targetSerial?: string | null;
  clientIp?: string | null;
  outcome: string;
  reason?: string | null;
}

const GENESIS = 'genesis';
const HEAD_KEY = 'audit_head';

/**
 * Text as both engines will hold it: its well-formed form, a lone UTF-16 surrogate replaced by U+FFFD (what
 * Buffer.from(text, 'utf8') makes). Left as it is, SQLite would store a lone surrogate's WTF-8 bytes (read
 * back as three U+FFFD) and PostgreSQL one U+FFFD, and neither is what the chain value hashed, so `audit
 * verify` would report the log broken from that event on. The entries refuse such text; this keeps the
 * chain sound whatever reaches it (a value cut inside a surrogate pair to fit its column, say).
 */
function storable(text: string): string {
  return Buffer.from(text, 'utf8').toString('utf8');
}

function chainValue(key: Buffer, previous: string, event: Omit<AuditEventRow, 'id' | 'chain'>): string {
  const fields = [event.account_id, event.at, event.actor, event.action, event.target_user, event.target_serial, event.client_ip, event.outcome, event.reason];
  return createHmac('sha256', key).update(previous).update(JSON.stringify(fields)).digest('base64url');
}

function toRow(input: AuditEventInput): Omit<AuditEventRow, 'id' | 'chain'> {
  const text = (value: string | null | undefined) => (value === null || value === undefined ? null : storable(value));
  return {
    account_id: input.accountId,
    at: input.at,
    actor: storable(input.actor),
    action: storable(input.action),
    target_user: text(input.targetUser),
    target_serial: text(input.targetSerial),
    client_ip: text(input.clientIp),
    outcome: storable(input.outcome),
    reason: text(input.reason),
  };
}

/** Appends events in one transaction, chained in the order given. */
export async function appendAuditEvents(db: Kysely<Database>, chainKey: Buffer, inputs: readonly AuditEventInput[]): Promise<void> {
  if (inputs.length === 0) return;
  const events = inputs.map(toRow);
  await inTransaction(db, async (trx) => {
    // The head row must exist before it can be locked: a plain insert of a missing head by two appenders at
    // once would fail one of them, so a missing head is created as `genesis`, doing nothing if it exists.
    await trx.insertInto('meta').values({ key: HEAD_KEY, value: GENESIS }).onConflict((oc) => oc.column('key').doNothing()).execute();
    // Writing the head first takes the write lock (SQLite) or the row lock (PostgreSQL) before the head is
    // read, so concurrent appenders, in this process or another, queue instead of forking the chain. Under
    // PostgreSQL's READ COMMITTED an UPDATE that waited for the row re-reads its latest committed version,
    // so RETURNING gives the head the previous holder committed. The transaction locks only this row,
    // always first, so it cannot take part in a deadlock.
    const head = await trx
      .updateTable('meta')
      .set((eb) => ({ value: eb.ref('value') }))
      .where('key', '=', HEAD_KEY)
      .returning('value')
      .executeTakeFirstOrThrow();
    let previous = head.value;
    // One row per statement, in chain order: the ids are taken while the head is locked, so they follow
    // the chain (verify walks them by id).
    for (const event of events) {
      const chain = chainValue(chainKey, previous, event);
      await trx.insertInto('audit_events').values({ ...event, chain }).execute();
      previous = chain;
    }
    await trx.updateTable('meta').set({ value: previous }).where('key', '=', HEAD_KEY).execute();
  });
}

/**
 * True when the database refused a value (a constraint or data error), which one event of a batch can
 * cause; false for the connection or the engine failing, which would fail each event alone just the same
 * (and retrying a batch one by one against a database that is away only delays every caller's answer).
 */
function refusesTheData(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code !== 'string') return false;
  return /^(22|23)[0-9A-Z]{3}$/.test(code) || code.startsWith('SQLITE_CONSTRAINT') || code === 'SQLITE_MISMATCH' || code === 'SQLITE_TOOBIG';
}

/** The most events one group commit writes; more wait for the next. */
const MAX_BATCH = 256;

interface Pending {
  input: AuditEventInput;
  resolve: () => void;
  reject: (error: unknown) => void;
}

/**
 * Group commit for the audit log. `append` resolves once the transaction holding its event has committed,
 * so a caller that awaits it still answers only after its event is in the log. A batch starts at the end
 * of the event-loop turn its first event arrived in (the other requests of that turn join it), and events
 * that arrive while a batch commits go together in the next: one head lock, read and update per batch
 * instead of per event. Batches of one process run one at a time; appenders in other processes (or other instances on
 * PostgreSQL) are serialised by the head row's lock as before.
 */
export class AuditWriter {
  #queue: Pending[] = [];
  #writing = false;

  constructor(
    private readonly db: Kysely<Database>,
    private readonly chainKey: Buffer,
  ) {}

  append(input: AuditEventInput): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.#queue.push({ input, resolve, reject });
      if (!this.#writing) {
        // The first event waits for the end of this turn of the event loop, so that the events of the
        // other requests read in the same turn join its batch. Without it, on SQLite (whose driver runs
        // each statement at once) every batch held one event: the whole check of a request, its append
        // included, ran before the next request was even parsed.
        this.#writing = true;
        setImmediate(() => void this.#drain());
      }
    });
  }

  async #drain(): Promise<void> {
    try {
      while (this.#queue.length > 0) {
        const batch = this.#queue.splice(0, MAX_BATCH);
        try {
          await appendAuditEvents(this.db, this.chainKey, batch.map((p) => p.input));
          for (const p of batch) p.resolve();
        } catch (error) {
          if (batch.length === 1 || !refusesTheData(error)) {
            for (const p of batch) p.reject(error);
            continue;
          }
          // One event the database refuses must not fail the others it was batched with: each is tried
          // alone, and each caller gets its own outcome.
          for (const p of batch) {
            try {
              await appendAuditEvents(this.db, this.chainKey, [p.input]);
              p.resolve();
            } catch (single) {
              p.reject(single);
            }
          }
        }
      }
    } finally {
      this.#writing = false;
    }
  }
}

export interface AuditQuery {
  accountId: number | null;
  username?: string;
  from?: number;
  to?: number;
  outcome?: string;
  limit?: number;
  /** Events with an id below this one (paging newest first). */
  before?: number;
}

export function listAuditEvents(db: Executor, query: AuditQuery): Promise<AuditEventRow[]> {
  let select = db.selectFrom('audit_events').selectAll();
  if (query.accountId !== null) select = select.where('account_id', '=', query.accountId);
  if (query.username) select = select.where('target_user', '=', query.username.toLowerCase());
  if (query.from !== undefined) select = select.where('at', '>=', query.from);
  if (query.to !== undefined) select = select.where('at', '<', query.to);
  if (query.outcome) select = select.where('outcome', '=', query.outcome);
  if (query.before !== undefined) select = select.where('id', '<', query.before);
  return select.orderBy('id', 'desc').limit(query.limit ?? 100).execute();
}

export interface ChainReport {
  events: number;
  /** The first event whose chain value does not match, or null when the whole log verifies. */
  brokenAt: number | null;
  /** True when the last event's chain value is the recorded head (nothing cut off the end). */
  headMatches: boolean;
}

export async function verifyAuditChain(db: Kysely<Database>, chainKey: Buffer, onProgress?: (events: number) => void): Promise<ChainReport> {
  let previous = GENESIS;
  let events = 0;
  let lastId = 0;
  for (;;) {
    const page = await db.selectFrom('audit_events').selectAll().where('id', '>', lastId).orderBy('id').limit(5000).execute();
    if (page.length === 0) break;
    for (const row of page) {
      const { id, chain, ...fields } = row;
      if (chainValue(chainKey, previous, fields) !== chain) return { events, brokenAt: Number(id), headMatches: false };
      previous = chain;
      lastId = Number(id);
      events++;
    }
    onProgress?.(events);
  }
  const head = await db.selectFrom('meta').select('value').where('key', '=', HEAD_KEY).executeTakeFirst();
  return { events, brokenAt: null, headMatches: (head?.value ?? GENESIS) === previous };
}
