// What adapters show of an account's webhooks and their deliveries: never a signing secret. Each shape is a
// TypeBox schema (the API answers with it, services/views.ts says why); its TypeScript type derives from it.
import { Type, type Static } from '@sinclair/typebox';
import { NOTIFICATION_TYPES } from '../core/notifications.js';
import { oneOf } from './views.js';

const date = () => Type.String({ format: 'date-time' });
const nullable = <T extends ReturnType<typeof Type.String> | ReturnType<typeof Type.Integer>>(schema: T) => Type.Union([schema, Type.Null()]);

export const WebhookViewSchema = Type.Object(
  {
    name: Type.String(),
    url: Type.String(),
    events: Type.Union([Type.Literal('*'), Type.Array(oneOf(NOTIFICATION_TYPES))], { description: '"*" for every event' }),
    createdAt: date(),
  },
  { description: 'A webhook; never its signing secret' },
);
export type WebhookView = Static<typeof WebhookViewSchema>;

export const DeliveryViewSchema = Type.Object({
  id: Type.Integer(),
  webhook: Type.String(),
  type: Type.String(),
  occurredAt: date(),
  status: Type.Union([Type.Literal('pending'), Type.Literal('delivered'), Type.Literal('failed')]),
  attempts: Type.Integer(),
  nextAttemptAt: nullable(date()),
  lastStatus: nullable(Type.Integer()),
  lastError: nullable(Type.String()),
  deliveredAt: nullable(date()),
});
export type DeliveryView = Static<typeof DeliveryViewSchema>;
