// Webhooks, notifications and their deliveries. A notification is written inside the transaction that
// appends its audit event (audit-log.ts), with one pending delivery per webhook of the account that wants
// its type; delivery workers claim due deliveries (one claim per delivery across processes and instances)
// and record each attempt's result.
import type { Kysely } from 'kysely';
import { storedEventFilter, type NotificationType } from '../core/notifications.js';
import { rawDriverOf, runRaw, statement, type RawTransaction } from './raw-statements.js';
import type { Database, DeliveryStatus, WebhookRow } from './schema.js';
import { inTransaction, type Executor } from './transaction.js';

// ── Webhooks ────────────────────────────────────────────────────────────────────────────────────────────

export interface NewWebhook {
  accountId: number;
  name: string;
  url: string;
  events: string;
  secretSealed: Buffer;
  createdAt: number;
}

/**
 * Whether a notification of this type would reach the account's administrators: a webhook that wants it, or
 * (when e-mail is configured, `withMail`) an enabled administrator with an e-mail address.
 */
export async function notificationReachesAdmins(db: Executor, accountId: number, type: NotificationType, withMail: boolean): Promise<boolean> {
  const hook = await db
    .selectFrom('webhooks')
    .select('id')
    .where('account_id', '=', accountId)
    .where((eb) => eb.or([eb('events', '=', '*'), eb('events', 'like', `%${storedEventFilter([type])}%`)]))
    .executeTakeFirst();
  if (hook) return true;
  if (!withMail) return false;
  const admin = await db.selectFrom('users').select('id').where('account_id', '=', accountId).where('role', '=', 'admin').where('email', 'is not', null).where('disabled_at', 'is', null).executeTakeFirst();
  return admin !== undefined;
}

/** Adds a webhook; false when the account has one of that name already. */
export async function insertWebhook(db: Executor, webhook: NewWebhook): Promise<boolean> {
  const result = await db
    .insertInto('webhooks')
    .values({ account_id: webhook.accountId, name: webhook.name, url: webhook.url, events: webhook.events, secret_sealed: webhook.secretSealed, created_at: webhook.createdAt })
    .onConflict((oc) => oc.columns(['account_id', 'name']).doNothing())
    .executeTakeFirst();
  return Number(result.numInsertedOrUpdatedRows ?? 0) === 1;
}

export function listWebhooks(db: Executor, accountId: number): Promise<WebhookRow[]> {
  return db.selectFrom('webhooks').selectAll().where('account_id', '=', accountId).orderBy('name').execute();
}

export function findWebhook(db: Executor, accountId: number, name: string): Promise<WebhookRow | undefined> {
  return db.selectFrom('webhooks').selectAll().where('account_id', '=', accountId).where('name', '=', name).executeTakeFirst();
}

/** Removes a webhook and its deliveries (pending ones are not sent); false when there is none. */
export async function deleteWebhook(db: Executor, accountId: number, name: string): Promise<boolean> {
  const webhook = await findWebhook(db, accountId, name);
  if (!webhook) return false;
  await db.deleteFrom('webhook_deliveries').where('webhook_id', '=', webhook.id).execute();
  const result = await db.deleteFrom('webhooks').where('id', '=', webhook.id).executeTakeFirst();
  return Number(result.numDeletedRows) === 1;
}

// ── Written with the audit event ────────────────────────────────────────────────────────────────────────

export interface NotificationFields {
  accountId: number;
  auditEventId: number;
  type: NotificationType;
  at: number;
  username: string | null;
  serial: string | null;
  actor: string;
  clientIp: string | null;
}

const INSERT_NOTIFICATION = statement(
  'notification_insert',
  'INSERT INTO notifications (account_id, audit_event_id, type, at, account_name, username, serial, actor, client_ip) ' +
    'SELECT CAST(? AS BIGINT), CAST(? AS BIGINT), ?, CAST(? AS BIGINT), name, ?, ?, ?, ? FROM accounts WHERE id = ? RETURNING id',
);
const INSERT_DELIVERIES = statement(
  'notification_deliveries',
  "INSERT INTO webhook_deliveries (notification_id, webhook_id, status, attempts, next_attempt_at, created_at) SELECT CAST(? AS BIGINT), id, 'pending', 0, CAST(? AS BIGINT), CAST(? AS BIGINT) FROM webhooks WHERE account_id = ? AND (events = '*' OR events LIKE ?)",
);

