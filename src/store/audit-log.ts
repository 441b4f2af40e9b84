// The append-only audit log's SQL: appending chained events inside a write transaction, listing, and
// walking the chain. The chain value itself is computed in core/audit-chain.ts; events are appended in
// batches by the audited-write queue (audited-writes.ts), never one transaction per event.
import type { Kysely } from 'kysely';
import { chainValue, GENESIS, type ChainedFields } from '../core/audit-chain.js';
import { notificationOf } from '../core/notifications.js';
import { recordNotificationIn } from './notification-store.js';
import { inRawTransaction, statement, type RawTransaction } from './raw-statements.js';
import type { Executor } from './transaction.js';
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

const HEAD_KEY = 'audit_head';

/** Any UTF-16 surrogate: only text holding one can hold a lone one (the rest is stored as it is). */
const SURROGATE = /[\uD800-\uDFFF]/;

/**
 * Text as both engines will hold it: its well-formed form, a lone UTF-16 surrogate replaced by U+FFFD (what
 * Buffer.from(text, 'utf8') makes). Left as it is, SQLite would store a lone surrogate's WTF-8 bytes (read
 * back as three U+FFFD) and PostgreSQL one U+FFFD, and neither is what the chain value hashed, so `audit
 * verify` would report the log broken from that event on. The entries refuse such text; this keeps the
 * chain sound whatever reaches it (a value cut inside a surrogate pair to fit its column, say).
 */
function storable(text: string): string {
  // A value that is not text (a caller's bug) goes to the database as it is, to be refused there as one
  // event's fault, not thrown here where it would fail the whole batch it was grouped with.
  if (typeof text !== 'string' || !SURROGATE.test(text)) return text;
  return Buffer.from(text, 'utf8').toString('utf8');
}

