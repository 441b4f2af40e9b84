// What every /admin page checks first: a full session of an admin (else the sign-in page, or for a plain
// user a 404 that shows no admin data), and for a POST the session's CSRF token.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { actorOf } from '../web/principal.js';
import type { Account, Actor } from '../services/context.js';
import { formOf, hasSessionCsrf } from './forms.js';
import { sessionPrincipal } from './render.js';
import { refuseCsrf, renderNotFound } from './message-pages.js';
import { sendToSignIn } from './return-to.js';

export interface AdminRequestContext {
  account: Account;
  actor: Actor;
  /** The signed-in administrator's own username (their own role and account are not changed from the list). */
  actorUsername: string;
  csrfToken: string;
}

declare module 'fastify' {
  interface FastifyRequest {
    admin: AdminRequestContext | null;
  }
}

export function adminOf(request: FastifyRequest): AdminRequestContext {
  if (!request.admin) throw new Error('an admin page ran without the admin guard');
  return request.admin;
}

/** Registers the guard on an /admin scope. Multipart posts check their CSRF field in the handler. */
export function guardAdminScope(app: FastifyInstance): void {
  app.decorateRequest('admin', null);
  app.addHook('preHandler', async (request, reply) => {
    const principal = sessionPrincipal(request);
    if (!principal) return sendToSignIn(request, reply, app.otpgate.sessions, app.otpgateConfig.secureCookies);
    if (principal.role !== 'admin') return renderNotFound(reply);
    if (request.method === 'POST' && !request.isMultipart() && !hasSessionCsrf(formOf(request), principal.csrfToken)) return refuseCsrf(reply);
    request.admin = { account: await app.otpgate.accounts.byId(principal.accountId), actor: actorOf(request), actorUsername: principal.username, csrfToken: principal.csrfToken };
  });
}
