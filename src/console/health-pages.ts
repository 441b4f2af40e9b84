// /admin/health: the account's health panel (sign-ins by result in the last hour, locked tokens, pending
// webhook deliveries) with its webhooks and their latest deliveries. Read-only: webhooks are added and
// removed through the API or the command line.
import type { FastifyInstance } from 'fastify';
import { SIGN_IN_RESULTS } from '../core/sign-in-decision.js';
import { adminOf } from './admin-guard.js';
import { renderPage } from './render.js';

export async function healthPages(app: FastifyInstance): Promise<void> {
  const { health, notifications } = app.otpgate;

  app.get('/health', async (_request, reply) => {
    const { account } = adminOf(_request);
    const [summary, webhooks, deliveries] = await Promise.all([health.summary(account), notifications.listWebhooks(account), notifications.deliveries(account, undefined, 20)]);
    // Every result, in the order sign-in results are listed, with 0 where none happened; `error` last.
    const results = [...SIGN_IN_RESULTS, 'error'].map((result) => ({ result, count: summary.signInsLastHour[result] ?? 0 }));
    return renderPage(reply, './health', { title: 'Health', results, lockedTokens: summary.lockedTokens, pendingDeliveries: summary.pendingDeliveries, webhooks, deliveries });
  });
}
