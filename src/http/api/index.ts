// The JSON API under /api/v1. Bodies are JSON (multipart for imports); a console session may call it too,
// but then every state-changing request must carry the session's CSRF token in X-CSRF-Token.
import type { FastifyInstance } from 'fastify';
import { ServiceError } from '../../services/errors.js';
import { csrfTokensEqual } from '../../services/session-service.js';
import { auditRoutes } from './audit.js';
import { authCheckRoutes } from './auth-check.js';
import { directoryRoutes } from './directory.js';
import { tokenRoutes } from './tokens.js';
import { userRoutes } from './users.js';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

export async function apiRoutes(app: FastifyInstance): Promise<void> {
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
  await app.register(directoryRoutes);
}
