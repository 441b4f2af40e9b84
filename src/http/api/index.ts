// The JSON API under /api/v1, a plugin with its own context: none of the console's hooks (security headers,
// cookie parsing, form CSRF) run here. Callers send an API key; a console session may call it too (its cookie
// is read only when there is no Authorization header), but then every state-changing request must carry the
// session's CSRF token in X-CSRF-Token. Bodies are JSON (multipart for imports).
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ServiceError } from '../../services/errors.js';
import { csrfTokensEqual } from '../../services/session-service.js';
import { sendError } from '../errors.js';
import { scopesOf, sessionPrincipalOf, unauthenticated } from '../../web/principal.js';
import { readSessionCookie } from '../../web/session-cookie.js';
import { auditExportRoutes, auditRoutes } from './audit.js';
import { authCheckRoutes } from './auth-check.js';
import { directoryRoutes } from './directory.js';
import { groupRoutes } from './groups.js';
import { oidcClientRoutes } from './oidc-clients.js';
import { webhookRoutes } from './webhooks.js';
import { reportRoutes } from './reports.js';
import { tempCodeRoutes } from './temp-codes.js';
import { tokenRoutes } from './tokens.js';
import { userRoutes } from './users.js';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * The API's numeric query parameters (`limit`, `offset`, `before`) arrive as text: those the route's schema
 * declares integers are converted here, explicitly, since the validator converts nothing (a body's field of
 * the wrong type is refused). A value that is not a whole number stays text, and the schema refuses it.
 */
function convertIntegerQuery(request: FastifyRequest): void {
  const properties = (request.routeOptions.schema?.querystring as { properties?: Record<string, { type?: unknown }> } | undefined)?.properties;
  const query = request.query as Record<string, unknown> | undefined;
  if (!properties || !query) return;
  for (const [name, schema] of Object.entries(properties)) {
    const value = query[name];
    if (schema.type === 'integer' && typeof value === 'string' && /^-?[0-9]{1,15}$/.test(value)) query[name] = Number(value);
  }
}

export async function apiPlugin(app: FastifyInstance): Promise<void> {
  const services = app.otpgate;
  const secureCookies = app.otpgateConfig.secureCookies;
  app.addHook('onRequest', async (request) => {
    // A path that is no route is 404 whoever asks (the route table is public in the OpenAPI document).
    if (request.is404) return;
    const authorization = request.headers.authorization;
    if (authorization !== undefined) {
      const match = /^Bearer\s+(\S+)$/i.exec(authorization);
      const principal = match?.[1] ? await services.apiKeys.authenticate(match[1]) : null;
      if (!principal) throw unauthenticated();
      request.principal = { kind: 'apikey', ...principal };
    } else {
      request.principal = await sessionPrincipalOf(services, readSessionCookie(request, secureCookies));
      // Authentication comes first, before the body is read or validated: without a valid key (or console
      // session) every route is 401, whatever the body, its size or its type.
      if (!request.principal) throw unauthenticated();
    }
    // A caller with no scope but `helpdesk` reaches only the routes marked for the help desk: closed by default.
    const held = scopesOf(request.principal);
    if (held.length > 0 && held.every((scope) => scope === 'helpdesk') && request.routeOptions.config.helpdesk !== true) {
      throw new ServiceError('insufficient_scope', 'the help desk may not use this route: it needs an API key with scope admin');
    }
  });
  app.addHook('preValidation', (request, _reply, done) => {
    convertIntegerQuery(request);
    done();
  });
  app.addHook('preHandler', (request, _reply, done) => {
    const principal = request.principal;
    if (!SAFE_METHODS.has(request.method) && principal?.kind === 'session') {
      const given = request.headers['x-csrf-token'];
      if (!csrfTokensEqual(principal.csrfToken, typeof given === 'string' ? given : undefined)) {
        done(new ServiceError('unauthorized', 'a console session must send its CSRF token in X-CSRF-Token'));
        return;
      }
    }
    done();
  });
  // Only JSON bodies here (the import route adds multipart in its own context).
  app.addHook('onRequest', (request, _reply, done) => {
    const type = request.headers['content-type'];
    if (type !== undefined && !SAFE_METHODS.has(request.method) && !/^application\/json\b/i.test(type) && !/^multipart\/form-data\b/i.test(type)) {
      done(new ServiceError('unsupported_media_type', `Content-Type ${type} is not accepted: send application/json`));
      return;
    }
    done();
  });
  await app.register(authCheckRoutes);
  await app.register(userRoutes);
  await app.register(tokenRoutes);
  await app.register(tempCodeRoutes);
  await app.register(auditRoutes);
  await app.register(auditExportRoutes);
  await app.register(directoryRoutes);
  await app.register(groupRoutes);
  await app.register(webhookRoutes);
  await app.register(oidcClientRoutes);
  await app.register(reportRoutes);
  app.setNotFoundHandler(sendNotFound);
}

/** Any path under /api that is no route: the API's JSON error, not the console's page. */
export function sendNotFound(request: FastifyRequest, reply: FastifyReply): FastifyReply {
  return sendError(reply, new ServiceError('not_found', `no route ${request.method} ${request.url.split('?')[0] ?? ''}`));
}
