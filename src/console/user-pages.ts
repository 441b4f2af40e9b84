// /admin/users: find users (the list first), apply one restriction to several ticked ones (a step of its
// own), create a user, and a user's page with its Details and Access Restrictions tabs (the seed's associate,
// re-sync, disassociate, unlock, on each of the user's tokens: a page names one with `serial`, or acts on the
// user's one token).
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { describeSource } from '../core/restriction-precedence.js';
import { settingsOf } from '../services/account-settings.js';
import { ServiceError } from '../services/errors.js';
import { newUserProblems } from '../services/user-service.js';
import type { TokenView, UserView } from '../services/views.js';
import { adminOf } from './admin-guard.js';
import { ACTION_LABELS, blankRows, chosenSerial, field, fields, formError, formErrors, formOf, readRestriction, roleLabel, ROLE_LABELS, roleOf, rowsOf, shownState, statusLabel, summarizeRestriction, type RuleRow } from './forms.js';
import { pagerOf } from './pager.js';
import { formatTime, renderPage, seeOther } from './render.js';

type UserParams = { Params: { username: string } };

const USERS_PAGE = 50;
/** The refusals that mean a page named no token of the user: it shows the user's tab instead. */
const CHOSEN_NONE = new Set(['token_not_found', 'several_tokens', 'invalid_request']);
/** The most users one bulk change touches (the service applies it to all or none). */
const BULK_LIMIT = 5000;

/** What a deletion does to the user's tokens, said on its confirmation page. */
function returning(serials: string[]): string {
  if (serials.length === 0) return '';
  if (serials.length === 1) return `, and token ${serials[0]} returns to the inventory`;
  return `, and tokens ${serials.slice(0, -1).join(', ')} and ${serials.at(-1)} return to the inventory`;
}

function userPath(username: string, rest = ''): string {
  return `/admin/users/${encodeURIComponent(username)}${rest}`;
}

