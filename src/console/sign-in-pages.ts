// The sign-in pages: the password step, then the passcode step or the association step, as the sign-in
// service decides; "my account"; sign-out. Every step that moves up a stage starts a new session id.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { describeSignIn, describeSignInChannel } from '../core/audit-reasons.js';
import type { Role } from '../core/values.js';
import type { Actor } from '../services/context.js';
import { settingsOf } from '../services/account-settings.js';
import { ServiceError } from '../services/errors.js';
import type { OidcSignInTerms } from '../services/oidc-service.js';
import { hashId, type Session } from '../services/session-service.js';
import type { PendingAppEnrolment } from '../services/app-enrolment-service.js';
import type { SignInOutcome } from '../services/sign-in-service.js';
import { actorOf, consoleActorName, type SessionPrincipal } from '../web/principal.js';
import { clearSessionCookie, preSessionCookieName, readSessionCookie, setSessionCookie } from '../web/session-cookie.js';
import { chosenSerial, field, formError, formOf, hasSessionCsrf, isAppToken, roleLabel, shownState, statusLabel, tokenKind } from './forms.js';
import { refuseCsrf, renderMessage } from './message-pages.js';
import { formatTime, renderPage, seeOther, sentence, sessionPrincipal } from './render.js';
import { qrSvgOf } from './app-qr.js';
import { nextQuery, safeReturnPath, sendToSignIn } from './return-to.js';
import { consoleCspWithFormAction } from './csp.js';
import { count } from '../core/count.js';

export const NEUTRAL_ASSOCIATION_ERRORS = new Set<string>(['token_not_found', 'token_not_available', 'passcode_not_accepted']);
export const NEUTRAL_ASSOCIATION_MESSAGE =
  'That serial number and passcode do not match a token you can associate. Check the serial number on the back of the token, press the token and enter the new passcode.';

/**
 * The one refusal of the password step, for an unknown user, a wrong password, a disabled user and a deny
 * rule alike (telling a denied address that the password was right would make the page a password oracle),
 * worded so that a person whose password is right knows that retrying will not help; the page adds whom to
 * ask ("Ask your help desk", with the account's help contact when one is set).
 */
export const SIGN_IN_REFUSED =
  'Sign-in refused. Check your username and password. If you are sure they are right, trying again will not help: your account may be disabled, or signing in may not be allowed from where you are.';

export function homeOf(role: Role): string {
  return role === 'admin' || role === 'helpdesk' ? '/admin/users' : '/account';
}

/** After a sign-in: the page asked for before it (an admin page only for an admin or the help desk), else the role's home. */
function destinationOf(role: Role, next: string | null): string {
  if (next && (role === 'admin' || role === 'helpdesk' || !next.startsWith('/admin'))) return next;
  return homeOf(role);
}

const EXPIRED_NOTICES: Record<string, string> = {
  page: 'Your session expired after 30 minutes without activity. Sign in again to return to the page you asked for.',
  form: 'Your session expired after 30 minutes without activity, so the form you sent was not saved. Sign in again to return to its page, then enter your changes again.',
};

