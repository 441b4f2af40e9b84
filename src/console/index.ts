// The admin console and the sign-in pages: server-rendered HTML forms over the services (eta templates in
// src/console/views, escaped by default). No page holds a rule: each parses its form, calls a service,
// and renders or redirects (303 after every successful POST). No JavaScript anywhere.
//
// A plugin that the HTTP app registers in a context of its own: the security headers, cookie parsing, form
// bodies, the session look-up and the HTML error pages below apply to the console's pages only, never to
// the JSON API under /api/v1.
import type { FastifyError, FastifyInstance } from 'fastify';
import fastifyCookie from '@fastify/cookie';
import fastifyFormbody from '@fastify/formbody';
import fastifyHelmet from '@fastify/helmet';
import { ServiceError } from '../services/errors.js';
import { isDatabaseUnavailable } from '../services/health-service.js';
import { registerImportUploads } from '../web/import-upload.js';
import { sessionPrincipalOf } from '../web/principal.js';
import { readSessionCookie } from '../web/session-cookie.js';
import { guardAdminScope } from './admin-guard.js';
import { CONSOLE_CSP_DIRECTIVES } from './csp.js';
import { accountPages } from './account-pages.js';
import { auditPages } from './audit-pages.js';
import { directoryPages } from './directory-pages.js';
import { groupPages } from './group-pages.js';
import { renderMessage, renderNotFound } from './message-pages.js';
import { restrictionPages } from './restriction-pages.js';
import { FAVICON, sentence, STYLESHEET } from './render.js';
import { healthPages } from './health-pages.js';
import { oidcClientPages } from './oidc-client-pages.js';
import { settingsPages } from './settings-pages.js';
import { signInPages } from './sign-in-pages.js';
import { tokenPages } from './token-pages.js';
import { tokenStatePages } from './token-state-pages.js';
import { userAccessPages } from './user-access-pages.js';
import { userListPages } from './user-list-pages.js';
import { userPages } from './user-pages.js';
import { userTokenPages } from './user-token-pages.js';

const FORM_BODY_LIMIT = 256 * 1024;

export async function consolePlugin(app: FastifyInstance): Promise<void> {
  const services = app.otpgate;
  const config = app.otpgateConfig;

  await app.register(fastifyCookie);
  // Security headers on every page. The console has no script and no inline style: the CSP says so.
  await app.register(fastifyHelmet, {
    contentSecurityPolicy: {
      useDefaults: false,
      directives: { ...CONSOLE_CSP_DIRECTIVES },
    },
    strictTransportSecurity: config.secureCookies,
    // The Referer within the site only: a form sent after its session expired returns to its page after sign-in.
    referrerPolicy: { policy: 'same-origin' },
  });
  await app.register(fastifyFormbody, { bodyLimit: FORM_BODY_LIMIT });

  app.addHook('onRequest', async (request) => {
    request.principal = await sessionPrincipalOf(services, readSessionCookie(request, config.secureCookies));
  });

  app.setErrorHandler((error: FastifyError, request, reply) => {
    if (error instanceof ServiceError) {
      // An admin page's unknown user or token says which (a plain user never reaches an admin page's service).
      if (error.code === 'user_not_found') return renderMessage(reply, 404, 'No such user', [sentence(error.message)], { href: '/admin/users', label: 'Users' });
      if (error.status === 404) return renderNotFound(reply);
      return renderMessage(reply, error.status, 'Not done', [sentence(error.message)], { href: '/', label: 'Home' });
    }
    if (error.statusCode === 413 || error.code === 'FST_ERR_CTP_BODY_TOO_LARGE') return renderMessage(reply, 413, 'Too large', ['The form is over the size limit. Nothing was changed.']);
    if (error.statusCode === 415) return renderMessage(reply, 415, 'Not accepted', ['Send this form from the console page.']);
    if (error.statusCode === 400) return renderMessage(reply, 400, 'Bad request', ['The form could not be read. Nothing was changed.']);
    if (isDatabaseUnavailable(error)) {
      services.health.failed(request.log, error);
      return renderMessage(reply, 503, 'Unavailable', ['The database cannot be reached. Nothing was changed: try again in a moment.']);
    }
    request.log.error({ err: error }, 'console page failed');
    return renderMessage(reply, 500, 'Something went wrong', ['An unexpected error occurred; the server log has the details. Nothing may have changed: check before trying again.']);
  });
  app.setNotFoundHandler((_request, reply) => renderNotFound(reply));

  for (const path of ['/favicon.ico', '/favicon.svg']) {
    app.get(path, (_request, reply) => reply.type('image/svg+xml').header('cache-control', 'public, max-age=86400').send(FAVICON));
  }
  app.get('/console.css', (_request, reply) => reply.type('text/css; charset=utf-8').header('cache-control', 'public, max-age=3600').send(STYLESHEET));

  await app.register(signInPages);
  await app.register(accountPages);
  await app.register(
    async (admin) => {
      await registerImportUploads(admin, config.importLimitBytes);
      guardAdminScope(admin);
      admin.get('/', (_request, reply) => reply.status(303).header('location', '/admin/users').send());
      await admin.register(userListPages);
      await admin.register(userPages);
      await admin.register(userAccessPages);
      await admin.register(userTokenPages);
      await admin.register(tokenPages);
      await admin.register(tokenStatePages);
      await admin.register(auditPages);
      await admin.register(settingsPages);
      await admin.register(directoryPages);
      await admin.register(groupPages);
      await admin.register(restrictionPages);
      await admin.register(healthPages);
      await admin.register(oidcClientPages);
    },
    { prefix: '/admin' },
  );
}
