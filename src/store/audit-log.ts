// The append-only audit log's SQL: appending chained events inside a write transaction, listing, and
// walking the chain. The chain value itself is computed in core/audit-chain.ts; events are appended in
// batches by the audited-write queue (audited-writes.ts), never one transaction per event.
import type { Expression, ExpressionBuilder, Kysely, SqlBool } from 'kysely';
import {
  chainName,
  chainValue,
  genesisOf,
  headMac,
  headMacMatches,
  INSTALLATION_CHAIN,
  LEGACY_CHAIN,
  stripeOf,
  type ChainedFields,
  type ChainHead,
} from '../core/audit-chain.js';
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

// ── Chains and appending ────────────────────────────────────────────────────────────────────────────────
// Each event belongs to one chain (core/audit-chain.ts): the installation's own, or its account's stripe.
// A write transaction locks the head rows of the chains it appends to, in ascending id order (so that two
// transactions cannot deadlock on them), checks each head's MAC, appends, and writes each head with its new
// MAC. A head whose MAC does not verify (edited, or rolled back without the key) keeps its wrong MAC: the
// events are appended, and `audit verify` keeps reporting it.

const HEAD_COLUMNS = 'id, name, anchor_id, anchor_chain, events, head, mac';
// Writing the row unchanged takes its row lock (PostgreSQL; SQLite's BEGIN IMMEDIATE holds the write lock
// already) and returns it as the previous holder committed it (READ COMMITTED re-reads a row it waited for).
const LOCK_CHAIN = statement('audit_lock_chain', `UPDATE audit_chains SET events = events WHERE id = ? RETURNING ${HEAD_COLUMNS}`);
const FIND_CHAIN = statement('audit_find_chain', 'SELECT id FROM audit_chains WHERE name = ?');
const CREATE_CHAIN = statement('audit_create_chain', "INSERT INTO audit_chains (name, account_id, anchor_id, anchor_chain, events, head, mac) VALUES (?, ?, 0, '', 0, '', NULL) ON CONFLICT (name) DO NOTHING RETURNING id");
const WRITE_CHAIN = statement('audit_write_chain', 'UPDATE audit_chains SET anchor_id = ?, anchor_chain = ?, events = ?, head = ?, mac = ? WHERE id = ?');
const INSERT_EVENT = statement(
  'audit_insert_event',
  'INSERT INTO audit_events (account_id, at, actor, action, target_user, target_serial, client_ip, outcome, reason, chain, chain_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
);
// An event that is a notification (core/notifications.ts) needs its id for the notification's row.
const INSERT_EVENT_RETURNING_ID = statement(
  'audit_insert_event_id',
  'INSERT INTO audit_events (account_id, at, actor, action, target_user, target_serial, client_ip, outcome, reason, chain, chain_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id',
);
// PostgreSQL: a batch's events in one statement (one round trip), in chain order: the rows are inserted in
// the order of their position in the arrays, so the ids, taken from the sequence as each row is inserted,
// follow each chain (appendEvents checks it and fails the batch if they do not). The sequence is the one
// installation-wide object an append touches; nextval neither waits nor is held until commit.
const INSERT_EVENTS_PG = statement(
  'audit_insert_events_pg',
  `INSERT INTO audit_events (account_id, at, actor, action, target_user, target_serial, client_ip, outcome, reason, chain, chain_id)
   SELECT account_id, at, actor, action, target_user, target_serial, client_ip, outcome, reason, chain, chain_id
   FROM unnest(?::bigint[], ?::bigint[], ?::text[], ?::text[], ?::text[], ?::text[], ?::text[], ?::text[], ?::text[], ?::text[], ?::bigint[])
     WITH ORDINALITY AS e(account_id, at, actor, action, target_user, target_serial, client_ip, outcome, reason, chain, chain_id, position)
   ORDER BY position
   RETURNING id, chain`,
);

/** A chain's head row as read under its lock, with whether its MAC verified. */
export interface LockedChain extends ChainHead {
  mac: string | null;
  macMatches: boolean;
}

interface ChainHeadRow {
  id: number | string;
  name: string;
  anchor_id: number | string;
  anchor_chain: string;
  events: number | string;
  head: string;
  mac: string | null;
}

function headOf(row: ChainHeadRow): ChainHead {
  return { id: Number(row.id), name: row.name, anchorId: Number(row.anchor_id), anchorChain: row.anchor_chain, events: Number(row.events), head: row.head };
}

