// The process's metrics in the Prometheus text format (prom-client), for GET /metrics: sign-ins by channel
// and result with the check's latency, imported tokens, requests that found the database unavailable, and,
// read from the database at each scrape, locked tokens and pending webhook deliveries. Counters count what
// this process did (each instance is scraped on its own); the two gauges are the installation's.
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { countPendingDeliveries } from '../store/notification-store.js';
import { countLockedTokens } from '../store/token-store.js';
import type { ServiceContext } from './context.js';

export const SIGN_IN_CHANNELS = ['api', 'console', 'radius', 'cli', 'oidc'] as const;
export type SignInChannel = (typeof SIGN_IN_CHANNELS)[number];

export class Metrics {
  readonly registry = new Registry();
  readonly #signIns: Counter<'channel' | 'result'>;
  readonly #checkSeconds: Histogram<'channel'>;
  readonly #imported: Counter;
  readonly #databaseErrors: Counter;
  readonly #oidc: Counter<'client' | 'event' | 'result'>;

  constructor(ctx: ServiceContext) {
    const registers = [this.registry];
    this.#signIns = new Counter({ name: 'otpgate_signins_total', help: 'Sign-in checks by channel and result (error: nothing was decided, e.g. the database was unavailable)', labelNames: ['channel', 'result'], registers });
    this.#checkSeconds = new Histogram({
      name: 'otpgate_signin_check_seconds',
      help: 'Time to decide a sign-in check, including its durable audit write',
      labelNames: ['channel'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers,
    });
    this.#imported = new Counter({ name: 'otpgate_imported_tokens_total', help: 'Tokens imported from seed files', registers });
    this.#oidc = new Counter({ name: 'otpgate_oidc_total', help: 'OpenID Provider sign-ins and tokens by client, event (signin, token) and result', labelNames: ['client', 'event', 'result'], registers });
    this.#databaseErrors = new Counter({ name: 'otpgate_database_errors_total', help: 'Requests that failed because the database could not be reached (answered 503)', registers });
    new Gauge({
      name: 'otpgate_tokens_locked',
      help: 'Tokens locked by failed passcodes, all accounts',
      registers,
      async collect() {
        this.set(await countLockedTokens(ctx.db));
      },
    });
    new Gauge({
      name: 'otpgate_webhook_deliveries_pending',
      help: 'Webhook deliveries not yet delivered nor given up, all accounts',
      registers,
      async collect() {
        this.set(await countPendingDeliveries(ctx.db));
      },
    });
  }

  signInChecked(channel: SignInChannel, result: string, seconds: number): void {
    this.#signIns.inc({ channel, result });
    this.#checkSeconds.observe({ channel }, seconds);
  }

  tokensImported(count: number): void {
    if (count > 0) this.#imported.inc(count);
  }

  oidcCounted(client: string, event: 'signin' | 'token', result: string): void {
    this.#oidc.inc({ client, event, result });
  }

  databaseUnavailable(): void {
    this.#databaseErrors.inc();
  }

  /** The text exposition format and its content type. */
  async scrape(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }
}
