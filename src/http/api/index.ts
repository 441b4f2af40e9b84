// The JSON API under /api/v1. Bodies are JSON (multipart for imports); a console session may call it too,
// but then every state-changing request must carry the session's CSRF token in X-CSRF-Token.
import type { FastifyInstance } from 'fastify';
import { ServiceError } from '../../services/errors.js';
import { csrfTokensEqual } from '../../services/session-service.js';
import { auditRoutes } from './audit.js';
import { authCheckRoutes } from './auth-check.js';
import { tokenRoutes } from './tokens.js';
import { userRoutes } from './users.js';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

export async function apiRoutes(app: FastifyInstance): Promise<void> {
  app.addHook('preHandler', async (request) => {
    if (SAFE_METHODS.has(request.method)) return;
    const principal = request.principal;
    if (principal?.kind === 'session') {
      const given = request.headers['x-csrf-token'];
      if (!csrfTokensEqual(principal.csrfToken, typeof given === 'string' ? given : undefined)) {
        throw new ServiceError('unauthorized', 'a console session must send its CSRF token in X-CSRF-Token');
      }
    }
  });
  // Only JSON bodies here (the import route adds multipart in its own context).
  app.addHook('onRequest', async (request) => {
    const type = request.headers['content-type'];
    if (type === undefined || SAFE_METHODS.has(request.method)) return;
    if (!/^application\/json\b/i.test(type) && !/^multipart\/form-data\b/i.test(type)) {
      throw new ServiceError('unsupported_media_type', `Content-Type ${type} is not accepted: send application/json`);
    }
  });
  await app.register(authCheckRoutes);
  await app.register(userRoutes);
  await app.register(tokenRoutes);
  await app.register(auditRoutes);
}