/** The chain an event goes to: its account's stripe (by the user it names), or the installation's. */
export function chainNameOf(input: AuditEventInput): string {
  return chainName(input.accountId, stripeOf(input.targetUser ?? null));
}

/**
 * Locks the head rows of these chains, in ascending id order, for the rest of the transaction. Throws when
 * one is missing (the database was replaced under a running server: the caller forgets the ids it knew).
 */
export async function lockChains(trx: RawTransaction, chainKey: Buffer, ids: Iterable<number>): Promise<Map<number, LockedChain>> {
  const locked = new Map<number, LockedChain>();
  for (const id of [...new Set(ids)].sort((a, b) => a - b)) {
    const { rows } = await trx.run<ChainHeadRow>(LOCK_CHAIN, [id]);
    const row = rows[0];
    if (!row) throw new MissingChainError(id);
    const head = headOf(row);
    locked.set(id, { ...head, mac: row.mac, macMatches: headMacMatches(chainKey, head, row.mac) });
  }
  return locked;
}

export class MissingChainError extends Error {
  constructor(readonly chainId: number) {
    super(`audit chain ${chainId} is missing`);
  }
}

/** Writes a locked chain's head; its MAC is renewed only when the MAC it had verified. */
async function writeHead(trx: RawTransaction, chainKey: Buffer, chain: LockedChain): Promise<void> {
  const mac = chain.macMatches ? headMac(chainKey, chain) : chain.mac;
  await trx.run(WRITE_CHAIN, [chain.anchorId, chain.anchorChain, chain.events, chain.head, mac, chain.id]);
}

/**
 * The ids of these chains, creating the missing ones. A new chain is opened in a transaction of its own
 * that also records its opening in the installation chain (so that removing a whole chain is found).
 */
export class ChainDirectory {
  readonly #ids = new Map<string, number>();

  constructor(
    private readonly db: Kysely<Database>,
    private readonly chainKey: Buffer,
    private readonly now: () => number,
  ) {}

  async idsOf(names: Iterable<string>, accountOf: (name: string) => number | null): Promise<Map<string, number>> {
    const ids = new Map<string, number>();
    for (const name of names) {
      let id = this.#ids.get(name);
      if (id === undefined) {
        id = await openChain(this.db, this.chainKey, name, accountOf(name), this.now());
        this.#ids.set(name, id);
      }
      ids.set(name, id);
    }
    return ids;
  }

  forget(): void {
    this.#ids.clear();
  }
}

/** Creates a chain row if it is missing (its genesis and MAC written) and returns its id; the second value says whether it was created. */
async function createChainIn(trx: RawTransaction, chainKey: Buffer, name: string, accountId: number | null): Promise<[number, boolean]> {
  const { rows } = await trx.run<{ id: number | string }>(CREATE_CHAIN, [name, accountId]);
  if (rows[0] === undefined) {
    const found = await trx.run<{ id: number | string }>(FIND_CHAIN, [name]);
    return [Number(found.rows[0]!.id), false];
  }
  const id = Number(rows[0].id);
  const genesis = genesisOf({ id, name });
  const head: ChainHead = { id, name, anchorId: 0, anchorChain: genesis, events: 0, head: genesis };
  await trx.run(WRITE_CHAIN, [0, genesis, 0, genesis, headMac(chainKey, head), id]);
  return [id, true];
}

/** The installation chain, created if missing, locked for the rest of the transaction. */
async function lockInstallationChain(trx: RawTransaction, chainKey: Buffer): Promise<LockedChain> {
  const [id] = await createChainIn(trx, chainKey, INSTALLATION_CHAIN, null);
  return (await lockChains(trx, chainKey, [id])).get(id)!;
}

/** The action of the installation chain's events that open a chain or seal the legacy one. */
export const CHAIN_ACTION = 'audit.chain';

async function openChain(db: Kysely<Database>, chainKey: Buffer, name: string, accountId: number | null, at: number): Promise<number> {
  return inRawTransaction(db, async (trx) => {
    const found = await trx.run<{ id: number | string }>(FIND_CHAIN, [name]);
    if (found.rows[0]) return Number(found.rows[0].id);
    const installation = await lockInstallationChain(trx, chainKey);
    if (name === INSTALLATION_CHAIN) return installation.id;
    const [id, created] = await createChainIn(trx, chainKey, name, accountId);
    if (created) await appendEvents(trx, chainKey, new Map([[installation.id, installation]]), [{ chainId: installation.id, input: chainEvent(accountId, at, `chain ${id} opened: ${name}`) }]);
    return id;
  });
}

