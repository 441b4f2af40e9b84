// The admin console and the sign-in pages: server-rendered HTML forms over the services (eta templates in
// src/console/views, escaped by default). No page holds a rule: each parses its form, calls a service,
// and renders or redirects (303 after every successful POST). No JavaScript anywhere.
import type { FastifyError, FastifyInstance } from 'fastify';
import fastifyFormbody from '@fastify/formbody';
import fastifyMultipart from '@fastify/multipart';
import { ServiceError } from '../services/errors.js';
import { isDatabaseUnavailable } from '../services/health-service.js';
import { accountPages } from './account-pages.js';
import { guardAdminScope } from './admin-guard.js';
import { renderNotFound } from './not-found.js';
import { STYLESHEET } from './render.js';
import { renderMessage, signInPages } from './sign-in-pages.js';
import { tokenPages } from './token-pages.js';
import { userPages } from './user-pages.js';

export { renderNotFound } from './not-found.js';

const FORM_BODY_LIMIT = 256 * 1024;

export async function consoleRoutes(app: FastifyInstance): Promise<void> {
  await app.register(fastifyFormbody, { bodyLimit: FORM_BODY_LIMIT });

  app.setErrorHandler((error: FastifyError, request, reply) => {
    if (error instanceof ServiceError) {
      if (error.status === 404) return renderNotFound(reply);
      return renderMessage(reply, error.status, 'Not done', [error.message], { href: '/', label: 'Home' });
    }
    if (error.statusCode === 413 || error.code === 'FST_ERR_CTP_BODY_TOO_LARGE') return renderMessage(reply, 413, 'Too large', ['The form is over the size limit. Nothing was changed.']);
    if (error.statusCode === 415) return renderMessage(reply, 415, 'Not accepted', ['Send this form from the console page.']);
    if (error.statusCode === 400) return renderMessage(reply, 400, 'Bad request', ['The form could not be read. Nothing was changed.']);
    if (isDatabaseUnavailable(error)) {
      app.otpgate.health.failed(request.log, error);
      return renderMessage(reply, 503, 'Unavailable', ['The database cannot be reached. Nothing was changed: try again in a moment.']);
    }
    request.log.error({ err: error }, 'console page failed');
    return renderMessage(reply, 500, 'Something went wrong', ['An unexpected error occurred; the server log has the details. Nothing may have changed: check before trying again.']);
  });

  app.get('/console.css', (_request, reply) => reply.type('text/css; charset=utf-8').header('cache-control', 'public, max-age=3600').send(STYLESHEET));

  await app.register(signInPages);
  await app.register(
    async (admin) => {
      await admin.register(fastifyMultipart, { limits: { fileSize: app.otpgateConfig.importLimitBytes, files: 1, fields: 10, fieldSize: 4096, parts: 12 }, throwFileSizeLimit: true });
      guardAdminScope(admin);
      admin.get('/', (_request, reply) => reply.status(303).header('location', '/admin/users').send());
      await admin.register(userPages);
      await admin.register(tokenPages);
      await admin.register(accountPages);
    },
    { prefix: '/admin' },
  );
}
