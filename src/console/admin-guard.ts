// What every /admin page checks first: a full session of an admin, or of a help-desk user on a help-desk
// page (else the sign-in page, or a 404 that shows no admin data), and for a POST the session's CSRF token.
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

/**
 * The pages a help-desk user may use (docs/token-life.md, "Roles"): users and tokens listed and viewed, associate,
 * re-sync, unlock, disable, enable, disassociate and temporary codes, and the audit of those users and tokens.
 * Every other /admin page answers them as it answers a plain user (404): closed by default, so a page added
 * later is not theirs until listed here.
 */
const HELPDESK_PAGES = new Set([
  'GET /admin/users',
  'GET /admin/users/:username',
  'GET /admin/users/:username/access',
  'GET /admin/users/:username/token/associate',
  'POST /admin/users/:username/token/associate',
  'GET /admin/users/:username/token/resync',
  'POST /admin/users/:username/token/resync',
  'GET /admin/users/:username/token/disassociate',
  'POST /admin/users/:username/token/disassociate',
  'POST /admin/users/:username/token/unlock',
  'GET /admin/users/:username/token/disable',
  'POST /admin/users/:username/token/disable',
  'POST /admin/users/:username/token/enable',
  'POST /admin/users/:username/temp-code',
  'POST /admin/users/:username/temp-code/revoke',
  'GET /admin/tokens',
  'GET /admin/tokens/:serial',
  // The audit of the account's users and tokens only (AuditService.scopeOf), not of its settings.
  'GET /admin/audit',
  'GET /admin/audit/export',
]);

/** Whether a console role may use the page this request is for. */
export function mayUsePage(role: string, method: string, routeUrl: string | undefined): boolean {
  if (role === 'admin') return true;
  return role === 'helpdesk' && HELPDESK_PAGES.has(`${method === 'HEAD' ? 'GET' : method} ${routeUrl ?? ''}`);
}

/** Registers the guard on an /admin scope. Multipart posts check their CSRF field in the handler. */
export function guardAdminScope(app: FastifyInstance): void {
  app.decorateRequest('admin', null);
  app.addHook('preHandler', async (request, reply) => {
    const principal = sessionPrincipal(request);
    if (!principal) return sendToSignIn(request, reply, app.otpgate.sessions, app.otpgateConfig.secureCookies);
    if (!mayUsePage(principal.role, request.method, request.routeOptions.url)) return renderNotFound(reply);
    if (request.method === 'POST' && !request.isMultipart() && !hasSessionCsrf(formOf(request), principal.csrfToken)) return refuseCsrf(reply);
    request.admin = { account: await app.otpgate.accounts.byId(principal.accountId), actor: actorOf(request), actorUsername: principal.username, csrfToken: principal.csrfToken };
  });
}