const FIND_SEALING = statement('audit_find_sealing', 'SELECT id FROM audit_events WHERE chain_id = ? AND action = ? AND reason LIKE ?');

function chainEvent(accountId: number | null, at: number, reason: string): AuditEventInput {
  return { accountId, at, actor: 'otpgate', action: CHAIN_ACTION, outcome: 'success', reason };
}

/**
 * MACs the head of the legacy chain (the single chain of an older otpgate, left by migration 0009 without
 * a MAC) as it stands, once: the sealing is recorded in the installation chain, and a legacy head that
 * lost its MAC after that is not sealed again (audit verify reports it). Returns true when it sealed.
 */
export async function sealLegacyChain(db: Kysely<Database>, chainKey: Buffer, at: number): Promise<boolean> {
  const legacy = await db.selectFrom('audit_chains').select(['id', 'mac']).where('name', '=', LEGACY_CHAIN).executeTakeFirst();
  if (!legacy || legacy.mac !== null) return false;
  return inRawTransaction(db, async (trx) => {
    const installation = await lockInstallationChain(trx, chainKey);
    const chain = (await lockChains(trx, chainKey, [Number(legacy.id)])).get(Number(legacy.id))!;
    if (chain.mac !== null) return false;
    const sealedBefore = await trx.run(FIND_SEALING, [installation.id, CHAIN_ACTION, `chain ${chain.id} sealed%`]);
    if (sealedBefore.rows.length > 0) return false;
    await writeHead(trx, chainKey, { ...chain, macMatches: true });
    const reason = `chain ${chain.id} sealed: ${LEGACY_CHAIN}, ${chain.events} events after event ${chain.anchorId}`;
    await appendEvents(trx, chainKey, new Map([[installation.id, installation]]), [{ chainId: installation.id, input: chainEvent(null, at, reason) }]);
    return true;
  });
}

/**
 * Appends events to their locked chains, each chain's in the order given, and writes the heads. An event
 * that is a notification gets its notification row and pending deliveries in the same transaction.
 */
export async function appendEvents(trx: RawTransaction, chainKey: Buffer, chains: Map<number, LockedChain>, items: readonly { chainId: number; input: AuditEventInput }[]): Promise<void> {
  if (items.length === 0) return;
  const events = items.map(({ chainId, input }) => {
    const chain = chains.get(chainId);
    if (!chain) throw new Error(`audit chain ${chainId} is not locked`);
    const event = toFields(input);
    chain.head = chainValue(chainKey, chain.head, event);
    chain.events++;
    return { ...event, chain: chain.head, chain_id: chainId };
  });
  if (trx.engine === 'postgres' && events.length > 1) await insertManyPostgres(trx, events);
  else {
    // One row per statement, in chain order: the ids are taken while the heads are locked, so they follow
    // each chain (verify walks them by id).
    for (const event of events) {
      const values = [event.account_id, event.at, event.actor, event.action, event.target_user, event.target_serial, event.client_ip, event.outcome, event.reason, event.chain, event.chain_id];
      if (event.account_id === null || notificationOf(event) === null) {
        await trx.run(INSERT_EVENT, values);
      } else {
        const { rows } = await trx.run<{ id: number | string }>(INSERT_EVENT_RETURNING_ID, values);
        await notifyOf(trx, event, Number(rows[0]?.id));
      }
    }
  }
  for (const chainId of new Set(items.map((i) => i.chainId))) await writeHead(trx, chainKey, chains.get(chainId)!);
}

