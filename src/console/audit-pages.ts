// /admin/audit: the account's audit log, newest first, filtered by user, token, action, dates and outcome,
// 100 a page; /admin/audit/export: every event the same filters match, as the API's export writes it (CSV or
// JSON Lines). An administrator reads the whole log; the help desk the events naming the account's users
// and tokens (AuditService.scopeOf decides).
import { once } from 'node:events';
import { PassThrough } from 'node:stream';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { SIGN_IN_RESULTS } from '../core/sign-in-decision.js';
import { OPERATION_OUTCOMES } from '../core/values.js';
import { AUDIT_ACTIONS, describeAuditAction, describeAuditOutcome, describeAuditReason } from '../core/audit-reasons.js';
import type { AuditQuery } from '../services/audit-service.js';
import { adminOf } from './admin-guard.js';
import { renderNotFound } from './message-pages.js';
import { formatSeconds, renderPage, sessionPrincipal } from './render.js';

const PAGE_SIZE = 100;
const OUTCOMES: readonly string[] = [...SIGN_IN_RESULTS, ...OPERATION_OUTCOMES];
const DAY_MS = 24 * 60 * 60 * 1000;
const FILTER_NAMES = ['user', 'serial', 'action', 'from', 'to', 'outcome'] as const;
type Filters = Record<(typeof FILTER_NAMES)[number], string>;

/** A YYYY-MM-DD date as UTC midnight in epoch ms; undefined for '' and null for anything else. */
function parseDate(text: string): number | undefined | null {
  if (text === '') return undefined;
  if (!/^\d{4}-\d{2}-\d{2}$/.test(text)) return null;
  const ms = Date.parse(`${text}T00:00:00Z`);
  return Number.isNaN(ms) ? null : ms;
}

/** The filters as given (kept in the form and the links), the query they make, and what is wrong with them. */
function readFilters(request: FastifyRequest): { filters: Filters; query: Omit<AuditQuery, 'accountId' | 'before' | 'limit'>; fieldErrors: Record<string, string> } {
  const raw = request.query as Record<string, unknown>;
  const text = (name: string, max: number) => (typeof raw[name] === 'string' ? raw[name].slice(0, max) : '');
  const filters: Filters = { user: text('user', 64).trim(), serial: text('serial', 64).trim(), action: text('action', 64), from: text('from', 10), to: text('to', 10), outcome: text('outcome', 32) };
  const fieldErrors: Record<string, string> = {};
  const from = parseDate(filters.from);
  const to = parseDate(filters.to);
  if (from === null) fieldErrors.from = 'Enter a date as YYYY-MM-DD.';
  if (to === null) fieldErrors.to = 'Enter a date as YYYY-MM-DD.';
  const query = {
    ...(filters.user ? { username: filters.user } : {}),
    ...(filters.serial ? { serial: filters.serial } : {}),
    ...(AUDIT_ACTIONS.includes(filters.action) ? { action: filters.action } : {}),
    ...(from != null ? { from } : {}),
    ...(to != null ? { to: to + DAY_MS } : {}),
    ...(OUTCOMES.includes(filters.outcome) ? { outcome: filters.outcome } : {}),
  };
  return { filters, query, fieldErrors };
}

/** The filters that are set, as a query string (empty ones left out, so links stay short). */
function searchOf(filters: Filters, extra: Record<string, string> = {}): string {
  const params = new URLSearchParams();
  for (const name of FILTER_NAMES) if (filters[name] !== '') params.set(name, filters[name]);
  for (const [name, value] of Object.entries(extra)) params.set(name, value);
  return params.toString();
}

export async function auditPages(app: FastifyInstance): Promise<void> {
  const { audit } = app.otpgate;

  app.get('/audit', async (request, reply) => {
    const scope = audit.scopeOf(sessionPrincipal(request)?.role ?? '');
    if (scope === null) return renderNotFound(reply);
    const { filters, query, fieldErrors } = readFilters(request);
    const invalid = Object.keys(fieldErrors).length > 0;
    const rawBefore = (request.query as Record<string, unknown>).before;
    const before = Number.parseInt(typeof rawBefore === 'string' ? rawBefore.slice(0, 20) : '', 10);
    const events = invalid
      ? []
      : await audit.list({ accountId: adminOf(request).account.id, ...scope, ...query, ...(Number.isSafeInteger(before) && before > 0 ? { before } : {}), limit: PAGE_SIZE });
    const last = events.at(-1);
    const olderHref = last && events.length === PAGE_SIZE ? `/admin/audit?${searchOf(filters, { before: String(last.id) })}` : null;
    const exportSearch = searchOf(filters);
    return renderPage(
      reply,
      './audit',
      {
        title: 'Audit log',
        filters,
        fieldErrors,
        events,
        outcomes: OUTCOMES.map((value) => ({ value, text: OUTCOME_OPTIONS[value] ?? describeAuditOutcome((SIGN_IN_RESULTS as readonly string[]).includes(value) ? 'signin' : '', value) })),
        actions: AUDIT_ACTIONS.map((action) => ({ action, text: describeAuditAction(action).text })),
        helpDesk: scope.knownTargetsOnly === true,
        olderHref,
        exportHrefs: invalid ? null : { csv: `/admin/audit/export?${searchOf(filters, { format: 'csv' })}`, jsonl: `/admin/audit/export?${searchOf(filters, { format: 'jsonl' })}` },
        filtered: exportSearch !== '',
        formatSeconds,
        describeAuditReason,
        describeAuditAction,
        describeAuditOutcome,
      },
      invalid ? 400 : 200,
    );
  });

  app.get('/audit/export', async (request, reply) => {
    const scope = audit.scopeOf(sessionPrincipal(request)?.role ?? '');
    if (scope === null) return renderNotFound(reply);
    const { account } = adminOf(request);
    const { filters, query, fieldErrors } = readFilters(request);
    const format = (request.query as Record<string, unknown>).format === 'jsonl' ? 'jsonl' : 'csv';
    // Invalid dates: back to the page, which says what is wrong with them.
    if (Object.keys(fieldErrors).length > 0) return reply.status(303).header('location', `/admin/audit?${searchOf(filters)}`).send();
    const body = new PassThrough();
    // Written as the browser reads it (back-pressure), so a large log is never held in memory.
    void audit
      .export({ accountId: account.id, ...scope, ...query }, format, async (chunk) => {
        if (!body.write(chunk)) await once(body, 'drain');
      })
      .then(
        () => body.end(),
        (error: unknown) => {
          request.log.error({ err: error }, 'audit export failed midway');
          body.destroy(error instanceof Error ? error : new Error(String(error)));
        },
      );
    return reply
      .header('cache-control', 'no-store')
      .type(format === 'csv' ? 'text/csv; charset=utf-8' : 'application/x-ndjson; charset=utf-8')
      .header('content-disposition', `attachment; filename="audit-${account.name}.${format}"`)
      .send(body);
  });
}

/**
 * The outcome filter's options where the event list's sentence is too long for a phone's select (the list
 * shows the whole sentence: "Password accepted; asked to associate a token").
 */
const OUTCOME_OPTIONS: Readonly<Record<string, string>> = { otp_required: 'Passcode asked', enroll_required: 'Asked to associate a token', locked: 'Token locked' };
