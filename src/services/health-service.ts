// Whether the database can be reached, and an outage logged once when it starts and once when it ends
// instead of a stack trace per request: while the database is away every request fails the same way.
import { isDatabaseUnavailable } from '../store/database-errors.js';
import { countSignInsByOutcome } from '../store/audit-log.js';
import { pingDatabase } from '../store/meta-store.js';
import { countPendingDeliveries } from '../store/notification-store.js';
import { countReportedLost, countTokensByStatus } from '../store/token-store.js';
import type { Account, ServiceContext } from './context.js';
import type { Metrics } from './metrics.js';

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