/** Inside the audit batch's transaction: the notification and a pending delivery for each webhook that wants it. */
export async function recordNotificationIn(trx: RawTransaction, n: NotificationFields): Promise<void> {
  const { rows } = await trx.run<{ id: number | string }>(INSERT_NOTIFICATION, [n.accountId, n.auditEventId, n.type, n.at, n.username, n.serial, n.actor, n.clientIp, n.accountId]);
  const id = rows[0]?.id;
  if (id === undefined) return;
  await trx.run(INSERT_DELIVERIES, [Number(id), n.at, n.at, n.accountId, `%${storedEventFilter([n.type])}%`]);
}

// ── Delivery ────────────────────────────────────────────────────────────────────────────────────────────

/** A claimed delivery with what sending it needs. */
export interface DueDelivery {
  id: number;
  attempts: number;
  createdAt: number;
  webhookName: string;
  accountId: number;
  url: string;
  secretSealed: Uint8Array;
  notification: {
    id: number;
    type: string;
    at: number;
    accountName: string;
    username: string | null;
    serial: string | null;
    actor: string;
    clientIp: string | null;
  };
}

type OutboxTable = 'webhook_deliveries' | 'email_deliveries';

/**
 * The claim of one outbox table, per engine: one statement marks up to N due rows as claimed and returns
 * them. On PostgreSQL the rows another instance is claiming at the same moment are skipped (SKIP LOCKED);
 * SQLite runs one writer at a time, so its claims never overlap.
 */
function claimStatements(table: OutboxTable) {
  const due = `SELECT id FROM ${table} WHERE status = 'pending' AND next_attempt_at <= ? AND (claimed_until IS NULL OR claimed_until <= ?) ORDER BY id LIMIT ?`;
  return {
    sqlite: statement(`${table}_claim_sqlite`, `UPDATE ${table} SET claimed_until = ? WHERE id IN (${due}) RETURNING id`),
    postgres: statement(`${table}_claim_postgres`, `UPDATE ${table} SET claimed_until = ? WHERE id IN (${due} FOR UPDATE SKIP LOCKED) RETURNING id`),
  };
}
const CLAIMS: Record<OutboxTable, ReturnType<typeof claimStatements>> = { webhook_deliveries: claimStatements('webhook_deliveries'), email_deliveries: claimStatements('email_deliveries') };

/** Claims up to `limit` due rows of the table until `now + claimMs`; no other worker claims them before then. */
async function claimDue(db: Kysely<Database>, table: OutboxTable, now: number, claimMs: number, limit: number): Promise<number[]> {
  const claim = CLAIMS[table][rawDriverOf(db).engine];
  const { rows } = await runRaw<{ id: number | string }>(db, claim, [now + claimMs, now, now, limit]);
  return rows.map((r) => Number(r.id));
}

/** Records one attempt of a claimed row and releases the claim. */
async function recordAttempt(db: Executor, table: OutboxTable, id: number, now: number, result: { error: string | null; nextAttemptAt: number | null }, extra: { last_status?: number | null } = {}): Promise<void> {
  const status: DeliveryStatus = result.error === null ? 'delivered' : result.nextAttemptAt === null ? 'failed' : 'pending';
  await db
    .updateTable(table)
    .set((eb) => ({
      status,
      attempts: eb('attempts', '+', 1),
      claimed_until: null,
      last_error: result.error === null ? null : result.error.slice(0, 200),
      next_attempt_at: result.nextAttemptAt ?? now,
      delivered_at: status === 'delivered' ? now : null,
      ...extra,
    }))
    .where('id', '=', id)
    .execute();
}

/** Claims up to `limit` due deliveries until `now + claimMs`; no other worker claims them before then. */
export async function claimDueDeliveries(db: Kysely<Database>, now: number, claimMs: number, limit: number): Promise<DueDelivery[]> {
  const ids = await claimDue(db, 'webhook_deliveries', now, claimMs, limit);
  if (ids.length === 0) return [];
  const found = await db
    .selectFrom('webhook_deliveries as d')
    .innerJoin('webhooks as w', 'w.id', 'd.webhook_id')
    .innerJoin('notifications as n', 'n.id', 'd.notification_id')
    .select([
      'd.id', 'd.attempts', 'd.created_at', 'w.name as webhook_name', 'w.account_id', 'w.url', 'w.secret_sealed',
      'n.id as notification_id', 'n.type', 'n.at', 'n.account_name', 'n.username', 'n.serial', 'n.actor', 'n.client_ip',
    ])
    .where('d.id', 'in', ids)
    .orderBy('d.id')
    .execute();
  return found.map((r) => ({
    id: Number(r.id),
    attempts: Number(r.attempts),
    createdAt: Number(r.created_at),
    webhookName: r.webhook_name,
    accountId: Number(r.account_id),
    url: r.url,
    secretSealed: r.secret_sealed,
    notification: {
      id: Number(r.notification_id),
      type: r.type,
      at: Number(r.at),
      accountName: r.account_name,
      username: r.username,
      serial: r.serial,
      actor: r.actor,
      clientIp: r.client_ip,
    },
  }));
}

