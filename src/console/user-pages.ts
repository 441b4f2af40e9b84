// /admin/users/new and a user's page: create a user, and a user's Details tab (their facts, password, role,
// deletion, disabling). The list and the bulk restriction are user-list-pages.ts, the Access Restrictions
// tab user-access-pages.ts, the operations on the user's tokens user-token-pages.ts.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { describeSource } from '../core/restriction-precedence.js';
import { newUserProblems } from '../services/user-service.js';
import { adminOf } from './admin-guard.js';
import { field, formError, formErrors, formOf, roleLabel, ROLE_LABELS, roleOf } from './forms.js';
import { formatTime, renderPage, seeOther } from './render.js';

export type UserParams = { Params: { username: string } };

/** What a deletion does to the user's tokens, said on its confirmation page. */
function returning(serials: string[]): string {
  if (serials.length === 0) return '';
  if (serials.length === 1) return `, and token ${serials[0]} returns to the inventory`;
  return `, and tokens ${serials.slice(0, -1).join(', ')} and ${serials.at(-1)} return to the inventory`;
}

export function userPath(username: string, rest = ''): string {
  return `/admin/users/${encodeURIComponent(username)}${rest}`;
}

export async function userPages(app: FastifyInstance): Promise<void> {
  const { users, restrictions } = app.otpgate;

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
}
