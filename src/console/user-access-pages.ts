// A user's Access Restrictions tab (/admin/users/:username/access): their tokens, temporary code and which
// restriction applies to them, with the editor of their own restriction.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { describeSource } from '../core/restriction-precedence.js';
import { settingsOf } from '../services/account-settings.js';
import { ServiceError } from '../services/errors.js';
import { adminOf } from './admin-guard.js';
import { ACTION_LABELS, blankRows, formError, formOf, readRestriction, rowsOf, shownState, statusLabel, summarizeRestriction, type RestrictionForm } from './forms.js';
import { formatTime, renderPage, seeOther } from './render.js';
import { userPath, type UserParams } from './user-pages.js';

export async function userAccessPages(app: FastifyInstance): Promise<void> {
  const { users, tokens, restrictions } = app.otpgate;

  // ---- Access Restrictions tab ----
  async function accessPage(request: FastifyRequest<UserParams>, reply: FastifyReply, form: RestrictionForm | null, status = 200) {
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
}