export interface AttemptResult {
  /** The HTTP status the receiver answered, or null when there was no answer. */
  status: number | null;
  /** Why it failed (no secret in it), or null when it was delivered. */
  error: string | null;
  /** When to try again; null: delivered, or given up (`failed`). */
  nextAttemptAt: number | null;
}

/** Records one attempt of a claimed delivery and releases the claim. */
export function recordDeliveryAttempt(db: Executor, id: number, now: number, result: AttemptResult): Promise<void> {
  return recordAttempt(db, 'webhook_deliveries', id, now, result, { last_status: result.status });
}

export interface DeliveryListing {
  id: number;
  webhook: string;
  type: string;
  at: number;
  status: DeliveryStatus;
  attempts: number;
  nextAttemptAt: number;
  lastStatus: number | null;
  lastError: string | null;
  deliveredAt: number | null;
}

/** The account's latest deliveries, newest first (of one webhook when named). */
export async function listDeliveries(db: Executor, accountId: number, webhookName: string | undefined, limit: number): Promise<DeliveryListing[]> {
  let query = db
    .selectFrom('webhook_deliveries as d')
    .innerJoin('webhooks as w', 'w.id', 'd.webhook_id')
    .innerJoin('notifications as n', 'n.id', 'd.notification_id')
    .select(['d.id', 'w.name', 'n.type', 'n.at', 'd.status', 'd.attempts', 'd.next_attempt_at', 'd.last_status', 'd.last_error', 'd.delivered_at'])
    .where('w.account_id', '=', accountId);
  if (webhookName !== undefined) query = query.where('w.name', '=', webhookName);
  const rows = await query.orderBy('d.id', 'desc').limit(limit).execute();
  return rows.map((r) => ({
    id: Number(r.id),
    webhook: r.name,
    type: r.type,
    at: Number(r.at),
    status: r.status,
    attempts: Number(r.attempts),
    nextAttemptAt: Number(r.next_attempt_at),
    lastStatus: r.last_status === null ? null : Number(r.last_status),
    lastError: r.last_error,
    deliveredAt: r.delivered_at === null ? null : Number(r.delivered_at),
  }));
}

/** Deliveries not yet delivered nor given up: of one account (the health panel), or of all (a metric). */
export async function countPendingDeliveries(db: Executor, accountId?: number): Promise<number> {
  let query = db.selectFrom('webhook_deliveries as d').select((eb) => eb.fn.countAll<number | string>().as('n')).where('d.status', '=', 'pending');
  if (accountId !== undefined) query = query.innerJoin('webhooks as w', 'w.id', 'd.webhook_id').where('w.account_id', '=', accountId);
  const row = await query.executeTakeFirst();
  return Number(row?.n ?? 0);
}

// ── E-mail ──────────────────────────────────────────────────────────────────────────────────────────────

const EMAIL_CURSOR = 'email_cursor';

/** A notification to be mailed, with the addresses it goes to. */
export interface NotificationToMail {
  id: number;
  type: string;
  /** The user concerned's address, if they have one. */
  userEmail: string | null;
  /** The account's administrators' addresses. */
  adminEmails: string[];
}

/**
 * Turns the notifications written since the last call into pending e-mails, one per recipient that
 * `recipientsOf` chooses, in one transaction that moves the cursor by compare-and-set (two instances doing it
 * at once: one wins, the other's transaction changes nothing). The first call only sets the cursor to the
 * latest notification: e-mail starts with the notifications written after SMTP was configured.
 */