export async function userPages(app: FastifyInstance): Promise<void> {
  const { users, tokens, restrictions } = app.otpgate;

  /**
   * The token a page acts on: the serial the page names, or the user's one token; null (back to the user's
   * tab) when it names none of theirs, or none while they hold several.
   */
  async function tokenOf(request: FastifyRequest, username: string): Promise<TokenView | null> {
    const serial = chosenSerial(request);
    try {
      return await tokens.ofUser(adminOf(request).account, username, serial || undefined);
    } catch (error) {
      if (error instanceof ServiceError && CHOSEN_NONE.has(error.code)) return null;
      throw error;
    }
  }

  // ---- The list first, with search and paging; for an administrator, ticking rows offers the bulk restriction ----
  type BulkForm = { selected: string[]; all: boolean; rows: RuleRow[]; default: string; errors: Record<string, string>; error: string | null };

  /** The list's search and page, from the query (GET) or the bulk steps' hidden fields (POST). */
  type ListState = { q: string; offset: number; withoutToken: boolean };

  function listState(source: Record<string, unknown>): ListState {
    const q = typeof source.q === 'string' ? source.q.slice(0, 100) : '';
    const offset = Number.parseInt(typeof source.offset === 'string' ? source.offset : '0', 10);
    return { q, offset: Number.isSafeInteger(offset) ? Math.max(0, Math.min(10_000_000, offset)) : 0, withoutToken: source.withoutToken === 'yes' };
  }

  /** The list's filters for the query string: the search, and the "without a token" report. */
  const filtersOf = (state: ListState): Record<string, string> => ({ ...(state.q ? { q: state.q } : {}), ...(state.withoutToken ? { withoutToken: 'yes' } : {}) });

  const listHref = (state: ListState, extra: Record<string, string> = {}) => {
    const params = new URLSearchParams({ ...filtersOf(state), ...(state.offset > 0 ? { offset: String(state.offset) } : {}), ...extra });
    const query = params.toString();
    return query ? `/admin/users?${query}` : '/admin/users';
  };

  /**
   * The list. An administrator's rows carry a tick box, and the bar that leads to the bulk restriction shows
   * once a row is ticked (console.css, `:has()`; no script: the console's CSP allows none). A help-desk user
   * gets no tick boxes and no bulk action: it is not theirs (admin-guard.ts).
   */
  async function listPage(request: FastifyRequest, reply: FastifyReply, state: ListState, selected: string[] = [], error: string | null = null, status = 200) {
    const { account } = adminOf(request);
    const search = state.q.trim() || undefined;
    const filter = { withoutToken: state.withoutToken };
    const [list, total] = await Promise.all([users.list(account, search, { limit: USERS_PAGE, offset: state.offset, ...filter }), users.count(account, search, filter)]);
    return renderPage(
      reply,
      './users',
      {
        title: 'Users',
        q: state.q,
        offset: state.offset,
        users: list,
        pager: pagerOf('/admin/users', filtersOf(state), state.offset, USERS_PAGE, list.length, total),
        withoutToken: state.withoutToken,
        selected,
        error,
        roleLabel,
        statusLabel,
        shownState,
      },
      status,
    );
  }

  /** The bulk restriction's second step: the rules for the ticked users (or all matching the search). */
  async function rulesPage(request: FastifyRequest, reply: FastifyReply, state: ListState, form: BulkForm, status = 200) {
    const { account } = adminOf(request);
    const total = await users.count(account, state.q.trim() || undefined, { withoutToken: state.withoutToken });
    return renderPage(
      reply,
      './users-bulk',
      {
        title: 'Set access restriction',
        q: state.q,
        offset: state.offset,
        withoutToken: state.withoutToken,
        total,
        ticked: form.selected,
        names: form.selected.slice(0, 20),
        all: form.all,
        bulkRows: [...form.rows, ...blankRows(Math.max(1, 3 - form.rows.length))],
        bulkErrors: form.errors,
        bulkDefault: form.default,
        error: form.error,
        actions: ACTION_LABELS,
        listHref: listHref(state),
      },
      status,
    );
  }

  app.get('/users', (request, reply) => listPage(request, reply, listState(request.query as Record<string, unknown>)));

  /**
   * The bulk restriction, in steps: the ticked rows (step=choose, from the list) lead to the rules; the rules
   * (for the ticked users, or every user the search matches: "all") are checked, then a confirmation page
   * says how many users it replaces and whom it makes it harder to sign in; only its POST (confirm=yes)
   * writes, and the list comes back with the same search and page and says how many changed.
   */
  app.post('/users/restrictions', async (request, reply) => {
    const { account, actor } = adminOf(request);
    const body = formOf(request);
    const state = listState({ q: field(body, 'q'), offset: field(body, 'offset'), withoutToken: field(body, 'withoutToken') });
    const ticked = fields(body, 'user').slice(0, BULK_LIMIT);
    if (field(body, 'step') === 'choose') {
      if (ticked.length === 0) return listPage(request, reply, state, [], 'Tick at least one user in the list first.', 400);
      return rulesPage(request, reply, state, { selected: ticked, all: false, rows: [], default: 'allow', errors: {}, error: null });
    }
    const all = field(body, 'all') === 'yes';
    const { input, rows } = readRestriction(body);
    const again = (error: string, errors: Record<string, string> = {}) => rulesPage(request, reply, state, { selected: ticked, all, rows, default: input.default, errors, error }, 400);
    const selected = all ? (await users.list(account, state.q.trim() || undefined, { limit: BULK_LIMIT, withoutToken: state.withoutToken })).map((user) => user.username) : ticked;
    if (selected.length === 0) {
      if (!all) return listPage(request, reply, state, [], 'Tick at least one user in the list first.', 400);
      return again('No user matches the search: nothing to change.');
    }
    try {
      restrictions.validate(input);
    } catch (error) {
      const { message, fieldErrors } = formError(error);
      return again(message, fieldErrors);
    }
    if (field(body, 'confirm') !== 'yes') {
      // Whom the replacement would make it harder to sign in, said before it is saved.
      const impact = await restrictions.impactOf(account, { users: { names: selected, restriction: restrictions.validate(input) } });
      return renderPage(reply, './users-bulk-confirm', {
        ...impact,
        title: 'Replace restrictions',
        count: selected.length,
        names: selected.slice(0, 20),
        all,
        ticked,
        q: state.q,
        offset: state.offset,
        withoutToken: state.withoutToken,
        summary: summarizeRestriction(restrictions.validate(input)),
        rows,
        defaultAction: input.default,
        listHref: listHref(state),
      }, impact.refusal === null ? 200 : 409);
    }
    try {
      await restrictions.setForUsers(actor, account, selected, input);
    } catch (error) {
      const { message, fieldErrors } = formError(error);
      return again(message, fieldErrors);
    }
    return seeOther(reply, listHref(state, { done: 'bulk', n: String(selected.length) }));
  });

  // ---- Create ----
  const newUserPage = (reply: FastifyReply, form: Record<string, string>, error: string | null, fieldErrors: Record<string, string>, status = 200) =>
    renderPage(reply, './user-new', { title: 'Create user', form, error, fieldErrors, roles: ROLE_LABELS }, status);

  app.get('/users/new', (_request, reply) => newUserPage(reply, { username: '', displayName: '', email: '', role: 'user' }, null, {}));

  app.post('/users', async (request, reply) => {
    const { account, actor } = adminOf(request);
    const body = formOf(request);
    const form = { username: field(body, 'username').trim(), displayName: field(body, 'displayName'), email: field(body, 'email').trim().slice(0, 320), role: roleOf(field(body, 'role')) ?? 'user' };
    // Every field checked before the service is asked, so that the form names all its mistakes at once.
    const problems = newUserProblems({ username: form.username, password: field(body, 'password') });
    if (problems.length > 0) {
      const { message, fieldErrors } = formErrors(problems);
      return newUserPage(reply, form, message, fieldErrors, 400);
    }
    try {
      await users.create(actor, account, {
        username: form.username,
        password: field(body, 'password'),
        role: form.role,
        ...(form.displayName.trim() ? { displayName: form.displayName } : {}),
        ...(form.email ? { email: form.email } : {}),
      });
    } catch (error) {
      const { message, fieldErrors } = formError(error);
      return newUserPage(reply, form, message, fieldErrors, 400);
    }
    return seeOther(reply, `${userPath(form.username)}/access?done=created`);
  });

  // ---- Details tab ----
  /** The Details tab: the user's facts, their groups and which restriction applies to them, and why. */
  async function detailsPage(
    request: FastifyRequest<UserParams>,
    reply: FastifyReply,
    form: { displayName: string; email: string } | null,
    error: string | null,
    status = 200,
    passwordError: string | null = null,
    fieldErrors: Record<string, string> = {},
  ) {
    const { account } = adminOf(request);
    const user = await users.show(account, request.params.username);
    const restriction = await restrictions.showForUser(account, user.username);
    return renderPage(
      reply,
      './user-details',
      {
        title: user.username,
        user,
        isSelf: user.username === adminOf(request).actorUsername,
        restrictionWhy: describeSource(restriction),
        form: form ?? { displayName: user.displayName, email: user.email ?? '' },
        fieldErrors,
        error,
        passwordError,
        roles: ROLE_LABELS,
        roleLabel,
        formatTime,
      },
      status,
    );
  }

  app.get<UserParams>('/users/:username', (request, reply) => detailsPage(request, reply, null, null));

  app.post<UserParams>('/users/:username', async (request, reply) => {
    const { account, actor } = adminOf(request);
    const body = formOf(request);
    const displayName = field(body, 'displayName');
    const email = field(body, 'email').trim().slice(0, 320);
    const user = await users.show(account, request.params.username);
    if (displayName.trim() === '') return detailsPage(request, reply, { displayName, email }, 'Enter a display name.', 400);
    try {
      // A directory user's address is the directory's: the form has no field for it, and it is left alone.
      await users.update(actor, account, user.username, { displayName, ...(user.source === 'directory' ? {} : { email: email === '' ? null : email }) });
    } catch (error) {
      const { message, fieldErrors } = formError(error);
      return detailsPage(request, reply, { displayName, email }, message, 400, null, fieldErrors);
    }
    return seeOther(reply, `${userPath(user.username)}?done=updated`);
  });

  // ---- Password reset (local users): the new password is typed by the admin and never shown again ----
  app.post<UserParams>('/users/:username/password', async (request, reply) => {
    const { account, actor } = adminOf(request);
    const user = await users.show(account, request.params.username);
    try {
      await users.update(actor, account, user.username, { password: field(formOf(request), 'password') });
    } catch (error) {
      const { fieldErrors, message } = formError(error);
      return detailsPage(request, reply, null, null, 400, fieldErrors.password ?? message);
    }
    return seeOther(reply, `${userPath(user.username)}?done=password_reset`);
  });

  // ---- Role change and deletion: a confirmation page first, the change only on its confirmed POST ----
  /** An admin's own role and account are not changed here: that could leave the account without an administrator. */
  function refuseSelf(request: FastifyRequest<UserParams>, reply: FastifyReply, what: string) {
    return detailsPage(request, reply, null, `You cannot ${what} your own account here. Ask another administrator.`, 409);
  }

  app.post<UserParams>('/users/:username/role', async (request, reply) => {
    const { account, actor, actorUsername } = adminOf(request);
    const user = await users.show(account, request.params.username);
    const body = formOf(request);
    const role = roleOf(field(body, 'role'));
    if (!role) return detailsPage(request, reply, null, 'Choose a role.', 400);
    if (role === user.role) return seeOther(reply, userPath(user.username));
    if (user.username === actorUsername) return refuseSelf(request, reply, 'change the role of');
    if (field(body, 'confirm') !== 'yes') {
      return renderPage(reply, './user-confirm', {
        title: 'Change role',
        user,
        question: `Change the role of ${user.username} from ${roleLabel(user.role)} to ${roleLabel(role)}?`,
        explain: role === 'admin' ? 'An administrator manages every user, token and setting of this account.' : 'They will no longer be able to open the console\'s administration pages.',
        action: userPath(user.username, '/role'),
        fields: { role },
        button: `Make ${roleLabel(role).toLowerCase()}`,
        danger: false,
      });
    }
    await users.update(actor, account, user.username, { role });
    return seeOther(reply, `${userPath(user.username)}?done=role_changed`);
  });

  app.get<UserParams>('/users/:username/delete', async (request, reply) => {
    const user = await users.show(adminOf(request).account, request.params.username);
    if (user.username === adminOf(request).actorUsername) return refuseSelf(request, reply, 'delete');
    return renderPage(reply, './user-confirm', {
      title: 'Delete user',
      user,
      question: `Delete ${user.displayName} (${user.username})?`,
      explain: `Their sessions end${returning(user.tokens.map((t) => t.serial))}. The audit log keeps their past events. This cannot be undone.`,
      action: userPath(user.username, '/delete'),
      fields: {},
      button: 'Delete user',
      danger: true,
    });
  });

  app.post<UserParams>('/users/:username/delete', async (request, reply) => {
    const { account, actor, actorUsername } = adminOf(request);
    const user = await users.show(account, request.params.username);
    if (user.username === actorUsername) return refuseSelf(request, reply, 'delete');
    await users.delete(actor, account, user.username);
    return seeOther(reply, '/admin/users?done=deleted');
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
        tokens: await tokens.listOfUser(account, user.username),
        maxTokens: settingsOf(account).maxTokensPerUser,
        tempCode: await app.otpgate.tempCodes.show(account, user.username),
        restrictionSource: restriction.source,
        restrictionWhy: describeSource(restriction),
        restrictionSummary: restriction.source === 'none' ? null : summarizeRestriction(restriction),
        restrictionGroups: restriction.groups,
        groups: user.groups ?? [],
        rows: [...rows, ...blankRows()],
        defaultAction: form ? form.default : restriction.default,
        ruleErrors: form?.errors ?? {},
        error: form?.error ?? null,
        actions: ACTION_LABELS,
        statusLabel,
        shownState,
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
  // A user holds up to the account's maxTokensPerUser: the form adds one (with an optional label) while under it.
  const associatePage = (reply: FastifyReply, user: UserView, form: { serial: string; label: string }, error: string | null, fieldErrors: Record<string, string>, status = 200) =>
    renderPage(reply, './token-associate', { title: 'Associate OTP token', user, ...form, withLabel: true, error, fieldErrors }, status);

  app.get<UserParams>('/users/:username/token/associate', async (request, reply) => {
    const { account } = adminOf(request);
    const user = await users.show(account, request.params.username);
    if (user.tokens.length >= settingsOf(account).maxTokensPerUser) return seeOther(reply, userPath(user.username, '/access'));
    return associatePage(reply, user, { serial: '', label: '' }, null, {});
  });

  app.post<UserParams>('/users/:username/token/associate', async (request, reply) => {
    const { account, actor } = adminOf(request);
    const user = await users.show(account, request.params.username);
    const body = formOf(request);
    const serial = field(body, 'serial').slice(0, 80);
    const label = field(body, 'label').slice(0, 100);
    try {
      await tokens.associate(actor, account, user.username, serial, field(body, 'otp').replace(/\s+/g, ''), true, label.trim() === '' ? undefined : label);
    } catch (error) {
      const { message, fieldErrors } = formError(error);
      return associatePage(reply, user, { serial, label }, message, fieldErrors, 400);
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
        await tokens.resync(actor, account, user.username, field(body, 'otp1').replace(/\s+/g, ''), field(body, 'otp2').replace(/\s+/g, ''), token.serial);
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
    withToken(request, reply, async (user, token) => {
      const { account, actor } = adminOf(request);
      await tokens.disassociate(actor, account, user.username, token.serial);
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
