// Self-service on /account for a signed-in user (docs/token-life.md, "Self-service"): associate a token of
// theirs from the inventory (after a step-up), re-sync their own token with two passcodes, and report it lost (after a confirmation page): it is disabled at once and
// the administrators are notified. A user who holds several tokens does either for each, the form naming it
// (docs/several-tokens.md). The page itself (sign-in-pages.ts) also lists their last 20 sign-ins.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { PendingAppEnrolment } from '../services/app-enrolment-service.js';
import { ServiceError } from '../services/errors.js';
import { hashId } from '../services/session-service.js';
import { actorOf } from '../web/principal.js';
import { chosenSerial, field, formError, formOf, hasSessionCsrf } from './forms.js';
import { NEUTRAL_ASSOCIATION_ERRORS, NEUTRAL_ASSOCIATION_MESSAGE } from './sign-in-pages.js';
import { qrSvgOf } from './app-qr.js';
import { refuseCsrf } from './message-pages.js';
import { formatTime, renderPage, seeOther, sentence, sessionPrincipal } from './render.js';

export async function accountPages(app: FastifyInstance): Promise<void> {
  const { accounts, tokens, tokenStates, notifications, appEnrolments, signIn } = app.otpgate;
  type AccountRow = Awaited<ReturnType<typeof accounts.byId>>;

  /** The signed-in user's principal and account; a POST must carry the session's CSRF token. */
  async function signedIn(request: FastifyRequest, reply: FastifyReply) {
    const principal = sessionPrincipal(request);
    if (!principal) return { redirect: seeOther(reply, '/login') } as const;
    if (request.method === 'POST' && !hasSessionCsrf(formOf(request), principal.csrfToken)) return { redirect: refuseCsrf(reply) } as const;
    return { principal, account: await accounts.byId(principal.accountId) } as const;
  }

  // Re-sync (POST /account/token/resync) is in sign-in-pages.ts: a wrong pair shows /account again with the error.

  // A user who holds several tokens names the one (`?serial=S` on the page, a `serial` field in its form);
  // a user with one token names none, as before.
  app.get('/account/token/lost', async (request, reply) => {
    const who = await signedIn(request, reply);
    if ('redirect' in who) return who.redirect;
    const held = await tokens.listOfUser(who.account, who.principal.username);
    if (held.length === 0) return seeOther(reply, '/account');
    let token;
    try {
      token = await tokens.ofUser(who.account, who.principal.username, chosenSerial(request) || undefined);
    } catch (error) {
      if (!(error instanceof ServiceError)) throw error;
      return renderPage(reply, './account-message', { title: 'Report token lost', error: sentence(error.message) }, error.status);
    }
    const told = await notifications.lostReportReachesAdmins(who.account);
    return renderPage(reply, './account-lost', { title: 'Report token lost', token, named: held.length > 1, told });
  });

  app.post('/account/token/lost', async (request, reply) => {
    const who = await signedIn(request, reply);
    if ('redirect' in who) return who.redirect;
    try {
      await tokenStates.reportLost(actorOf(request), who.account, who.principal.username, who.principal.sessionId, chosenSerial(request) || undefined);
    } catch (error) {
      if (!(error instanceof ServiceError)) throw error;
      return renderPage(reply, './account-message', { title: 'Report token lost', error: sentence(error.message) }, error.status);
    }
    // Promise that the administrators hear of it only when a webhook or an e-mail will tell them.
    return seeOther(reply, `/account?done=${(await notifications.lostReportReachesAdmins(who.account)) ? 'reported_lost' : 'reported_lost_untold'}`);
  });

  // ---- "Associate a token" (docs/console.md): a token from the inventory, by its serial and one passcode ----
  // The same proof as the sign-in's association prompt (TokenService.selfAssociate), after the same step-up as
  // "Add an authenticator app" (SignInService.stepUp), in one form. The service decides whether it is allowed.
  async function associateOwnPage(reply: FastifyReply, who: { principal: { username: string }; account: AccountRow }, data: { serial: string; error: string | null; fieldErrors: Record<string, string> }, status = 200) {
    const held = await tokens.listOfUser(who.account, who.principal.username);
    const allowed = await tokens.ownAssociation(who.account, who.principal.username);
    return renderPage(reply, './account-associate', { title: 'Associate a token', holdsToken: held.length > 0, allowed, ...data }, status);
  }

  app.get('/account/token/associate', async (request, reply) => {
    const who = await signedIn(request, reply);
    if ('redirect' in who) return who.redirect;
    return associateOwnPage(reply, who, { serial: '', error: null, fieldErrors: {} });
  });

  app.post('/account/token/associate', async (request, reply) => {
    const who = await signedIn(request, reply);
    if ('redirect' in who) return who.redirect;
    const body = formOf(request);
    const serial = field(body, 'serial').slice(0, 80);
    const again = (error: string, status: number, fieldErrors: Record<string, string> = {}) => associateOwnPage(reply, who, { serial, error, fieldErrors }, status);
    const stepUpCode = field(body, 'current').replace(/\s+/g, '');
    const stepUp = await signIn.stepUp({
      accountId: who.account.id,
      username: who.principal.username,
      password: field(body, 'password'),
      passcode: stepUpCode === '' ? null : stepUpCode,
      actor: actorOf(request),
      channel: 'console',
    });
    if (!stepUp.confirmed) {
      return again(stepUp.retryAfterSeconds > 0 ? `Too many failed attempts; try again in ${stepUp.retryAfterSeconds} s.` : 'Not confirmed: check your password and the passcode of your current token.', 400);
    }
    try {
      await tokens.selfAssociate(actorOf(request), who.account, who.principal.username, serial, field(body, 'otp').replace(/\s+/g, ''), 'account');
    } catch (error) {
      if (!(error instanceof ServiceError)) throw error;
      // One answer whether the serial is unknown, someone else's, or the passcode wrong, as at sign-in.
      if (NEUTRAL_ASSOCIATION_ERRORS.has(error.code)) return again(NEUTRAL_ASSOCIATION_MESSAGE, 400);
      const { message, fieldErrors } = formError(error);
      return again(message, error.status, fieldErrors);
    }
    return seeOther(reply, '/account?done=associated');
  });

  // ---- "Add an authenticator app" (docs/time-based-tokens.md) ----
  // The pending enrolment is bound to this session (its id hash): a reload shows the same secret, and no other
  // session sees it. The page holds a secret: never cached, never sent as a Referer.
  async function appPage(reply: FastifyReply, pending: PendingAppEnrolment | null, error: string | null, status = 200) {
    reply.header('referrer-policy', 'no-referrer');
    const qrSvg = pending ? await qrSvgOf(pending.uri) : '';
    return renderPage(reply, './account-app', { title: 'Add an authenticator app', pending, qrSvg, error, formatTime }, status);
  }

  app.get('/account/app', async (request, reply) => {
    const who = await signedIn(request, reply);
    if ('redirect' in who) return who.redirect;
    const pending = await appEnrolments.pending(who.account, who.principal.username, hashId(who.principal.sessionId));
    return appPage(reply, pending, null);
  });

  // Step-up: the password and a passcode of a token they hold (or a temporary code), checked as a sign-in that
  // asks for the passcode wherever the IP rules are; a user with no token where the sign-in would let them
  // associate one (enroll_required) may enrol with the password alone.
  app.post('/account/app/start', async (request, reply) => {
    const who = await signedIn(request, reply);
    if ('redirect' in who) return who.redirect;
    const body = formOf(request);
    const otp = field(body, 'otp').replace(/\s+/g, '');
    const stepUp = await signIn.stepUp({
      accountId: who.account.id,
      username: who.principal.username,
      password: field(body, 'password'),
      passcode: otp === '' ? null : otp,
      actor: actorOf(request),
      channel: 'console',
    });
    if (!stepUp.confirmed) {
      const error = stepUp.retryAfterSeconds > 0 ? `Too many failed attempts; try again in ${stepUp.retryAfterSeconds} s.` : 'Not confirmed: check your password and the passcode.';
      return appPage(reply, null, error, 400);
    }
    try {
      await appEnrolments.start(actorOf(request), who.account, who.principal.username, hashId(who.principal.sessionId));
    } catch (error) {
      if (!(error instanceof ServiceError)) throw error;
      return appPage(reply, null, sentence(error.message), error.status);
    }
    return seeOther(reply, '/account/app');
  });

  app.post('/account/app/activate', async (request, reply) => {
    const who = await signedIn(request, reply);
    if ('redirect' in who) return who.redirect;
    const binding = hashId(who.principal.sessionId);
    try {
      await appEnrolments.activate(actorOf(request), who.account, who.principal.username, binding, field(formOf(request), 'code'));
    } catch (error) {
      if (!(error instanceof ServiceError)) throw error;
      // A wrong code keeps the enrolment: the same secret is shown again with the error.
      return appPage(reply, await appEnrolments.pending(who.account, who.principal.username, binding), sentence(error.message), 400);
    }
    return seeOther(reply, '/account?done=app_added');
  });

  app.post('/account/app/cancel', async (request, reply) => {
    const who = await signedIn(request, reply);
    if ('redirect' in who) return who.redirect;
    await appEnrolments.cancel(actorOf(request), who.account, who.principal.username);
    return seeOther(reply, '/account');
  });
}