export async function enqueueEmails(db: Kysely<Database>, now: number, limit: number, recipientsOf: (n: NotificationToMail) => string[]): Promise<number> {
  return inTransaction(db, async (trx) => {
    const cursor = await trx.selectFrom('meta').select('value').where('key', '=', EMAIL_CURSOR).executeTakeFirst();
    if (!cursor) {
      const latest = await trx.selectFrom('notifications').select((eb) => eb.fn.max('id').as('id')).executeTakeFirst();
      await trx.insertInto('meta').values({ key: EMAIL_CURSOR, value: String(Number(latest?.id ?? 0)) }).onConflict((oc) => oc.column('key').doNothing()).execute();
      return 0;
    }
    const after = Number(cursor.value);
    const rows = await trx
      .selectFrom('notifications as n')
      .leftJoin('users as u', (join) => join.onRef('u.account_id', '=', 'n.account_id').onRef('u.username_key', '=', 'n.username'))
      .select(['n.id', 'n.type', 'n.account_id', 'u.email'])
      .where('n.id', '>', after)
      .orderBy('n.id')
      .limit(limit)
      .execute();
    if (rows.length === 0) return 0;
    const admins = new Map<number, string[]>();
    let queued = 0;
    for (const row of rows) {
      const accountId = Number(row.account_id);
      if (!admins.has(accountId)) {
        const found = await trx.selectFrom('users').select('email').where('account_id', '=', accountId).where('role', '=', 'admin').where('email', 'is not', null).where('disabled_at', 'is', null).execute();
        admins.set(accountId, found.map((a) => a.email).filter((e): e is string => Boolean(e)));
      }
      const recipients = [...new Set(recipientsOf({ id: Number(row.id), type: row.type, userEmail: row.email ?? null, adminEmails: admins.get(accountId)! }))];
      for (const recipient of recipients) {
        await trx.insertInto('email_deliveries').values({ notification_id: Number(row.id), recipient, status: 'pending', attempts: 0, next_attempt_at: now, created_at: now }).execute();
        queued++;
      }
    }
    const moved = await trx.updateTable('meta').set({ value: String(Number(rows.at(-1)!.id)) }).where('key', '=', EMAIL_CURSOR).where('value', '=', cursor.value).executeTakeFirst();
    // Another instance moved the cursor first and queued these: undo ours.
    if (Number(moved.numUpdatedRows) !== 1) throw new CursorMoved();
    return queued;
  }).catch((error: unknown) => {
    if (error instanceof CursorMoved) return 0;
    throw error;
  });
}

class CursorMoved extends Error {}

/** A claimed e-mail with what writing it needs. */
export interface DueEmail {
  id: number;
  attempts: number;
  createdAt: number;
  recipient: string;
  notification: DueDelivery['notification'];
}

/** Claims up to `limit` due e-mails until `now + claimMs` (one worker per e-mail, as for webhooks). */
export async function claimDueEmails(db: Kysely<Database>, now: number, claimMs: number, limit: number): Promise<DueEmail[]> {
  const ids = await claimDue(db, 'email_deliveries', now, claimMs, limit);
  if (ids.length === 0) return [];
  const found = await db
    .selectFrom('email_deliveries as e')
    .innerJoin('notifications as n', 'n.id', 'e.notification_id')
    .select(['e.id', 'e.attempts', 'e.created_at', 'e.recipient', 'n.id as notification_id', 'n.type', 'n.at', 'n.account_name', 'n.username', 'n.serial', 'n.actor', 'n.client_ip'])
    .where('e.id', 'in', ids)
    .orderBy('e.id')
    .execute();
  return found.map((r) => ({
    id: Number(r.id),
    attempts: Number(r.attempts),
    createdAt: Number(r.created_at),
    recipient: r.recipient,
    notification: { id: Number(r.notification_id), type: r.type, at: Number(r.at), accountName: r.account_name, username: r.username, serial: r.serial, actor: r.actor, clientIp: r.client_ip },
  }));
}

/** Records one attempt of a claimed e-mail and releases the claim. */
export function recordEmailAttempt(db: Executor, id: number, now: number, result: { error: string | null; nextAttemptAt: number | null }): Promise<void> {
  return recordAttempt(db, 'email_deliveries', id, now, result);
}

/** The e-mails of one notification's recipients (tests, support). */
export function listEmailDeliveries(db: Executor, limit: number): Promise<{ id: number; recipient: string; status: DeliveryStatus; attempts: number; last_error: string | null }[]> {
  return db.selectFrom('email_deliveries').select(['id', 'recipient', 'status', 'attempts', 'last_error']).orderBy('id', 'desc').limit(limit).execute();
}

/** The account's latest e-mail that was tried (the health panel's "last send"); undefined when none was. */
export async function lastEmailAttempt(db: Executor, accountId: number): Promise<{ status: DeliveryStatus; attempts: number; lastError: string | null; deliveredAt: number | null; createdAt: number } | undefined> {
  const row = await db
    .selectFrom('email_deliveries as e')
    .innerJoin('notifications as n', 'n.id', 'e.notification_id')
    .select(['e.status', 'e.attempts', 'e.last_error', 'e.delivered_at', 'e.created_at'])
    .where('n.account_id', '=', accountId)
    .where('e.attempts', '>', 0)
    .orderBy('e.id', 'desc')
    .limit(1)
    .executeTakeFirst();
  return row && { status: row.status, attempts: Number(row.attempts), lastError: row.last_error, deliveredAt: row.delivered_at === null ? null : Number(row.delivered_at), createdAt: Number(row.created_at) };
}
