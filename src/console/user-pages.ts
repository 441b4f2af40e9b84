// /admin/users: find and select users, apply one restriction to several, create a user, and a user's page
// with its Details and Access Restrictions tabs (the seed's associate, re-sync, disassociate, unlock).
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { describeSource } from '../core/restriction-precedence.js';
import { ServiceError } from '../services/errors.js';
import type { TokenView, UserView } from '../services/views.js';
import { adminOf } from './admin-guard.js';
import { ACTION_LABELS, blankRows, field, fields, formError, formOf, readRestriction, rowsOf, statusLabel, type RuleRow } from './forms.js';
import { formatTime, renderPage, seeOther } from './render.js';

type UserParams = { Params: { username: string } };

function userPath(username: string, rest = ''): string {
  return `/admin/users/${encodeURIComponent(username)}${rest}`;
}

export async function userPages(app: FastifyInstance): Promise<void> {
  const { users, tokens, restrictions } = app.otpgate;

  async function tokenOf(request: FastifyRequest, username: string): Promise<TokenView | null> {
    try {
      return await tokens.ofUser(adminOf(request).account, username);
    } catch (error) {
      if (error instanceof ServiceError && error.code === 'token_not_found') return null;
      throw error;
    }
  }

  // ---- The list, with search and the bulk restriction form ----
  async function listPage(request: FastifyRequest, reply: FastifyReply, form: { selected: string[]; rows: RuleRow[]; default: string; errors: Record<string, string>; error: string | null }, status = 200) {
    const rawQ = (request.query as { q?: unknown }).q;
    const q = typeof rawQ === 'string' ? rawQ.slice(0, 100) : '';
    const list = await users.list(adminOf(request).account, q.trim() || undefined);
    return renderPage(
      reply,
      './users',
      {
        title: 'Users',
        q,
        users: list,
        selected: form.selected,
        bulkRows: [...form.rows, ...blankRows(Math.max(1, 3 - form.rows.length))],
        bulkErrors: form.errors,
        bulkDefault: form.default,
        error: form.error,
        actions: ACTION_LABELS,
        statusLabel,
      },
      status,
    );
  }

  app.get('/users', (request, reply) => listPage(request, reply, { selected: [], rows: [], default: 'allow', errors: {}, error: null }));

  app.post('/users/restrictions', async (request, reply) => {
    const { account, actor } = adminOf(request);
    const body = formOf(request);
    const selected = fields(body, 'user').slice(0, 1000);
    const { input, rows } = readRestriction(body);
    if (selected.length === 0) {
      return listPage(request, reply, { selected, rows, default: input.default, errors: {}, error: 'Select at least one user first.' }, 400);
    }
    try {
      await restrictions.setForUsers(actor, account, selected, input);
    } catch (error) {
      const { message, fieldErrors } = formError(error);
      return listPage(request, reply, { selected, rows, default: input.default, errors: fieldErrors, error: message }, 400);
    }
    return seeOther(reply, '/admin/users?done=bulk');
  });

  // ---- Create ----
  const newUserPage = (reply: FastifyReply, form: Record<string, string>, error: string | null, fieldErrors: Record<string, string>, status = 200) =>
    renderPage(reply, './user-new', { title: 'Create user', form, error, fieldErrors }, status);

  app.get('/users/new', (_request, reply) => newUserPage(reply, { username: '', displayName: '', role: 'user' }, null, {}));

  app.post('/users', async (request, reply) => {
    const { account, actor } = adminOf(request);
    const body = formOf(request);
    const form = { username: field(body, 'username').trim(), displayName: field(body, 'displayName'), role: field(body, 'role') === 'admin' ? 'admin' : 'user' };
    try {
      await users.create(actor, account, {
        username: form.username,
        password: field(body, 'password'),
        role: form.role as UserView['role'],
        ...(form.displayName.trim() ? { displayName: form.displayName } : {}),
      });
    } catch (error) {
      const { message, fieldErrors } = formError(error);
      return newUserPage(reply, form, message, fieldErrors, 400);
    }
    return seeOther(reply, `${userPath(form.username)}/access?done=created`);
  });

  // ---- Details tab ----
  /** The Details tab: the user's facts, their groups and which restriction applies to them, and why. */
  async function detailsPage(request: FastifyRequest<UserParams>, reply: FastifyReply, form: { displayName: string } | null, error: string | null, status = 200) {
    const { account } = adminOf(request);
    const user = await users.show(account, request.params.username);
    const restriction = await restrictions.showForUser(account, user.username);
    return renderPage(reply, './user-details', { title: user.username, user, restrictionWhy: describeSource(restriction), form: form ?? { displayName: user.displayName }, error, formatTime }, status);
  }

  app.get<UserParams>('/users/:username', (request, reply) => detailsPage(request, reply, null, null));

  app.post<UserParams>('/users/:username', async (request, reply) => {
    const { account, actor } = adminOf(request);
    const displayName = field(formOf(request), 'displayName');
    const user = await users.show(account, request.params.username);
    if (displayName.trim() === '') return detailsPage(request, reply, { displayName }, 'Enter a display name.', 400);
    await users.update(actor, account, user.username, { displayName });
    return seeOther(reply, `${userPath(user.username)}?done=updated`);
  });

  // ---- Disable / enable (local and directory users) ----
  for (const change of ['disable', 'enable'] as const) {
    app.post<UserParams>(`/users/:username/${change}`, async (request, reply) => {
      const { account, actor } = adminOf(request);
      await users.update(actor, account, request.params.username, { disabled: change === 'disable' });
      return seeOther(reply, `${userPath(request.params.username)}?done=${change}d`);
    });
  }

  // ---- Access Restrictions tab ----
  async function accessPage(request: FastifyRequest<UserParams>, reply: FastifyReply, form: { rows: RuleRow[]; default: string; errors: Record<string, string>; error: string | null } | null, status = 200) {
    const { account } = adminOf(request);
    const user = await users.show(account, request.params.username);
    const restriction = await restrictions.showForUser(account, user.username);
    const rows = form ? form.rows : rowsOf(restriction.rules);
    return renderPage(
      reply,
      './user-access',
      {
        title: `${user.username}: Access Restrictions`,
        user,
        token: await tokenOf(request, user.username),
        restrictionSource: restriction.source,
        restrictionWhy: describeSource(restriction),
        restrictionGroups: restriction.groups,
        groups: user.groups ?? [],
        rows: [...rows, ...blankRows()],
        defaultAction: form ? form.default : restriction.default,
        ruleErrors: form?.errors ?? {},
        error: form?.error ?? null,
        actions: ACTION_LABELS,
        statusLabel,
        formatTime,
      },
      status,
    );
  }

  app.get<UserParams>('/users/:username/access', (request, reply) => accessPage(request, reply, null));

  app.post<UserParams>('/users/:username/restrictions', async (request, reply) => {
    const { account, actor } = adminOf(request);
    const { input, rows } = readRestriction(formOf(request));
    try {
      await restrictions.setForUser(actor, account, request.params.username, input);
    } catch (error) {
      if (error instanceof ServiceError && error.code === 'user_not_found') throw error;
      const { message, fieldErrors } = formError(error);
      return accessPage(request, reply, { rows, default: input.default, errors: fieldErrors, error: message }, 400);
    }
    return seeOther(reply, userPath(request.params.username, '/access?done=restrictions'));
  });

  app.post<UserParams>('/users/:username/restrictions/remove', async (request, reply) => {
    const { account, actor } = adminOf(request);
    await restrictions.setForUser(actor, account, request.params.username, null);
    return seeOther(reply, userPath(request.params.username, '/access?done=restriction_removed'));
  });

  // ---- Associate OTP token ----
  const associatePage = (reply: FastifyReply, user: UserView, serial: string, error: string | null, fieldErrors: Record<string, string>, status = 200) =>
    renderPage(reply, './token-associate', { title: 'Associate OTP token', user, serial, error, fieldErrors }, status);

  app.get<UserParams>('/users/:username/token/associate', async (request, reply) => {
    const user = await users.show(adminOf(request).account, request.params.username);
    if (user.token) return seeOther(reply, userPath(user.username, '/access'));
    return associatePage(reply, user, '', null, {});
  });

  app.post<UserParams>('/users/:username/token/associate', async (request, reply) => {
    const { account, actor } = adminOf(request);
    const user = await users.show(account, request.params.username);
    const body = formOf(request);
    const serial = field(body, 'serial').slice(0, 80);
    try {
      await tokens.associate(actor, account, user.username, serial, field(body, 'otp').replace(/\s+/g, ''));
    } catch (error) {
      const { message, fieldErrors } = formError(error);
      return associatePage(reply, user, serial, message, fieldErrors, 400);
    }
    return seeOther(reply, userPath(user.username, '/access?done=associated'));
  });

  // ---- Re-sync token ----
  async function withToken(request: FastifyRequest<UserParams>, reply: FastifyReply, show: (user: UserView, token: TokenView) => Promise<FastifyReply> | FastifyReply) {
    const user = await users.show(adminOf(request).account, request.params.username);
    const token = await tokenOf(request, user.username);
    if (!token) return seeOther(reply, userPath(user.username, '/access'));
    return show(user, token);
  }

  const resyncPage = (reply: FastifyReply, user: UserView, token: TokenView, error: string | null, fieldErrors: Record<string, string>, status = 200) =>
    renderPage(reply, './token-resync', { title: 'Re-sync token', user, token, error, fieldErrors }, status);

  app.get<UserParams>('/users/:username/token/resync', (request, reply) => withToken(request, reply, (user, token) => resyncPage(reply, user, token, null, {})));

  app.post<UserParams>('/users/:username/token/resync', (request, reply) =>
    withToken(request, reply, async (user, token) => {
      const { account, actor } = adminOf(request);
      const body = formOf(request);
      try {
        await tokens.resync(actor, account, user.username, field(body, 'otp1').replace(/\s+/g, ''), field(body, 'otp2').replace(/\s+/g, ''));
      } catch (error) {
        const { message, fieldErrors } = formError(error);
        return resyncPage(reply, user, token, message, fieldErrors, 400);
      }
      return seeOther(reply, userPath(user.username, '/access?done=resynced'));
    }),
  );

  // ---- Disassociate token: a confirmation page first, the change only on its POST ----
  app.get<UserParams>('/users/:username/token/disassociate', (request, reply) =>
    withToken(request, reply, (user, token) => renderPage(reply, './token-disassociate', { title: 'Disassociate token', user, token })),
  );

  app.post<UserParams>('/users/:username/token/disassociate', (request, reply) =>
    withToken(request, reply, async (user) => {
      const { account, actor } = adminOf(request);
      await tokens.disassociate(actor, account, user.username);
      return seeOther(reply, userPath(user.username, '/access?done=disassociated'));
    }),
  );

  // ---- Unlock ----
  app.post<UserParams>('/users/:username/token/unlock', (request, reply) =>
    withToken(request, reply, async (user, token) => {
      const { account, actor } = adminOf(request);
      await tokens.unlock(actor, account, token.serial);
      return seeOther(reply, userPath(user.username, '/access?done=unlocked'));
    }),
  );
}
