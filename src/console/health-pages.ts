// /admin/health: the account's health panel (sign-ins by result in the last hour, locked tokens, pending
// webhook deliveries, e-mail and the database, each in words from HealthService), its webhooks with their latest deliveries, and the forms that add a webhook (its
// signing secret shown once) and remove one (after a confirmation).
import type { FastifyInstance, FastifyReply } from 'fastify';
import { describeSignIn } from '../core/audit-reasons.js';
import { describeDelivery, NOTIFICATION_TYPES } from '../core/notifications.js';
import { SIGN_IN_RESULTS } from '../core/sign-in-decision.js';
import type { Account } from '../services/context.js';
import { adminOf } from './admin-guard.js';
import { field, fields, formError, formOf } from './forms.js';
import { renderPage, seeOther } from './render.js';

interface WebhookForm {
  name: string;
  url: string;
  events: string[];
}

export async function healthPages(app: FastifyInstance): Promise<void> {
  const { health, notifications } = app.otpgate;

  async function healthPage(reply: FastifyReply, account: Account, form: WebhookForm, error: string | null, fieldErrors: Record<string, string>, status = 200) {
    const [summary, webhooks, deliveries, mail, database] = await Promise.all([
      health.summary(account),
      notifications.listWebhooks(account),
      notifications.deliveries(account, undefined, 20),
      health.mail(account),
      health.database(),
    ]);
    // Every result, in the order sign-in results are listed, with 0 where none happened; `error` last.
    const results = [...SIGN_IN_RESULTS, 'error'].map((result) => ({
      result,
      text: result === 'error' ? 'Not decided: an error occurred' : describeSignIn(result, null).result,
      count: summary.signInsLastHour[result] ?? 0,
    }));
    return renderPage(
      reply,
      './health',
      { title: 'Health', results, lockedTokens: summary.lockedTokens, reportedLostTokens: summary.reportedLostTokens, pendingDeliveries: summary.pendingDeliveries, mail, database, webhooks, deliveries, describeDelivery, eventTypes: NOTIFICATION_TYPES, form, error, fieldErrors },
      status,
    );
  }

  app.get('/health', async (request, reply) => healthPage(reply, adminOf(request).account, { name: '', url: '', events: [] }, null, {}));

  app.post('/health/webhooks', async (request, reply) => {
    const { account, actor } = adminOf(request);
    const body = formOf(request);
    const form: WebhookForm = { name: field(body, 'name').trim(), url: field(body, 'url').trim(), events: fields(body, 'events') };
    try {
      const added = await notifications.addWebhook(actor, account, { name: form.name, url: form.url, events: form.events });
      return renderPage(reply, './webhook-added', { title: 'Webhook added', webhook: added.webhook, secret: added.secret });
    } catch (error) {
      const { message, fieldErrors } = formError(error);
      return healthPage(reply, account, form, message, fieldErrors, 400);
    }
  });

  app.get<{ Params: { name: string } }>('/health/webhooks/:name/remove', async (request, reply) => {
    const { account } = adminOf(request);
    const webhook = (await notifications.listWebhooks(account)).find((w) => w.name === request.params.name);
    if (!webhook) return seeOther(reply, '/admin/health');
    return renderPage(reply, './webhook-remove', { title: 'Remove webhook', webhook });
  });

  app.post<{ Params: { name: string } }>('/health/webhooks/:name/remove', async (request, reply) => {
    const { account, actor } = adminOf(request);
    await notifications.removeWebhook(actor, account, request.params.name);
    return seeOther(reply, '/admin/health?done=webhook_removed');
  });
}
