// The JSON API under /api/v1. Bodies are JSON (multipart for imports); a console session may call it too,
// but then every state-changing request must carry the session's CSRF token in X-CSRF-Token.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { ServiceError } from '../../services/errors.js';
import { unauthenticated } from '../principal.js';
import { csrfTokensEqual } from '../../services/session-service.js';
import { auditRoutes } from './audit.js';
import { authCheckRoutes } from './auth-check.js';
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

export async function apiRoutes(app: FastifyInstance): Promise<void> {
  // Authentication comes first, before the body is read or validated: without a valid key (or console
  // session) every route is 401, whatever the body, its size or its type.
  app.addHook('onRequest', (request, _reply, done) => {
    done(request.principal ? undefined : unauthenticated());
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
  await app.register(auditRoutes);
}
