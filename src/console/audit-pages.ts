// /admin/audit: the account's audit log, newest first, filtered by user, dates and outcome, 100 a page.
import type { FastifyInstance } from 'fastify';
import { SIGN_IN_RESULTS } from '../core/sign-in-decision.js';
import { OPERATION_OUTCOMES } from '../core/values.js';
import { adminOf } from './admin-guard.js';
import { describeAuditReason } from '../core/audit-reasons.js';
import { formatSeconds, renderPage } from './render.js';

const PAGE_SIZE = 100;
const OUTCOMES: readonly string[] = [...SIGN_IN_RESULTS, ...OPERATION_OUTCOMES];
const DAY_MS = 24 * 60 * 60 * 1000;

/** A YYYY-MM-DD date as UTC midnight in epoch ms; undefined for '' and null for anything else. */
function parseDate(text: string): number | undefined | null {
  if (text === '') return undefined;
  if (!/^\d{4}-\d{2}-\d{2}$/.test(text)) return null;
  const ms = Date.parse(`${text}T00:00:00Z`);
  return Number.isNaN(ms) ? null : ms;
}

export async function auditPages(app: FastifyInstance): Promise<void> {
  const { audit } = app.otpgate;

  app.get('/audit', async (request, reply) => {
    const query = request.query as Record<string, unknown>;
    const text = (name: string, max: number) => (typeof query[name] === 'string' ? query[name].slice(0, max) : '');
    const filters = { user: text('user', 64).trim(), from: text('from', 10), to: text('to', 10), outcome: text('outcome', 32) };
    const fieldErrors: Record<string, string> = {};
    const from = parseDate(filters.from);
    const to = parseDate(filters.to);
    if (from === null) fieldErrors.from = 'Enter a date as YYYY-MM-DD.';
    if (to === null) fieldErrors.to = 'Enter a date as YYYY-MM-DD.';
    const before = Number.parseInt(text('before', 20), 10);
    const events =
      Object.keys(fieldErrors).length > 0
        ? []
        : await audit.list({
            accountId: adminOf(request).account.id,
            ...(filters.user ? { username: filters.user } : {}),
            ...(from != null ? { from } : {}),
            ...(to != null ? { to: to + DAY_MS } : {}),
            ...(OUTCOMES.includes(filters.outcome) ? { outcome: filters.outcome } : {}),
            ...(Number.isSafeInteger(before) && before > 0 ? { before } : {}),
            limit: PAGE_SIZE,
          });
    const last = events.at(-1);
    const older = last && events.length === PAGE_SIZE ? new URLSearchParams({ ...filters, before: String(last.id) }).toString() : null;
    return renderPage(reply, './audit', { title: 'Audit log', filters, fieldErrors, events, outcomes: OUTCOMES, olderHref: older ? `/admin/audit?${older}` : null, formatSeconds, describeAuditReason }, Object.keys(fieldErrors).length > 0 ? 400 : 200);
  });
}
