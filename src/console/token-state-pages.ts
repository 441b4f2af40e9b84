// A user's token beyond the seed's operations: disable and retire (each after a confirmation page, like
// disassociate), enable, and the temporary code (issue, shown once; revoke), from the user's Access Restrictions
// tab; and a token's own page with its history.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { RETIRE_REASONS } from '../core/token-status.js';
import { ServiceError } from '../services/errors.js';
import type { TokenView, UserView } from '../services/views.js';
import { adminOf } from './admin-guard.js';
import { chosenSerial, field, formError, formOf, serialQuery, shownState, statusLabel } from './forms.js';
import { formatTime, renderPage, seeOther } from './render.js';

type UserParams = { Params: { username: string } };

/** What each reason means, as the retire page offers it (the compiler checks every reason has one). */
const RETIRE_REASON_LABELS: Record<(typeof RETIRE_REASONS)[number], string> = {
  lost: 'Lost (or stolen)',
  broken: 'Broken',
  returned: 'Returned (the user left, or no longer needs it)',
  other: 'Other',
};

function accessPath(username: string, done?: string): string {
  return `/admin/users/${encodeURIComponent(username)}/access${done ? `?done=${done}` : ''}`;
}

export async function tokenStatePages(app: FastifyInstance): Promise<void> {
  const { users, tokens, tokenStates, tempCodes } = app.otpgate;

  /** The user and the token the page names (`serial`), or their one token; otherwise back to the user's page. */
  async function withToken(request: FastifyRequest<UserParams>, reply: FastifyReply, show: (user: UserView, token: TokenView) => Promise<FastifyReply> | FastifyReply) {
    const { account } = adminOf(request);
    const user = await users.show(account, request.params.username);
    let token: TokenView;
    try {
      token = await tokens.ofUser(account, user.username, chosenSerial(request) || undefined);
    } catch (error) {
      // No token of theirs by that serial (or none named while they hold several): back to their tab.
      if (error instanceof ServiceError && ['token_not_found', 'several_tokens', 'invalid_request'].includes(error.code)) return seeOther(reply, accessPath(user.username));
      throw error;
    }
    return show(user, token);
  }

  const confirmPage = (reply: FastifyReply, view: 'disable' | 'retire', user: UserView | null, token: TokenView, error: string | null = null, status = 200) =>
    renderPage(
      reply,
      './token-confirm',
      { title: view === 'disable' ? 'Disable token' : 'Retire token', view, user, token, error, reasons: Object.entries(RETIRE_REASON_LABELS) },
      status,
    );

  // ---- A token's page: its facts and its history from the audit log ----
  /** The validity form's text as typed, or the token's dates as UTC (YYYY-MM-DDTHH:MM:SSZ), empty when open-ended. */
  type ValidityForm = { validFrom: string; validUntil: string; error: string | null; fieldErrors: Record<string, string> };
  const utcText = (iso: string | null) => (iso ? iso.replace(/\.\d{3}Z$/, 'Z') : '');

  async function tokenPage(request: FastifyRequest<{ Params: { serial: string } }>, reply: FastifyReply, form: ValidityForm | null, status = 200) {
    const { account } = adminOf(request);
    const query = request.query as Record<string, unknown>;
    const signIns = query.signins === '1';
    const before = typeof query.before === 'string' && /^[0-9]{1,15}$/.test(query.before) ? Number(query.before) : undefined;
    const token = await tokens.show(account, request.params.serial);
    const history = await tokens.history(account, token.serial, { signIns, limit: 100, ...(before !== undefined ? { before } : {}) });
    const older = history.nextBefore === null ? null : new URLSearchParams({ ...(signIns ? { signins: '1' } : {}), before: String(history.nextBefore) });
    return renderPage(reply, './token', {
      title: `Token ${token.serial}`,
      token,
      history,
      signIns,
      olderHref: older ? `/admin/tokens/${encodeURIComponent(token.serial)}?${older.toString()}` : null,
      statusLabel,
      shownState,
      formatTime,
      validity: form ?? { validFrom: utcText(token.validFrom), validUntil: utcText(token.validUntil), error: null, fieldErrors: {} },
    }, status);
  }

  app.get<{ Params: { serial: string } }>('/tokens/:serial', (request, reply) => tokenPage(request, reply, null));

  // Validity dates (administrators; as `token set --valid-from/--valid-until` and the API's PATCH): a date is
  // UTC midnight, a date and time without a zone is UTC; empty is open-ended.
  const asUtc = (text: string): string | null => {
    const value = text.trim();
    if (value === '') return null;
    if (/^\d{4}-\d{2}-\d{2}$/.test(value)) return `${value}T00:00:00Z`;
    if (/^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2})?$/.test(value)) return `${value.replace(' ', 'T')}Z`;
    return value;
  };
  app.post<{ Params: { serial: string } }>('/tokens/:serial/validity', async (request, reply) => {
    const { account, actor } = adminOf(request);
    const body = formOf(request);
    const typed = { validFrom: field(body, 'validFrom'), validUntil: field(body, 'validUntil') };
    try {
      await tokenStates.setValidity(actor, account, request.params.serial, { validFrom: asUtc(typed.validFrom), validUntil: asUtc(typed.validUntil) });
    } catch (error) {
      const { message, fieldErrors } = formError(error);
      // The service speaks of ISO 8601 and null (the API's terms); the form's are its own.
      for (const name of ['validFrom', 'validUntil']) {
        if (fieldErrors[name]?.includes('must be a date')) fieldErrors[name] = 'Enter a date (2027-06-30) or a date and time in UTC (2027-06-30T17:00), or leave it empty.';
      }
      return tokenPage(request, reply, { ...typed, error: message, fieldErrors }, 400);
    }
    return seeOther(reply, `/admin/tokens/${encodeURIComponent(request.params.serial)}?done=validity`);
  });

  // ---- Retiring a token of the inventory (nobody's): the same confirmation, from the token's page ----
  type TokenParams = { Params: { serial: string } };
  const tokenPath = (serial: string, done?: string) => `/admin/tokens/${encodeURIComponent(serial)}${done ? `?done=${done}` : ''}`;

  /** A token of the inventory; an associated one is retired from its user's page, a retired one is done. */
  async function inventoryToken(request: FastifyRequest<TokenParams>, reply: FastifyReply, show: (token: TokenView) => Promise<FastifyReply> | FastifyReply) {
    const token = await tokens.show(adminOf(request).account, request.params.serial);
    if (token.username) return seeOther(reply, `/admin/users/${encodeURIComponent(token.username)}/token/retire${serialQuery(token.serial)}`);
    if (token.status === 'retired') return seeOther(reply, tokenPath(token.serial));
    return show(token);
  }

  app.get<TokenParams>('/tokens/:serial/retire', (request, reply) => inventoryToken(request, reply, (token) => confirmPage(reply, 'retire', null, token)));

  app.post<TokenParams>('/tokens/:serial/retire', (request, reply) =>
    inventoryToken(request, reply, async (token) => {
      const { account, actor } = adminOf(request);
      const reason = field(formOf(request), 'reason');
      if (!(RETIRE_REASONS as readonly string[]).includes(reason)) return confirmPage(reply, 'retire', null, token, 'Choose why the token is retired.', 400);
      await tokenStates.retire(actor, account, token.serial, reason);
      return seeOther(reply, tokenPath(token.serial, 'token_retired'));
    }),
  );

  app.get<UserParams>('/users/:username/token/disable', (request, reply) => withToken(request, reply, (user, token) => confirmPage(reply, 'disable', user, token)));

  app.post<UserParams>('/users/:username/token/disable', (request, reply) =>
    withToken(request, reply, async (user, token) => {
      const { account, actor } = adminOf(request);
      await tokenStates.disable(actor, account, token.serial);
      return seeOther(reply, accessPath(user.username, 'token_disabled'));
    }),
  );

  app.post<UserParams>('/users/:username/token/enable', (request, reply) =>
    withToken(request, reply, async (user, token) => {
      const { account, actor } = adminOf(request);
      const enabled = await tokenStates.enable(actor, account, token.serial);
      return seeOther(reply, accessPath(user.username, enabled.wasLocked ? 'token_enabled_unlocked' : 'token_enabled'));
    }),
  );

  // ---- Temporary code: issued on a POST whose answer shows it once (no redirect: it is never stored) ----
  app.post<UserParams>('/users/:username/temp-code', async (request, reply) => {
    const { account, actor } = adminOf(request);
    const user = await users.show(account, request.params.username);
    const body = formOf(request);
    const number = (name: string) => (field(body, name).trim() === '' ? undefined : Number(field(body, name)));
    try {
      const issued = await tempCodes.issue(actor, account, user.username, { uses: number('uses'), hours: number('hours') });
      return renderPage(reply, './temp-code', { title: 'Temporary code', user, issued, error: null, formatTime });
    } catch (error) {
      if (!(error instanceof ServiceError) || error.code !== 'invalid_request') throw error;
      return renderPage(reply, './temp-code', { title: 'Temporary code', user, issued: null, error: error.message, formatTime }, 400);
    }
  });

  app.post<UserParams>('/users/:username/temp-code/revoke', async (request, reply) => {
    const { account, actor } = adminOf(request);
    const user = await users.show(account, request.params.username);
    try {
      await tempCodes.revoke(actor, account, user.username);
    } catch (error) {
      if (!(error instanceof ServiceError) || error.code !== 'temp_code_not_found') throw error;
    }
    return seeOther(reply, accessPath(user.username, 'temp_code_revoked'));
  });

  app.get<UserParams>('/users/:username/token/retire', (request, reply) => withToken(request, reply, (user, token) => confirmPage(reply, 'retire', user, token)));

  app.post<UserParams>('/users/:username/token/retire', (request, reply) =>
    withToken(request, reply, async (user, token) => {
      const { account, actor } = adminOf(request);
      const reason = field(formOf(request), 'reason');
      if (!(RETIRE_REASONS as readonly string[]).includes(reason)) return confirmPage(reply, 'retire', user, token, 'Choose why the token is retired.', 400);
      await tokenStates.retire(actor, account, token.serial, reason);
      return seeOther(reply, accessPath(user.username, 'token_retired'));
    }),
  );
}
