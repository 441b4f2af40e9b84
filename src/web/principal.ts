// Who is calling the HTTP server: an application with an API key, or a console user with a session. The
// JSON API and the console both read it; each sets it in its own onRequest hook.
import type { FastifyRequest } from 'fastify';
import type { Role } from '../core/values.js';
import type { ApiKeyScope } from '../services/api-key-service.js';
import type { Actor } from '../services/context.js';
import { ServiceError } from '../services/errors.js';
import type { Services } from '../services/services.js';

export type SessionPrincipal = { kind: 'session'; username: string; accountId: number; role: Role; sessionId: string; csrfToken: string };
export type Principal = { kind: 'apikey'; name: string; accountId: number; scopes: ApiKeyScope[]; allowClientIp: boolean } | SessionPrincipal;

declare module 'fastify' {
  interface FastifyRequest {
    principal: Principal | null;
    /** The end user's address: the socket's, or the nearest untrusted X-Forwarded-For hop behind a trusted proxy. */
    clientIp: string | null;
  }
}

/** The signed-in (full) console session a cookie value stands for, or null. */
export async function sessionPrincipalOf(services: Services, cookie: string | undefined): Promise<SessionPrincipal | null> {
  const session = await services.sessions.resume(cookie);
  if (!session || session.stage !== 'full') return null;
  return {
    kind: 'session',
    username: session.user.username,
    accountId: session.user.account_id,
    role: session.user.role,
    sessionId: session.id,
    csrfToken: session.csrfToken,
  };
}

/**
 * The audit log names who acted as `channel:name`: `console:alice` (a console user, from the password step
 * of their sign-in to every change they make), `apikey:portal`, `radius:office-vpn`; `cli` for the operator.
 */
export function consoleActorName(username: string): string {
  return `console:${username}`;
}

export function actorOf(request: FastifyRequest, clientIp: string | null = request.clientIp): Actor {
  const principal = request.principal;
  if (!principal) return { name: 'anonymous', accountId: null, clientIp };
  return principal.kind === 'apikey'
    ? { name: `apikey:${principal.name}`, accountId: principal.accountId, clientIp }
    : { name: consoleActorName(principal.username), accountId: principal.accountId, clientIp };
}

/** The refusal of a request without a valid API key or console session. */
export function unauthenticated(): ServiceError {
  return new ServiceError('unauthorized', 'send an API key as "Authorization: Bearer <key>", or sign in to the console');
}

/** The scopes a principal holds: a key's own; a console session of an admin or help-desk user holds its role. */
export function scopesOf(principal: Principal): ApiKeyScope[] {
  if (principal.kind === 'apikey') return principal.scopes;
  return principal.role === 'admin' ? ['admin'] : principal.role === 'helpdesk' ? ['helpdesk'] : [];
}

/** The principal, which must hold one of the scopes. */
export function requireScope(request: FastifyRequest, ...scopes: ApiKeyScope[]): Principal {
  const principal = request.principal;
  if (!principal) throw unauthenticated();
  const held = scopesOf(principal);
  if (!scopes.some((s) => held.includes(s))) throw new ServiceError('insufficient_scope', `this route needs an API key with scope ${scopes.join(' or ')}`);
  return principal;
}
