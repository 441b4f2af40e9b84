// The seed's operations on a user's tokens, from their page (/admin/users/:username/token/...): associate,
// re-sync, disassociate, unlock. A page names one token with `serial`, or acts on the user's one token.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { settingsOf } from '../services/account-settings.js';
import { ServiceError } from '../services/errors.js';
import type { TokenView, UserView } from '../services/views.js';
import { adminOf } from './admin-guard.js';
import { chosenSerial, field, formError, formOf } from './forms.js';
import { renderPage, seeOther } from './render.js';
import { userPath, type UserParams } from './user-pages.js';

/** The refusals that mean a page named no token of the user: it shows the user's tab instead. */
const CHOSEN_NONE = new Set(['token_not_found', 'several_tokens', 'invalid_request']);

export async function userTokenPages(app: FastifyInstance): Promise<void> {
  const { users, tokens, tokenStates } = app.otpgate;

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
      await tokenStates.unlock(actor, account, token.serial);
      return seeOther(reply, userPath(user.username, '/access?done=unlocked'));
    }),
  );
}