/** appendEvents' insert on PostgreSQL for several events: one statement for all of them, then their notifications. */
async function insertManyPostgres(trx: RawTransaction, events: readonly (ChainedFields & { chain: string; chain_id: number })[]): Promise<void> {
  const column = <K extends keyof (typeof events)[number]>(name: K) => events.map((e) => e[name]);
  const { rows } = await trx.run<{ id: number | string; chain: string }>(INSERT_EVENTS_PG, [
    column('account_id'), column('at'), column('actor'), column('action'), column('target_user'),
    column('target_serial'), column('client_ip'), column('outcome'), column('reason'), column('chain'), column('chain_id'),
  ]);
  // Each chain is verified by walking its ids: they must ascend in chain order, or nothing of the batch is kept.
  const idOf = new Map(rows.map((row) => [row.chain, Number(row.id)]));
  const ids = events.map((e) => idOf.get(e.chain));
  if (ids.some((id, i) => id === undefined || (i > 0 && id <= ids[i - 1]!))) throw new Error('audit events were not numbered in chain order; the batch is rolled back');
  for (const [i, event] of events.entries()) await notifyOf(trx, event, ids[i]!);
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
  /** Only events naming this token (its serial as stored). */
  serial?: string;
  /**
   * Only events that name a user or a token the account holds now (the help desk's audit: the people and
   * tokens it may act on; not account settings, and not sign-ins under a name that is no user).
   */
  knownTargetsOnly?: boolean;
  limit?: number;
  /** Events with an id below this one (paging newest first). */
  before?: number;
}

/** The conditions of a query's filters, shared by the paged list and the export. */
function auditFilters(eb: ExpressionBuilder<Database, 'audit_events'>, query: Omit<AuditQuery, 'before' | 'limit'>): Expression<SqlBool> {
  const where: Expression<SqlBool>[] = [];
  if (query.accountId !== null) where.push(eb('account_id', '=', query.accountId));
  if (query.username) where.push(eb('target_user', '=', query.username.toLowerCase()));
  if (query.from !== undefined) where.push(eb('at', '>=', query.from));
  if (query.to !== undefined) where.push(eb('at', '<', query.to));
  if (query.outcome) where.push(eb('outcome', '=', query.outcome));
  if (query.action) where.push(eb('action', '=', query.action));
  if (query.serial) where.push(eb('target_serial', '=', query.serial));
  if (query.knownTargetsOnly) {
    // Without an account there is nothing the scope could be of: no event (ids are positive).
    if (query.accountId === null) return eb('id', '<', 0);
    const accountId = query.accountId;
    where.push(
      eb.or([
        eb('target_user', 'in', eb.selectFrom('users').select('username_key').where('account_id', '=', accountId)),
        eb('target_serial', 'in', eb.selectFrom('tokens').select('serial').where('account_id', '=', accountId)),
      ]),
    );
  }
  return eb.and(where);
}

