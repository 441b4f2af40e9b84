// /admin/audit (the audit log with filters) and /admin/settings (the account's windows and limits).
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { SETTING_LIMITS, settingsOf, type AccountSettings } from '../services/account-settings.js';
import { adminOf } from './admin-guard.js';
import { field, formError, formOf } from './forms.js';
import { formatTime, renderPage, seeOther } from './render.js';

const PAGE_SIZE = 100;
const OUTCOMES = ['accept', 'reject', 'otp_required', 'enroll_required', 'locked', 'success', 'failure'];
const DAY_MS = 24 * 60 * 60 * 1000;

/** A YYYY-MM-DD date as UTC midnight in epoch ms; undefined for '' and null for anything else. */
function parseDate(text: string): number | undefined | null {
  if (text === '') return undefined;
  if (!/^\d{4}-\d{2}-\d{2}$/.test(text)) return null;
  const ms = Date.parse(`${text}T00:00:00Z`);
  return Number.isNaN(ms) ? null : ms;
}

const SETTING_FIELDS: { name: keyof typeof SETTING_LIMITS; label: string; hint: string }[] = [
  { name: 'lookAheadWindow', label: 'Sign-in look-ahead window', hint: 'How many codes ahead of the expected one a sign-in accepts' },
  { name: 'associateWindow', label: 'Association window', hint: 'How many codes ahead an association searches' },
  { name: 'syncWindow', label: 'Re-sync window', hint: 'How many codes ahead a re-sync searches for the two passcodes' },
  { name: 'maxFailures', label: 'Failures before a token locks', hint: 'Wrong passcodes in a row that lock the token' },
];

export function accountPages(app: FastifyInstance): Promise<void> {
  const { audit, accounts } = app.otpgate;

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
    return renderPage(reply, './audit', { title: 'Audit log', filters, fieldErrors, events, outcomes: OUTCOMES, olderHref: older ? `/admin/audit?${older}` : null, formatTime }, Object.keys(fieldErrors).length > 0 ? 400 : 200);
  });

  function settingsPage(request: FastifyRequest, reply: FastifyReply, values: AccountSettings | Record<string, string | boolean>, error: string | null, fieldErrors: Record<string, string>, status = 200) {
    const v = values as Record<string, unknown>;
    const fieldsView = SETTING_FIELDS.map((f) => ({ ...f, value: typeof v[f.name] === 'number' || typeof v[f.name] === 'string' ? String(v[f.name]) : '', min: SETTING_LIMITS[f.name][0], max: SETTING_LIMITS[f.name][1], error: fieldErrors[f.name] ?? null }));
    return renderPage(reply, './settings', { title: 'Settings', fields: fieldsView, selfAssociation: Boolean(v.selfAssociation), error }, status);
  }

  app.get('/settings', (request, reply) => settingsPage(request, reply, settingsOf(adminOf(request).account), null, {}));

  app.post('/settings', async (request, reply) => {
    const { account, actor } = adminOf(request);
    const body = formOf(request);
    const changes: Partial<AccountSettings> = { selfAssociation: field(body, 'selfAssociation') === 'on' };
    // Whole numbers only; the service checks the ranges and names the field.
    for (const { name } of SETTING_FIELDS) changes[name] = /^\s*\d{1,7}\s*$/.test(field(body, name)) ? Number(field(body, name)) : Number.NaN;
    try {
      await accounts.updateSettings(actor, account, changes);
    } catch (error) {
      const { message, fieldErrors } = formError(error);
      const raw: Record<string, string | boolean> = { selfAssociation: changes.selfAssociation ?? false };
      for (const { name } of SETTING_FIELDS) raw[name] = field(body, name);
      return settingsPage(request, reply, raw, message, fieldErrors, 400);
    }
    return seeOther(reply, '/admin/settings?done=settings');
  });
  return Promise.resolve();
}
