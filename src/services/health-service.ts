// Whether the database can be reached, and an outage logged once when it starts and once when it ends
// instead of a stack trace per request: while the database is away every request fails the same way.
import { describeDelivery } from '../core/notifications.js';
import { isDatabaseUnavailable } from '../store/database-errors.js';
import { countSignInsByOutcome } from '../store/audit-log.js';
import { knownMigrations } from '../store/database.js';
import { databaseEngine, newestMigration, pingDatabase } from '../store/meta-store.js';
import { countPendingDeliveries, lastEmailAttempt } from '../store/notification-store.js';
import { countReportedLost, countTokensByStatus } from '../store/token-store.js';
import type { Account, ServiceContext } from './context.js';
import type { Metrics } from './metrics.js';
import { isoTime } from './views.js';

/** E-mail, as the health panel shows it: whether SMTP is set up and how the latest e-mail went, in words. */
export interface MailStatus {
  configured: boolean;
  /** The sender address (OTPGATE_MAIL_FROM); null when not configured. */
  from: string | null;
  /** The latest e-mail tried for the account: its result in words and when; null when none was. */
  last: { result: string; ok: boolean; at: string } | null;
}

/** The database, as the health panel shows it. */
export interface DatabaseStatus {
  engine: 'SQLite' | 'PostgreSQL';
  reachable: boolean;
  /** The newest migration applied (e.g. `0015-help-contact`); null when it could not be read. */
  migration: string | null;
  /** The newest migration this version of otpgate knows. */
  latestKnown: string | null;
  upToDate: boolean;
}

export { isDatabaseUnavailable };

/** The part of a logger (pino's, Fastify's) the outage log writes to. */
export interface OutageLogger {
  error(object: object, message: string): void;
  info(object: object, message: string): void;
}

/** During an outage, how often a request that did not fail may trigger a probe of the database. */
const PROBE_INTERVAL_MS = 1000;

export class HealthService {
  #outageSince: number | null = null;
  #failedRequests = 0;
  #lastProbe = 0;
  #probing = false;

  constructor(
    private readonly ctx: ServiceContext,
    private readonly metrics?: Metrics,
  ) {}

  get outage(): boolean {
    return this.#outageSince !== null;
  }

  /** The console's health panel for one account: sign-ins by result in the last hour, locked tokens, pending deliveries. */
  async summary(account: Account): Promise<{ signInsLastHour: Record<string, number>; lockedTokens: number; reportedLostTokens: number; pendingDeliveries: number }> {
    const [signInsLastHour, byStatus, reportedLostTokens, pendingDeliveries] = await Promise.all([
      countSignInsByOutcome(this.ctx.db, account.id, this.ctx.now() - 60 * 60 * 1000),
      countTokensByStatus(this.ctx.db, account.id),
      countReportedLost(this.ctx.db, account.id),
      countPendingDeliveries(this.ctx.db, account.id),
    ]);
    return { signInsLastHour, lockedTokens: byStatus.locked ?? 0, reportedLostTokens, pendingDeliveries };
  }

  /** The health panel's e-mail tile: SMTP configured or not, and the account's latest e-mail's result. */
  async mail(account: Account): Promise<MailStatus> {
    const settings = this.ctx.notify.mail;
    const last = await lastEmailAttempt(this.ctx.db, account.id);
    return {
      configured: settings !== undefined,
      from: settings?.from ?? null,
      last: last ? { result: describeDelivery({ status: last.status, attempts: last.attempts, lastStatus: null, lastError: last.lastError }), ok: last.status === 'delivered', at: isoTime(last.deliveredAt ?? last.createdAt) } : null,
    };
  }

  /** The health panel's database tile: engine, whether it answers, and the schema's migration against this version's. */
  async database(): Promise<DatabaseStatus> {
    const known = await knownMigrations();
    const latestKnown = known.at(-1) ?? null;
    const engine = databaseEngine(this.ctx.db) === 'postgres' ? 'PostgreSQL' : 'SQLite';
    try {
      const migration = await newestMigration(this.ctx.db);
      return { engine, reachable: true, migration, latestKnown, upToDate: migration === latestKnown };
    } catch (error) {
      if (!isDatabaseUnavailable(error)) throw error;
      return { engine, reachable: false, migration: null, latestKnown, upToDate: false };
    }
  }

  /** /healthz: true when the database answers. Its outcome starts or ends an outage like any request's. */
  async check(log: OutageLogger): Promise<boolean> {
    try {
      await pingDatabase(this.ctx.db);
    } catch (error) {
      this.failed(log, error);
      return false;
    }
    this.#recovered(log);
    return true;
  }

  /** A request failed because the database is unavailable: the first such failure starts the outage. */
  failed(log: OutageLogger, error: unknown): void {
    this.#failedRequests++;
    this.metrics?.databaseUnavailable();
    if (this.#outageSince !== null) return;
    this.#outageSince = this.ctx.now();
    log.error({ err: error }, 'database unavailable: answering 503 until it is reachable again');
  }

  /**
   * A request ended without a database failure. During an outage that may only mean it never needed the
   * database, so the database is probed (at most once a second) before the outage is declared over.
   */
  settled(log: OutageLogger): void {
    if (this.#outageSince === null || this.#probing || this.ctx.now() - this.#lastProbe < PROBE_INTERVAL_MS) return;
    this.#probing = true;
    this.#lastProbe = this.ctx.now();
    void pingDatabase(this.ctx.db).then(
      () => this.#recovered(log),
      () => undefined,
    ).finally(() => (this.#probing = false));
  }

  #recovered(log: OutageLogger): void {
    if (this.#outageSince === null) return;
    log.info({ outageMs: this.ctx.now() - this.#outageSince, failedRequests: this.#failedRequests }, 'database reachable again');
    this.#outageSince = null;
    this.#failedRequests = 0;
  }
}
