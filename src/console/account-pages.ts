// Self-service on /account for a signed-in user (docs/token-life.md, "Self-service"): re-sync their
// own token with two passcodes, and report it lost (after a confirmation page): it is disabled at once and
// the administrators are notified. The page itself (sign-in-pages.ts) also lists their last 20 sign-ins.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { actorOf } from '../web/principal.js';
import { field, formError, formOf, hasSessionCsrf } from './forms.js';
import { refuseCsrf } from './message-pages.js';
import { renderPage, seeOther, sessionPrincipal } from './render.js';

export async function accountPages(app: FastifyInstance): Promise<void> {
  const { accounts, tokens, notifications } = app.otpgate;

  /** The signed-in user's principal and account; a POST must carry the session's CSRF token. */
  async function signedIn(request: FastifyRequest, reply: FastifyReply) {
    const principal = sessionPrincipal(request);
    if (!principal) return { redirect: seeOther(reply, '/login') } as const;
    if (request.method === 'POST' && !hasSessionCsrf(formOf(request), principal.csrfToken)) return { redirect: refuseCsrf(reply) } as const;
    return { principal, account: await accounts.byId(principal.accountId) } as const;
  }

  app.post('/account/token/resync', async (request, reply) => {
    const who = await signedIn(request, reply);
    if ('redirect' in who) return who.redirect;
    const body = formOf(request);
    try {
      await tokens.resync(actorOf(request), who.account, who.principal.username, field(body, 'otp1').replace(/\s+/g, ''), field(body, 'otp2').replace(/\s+/g, ''));
    } catch (error) {
      const { message } = formError(error);
      return renderPage(reply, './account-message', { title: 'Re-sync token', error: message }, 400);
    }
    return seeOther(reply, '/account?done=resynced');
  });

  app.get('/account/token/lost', async (request, reply) => {
    const who = await signedIn(request, reply);
    if ('redirect' in who) return who.redirect;
    const token = await tokens.ofUser(who.account, who.principal.username).catch(() => null);
    if (!token) return seeOther(reply, '/account');
    const told = await notifications.lostReportReachesAdmins(who.account);
    return renderPage(reply, './account-lost', { title: 'Report token lost', token, told });
  });

  app.post('/account/token/lost', async (request, reply) => {
    const who = await signedIn(request, reply);
    if ('redirect' in who) return who.redirect;
    await tokens.reportLost(actorOf(request), who.account, who.principal.username, who.principal.sessionId);
    // Promise that the administrators hear of it only when a webhook or an e-mail will tell them.
    return seeOther(reply, `/account?done=${(await notifications.lostReportReachesAdmins(who.account)) ? 'reported_lost' : 'reported_lost_untold'}`);
  });
}
