// Webhooks: adding, listing and removing them, their deliveries, and the delivery round the workers of
// `serve` run. A notification is written with its audit event (store/audit-log.ts); here it is sent, after
// that commit, never in a sign-in's path.
import { randomBytes } from 'node:crypto';
import {
  isNotificationType,
  NOTIFICATION_TYPES,
  mailOf,
  mailRecipients,
  nextAttemptAt,
  parseStoredEventFilter,
  signatureHeader,
  storedEventFilter,
  type EventFilter,
  type NotificationType,
} from '../core/notifications.js';
import { MailSender } from '../notify/mail-sender.js';
import { checkWebhookHost, sendWebhook, type SendResult } from '../notify/webhook-sender.js';
import {
  claimDueDeliveries,
  claimDueEmails,
  deleteWebhook,
  enqueueEmails,
  insertWebhook,
  listDeliveries,
  listWebhooks,
  notificationReachesAdmins,
  recordDeliveryAttempt,
  recordEmailAttempt,
  type DueDelivery,
  type DueEmail,
} from '../store/notification-store.js';
import type { DeliveryStatus, WebhookRow } from '../store/schema.js';
import type { AuditService } from './audit-service.js';
import type { Account, Actor, NotificationSettings, ServiceContext } from './context.js';
import { ServiceError } from './errors.js';
import { openWebhookSecret, sealWebhookSecret } from './sealed-secrets.js';
import { isoTime } from './views.js';
import type { DeliveryView, WebhookView } from './notification-view.js';

const NAME = /^[A-Za-z0-9._-]{1,100}$/;
/** A given secret must be long enough that a signature cannot be forged by guessing it. */
export const MIN_WEBHOOK_SECRET_LENGTH = 16;
const MAX_WEBHOOK_SECRET_LENGTH = 200;
/** Deliveries one worker round claims; each is sent at once, in parallel. */
const CLAIM_BATCH = 20;
/** A claim outlives the attempt's timeout, so no other worker sends the same delivery meanwhile. */
const CLAIM_MS = 30_000;

/** The operator's notification settings live in context.ts (every service's context carries them). */
export type { NotificationSettings } from './context.js';

export type { DeliveryView, WebhookView };

/** The JSON a receiver gets (docs/webhooks.md). */
export interface NotificationBody {
  id: string;
  type: string;
  occurredAt: string;
  account: string;
  user: string | null;
  serial: string | null;
  actor: string;
  clientIp: string | null;
}

function toView(row: WebhookRow): WebhookView {
  const events = parseStoredEventFilter(row.events);
  return { name: row.name, url: row.url, events: events === '*' ? '*' : [...events], createdAt: isoTime(row.created_at) };
}

function invalid(message: string, field: string): ServiceError {
  return new ServiceError('invalid_webhook', message, { field });
}

/** The URL's own problems: scheme, credentials, https unless private targets are allowed. */
function checkUrl(text: string, allowPrivate: boolean): URL {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw invalid(`"${text.slice(0, 100)}" is not a URL`, 'url');
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw invalid('a webhook URL must be https:// (or http:// where OTPGATE_WEBHOOK_ALLOW_PRIVATE=true)', 'url');
  if (url.protocol === 'http:' && !allowPrivate) throw invalid('a webhook URL must be https:// (plain http:// only where OTPGATE_WEBHOOK_ALLOW_PRIVATE=true)', 'url');
  if (url.username || url.password) throw invalid('a webhook URL must not carry a user name or password: the signature authenticates otpgate', 'url');
  if (text.length > 2000) throw invalid('a webhook URL must be at most 2000 characters', 'url');
  return url;
}

function parseEvents(events: readonly string[] | undefined): EventFilter {
  if (events === undefined || events.length === 0 || (events.length === 1 && events[0] === '*')) return '*';
  const unknown = events.filter((e) => !isNotificationType(e));
  if (unknown.length > 0) throw invalid(`unknown event ${unknown.map((e) => `"${e.slice(0, 64)}"`).join(', ')}; the events are ${NOTIFICATION_TYPES.join(', ')}`, 'events');
  return events as NotificationType[];
}