export function listAuditEvents(db: Executor, query: AuditQuery): Promise<AuditEventRow[]> {
  let select = db.selectFrom('audit_events').selectAll().where((eb) => auditFilters(eb, query));
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

// ── Verifying ───────────────────────────────────────────────────────────────────────────────────────────

/** One chain as `audit verify` found it. */
export interface ChainVerdict {
  id: number;
  name: string;
  /** The last archived event's id: the chain's events before it are in archives (0: it starts at its beginning). */
  startsAfter: number;
  events: number;
  /** What is wrong with it, or null when it verifies. */
  problem: string | null;
}

export interface ChainReport {
  events: number;
  /** The first event whose chain value does not match, or null when every chain's events verify. */
  brokenAt: number | null;
  /** True when every chain's head is the one its events lead to, with the count and anchor its MAC states. */
  headMatches: boolean;
  chains: ChainVerdict[];
  /** Problems of the log as a whole (a chain removed, a chain nobody opened), besides each chain's own. */
  problems: string[];
}

/** What the archives given to verify held: where each chain's archived part ended, and the chains opened in it. */
export interface ArchivedPart {
  starts: Map<number, ChainStart>;
  openings: Set<number>;
}

/** The chain an installation-chain event opened or sealed, or null for any other event. */
export function openedChainOf(reason: string | null): number | null {
  const id = /^chain (\d+) (opened|sealed)/.exec(reason ?? '')?.[1];
  return id === undefined ? null : Number(id);
}

/** Where a chain's walk starts: the chain value and id of the last event before it. */
export interface ChainStart {
  previous: string;
  afterId: number;
}

/** The head rows of every chain, oldest chain first. */
export async function readChainHeads(db: Executor): Promise<(ChainHead & { mac: string | null })[]> {
  const rows = await db.selectFrom('audit_chains').selectAll().orderBy('id').execute();
  return rows.map((row) => ({ ...headOf(row), mac: row.mac }));
}

/** Walks one chain's events from `start`: the number that verify, the first that does not, and the last value. */
async function walkChain(db: Executor, chainKey: Buffer, chainId: number, start: ChainStart, onEvents: (n: number) => void): Promise<{ events: number; brokenAt: number | null; last: ChainStart }> {
  let previous = start.previous;
  let lastId = start.afterId;
  let events = 0;
  for (let after = 0; ; ) {
    const page = await db.selectFrom('audit_events').selectAll().where('chain_id', '=', chainId).where('id', '>', after).orderBy('id').limit(5000).execute();
    if (page.length === 0) break;
    for (const row of page) {
      const { id, chain, ...rest } = row;
      const fields: ChainedFields = { account_id: rest.account_id, at: rest.at, actor: rest.actor, action: rest.action, target_user: rest.target_user, target_serial: rest.target_serial, client_ip: rest.client_ip, outcome: rest.outcome, reason: rest.reason };
      if (chainValue(chainKey, previous, fields) !== chain) return { events, brokenAt: Number(id), last: { previous, afterId: lastId } };
      previous = chain;
      lastId = Number(id);
      events++;
    }
    after = lastId;
    onEvents(page.length);
  }
  return { events, brokenAt: null, last: { previous, afterId: lastId } };
}

/**
 * Verifies every chain: its events from its anchor, its head (value, count and anchor under its MAC), and
 * that every chain was opened in the installation chain and every chain opened there still exists. With
 * `starts` (from archives), a chain must also start where its archives ended.
 */
export async function verifyAuditChains(db: Kysely<Database>, chainKey: Buffer, onProgress?: (events: number) => void, archived?: ArchivedPart): Promise<ChainReport> {
  const starts = archived?.starts;
  const heads = await readChainHeads(db);
  const events = { total: 0 };
  const chains: ChainVerdict[] = [];
  const problems: string[] = [];
  let brokenAt: number | null = null;
  for (const head of heads) {
    const start = { previous: head.anchorChain, afterId: head.anchorId };
    const verdict: ChainVerdict = { id: head.id, name: head.name, startsAfter: head.anchorId, events: 0, problem: null };
    chains.push(verdict);
    const walked = await walkChain(db, chainKey, head.id, start, (n) => {
      events.total += n;
      onProgress?.(events.total);
    });
    verdict.events = walked.events;
    const expected = starts?.get(head.id);
    if (walked.brokenAt !== null) {
      verdict.problem = `event ${walked.brokenAt} was changed, or events before it were removed, inserted or reordered`;
      brokenAt = brokenAt === null ? walked.brokenAt : Math.min(brokenAt, walked.brokenAt);
    } else if (head.mac === null) verdict.problem = 'its head has no MAC';
    else if (!headMacMatches(chainKey, head, head.mac)) verdict.problem = 'its head or anchor was changed or rolled back (its MAC does not verify)';
    else if (walked.events !== head.events || walked.last.previous !== head.head) verdict.problem = `its last events were removed (${walked.events} of ${head.events} remain)`;
    else if (head.anchorChain !== genesisOf(head) && expected === undefined && starts !== undefined) verdict.problem = `it starts after event ${head.anchorId}, but no archive given ends there: an archive is missing`;
    else if (expected !== undefined && (expected.afterId !== head.anchorId || expected.previous !== head.anchorChain)) verdict.problem = 'the archives do not end where the chain now starts: an archive is missing or out of order';
  }
  // Every chain but the installation's is opened (or, the legacy one, sealed) by an event of the installation
  // chain. Its openings are all at hand when that chain starts at its beginning, or its archives were given.
  const installation = heads.find((h) => h.name === INSTALLATION_CHAIN);
  const recorded = new Set<number>(archived?.openings ?? []);
  if (installation) {
    const rows = await db.selectFrom('audit_events').select('reason').where('chain_id', '=', installation.id).where('action', '=', CHAIN_ACTION).execute();
    for (const { reason } of rows) {
      const id = openedChainOf(reason);
      if (id !== null) recorded.add(id);
    }
  }
  const allOpenings = installation !== undefined && (installation.anchorId === 0 || archived?.starts.has(installation.id) === true);
  for (const id of recorded) if (!heads.some((h) => h.id === id)) problems.push(`chain ${id} was removed (the installation chain records its opening)`);
  for (const head of heads) {
    if (allOpenings && head.name !== INSTALLATION_CHAIN && !recorded.has(head.id) && !(head.name === LEGACY_CHAIN && head.mac === null)) problems.push(`chain ${head.id} (${head.name}) was never opened in the installation chain`);
  }
  // An event in no chain (inserted, or written by an older otpgate after the migration) is walked by none.
  const stray = await db
    .selectFrom('audit_events')
    .select([(eb) => eb.fn.countAll<number | string>().as('n'), (eb) => eb.fn.min('id').as('first')])
    .where((eb) => eb.or([eb('chain_id', 'is', null), eb('chain_id', 'not in', heads.length > 0 ? heads.map((h) => h.id) : [0])]))
    .executeTakeFirst();
  if (stray && Number(stray.n) > 0) problems.push(`${Number(stray.n)} events belong to no chain (the first: event ${Number(stray.first)}); they were inserted, or written by an older otpgate after migration 0009`);
  if (heads.some((h) => h.name !== INSTALLATION_CHAIN) && !installation) problems.push('the installation chain was removed');
  const headMatches = chains.every((c) => c.problem === null || c.problem.startsWith('event '));
  return { events: events.total, brokenAt, headMatches, chains, problems };
}

// ── Export and archive ──────────────────────────────────────────────────────────────────────────────────

/** Events in id order (oldest first) after `afterId`, one page: what export walks. */
export function auditEventsAfter(db: Executor, query: Omit<AuditQuery, 'before' | 'limit'> & { chainId?: number }, afterId: number, limit: number): Promise<AuditEventRow[]> {
  let select = db.selectFrom('audit_events').selectAll().where('id', '>', afterId);
  if (query.chainId !== undefined) select = select.where('chain_id', '=', query.chainId);
  return select.where((eb) => auditFilters(eb, query)).orderBy('id').limit(limit).execute();
}

/** One chain's part of an archive: its events after `afterId` up to `lastId`. */
export interface ChainCut {
  chainId: number;
  name: string;
  afterId: number;
  previous: string;
  lastId: number;
  events: number;
}

/**
 * The archive's cut, per chain: the longest run of events from the chain's start whose times are all
 * before `before` (an event's time is when its check ran, so a later id can carry an earlier time: the cut
 * stops at the first event at or after `before`). Chains with nothing to cut are left out.
 */
export async function archiveCuts(db: Executor, before: number): Promise<ChainCut[]> {
  const cuts: ChainCut[] = [];
  for (const head of await readChainHeads(db)) {
    const first = await db.selectFrom('audit_events').select((eb) => eb.fn.min('id').as('id')).where('chain_id', '=', head.id).where('at', '>=', before).executeTakeFirst();
    const stop = first?.id === null || first?.id === undefined ? null : Number(first.id);
    let last = db.selectFrom('audit_events').select([(eb) => eb.fn.max('id').as('id'), (eb) => eb.fn.countAll<number | string>().as('n')]).where('chain_id', '=', head.id);
    if (stop !== null) last = last.where('id', '<', stop);
    const row = await last.executeTakeFirst();
    if (!row || row.id === null || Number(row.n) === 0) continue;
    cuts.push({ chainId: head.id, name: head.name, afterId: head.anchorId, previous: head.anchorChain, lastId: Number(row.id), events: Number(row.n) });
  }
  return cuts;
}

/**
 * Deletes the archived events of each chain (its ids after the anchor up to the cut's last) and moves the
 * chain's anchor to the last one (with its head's MAC), in one transaction that holds the chains' heads, so
 * no two archives interleave. Refused (false) when an anchor moved since the cut was read (another archive
 * ran): nothing is deleted then.
 */
export async function deleteArchivedEvents(db: Kysely<Database>, chainKey: Buffer, cuts: readonly (ChainCut & { lastChain: string })[]): Promise<boolean> {
  return inRawTransaction(db, async (trx) => {
    const chains = await lockChains(trx, chainKey, cuts.map((c) => c.chainId));
    if (cuts.some((cut) => chains.get(cut.chainId)!.anchorId !== cut.afterId)) return false;
    for (const cut of cuts) {
      const chain = chains.get(cut.chainId)!;
      const { changes } = await trx.run(DELETE_ARCHIVED, [cut.chainId, cut.afterId, cut.lastId]);
      if (changes !== cut.events) throw new Error(`chain ${cut.chainId}: ${changes} events deleted where ${cut.events} were archived; nothing is deleted`);
      chain.anchorId = cut.lastId;
      chain.anchorChain = cut.lastChain;
      chain.events -= cut.events;
      await writeHead(trx, chainKey, chain);
    }
    return true;
  });
}

const DELETE_ARCHIVED = statement('audit_delete_archived', 'DELETE FROM audit_events WHERE chain_id = ? AND id > ? AND id <= ?');