export async function signInPages(app: FastifyInstance): Promise<void> {
  const { signIn, sessions, accounts, users, tokens, tempCodes, oidc, appEnrolments } = app.otpgate;
  const secure = app.otpgateConfig.secureCookies;

  /** A session that has passed the password step only (the passcode or association step comes next). */
  async function halfSession(request: FastifyRequest): Promise<Session | null> {
    const session = await sessions.resume(readSessionCookie(request, secure));
    return session?.stage === 'password' ? session : null;
  }

  function userActor(request: FastifyRequest, session: Session): Actor {
    return { name: consoleActorName(session.user.username), accountId: session.user.account_id, clientIp: request.clientIp };
  }

  /** Starts the next stage's session with a fresh id, replacing whatever session the browser had. */
  async function advance(request: FastifyRequest, reply: FastifyReply, outcomeUser: NonNullable<SignInOutcome['user']>, stage: 'password' | 'full', otp = false): Promise<Session> {
    const account = await accounts.byId(outcomeUser.accountId);
    const user = await users.require(account, outcomeUser.username);
    const session = await sessions.start(user, stage, readSessionCookie(request, secure), otp);
    setSessionCookie(reply, secure, session.id);
    return session;
  }

  async function tokenIsLocked(session: Session): Promise<boolean> {
    const user = await users.show(await accounts.byId(session.user.account_id), session.user.username);
    return user.tokens.some((token) => token.status === 'locked');
  }

  function lockedPage(reply: FastifyReply): FastifyReply {
    return renderMessage(reply, 403, 'Token locked', [
      'Your OTP token is locked after too many wrong passcodes.',
      'Contact an administrator or your help desk: they can unlock or re-sync it, or give you a temporary code. With a temporary code, sign in again: after your password you are asked for it.',
    ], { href: '/login', label: 'Back to sign-in' });
  }

  function askAdministratorPage(reply: FastifyReply): FastifyReply {
    return renderMessage(reply, 403, 'Ask your administrator', [
      'Signing in from this address requires an OTP token, and no token is associated with your account.',
      'Ask your administrator to associate a token with your account, then sign in again.',
    ], { href: '/login', label: 'Back to sign-in' });
  }

  /**
   * A sign-in page for an OpenID client (its `next` is an interaction): its form may end, after same-origin
   * 303s, at the client's redirect URI, which the page's CSP `form-action` must name (csp.ts); its Cancel
   * answers access_denied to the client. Null for any other sign-in.
   */
  async function clientPage(reply: FastifyReply, next: string | null): Promise<{ terms: OidcSignInTerms | null; cancel: string | null }> {
    const terms = await oidc.signInTermsFor(next);
    if (!terms) return { terms, cancel: null };
    void reply.header('content-security-policy', consoleCspWithFormAction(terms.redirectOrigins));
    return { terms, cancel: `/oidc/interaction/${terms.interaction}/abort` };
  }

  /** The passcode step's page; for a user whose tokens are locked (a live temporary code let them here), it asks for that code. */
  async function passcodePage(reply: FastifyReply, session: Session, next: string | null, error: string | null, status = 200): Promise<FastifyReply> {
    const { cancel } = await clientPage(reply, next);
    const locked = await tokenIsLocked(session);
    return renderPage(reply, './login-passcode', { title: 'Passcode', narrow: true, username: session.user.username, locked, error, next, cancel, csrfToken: session.csrfToken }, status);
  }

  async function associatePage(reply: FastifyReply, session: Session, data: { serial: string; error: string | null; fieldErrors: Record<string, string>; next: string | null }, status = 200): Promise<FastifyReply> {
    const { cancel } = await clientPage(reply, data.next);
    const appEnrolment = settingsOf(await accounts.byId(session.user.account_id)).appEnrolment;
    return renderPage(reply, './login-associate', { title: 'Associate OTP token', narrow: true, username: session.user.username, ...data, appEnrolment, cancel, csrfToken: session.csrfToken }, status);
  }

  /**
   * A deny rule for the browser's address, in a sign-in for an OpenID client: the client gets
   * access_denied (the sign-in pages would only ask again). Null when the sign-in is not for a client.
   */
  async function refuseForClient(request: FastifyRequest, reply: FastifyReply, terms: OidcSignInTerms | null, outcome: SignInOutcome, username: string): Promise<FastifyReply | null> {
    if (!terms || outcome.reason !== 'denied_by_rule') return null;
    const returnTo = await oidc.refuseInteraction(terms.interaction, 'sign-in refused');
    if (returnTo === null) return null;
    await oidc.recordSignIn(request.clientIp, terms.clientId, terms.accountId, username, 'refused', 'denied by the access restriction for this address');
    return seeOther(reply, returnTo);
  }

  function throttledText(outcome: SignInOutcome): string {
    return `Too many failed attempts. Wait ${count(Math.max(1, outcome.retryAfterSeconds), 'second')} and try again.`;
  }

  app.get('/', async (request, reply) => {
    const principal = sessionPrincipal(request);
    return seeOther(reply, principal ? homeOf(principal.role) : '/login');
  });

  async function loginForm(request: FastifyRequest, reply: FastifyReply, data: { username: string; error: string | null; next: string | null; expired?: string | null; refused?: boolean }, status = 200): Promise<FastifyReply> {
    const cookieName = preSessionCookieName(secure);
    const pair = sessions.preSessionCsrf(request.cookies[cookieName]);
    if (pair.issued) void reply.setCookie(cookieName, pair.nonce, { path: '/', httpOnly: true, sameSite: 'lax', secure });
    const token = pair.token;
    const expired = data.expired ? (EXPIRED_NOTICES[data.expired] ?? null) : null;
    const { cancel, terms } = await clientPage(reply, data.next);
    // After a refusal, whom to ask: the account's help contact (the same whoever the username names).
    const helpContact = data.refused ? await accounts.helpContactFor(terms?.accountId ?? null) : null;
    return renderPage(reply, './login', { title: 'Sign in', narrow: true, ...data, expired, cancel, helpContact, lostHref: `/login/lost${nextQuery(data.next)}`, csrfToken: token }, status);
  }

  app.get('/login', async (request, reply) => {
    const query = request.query as Record<string, unknown>;
    const next = safeReturnPath(query.next);
    const principal = sessionPrincipal(request);
    if (principal) return seeOther(reply, destinationOf(principal.role, next));
    return loginForm(request, reply, { username: '', error: null, next, expired: typeof query.expired === 'string' ? query.expired : null });
  });

  app.post('/login', async (request, reply) => {
    const body = formOf(request);
    if (!sessions.checkPreSessionCsrf(request.cookies[preSessionCookieName(secure)], field(body, '_csrf'))) return refuseCsrf(reply);
    const username = field(body, 'username').trim().slice(0, 64);
    const password = field(body, 'password');
    const next = safeReturnPath(field(body, 'next'));
    if (username === '' || password === '') return loginForm(request, reply, { username, next, error: 'Enter your username and password.' }, 400);
    // Signing in for an OpenID client: only its account's users, and the passcode step when the client asks.
    const terms = await oidc.signInTermsFor(next);
    const outcome = await signIn.check({
      accountId: terms?.accountId ?? null,
      username,
      password,
      passcode: null,
      actor: { name: consoleActorName(username), accountId: null, clientIp: request.clientIp },
      channel: terms ? 'oidc' : 'console',
      requireOtp: terms?.requireOtp ?? false,
    });
    switch (outcome.result) {
      case 'accept': {
        const session = await advance(request, reply, outcome.user!, 'full');
        const destination = destinationOf(session.user.role, next);
        // In with the password alone: an administrator who holds no token is told, on the first page, to add one.
        if (!terms && (await tokens.suggestsOwnToken(await accounts.byId(session.user.account_id), session.user.username))) {
          return seeOther(reply, `${destination}${destination.includes('?') ? '&' : '?'}done=add_token`);
        }
        return seeOther(reply, destination);
      }
      case 'otp_required':
        await advance(request, reply, outcome.user!, 'password');
        return seeOther(reply, `/login/passcode${nextQuery(next)}`);
      case 'enroll_required':
        await advance(request, reply, outcome.user!, 'password');
        return seeOther(reply, `/login/associate${nextQuery(next)}`);
      case 'locked':
        return lockedPage(reply);
      case 'reject':
        if (outcome.reason === 'no_token_self_association_off') return askAdministratorPage(reply);
        if (outcome.reason === 'denied_by_rule') return (await refuseForClient(request, reply, terms, outcome, username)) ?? loginForm(request, reply, { username, next, error: SIGN_IN_REFUSED, refused: true }, 401);
        if (outcome.reason === 'throttled') return loginForm(request, reply, { username, next, error: throttledText(outcome) }, 429);
        // Unknown user, wrong password, a disabled user and a deny rule look the same here, as in the API.
        return loginForm(request, reply, { username, next, error: SIGN_IN_REFUSED, refused: true }, 401);
    }
  });

  const nextOfQuery = (request: FastifyRequest) => safeReturnPath((request.query as Record<string, unknown>).next);

  // "Lost your token?": what to do without a token at hand, and whom to ask (before any sign-in).
  app.get('/login/lost', async (request, reply) => {
    const next = nextOfQuery(request);
    const helpContact = await accounts.helpContactFor((await oidc.signInTermsFor(next))?.accountId ?? null);
    return renderMessage(reply, 200, 'Lost your token?', [
      'If your OTP token is lost, broken, locked or not with you, contact your help desk' + (helpContact ? `: ${helpContact}.` : '.'),
      'They can give you a temporary code: sign in with your password, then enter the temporary code where the passcode is asked. It works for a limited time only.',
      'If the token may be in someone else\'s hands, say so: the help desk disables it so that its passcodes are refused. If you can still sign in, you can also report it lost yourself on your account page.',
    ], { href: `/login${nextQuery(next)}`, label: 'Back to sign-in' });
  });

  app.get('/login/passcode', async (request, reply) => {
    const session = await halfSession(request);
    if (!session) return seeOther(reply, '/login');
    return passcodePage(reply, session, nextOfQuery(request), null);
  });

  app.post('/login/passcode', async (request, reply) => {
    const session = await halfSession(request);
    if (!session) return seeOther(reply, '/login');
    const body = formOf(request);
    if (!hasSessionCsrf(body, session.csrfToken)) return refuseCsrf(reply);
    const next = safeReturnPath(field(body, 'next'));
    const again = (error: string, status: number) => passcodePage(reply, session, next, error, status);
    const passcode = field(body, 'otp').replace(/\s+/g, '');
    if (passcode === '') return again('Enter the passcode your token shows.', 400);
    // The half session proves the password step, so the password is not asked again (password: null).
    const terms = await oidc.signInTermsFor(next);
    const outcome = await signIn.check({
      accountId: session.user.account_id,
      username: session.user.username,
      password: null,
      passcode,
      actor: userActor(request, session),
      channel: terms ? 'oidc' : 'console',
      requireOtp: terms?.requireOtp ?? false,
    });
    switch (outcome.result) {
      case 'accept': {
        // The session records that the token was proven (OIDC's amr and acr): a temporary code is no hardware token.
        const full = await advance(request, reply, outcome.user!, 'full', outcome.reason === 'passcode_accepted');
        return seeOther(reply, destinationOf(full.user.role, next));
      }
      case 'locked': {
        // A token's passcode while the tokens are locked: with a live temporary code the step stays open for it.
        const account = await accounts.byId(session.user.account_id);
        if ((await tempCodes.show(account, session.user.username))?.live) return again('Your token is locked: its passcodes are not accepted. Enter the temporary code instead.', 403);
        await sessions.end(session.id);
        clearSessionCookie(reply, secure);
        return lockedPage(reply);
      }
      case 'enroll_required':
        return seeOther(reply, `/login/associate${nextQuery(next)}`);
      case 'otp_required':
        return again('Enter the passcode your token shows.', 400);
      case 'reject':
        if (outcome.reason === 'no_token_self_association_off') return askAdministratorPage(reply);
        if (outcome.reason === 'throttled') return again(throttledText(outcome), 429);
        if (outcome.reason === 'temp_code_wrong') return again('That temporary code was not accepted. Check it with the person who gave it to you, or ask for a new one.', 401);
        // The wrong passcode that reaches maxFailures locks the token (and ends this half session): say so now.
        if (await tokenIsLocked(session)) {
          clearSessionCookie(reply, secure);
          return lockedPage(reply);
        }
        // Never echo the passcode back.
        return again('That passcode was not accepted. Press the token again and enter the new passcode.', 401);
    }
  });

  app.get('/login/associate', async (request, reply) => {
    const session = await halfSession(request);
    if (!session) return seeOther(reply, '/login');
    return associatePage(reply, session, { serial: '', error: null, fieldErrors: {}, next: nextOfQuery(request) });
  });

  // The association prompt's other way: an authenticator app (docs/time-based-tokens.md). The password step
  // was passed and the sign-in would let the user associate a token: the pending enrolment is bound to this
  // half-signed-in session, and activating it completes the sign-in as an association does.
  async function loginAppPage(reply: FastifyReply, session: Session, pending: PendingAppEnrolment | null, next: string | null, error: string | null, status = 200) {
    reply.header('referrer-policy', 'no-referrer');
    // In a sign-in for an OpenID client, activating ends at the client's redirect URI (csp.ts), and Cancel answers it.
    const { cancel } = await clientPage(reply, next);
    const qrSvg = pending ? await qrSvgOf(pending.uri) : '';
    return renderPage(reply, './login-app', { title: 'Add an authenticator app', narrow: true, username: session.user.username, pending, qrSvg, next, error, formatTime, cancel, csrfToken: session.csrfToken }, status);
  }

  app.get('/login/associate/app', async (request, reply) => {
    const session = await halfSession(request);
    if (!session) return seeOther(reply, '/login');
    const account = await accounts.byId(session.user.account_id);
    if (!(await appEnrolments.mayEnrolAtSignIn(account, session.user.username))) return askAdministratorPage(reply);
    try {
      const pending = await appEnrolments.start(userActor(request, session), account, session.user.username, hashId(session.id));
      return await loginAppPage(reply, session, pending, nextOfQuery(request), null);
    } catch (error) {
      if (!(error instanceof ServiceError)) throw error;
      return loginAppPage(reply, session, null, nextOfQuery(request), sentence(error.message), error.status);
    }
  });

  app.post('/login/associate/app', async (request, reply) => {
    const session = await halfSession(request);
    if (!session) return seeOther(reply, '/login');
    const body = formOf(request);
    if (!hasSessionCsrf(body, session.csrfToken)) return refuseCsrf(reply);
    const next = safeReturnPath(field(body, 'next'));
    const account = await accounts.byId(session.user.account_id);
    if (!(await appEnrolments.mayEnrolAtSignIn(account, session.user.username))) return askAdministratorPage(reply);
    const binding = hashId(session.id);
    try {
      await appEnrolments.activate(userActor(request, session), account, session.user.username, binding, field(body, 'code'));
    } catch (error) {
      if (!(error instanceof ServiceError)) throw error;
      return loginAppPage(reply, session, await appEnrolments.pending(account, session.user.username, binding), next, sentence(error.message), 400);
    }
    // A current code of the new app proved possession: the sign-in is complete.
    const full = await advance(request, reply, { id: session.user.id, username: session.user.username, accountId: session.user.account_id }, 'full', true);
    const destination = destinationOf(full.user.role, next);
    return seeOther(reply, `${destination}${destination.includes('?') ? '&' : '?'}done=app_added`);
  });

  app.post('/login/associate', async (request, reply) => {
    const session = await halfSession(request);
    if (!session) return seeOther(reply, '/login');
    const body = formOf(request);
    if (!hasSessionCsrf(body, session.csrfToken)) return refuseCsrf(reply);
    const serial = field(body, 'serial').slice(0, 80);
    const next = safeReturnPath(field(body, 'next'));
    try {
      const account = await accounts.byId(session.user.account_id);
      await tokens.selfAssociate(userActor(request, session), account, session.user.username, serial, field(body, 'otp').replace(/\s+/g, ''));
    } catch (error) {
      if (error instanceof ServiceError && error.code === 'self_association_disabled') return askAdministratorPage(reply);
      // Whether the serial exists, is someone else's or the passcode is wrong: one answer, so that a
      // half-signed-in user cannot learn which serials the account holds.
      const { message, fieldErrors } =
        error instanceof ServiceError && NEUTRAL_ASSOCIATION_ERRORS.has(error.code) ? { message: NEUTRAL_ASSOCIATION_MESSAGE, fieldErrors: {} } : formError(error);
      return associatePage(reply, session, { serial, error: message, fieldErrors, next }, error instanceof ServiceError && !NEUTRAL_ASSOCIATION_ERRORS.has(error.code) ? error.status : 400);
    }
    // Associating proved possession of the token: the sign-in is complete.
    const full = await advance(request, reply, { id: session.user.id, username: session.user.username, accountId: session.user.account_id }, 'full', true);
    const destination = destinationOf(full.user.role, next);
    return seeOther(reply, `${destination}${destination.includes('?') ? '&' : '?'}done=associated`);
  });

  app.post('/logout', async (request, reply) => {
    const session = await sessions.resume(readSessionCookie(request, secure));
    if (session) {
      if (!hasSessionCsrf(formOf(request), session.csrfToken)) return refuseCsrf(reply);
      await sessions.end(session.id);
    }
    clearSessionCookie(reply, secure);
    return seeOther(reply, '/login?done=signed_out');
  });

  async function accountPage(reply: FastifyReply, principal: SessionPrincipal, password: { error: string | null; fieldErrors: Record<string, string> }, status = 200, resyncError: { serial: string | null; message: string } | null = null) {
    const account = await accounts.byId(principal.accountId);
    const user = await users.show(account, principal.username);
    // Every token the user holds, oldest association first (one read); each has its own forms.
    const held = user.tokens.length > 0 ? await tokens.listOfUser(account, principal.username) : [];
    const signIns = await app.otpgate.audit.list({ accountId: account.id, username: principal.username, action: 'signin', limit: 20 });
    const appEnrolment = settingsOf(account).appEnrolment;
    const ownAssociation = await tokens.ownAssociation(account, principal.username);
    return renderPage(reply, './account', { title: 'My account', user, tokens: held, signIns, describeSignIn, describeSignInChannel, statusLabel, shownState, tokenKind, isAppToken, roleLabel, formatTime, appEnrolment, ownAssociation, passwordError: password.error, passwordErrors: password.fieldErrors, resyncError }, status);
  }

  app.get('/account', async (request, reply) => {
    const principal = sessionPrincipal(request);
    if (!principal) return sendToSignIn(request, reply, sessions, secure);
    return accountPage(reply, principal, { error: null, fieldErrors: {} });
  });

  // Re-sync of the user's own token with two passcodes; a wrong pair keeps the form on /account with the
  // error beside it (as the administrator's re-sync page does), never a page with nothing to do but go back.
  app.post('/account/token/resync', async (request, reply) => {
    const principal = sessionPrincipal(request);
    if (!principal) return sendToSignIn(request, reply, sessions, secure);
    const body = formOf(request);
    if (!hasSessionCsrf(body, principal.csrfToken)) return refuseCsrf(reply);
    const account = await accounts.byId(principal.accountId);
    // A user who holds several tokens names the one in the form (`serial`); the error goes beside that form.
    const serial = chosenSerial(request) || undefined;
    try {
      await tokens.resync(actorOf(request), account, principal.username, field(body, 'otp1').replace(/\s+/g, ''), field(body, 'otp2').replace(/\s+/g, ''), serial);
    } catch (error) {
      return accountPage(reply, principal, { error: null, fieldErrors: {} }, 400, { serial: serial ?? null, message: formError(error).message });
    }
    return seeOther(reply, '/account?done=resynced');
  });

  // "Change my password", for every local user: the current password, then the new one twice.
  app.post('/account/password', async (request, reply) => {
    const principal = sessionPrincipal(request);
    if (!principal) return sendToSignIn(request, reply, sessions, secure);
    const body = formOf(request);
    if (!hasSessionCsrf(body, principal.csrfToken)) return refuseCsrf(reply);
    const next = field(body, 'new');
    if (next !== field(body, 'confirm')) return accountPage(reply, principal, { error: 'Nothing was changed: correct the field marked below.', fieldErrors: { confirm: 'The two new passwords are not the same.' } }, 400);
    const account = await accounts.byId(principal.accountId);
    try {
      await users.changeOwnPassword(actorOf(request), account, principal.username, field(body, 'current'), next);
    } catch (error) {
      const { message, fieldErrors } = formError(error);
      // The service names the new password `password`; on this form it is the field `new`.
      if (fieldErrors.password) fieldErrors.new = fieldErrors.password;
      return accountPage(reply, principal, { error: message, fieldErrors }, 400);
    }
    // Changing the password ends every session of the user, this one too.
    clearSessionCookie(reply, secure);
    return seeOther(reply, '/login?done=password_changed');
  });
}