function toFields(input: AuditEventInput): ChainedFields {
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

// One statement creates the head as `genesis` when it is missing, or else writes it unchanged: either way
// it takes the row lock (PostgreSQL; SQLite's BEGIN IMMEDIATE holds the write lock already) before the head
// is read, so appenders in other processes or instances queue instead of forking the chain. Under READ
// COMMITTED an upsert that waited for the row updates its latest committed version, so RETURNING gives the
// head the previous holder committed; two appenders creating a missing head at once do not fail either.
const CREATE_OR_LOCK_HEAD = statement(
  'audit_lock_head',
  `INSERT INTO meta (key, value) VALUES ('${HEAD_KEY}', '${GENESIS}') ON CONFLICT (key) DO UPDATE SET value = meta.value RETURNING value`,
);
const INSERT_EVENT = statement(
  'audit_insert_event',
  'INSERT INTO audit_events (account_id, at, actor, action, target_user, target_serial, client_ip, outcome, reason, chain) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
);
// An event that is a notification (core/notifications.ts) needs its id for the notification's row.
const INSERT_EVENT_RETURNING_ID = statement(
  'audit_insert_event_id',
  'INSERT INTO audit_events (account_id, at, actor, action, target_user, target_serial, client_ip, outcome, reason, chain) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id',
);
// PostgreSQL: a batch's events in one statement (one round trip), in chain order: the rows are inserted in
// the order of their position in the arrays, so the ids, taken from the sequence as each row is inserted,
// follow the chain (appendAfterHead checks it and fails the batch if they do not).
const INSERT_EVENTS_PG = statement(
  'audit_insert_events_pg',
  `INSERT INTO audit_events (account_id, at, actor, action, target_user, target_serial, client_ip, outcome, reason, chain)
   SELECT account_id, at, actor, action, target_user, target_serial, client_ip, outcome, reason, chain
   FROM unnest(?::bigint[], ?::bigint[], ?::text[], ?::text[], ?::text[], ?::text[], ?::text[], ?::text[], ?::text[], ?::text[])
     WITH ORDINALITY AS e(account_id, at, actor, action, target_user, target_serial, client_ip, outcome, reason, chain, position)
   ORDER BY position
   RETURNING id, chain`,
);
const WRITE_HEAD = statement('audit_write_head', `UPDATE meta SET value = ? WHERE key = '${HEAD_KEY}'`);

/**
 * Locks the chain's head for the rest of the transaction and returns it. Taken first in every write
 * transaction that appends events: the transactions that append serialise on this one row, always locked
 * first, so they cannot deadlock one another.
 */
export async function lockAuditHead(trx: RawTransaction): Promise<string> {
  const { rows } = await trx.run<{ value: string }>(CREATE_OR_LOCK_HEAD, []);
  const head = rows[0];
  if (!head) throw new Error('the audit head row is missing');
  return head.value;
}

/**
 * Appends events after the locked head `previous`, chained in the order given, and moves the head. An event
 * that is a notification gets its notification row and pending deliveries in the same transaction.
 */
export async function appendAfterHead(trx: RawTransaction, chainKey: Buffer, previous: string, inputs: readonly AuditEventInput[]): Promise<void> {
  if (inputs.length === 0) return;
  if (trx.engine === 'postgres' && inputs.length > 1) return appendManyPostgres(trx, chainKey, previous, inputs);
  let head = previous;
  // One row per statement, in chain order: the ids are taken while the head is locked, so they follow the
  // chain (verify walks them by id).
  for (const input of inputs) {
    const event = toFields(input);
    const chain = chainValue(chainKey, head, event);
    const values = [event.account_id, event.at, event.actor, event.action, event.target_user, event.target_serial, event.client_ip, event.outcome, event.reason, chain];
    if (event.account_id === null || notificationOf(event) === null) {
      await trx.run(INSERT_EVENT, values);
    } else {
      const { rows } = await trx.run<{ id: number | string }>(INSERT_EVENT_RETURNING_ID, values);
      await notifyOf(trx, event, Number(rows[0]?.id));
    }
    head = chain;
  }
  await trx.run(WRITE_HEAD, [head]);
}

/** appendAfterHead on PostgreSQL for several events: one insert for all of them, then their notifications. */
async function appendManyPostgres(trx: RawTransaction, chainKey: Buffer, previous: string, inputs: readonly AuditEventInput[]): Promise<void> {
  let head = previous;
  const events = inputs.map((input) => {
    const event = toFields(input);
    head = chainValue(chainKey, head, event);
    return { ...event, chain: head };
  });
  const column = <K extends keyof (typeof events)[number]>(name: K) => events.map((e) => e[name]);
  const { rows } = await trx.run<{ id: number | string; chain: string }>(INSERT_EVENTS_PG, [
    column('account_id'), column('at'), column('actor'), column('action'), column('target_user'),
    column('target_serial'), column('client_ip'), column('outcome'), column('reason'), column('chain'),
  ]);
  // The chain is verified by walking ids: they must ascend in chain order, or nothing of the batch is kept.
  const idOf = new Map(rows.map((row) => [row.chain, Number(row.id)]));
  const ids = events.map((e) => idOf.get(e.chain));
  if (ids.some((id, i) => id === undefined || (i > 0 && id <= ids[i - 1]!))) throw new Error('audit events were not numbered in chain order; the batch is rolled back');
  for (const [i, event] of events.entries()) await notifyOf(trx, event, ids[i]!);
  await trx.run(WRITE_HEAD, [head]);
}

/** The notification an appended event is (core/notifications.ts), with its pending deliveries; none for most. */
async function notifyOf(trx: RawTransaction, event: ChainedFields, auditEventId: number): Promise<void> {
  const type = event.account_id === null ? null : notificationOf(event);
  if (type === null || event.account_id === null) return;
  await recordNotificationIn(trx, {
    accountId: event.account_id,
    auditEventId,
    type,
    at: event.at,
    username: event.target_user,
    serial: event.target_serial,
    actor: event.actor,
    clientIp: event.client_ip,
  });
}

export interface AuditQuery {
  accountId: number | null;
  username?: string;
  from?: number;
  to?: number;
  outcome?: string;
  /** Only events of this action (`signin`, …). */
  action?: string;
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
  if (query.action) select = select.where('action', '=', query.action);
  if (query.before !== undefined) select = select.where('id', '<', query.before);
  return select.orderBy('id', 'desc').limit(query.limit ?? 100).execute();
}

/** The events naming one token of an account, newest first; without `signIns`, its sign-ins are left out. */
export function listTokenEvents(db: Executor, accountId: number, serial: string, options: { signIns: boolean; limit: number; before?: number }): Promise<AuditEventRow[]> {
  let select = db.selectFrom('audit_events').selectAll().where('account_id', '=', accountId).where('target_serial', '=', serial);
  if (!options.signIns) select = select.where('action', '!=', 'signin');
  if (options.before !== undefined) select = select.where('id', '<', options.before);
  return select.orderBy('id', 'desc').limit(options.limit).execute();
}

/** An account's sign-in events since a time, counted by outcome (the console's health panel). */
export async function countSignInsByOutcome(db: Executor, accountId: number, since: number): Promise<Record<string, number>> {
  const rows = await db
    .selectFrom('audit_events')
    .select(['outcome', (eb) => eb.fn.countAll<number | string>().as('n')])
    .where('account_id', '=', accountId)
    .where('action', '=', 'signin')
    .where('at', '>=', since)
    .groupBy('outcome')
    .execute();
  return Object.fromEntries(rows.map((r) => [r.outcome, Number(r.n)]));
}

export interface ChainReport {
  events: number;
  /** The first event whose chain value does not match, or null when the whole log verifies. */
  brokenAt: number | null;
  /** True when the last event's chain value is the recorded head (nothing cut off the end). */
  headMatches: boolean;
}

export async function verifyAuditChain(db: Kysely<Database>, chainKey: Buffer, onProgress?: (events: number) => void): Promise<ChainReport> {
  // After an archive the log starts at its anchor: the last archived event's id and chain value.
  const anchor = await readAuditAnchor(db);
  let previous = anchor?.chain ?? GENESIS;
  let events = 0;
  let lastId = anchor?.id ?? 0;
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

// ── Export and archive ──────────────────────────────────────────────────────────────────────────────────

const ANCHOR_KEY = 'audit_anchor';

/** Where the log starts after an archive: the last archived event's id and chain value. */
export interface AuditAnchor {
  id: number;
  chain: string;
}

export async function readAuditAnchor(db: Executor): Promise<AuditAnchor | null> {
  const row = await db.selectFrom('meta').select('value').where('key', '=', ANCHOR_KEY).executeTakeFirst();
  if (!row) return null;
  const parsed = JSON.parse(row.value) as AuditAnchor;
  return { id: Number(parsed.id), chain: String(parsed.chain) };
}

/** Events in id order (oldest first) after `afterId`, one page: what export and archive walk. */
export function auditEventsAfter(db: Executor, query: Omit<AuditQuery, 'before' | 'limit'>, afterId: number, limit: number): Promise<AuditEventRow[]> {
  let select = db.selectFrom('audit_events').selectAll().where('id', '>', afterId);
  if (query.accountId !== null) select = select.where('account_id', '=', query.accountId);
  if (query.username) select = select.where('target_user', '=', query.username.toLowerCase());
  if (query.from !== undefined) select = select.where('at', '>=', query.from);
  if (query.to !== undefined) select = select.where('at', '<', query.to);
  if (query.outcome) select = select.where('outcome', '=', query.outcome);
  return select.orderBy('id').limit(limit).execute();
}

/**
 * The archive's cut: the longest run of events from the start of the log whose times are all before
 * `before` (the chain is in id order, and an event's time is when its check ran, so a later id can carry
 * an earlier time: the cut stops at the first event at or after `before`). Null when there is nothing to cut.
 */
export async function archiveCut(db: Executor, before: number): Promise<{ from: AuditAnchor | null; lastId: number; events: number } | null> {
  const anchor = await readAuditAnchor(db);
  const startId = anchor?.id ?? 0;
  const first = await db.selectFrom('audit_events').select((eb) => eb.fn.min('id').as('id')).where('id', '>', startId).where('at', '>=', before).executeTakeFirst();
  const stop = first?.id === null || first?.id === undefined ? null : Number(first.id);
  let last = db.selectFrom('audit_events').select([(eb) => eb.fn.max('id').as('id'), (eb) => eb.fn.countAll<number | string>().as('n')]).where('id', '>', startId);
  if (stop !== null) last = last.where('id', '<', stop);
  const row = await last.executeTakeFirst();
  if (!row || row.id === null || Number(row.n) === 0) return null;
  return { from: anchor, lastId: Number(row.id), events: Number(row.n) };
}

/**
 * Deletes the archived events (ids after the anchor up to `lastId`) and moves the anchor to the last one,
 * in one transaction that holds the audit head, so no two archives interleave. Refused (false) when the
 * anchor moved since the cut was read (another archive ran): nothing is deleted then.
 */
export async function deleteArchivedEvents(db: Kysely<Database>, expectedFrom: AuditAnchor | null, last: AuditAnchor): Promise<boolean> {
  return inRawTransaction(db, async (trx) => {
    await lockAuditHead(trx);
    const { rows } = await trx.run<{ value: string }>(READ_ANCHOR, []);
    const current = rows[0] ? (JSON.parse(rows[0].value) as AuditAnchor) : null;
    if ((current?.id ?? 0) !== (expectedFrom?.id ?? 0)) return false;
    await trx.run(DELETE_ARCHIVED, [expectedFrom?.id ?? 0, last.id]);
    await trx.run(WRITE_ANCHOR, [JSON.stringify(last)]);
    return true;
  });
}

const READ_ANCHOR = statement('audit_read_anchor', `SELECT value FROM meta WHERE key = '${ANCHOR_KEY}'`);
const DELETE_ARCHIVED = statement('audit_delete_archived', 'DELETE FROM audit_events WHERE id > ? AND id <= ?');
const WRITE_ANCHOR = statement('audit_write_anchor', `INSERT INTO meta (key, value) VALUES ('${ANCHOR_KEY}', ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value`);
