// What adapters show of the audit log: one event, and a token's history. Each shape is a
// TypeBox schema (the API answers with it, services/views.ts says why); its TypeScript type derives from it.
import { Type, type Static } from '@sinclair/typebox';
import type { AuditEventRow } from '../store/schema.js';
import { isoTime } from './views.js';

const nullableString = () => Type.Union([Type.String(), Type.Null()]);

export const AuditEventViewSchema = Type.Object(
  {
    id: Type.Integer(),
    at: Type.String({ format: 'date-time' }),
    actor: Type.String(),
    action: Type.String(),
    user: nullableString(),
    serial: nullableString(),
    clientIp: nullableString(),
    outcome: Type.String(),
    reason: nullableString(),
  },
  { description: 'One audit event; never a passcode, password or seed' },
);
export type AuditEventView = Static<typeof AuditEventViewSchema>;

/** A token's history: its import time and the audit events that name it, newest first. */
export const TokenHistorySchema = Type.Object({
  serial: Type.String(),
  importedAt: Type.String({ format: 'date-time' }),
  events: Type.Array(AuditEventViewSchema),
  nextBefore: Type.Union([Type.Integer(), Type.Null()], { description: 'Where the next page starts (pass it as `before`), or null on the last page' }),
});
export type TokenHistory = Static<typeof TokenHistorySchema>;

export function toAuditView(row: AuditEventRow): AuditEventView {
  return {
    id: Number(row.id),
    at: isoTime(row.at),
    actor: row.actor,
    action: row.action,
    user: row.target_user,
    serial: row.target_serial,
    clientIp: row.client_ip,
    outcome: row.outcome,
    reason: row.reason,
  };
}
