// Who is calling the HTTP server: an application with an API key, or a console user with a session.
import type { FastifyRequest } from 'fastify';
import type { ApiKeyScope } from '../services/api-key-service.js';
import type { Actor } from '../services/context.js';
import { ServiceError } from '../services/errors.js';

export type Principal =
  | { kind: 'apikey'; name: string; accountId: number; scopes: ApiKeyScope[]; allowClientIp: boolean }
  | { kind: 'session'; username: string; accountId: number; role: 'admin' | 'user'; sessionId: string; csrfToken: string };

declare module 'fastify' {
  interface FastifyRequest {
    principal: Principal | null;
    /** The end user's address: the socket's, or the nearest untrusted X-Forwarded-For hop behind a trusted proxy. */
    clientIp: string | null;
  }
}

export function actorOf(request: FastifyRequest, clientIp: string | null = request.clientIp): Actor {
  const principal = request.principal;
  if (!principal) return { name: 'anonymous', accountId: null, clientIp };
  return principal.kind === 'apikey'
    ? { name: `apikey:${principal.name}`, accountId: principal.accountId, clientIp }
    : { name: `user:${principal.username}`, accountId: principal.accountId, clientIp };
}

/** The refusal of a request without a valid API key or console session. */
export function unauthenticated(): ServiceError {
  return new ServiceError('unauthorized', 'send an API key as "Authorization: Bearer <key>", or sign in to the console');
}

/** The principal, which must hold one of the scopes (a console session of an admin counts as `admin`). */
export function requireScope(request: FastifyRequest, ...scopes: ApiKeyScope[]): Principal {
  const principal = request.principal;
  if (!principal) throw unauthenticated();
  const held: ApiKeyScope[] = principal.kind === 'apikey' ? principal.scopes : principal.role === 'admin' ? ['admin'] : [];
  if (!scopes.some((s) => held.includes(s))) throw new ServiceError('insufficient_scope', `this route needs an API key with scope ${scopes.join(' or ')}`);
  return principal;
}
