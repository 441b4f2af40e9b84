// GET /audit: the audit log, newest first, paged; GET /audit/export: all of it, as a file. Admin scope; own account only.
import { once } from 'node:events';
import { PassThrough } from 'node:stream';
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { ServiceError } from '../../services/errors.js';
import { AuditPage, ErrorResponse } from './schemas.js';
import { adminAccount } from './users.js';

function time(text: string | undefined, field: string): number | undefined {
  if (text === undefined) return undefined;
  const ms = Date.parse(text);
  if (Number.isNaN(ms)) throw new ServiceError('invalid_request', `${field} must be an ISO 8601 date or time`, { field });
  return ms;
}

export async function auditRoutes(plain: FastifyInstance): Promise<void> {
  const app = plain.withTypeProvider<TypeBoxTypeProvider>();
  app.get(
    '/audit',
    {
      schema: {
        summary: 'Audit events, newest first',
        description: 'Page with `before`: pass the `nextBefore` of the previous page.',
        tags: ['audit'],
        querystring: Type.Object({
          user: Type.Optional(Type.String({ maxLength: 64 })),
          from: Type.Optional(Type.String({ description: 'ISO 8601, inclusive' })),
          to: Type.Optional(Type.String({ description: 'ISO 8601, exclusive' })),
          outcome: Type.Optional(Type.String({ maxLength: 32 })),
          action: Type.Optional(Type.String({ maxLength: 64, description: 'Only events of this action (signin, token.associate, …)' })),
          serial: Type.Optional(Type.String({ maxLength: 64, description: 'Only events naming this token' })),
          limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: 100 })),
          before: Type.Optional(Type.Integer({ minimum: 1 })),
        }),
        response: { 200: AuditPage, '4xx': ErrorResponse },
      },
    },
    async (request) => {
      const account = await adminAccount(app, request);
      const q = request.query;
      const from = time(q.from, 'from');
      const to = time(q.to, 'to');
      const limit = q.limit ?? 100;
      const events = await app.otpgate.audit.list({
        accountId: account.id,
        ...(q.user ? { username: q.user } : {}),
        ...(from !== undefined ? { from } : {}),
        ...(to !== undefined ? { to } : {}),
        ...(q.outcome ? { outcome: q.outcome } : {}),
        ...(q.action ? { action: q.action } : {}),
        ...(q.serial ? { serial: q.serial.trim() } : {}),
        ...(q.before !== undefined ? { before: q.before } : {}),
        limit,
      });
      const last = events[events.length - 1];
      return { events, nextBefore: events.length === limit && last ? last.id : null };
    },
  );
}

/** GET /audit/export: every matching event of the account, oldest first, streamed as CSV or JSON Lines. */
export async function auditExportRoutes(plain: FastifyInstance): Promise<void> {
  const app = plain.withTypeProvider<TypeBoxTypeProvider>();
  app.get(
    '/audit/export',
    {
      schema: {
        summary: "Export the account's audit events (oldest first) as CSV or JSON Lines",
        tags: ['audit'],
        querystring: Type.Object(
          {
            format: Type.Union([Type.Literal('csv'), Type.Literal('jsonl')]),
            user: Type.Optional(Type.String({ maxLength: 64 })),
            from: Type.Optional(Type.String({ description: 'ISO 8601, inclusive' })),
            to: Type.Optional(Type.String({ description: 'ISO 8601, exclusive' })),
            outcome: Type.Optional(Type.String({ maxLength: 32 })),
            action: Type.Optional(Type.String({ maxLength: 64, description: 'Only events of this action (signin, token.associate, …)' })),
            serial: Type.Optional(Type.String({ maxLength: 64, description: 'Only events naming this token' })),
          },
          { additionalProperties: false },
        ),
        description: 'The answer is text/csv (a header line, then one line per event) or application/x-ndjson (one event object per line).',
        response: { '4xx': ErrorResponse },
      },
    },
    async (request, reply) => {
      const account = await adminAccount(app, request);
      const q = request.query;
      const from = time(q.from, 'from');
      const to = time(q.to, 'to');
      const body = new PassThrough();
      // Pages are written as the client reads them (back-pressure), so a large log is never held in memory.
      void app.otpgate.audit
        .export({ accountId: account.id, ...(q.user ? { username: q.user } : {}), ...(from !== undefined ? { from } : {}), ...(to !== undefined ? { to } : {}), ...(q.outcome ? { outcome: q.outcome } : {}), ...(q.action ? { action: q.action } : {}), ...(q.serial ? { serial: q.serial.trim() } : {}) }, q.format, async (chunk) => {
          if (!body.write(chunk)) await once(body, 'drain');
        })
        .then(
          () => body.end(),
          (error: unknown) => {
            request.log.error({ err: error }, 'audit export failed midway');
            body.destroy(error instanceof Error ? error : new Error(String(error)));
          },
        );
      // The body is a stream, not one of the schema's JSON answers (those are for errors here).
      return (reply as FastifyReply)
        .type(q.format === 'csv' ? 'text/csv; charset=utf-8' : 'application/x-ndjson; charset=utf-8')
        .header('content-disposition', `attachment; filename="audit-${account.name}.${q.format}"`)
        .send(body);
    },
  );
}
