// The account's webhooks: GET|POST /webhooks, DELETE /webhooks/{name}, GET /webhooks/deliveries. Admin scope.
import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { NOTIFICATION_TYPES } from '../../core/notifications.js';
import { oneOf } from '../../services/views.js';
import { actorOf } from '../../web/principal.js';
import { DeliveryList, ErrorResponse, WebhookAdded, WebhookList } from './schemas.js';
import { adminAccount } from './users.js';

const EventType = oneOf(NOTIFICATION_TYPES);
const Name = Type.String({ minLength: 1, maxLength: 100, description: '1-100 of A-Z a-z 0-9 . _ -' });

const WebhookBody = Type.Object(
  {
    name: Name,
    url: Type.String({ minLength: 1, maxLength: 2000, description: 'https:// (http:// and private addresses only where OTPGATE_WEBHOOK_ALLOW_PRIVATE=true)' }),
    events: Type.Optional(Type.Array(EventType, { maxItems: NOTIFICATION_TYPES.length, description: 'Left out: every event' })),
    signingSecret: Type.Optional(Type.String({ minLength: 16, maxLength: 200, writeOnly: true, description: 'Left out: one is generated and returned this once' })),
  },
  { additionalProperties: false },
);

const errors = { '4xx': ErrorResponse };

export function webhookRoutes(plain: FastifyInstance, _options: unknown, done: (error?: Error) => void): void {
  const app = plain.withTypeProvider<TypeBoxTypeProvider>();
  const { notifications } = app.otpgate;
  const tags = ['webhooks'];

  app.get('/webhooks', { schema: { summary: "The account's webhooks (never their secrets)", tags, response: { 200: WebhookList, ...errors } } }, async (request) => ({
    webhooks: await notifications.listWebhooks(await adminAccount(app, request)),
  }));

  app.post(
    '/webhooks',
    {
      schema: {
        summary: 'Add a webhook; the answer holds its signing secret, shown this once',
        tags,
        body: WebhookBody,
        response: { 201: WebhookAdded, ...errors },
      },
    },
    async (request, reply) => {
      const { signingSecret, ...rest } = request.body;
      const added = await notifications.addWebhook(actorOf(request), await adminAccount(app, request), { ...rest, ...(signingSecret !== undefined ? { secret: signingSecret } : {}) });
      return reply.status(201).send({ webhook: added.webhook, signingSecret: added.secret });
    },
  );

  app.delete('/webhooks/:name', { schema: { summary: 'Remove a webhook (its pending deliveries are dropped)', tags, params: Type.Object({ name: Name }), response: { 204: Type.Null(), ...errors } } }, async (request, reply) => {
    await notifications.removeWebhook(actorOf(request), await adminAccount(app, request), request.params.name);
    return reply.status(204).send(null);
  });

  app.get(
    '/webhooks/deliveries',
    {
      schema: {
        summary: 'The latest deliveries, newest first: status, attempts, last error',
        tags,
        querystring: Type.Object({ webhook: Type.Optional(Name), limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000 })) }, { additionalProperties: false }),
        response: { 200: DeliveryList, ...errors },
      },
    },
    async (request) => ({ deliveries: await notifications.deliveries(await adminAccount(app, request), request.query.webhook, request.query.limit ?? 100) }),
  );
  done();
}