/** The body of a notification, the same on every attempt. */
export function notificationBody(delivery: DueDelivery): string {
  const n = delivery.notification;
  const body: NotificationBody = {
    id: `ntf_${n.id}`,
    type: n.type,
    occurredAt: isoTime(n.at),
    account: n.accountName,
    user: n.username,
    serial: n.serial,
    actor: n.actor,
    clientIp: n.clientIp,
  };
  return JSON.stringify(body);
}

export interface DeliveryRound {
  claimed: number;
  delivered: number;
  failed: number;
}

export class NotificationService {
  readonly #mail: MailSender | null;

  constructor(
    private readonly ctx: ServiceContext,
    private readonly audit: AuditService,
    private readonly settings: NotificationSettings,
  ) {
    this.#mail = settings.mail ? new MailSender(settings.mail) : null;
  }

  /** Closes the SMTP connections (at shutdown). */
  close(): void {
    this.#mail?.close();
  }

  /**
   * Adds a webhook. Without `secret` one is generated; either way the secret is returned this once (it is
   * stored sealed, for signing). The URL's host must resolve to public addresses unless the installation
   * allows private ones.
   */
  async addWebhook(actor: Actor, account: Account, input: { name: string; url: string; events?: readonly string[]; secret?: string }): Promise<{ webhook: WebhookView; secret: string }> {
    if (!NAME.test(input.name)) throw invalid('a webhook name is 1-100 of A-Z a-z 0-9 . _ -', 'name');
    const url = checkUrl(input.url, this.settings.allowPrivate);
    const events = parseEvents(input.events);
    const secret = input.secret ?? `whsec_${randomBytes(32).toString('hex')}`;
    if (secret.length < MIN_WEBHOOK_SECRET_LENGTH || secret.length > MAX_WEBHOOK_SECRET_LENGTH) {
      throw invalid(`a webhook secret is ${MIN_WEBHOOK_SECRET_LENGTH}-${MAX_WEBHOOK_SECRET_LENGTH} characters`, 'secret');
    }
    try {
      await checkWebhookHost(url.hostname, this.settings.allowPrivate);
    } catch (error) {
      throw invalid(`the webhook's host cannot be used: ${error instanceof Error ? error.message : String(error)}`, 'url');
    }
    const now = this.ctx.now();
    const added = await insertWebhook(this.ctx.db, {
      accountId: account.id,
      name: input.name,
      url: url.href,
      events: storedEventFilter(events),
      secretSealed: sealWebhookSecret(this.ctx.masterKey, account.id, input.name, Buffer.from(secret, 'utf8')),
      createdAt: now,
    });
    if (!added) throw new ServiceError('webhook_exists', `the account has a webhook named ${input.name} already`);
    await this.audit.record(actor, { action: 'webhook.add', outcome: 'success', accountId: account.id, reason: `${input.name}: ${url.origin}, ${events === '*' ? 'all events' : events.join(',')}` });
    return { webhook: { name: input.name, url: url.href, events: events === '*' ? '*' : [...events], createdAt: isoTime(now) }, secret };
  }

  /** Whether a lost-token report reaches an administrator (a webhook, or e-mail to one): only then is the user promised it. */
  async lostReportReachesAdmins(account: Account): Promise<boolean> {
    return notificationReachesAdmins(this.ctx.db, account.id, 'token.lost_reported', this.#mail !== null);
  }

  async listWebhooks(account: Account): Promise<WebhookView[]> {
    return (await listWebhooks(this.ctx.db, account.id)).map(toView);
  }

  async removeWebhook(actor: Actor, account: Account, name: string): Promise<void> {
    if (!(await deleteWebhook(this.ctx.db, account.id, name))) throw new ServiceError('webhook_not_found', `no webhook named ${name.slice(0, 100)} in the account`);
    await this.audit.record(actor, { action: 'webhook.remove', outcome: 'success', accountId: account.id, reason: name });
  }

  async deliveries(account: Account, webhookName?: string, limit = 100): Promise<DeliveryView[]> {
    if (webhookName !== undefined && !(await listWebhooks(this.ctx.db, account.id)).some((w) => w.name === webhookName)) {
      throw new ServiceError('webhook_not_found', `no webhook named ${webhookName.slice(0, 100)} in the account`);
    }
    return (await listDeliveries(this.ctx.db, account.id, webhookName, limit)).map((d) => ({
      id: d.id,
      webhook: d.webhook,
      type: d.type,
      occurredAt: isoTime(d.at),
      status: d.status,
      attempts: d.attempts,
      nextAttemptAt: d.status === 'pending' ? isoTime(d.nextAttemptAt) : null,
      lastStatus: d.lastStatus,
      lastError: d.lastError,
      deliveredAt: isoTime(d.deliveredAt),
    }));
  }

  /**
   * One worker round: claims the due deliveries (no other worker, here or in another instance, gets the
   * same ones), sends them in parallel, and records each attempt: delivered, to be retried after a growing
   * wait, or failed once 24 hours have passed since the event.
   */
  async deliverDue(): Promise<DeliveryRound> {
    const claimed = await claimDueDeliveries(this.ctx.db, this.ctx.now(), CLAIM_MS, CLAIM_BATCH);
    const results = await Promise.all(claimed.map((delivery) => this.attempt(delivery)));
    const mailed = await this.mailDue();
    const all = [...results, ...mailed];
    return { claimed: all.length, delivered: all.filter((r) => r === 'delivered').length, failed: all.filter((r) => r === 'failed').length };
  }

  /**
   * With SMTP configured: queues an e-mail per recipient for the notifications written since the last round
   * (the user concerned; the administrators too for a lost token or a lock-out), then sends the due ones.
   */
  private async mailDue(): Promise<DeliveryStatus[]> {
    const mail = this.#mail;
    if (mail === null) return [];
    await enqueueEmails(this.ctx.db, this.ctx.now(), 100, (n) => mailRecipients(n.type, n.userEmail, n.adminEmails));
    const claimed = await claimDueEmails(this.ctx.db, this.ctx.now(), CLAIM_MS, CLAIM_BATCH);
    return Promise.all(claimed.map((email) => this.mailOne(mail, email)));
  }

  private async mailOne(mail: MailSender, email: DueEmail): Promise<DeliveryStatus> {
    const n = email.notification;
    const { subject, text } = mailOf({ type: n.type, occurredAt: isoTime(n.at), account: n.accountName, user: n.username, serial: n.serial, clientIp: n.clientIp });
    const { error } = await mail.send(email.recipient, subject, text);
    const now = this.ctx.now();
    const next = error === null ? null : nextAttemptAt(email.createdAt, email.attempts + 1, now, this.settings.firstRetryMs);
    await recordEmailAttempt(this.ctx.db, email.id, now, { error, nextAttemptAt: next });
    return error === null ? 'delivered' : next === null ? 'failed' : 'pending';
  }

  private async attempt(delivery: DueDelivery): Promise<DeliveryStatus> {
    let result: SendResult;
    try {
      const secret = openWebhookSecret(this.ctx.masterKey, delivery.accountId, delivery.webhookName, delivery.secretSealed);
      const body = notificationBody(delivery);
      const signature = signatureHeader(secret, Math.floor(this.ctx.now() / 1000), body);
      result = await sendWebhook(delivery.url, body, { 'otpgate-signature': signature, 'otpgate-event': delivery.notification.type }, this.settings.allowPrivate);
    } catch (error) {
      result = { status: null, error: error instanceof Error ? error.message : String(error) };
    }
    const now = this.ctx.now();
    const next = result.error === null ? null : nextAttemptAt(delivery.createdAt, delivery.attempts + 1, now, this.settings.firstRetryMs);
    await recordDeliveryAttempt(this.ctx.db, delivery.id, now, { ...result, nextAttemptAt: next });
    return result.error === null ? 'delivered' : next === null ? 'failed' : 'pending';
  }
}
