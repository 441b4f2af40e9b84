// The HTTP server: one Fastify app that registers two plugins, each in its own encapsulated context: the
// JSON API under /api/v1 (http/api) and the console's pages (console/). The root holds only what both share:
// logging, the client address, the services, the OpenAPI document and /healthz. No rule lives here.
import { createHash, timingSafeEqual } from 'node:crypto';
import Fastify, { LogController, type FastifyInstance } from 'fastify';
import fastifySwagger from '@fastify/swagger';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { destination, type LoggerOptions } from 'pino';
import type { Services } from '../services/services.js';
import { consolePlugin } from '../console/index.js';
import '../web/principal.js';
import { apiPlugin, sendNotFound } from './api/index.js';
import { canonicalIp } from './client-ip.js';
import { sendError } from './errors.js';
import { renderNotFound } from '../console/message-pages.js';
import { findTextProblem } from '../core/text.js';
import { textLogStream } from './text-log.js';
import { lazyRequestLogger } from './request-log.js';
import { ServiceError } from '../services/errors.js';

declare module 'fastify' {
  interface FastifyInstance {
    otpgate: Services;
    otpgateConfig: HttpConfig;
    /** Every route registered, for tests that must cover all of them (tenant isolation, OpenAPI). */
    otpgateRoutes: RouteEntry[];
  }
}

/**
 * What the HTTP app is told by whoever starts it (runtime/ reads it from the environment, docs/configuration.md).
 * Declared here, not imported from runtime/, so that http/ depends on nothing above it.
 */
export interface HttpConfig {
  trustedProxies: string[];
  logLevel: string;
  logFile: string | undefined;
  /** The log on standard output: JSON lines, or short text lines; undefined: text on a terminal, else JSON. */
  logFormat: 'json' | 'text' | undefined;
  /** Secure, __Host- cookies; off only for plain-HTTP local use. */
  secureCookies: boolean;
  /** The largest seed file an upload may be, bytes. */
  importLimitBytes: number;
  /** GET /metrics answers only with this bearer token; undefined, there is no /metrics. */
  metricsToken: string | undefined;
  /** The address browsers and applications reach otpgate at; the OpenID Provider runs only when it is set (docs/oidc.md). */
  publicUrl: string | undefined;
}

export interface RouteEntry {
  method: string;
  url: string;
  /** The route's JSON schema parts, when it declared them. */
  schema: { body?: unknown; params?: unknown; querystring?: unknown; hide?: boolean } | undefined;
}

export type App = FastifyInstance;

/** Values never to be logged, wherever they appear in a logged object. */
export const REDACTED_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-csrf-token"]',
  'res.headers["set-cookie"]',
  // Plugins log request headers under their own keys too (@fastify/multipart: busboyOptions.headers at trace).
  'headers.authorization',
  'headers.cookie',
  'headers["x-csrf-token"]',
  '*.headers.authorization',
  '*.headers.cookie',
  '*.headers["x-csrf-token"]',
  '*.headers["set-cookie"]',
  '*.password',
  '*.otp',
  '*.otp1',
  '*.otp2',
  '*.passcode',
  '*.secret',
  '*.psk',
  '*.key',
];

/** Two secrets compared in constant time (their SHA-256 digests, so that lengths do not show either). */
function secretsEqual(given: string, expected: string): boolean {
  const digest = (text: string) => createHash('sha256').update(text, 'utf8').digest();
  return timingSafeEqual(digest(given), digest(expected));
}

/** Paths that answer in the API's JSON error format. */
function isApiPath(url: string): boolean {
  const path = url.split('?')[0] ?? '';
  return path === '/api' || path.startsWith('/api/');
}

/** How the log on standard output is written: as configured, else text on a terminal and JSON otherwise. */
export function logFormat(config: HttpConfig): 'json' | 'text' {
  return config.logFormat ?? (process.stdout.isTTY ? 'text' : 'json');
}

/**
 * Standard output for the log: written asynchronously (a synchronous write per access-log line cost the
 * request thread about 5 % of its time under load); lines that arrive while a write is under way go out
 * together in the next. Not held back for a minimum size: a line must be readable as soon as it is written
 * (an operator's tail, a supervisor reading the outage line). pino flushes what is pending at exit.
 */
const STDOUT_LOG = { dest: 1, sync: false } as const;

export interface ServerOptions {
  /** pino options, or false for no logging (tests). A file destination comes from OTPGATE_LOG_FILE, the format on standard output from OTPGATE_LOG_FORMAT. */
  logger?: LoggerOptions | false;
}

export async function buildServer(services: Services, config: HttpConfig, options: ServerOptions = {}): Promise<App> {
  const loggerOptions: LoggerOptions | false =
    options.logger === false
      ? false
      : {
          level: config.logLevel,
          redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
          // To a file through pino's worker thread; to standard output asynchronously (STDOUT_LOG).
          // On a terminal (unless OTPGATE_LOG_FORMAT=json) the same entries as short text lines (text-log.ts).
          ...(config.logFile
            ? { transport: { target: 'pino/file', options: { destination: config.logFile, mkdir: true } } }
            : logFormat(config) === 'text'
              ? { stream: textLogStream(destination(STDOUT_LOG)) }
              : { stream: destination(STDOUT_LOG) }),
          ...options.logger,
        };
  const app = Fastify({
    logger: loggerOptions,
    bodyLimit: 1024 * 1024,
    // Client IP: the socket's address unless the peer is a trusted proxy; then the rightmost address in
    // X-Forwarded-For that is not a trusted proxy (proxy-addr's rule). Without trusted proxies the
    // header is ignored entirely.
    trustProxy: config.trustedProxies.length > 0 ? config.trustedProxies : false,
    // No type coercion: a field of the wrong type (["frank"] for "frank", "1" for 1) is refused, never
    // converted. The API's numeric query parameters are converted explicitly (api/index.ts).
    ajv: { customOptions: { removeAdditional: false, coerceTypes: false, useDefaults: true, allErrors: false } },
    // A path parameter is refused by its route's schema (a clear 400 naming it) rather than by the router;
    // longer ones get the router's error, in the error format (frameworkErrors below).
    routerOptions: { maxParamLength: 1024 },
    // Errors found before routing (a bad percent-encoding in the path, a path parameter over the limit):
    // the API's error format under /api, the console's "not found" page elsewhere.
    frameworkErrors: (error, request, reply) => void (isApiPath(request.url) ? sendError(reply, error) : renderNotFound(reply)),
    return503OnClosing: true,
    // The access log is one line per request, written when the answer is sent (below), instead of
    // Fastify's two (request received, request completed) with the request and response serialised.
    logController: new LogController({ disableRequestLogging: true }),
    // Each request's logger (request.log) is made when the request first logs through it (request-log.ts):
    // most requests never do, and making one per request cost a few µs of every sign-in check.
    ...(loggerOptions === false ? {} : { childLoggerFactory: lazyRequestLogger }),
    // On close, drop idle keep-alive connections but let requests in flight finish (serve.ts bounds the wait).
    forceCloseConnections: 'idle',
  }).withTypeProvider<TypeBoxTypeProvider>();

  const routes: RouteEntry[] = [];
  app.addHook('onRoute', (route) => {
    for (const method of [route.method].flat()) routes.push({ method, url: route.url, schema: route.schema });
  });
  app.decorate('otpgateRoutes', routes);
  app.decorate('otpgate', services);
  app.decorate('otpgateConfig', config);
  app.decorateRequest('principal', null);
  app.decorateRequest('clientIp', null);

  await app.register(fastifySwagger, {
    // Only the tagged JSON API routes are documented, not the console's pages.
    hideUntagged: true,
    openapi: {
      openapi: '3.1.0',
      info: { title: 'otpgate API', version: '1', description: 'Hardware OTP token administration and sign-in checks.' },
      components: { securitySchemes: { apiKey: { type: 'http', scheme: 'bearer', description: 'An API key from `otpgate apikey create`' } } },
      security: [{ apiKey: [] }],
    },
  });

  // Hooks on every request are callback-style where their work is synchronous: an async hook costs a
  // promise and a turn of the microtask queue per request.
  app.addHook('onRequest', (request, _reply, done) => {
    request.clientIp = canonicalIp(request.ip);
    done();
  });

  // One access-log line per request: method, path (no query string), status and time. It is cheap: no
  // serialised request object, and it is written by a child logger without the redaction pass, since the
  // line holds nothing to redact (no headers, no query string, no body). Redaction walks every logged object
  // for the paths above: about 9 µs a line, a few per cent of a sign-in check; without it, under 1 µs.
  const accessLog = app.log.child({}, { redact: [] });
  app.addHook('onResponse', (request, reply, done) => {
    const url = request.url;
    const query = url.indexOf('?');
    accessLog.info({ reqId: request.id, method: request.method, path: query === -1 ? url : url.slice(0, query), status: reply.statusCode, ms: Math.round(reply.elapsedTime * 10) / 10 }, 'request');
    done();
  });

  app.setErrorHandler((error, _request, reply) => sendError(reply, error));
  // During a database outage, a request that did not fail with 503 may be the first sign of recovery.
  app.addHook('onResponse', (request, reply, done) => {
    if (services.health.outage && reply.statusCode !== 503) services.health.settled(request.log);
    done();
  });

  // JSON bodies must be UTF-8: invalid bytes are refused, not replaced with U+FFFD. The text is then parsed
  // by Fastify's own JSON parser (which refuses __proto__ and constructor.prototype keys).
  const parseJsonText = app.getDefaultJsonParser('error', 'error');
  const strictUtf8 = new TextDecoder('utf-8', { fatal: true });
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (request, body, done) => {
    let text: string;
    try {
      text = strictUtf8.decode(body as Buffer);
    } catch {
      done(new ServiceError('invalid_request', 'the body is not valid UTF-8'), undefined);
      return;
    }
    void parseJsonText(request, text, done);
  });
  // Every string a request carries (path parameters, query, JSON or form body, keys included) must be text
  // that can be stored as given; see core/text.ts.
  app.addHook('preValidation', (request, _reply, done) => {
    const found = findTextProblem(request.params, 'params') ?? findTextProblem(request.query, 'querystring') ?? findTextProblem(request.body, 'body');
    if (found === null) {
      done();
      return;
    }
    const field = /^(?:params|querystring|body)\.([^.[]+)/.exec(found.path)?.[1];
    done(new ServiceError('invalid_request', `${found.path} ${found.problem}; nothing was done`, field ? { field } : undefined));
  });

  await app.register(apiPlugin, { prefix: '/api/v1' });
  app.get('/api/openapi.json', { schema: { hide: true } }, () => app.swagger());
  app.get('/healthz', { schema: { hide: true } }, async (_request, reply) => {
    if (await services.health.check(reply.log)) return { status: 'ok', database: 'reachable' };
    return reply.status(503).send({ status: 'unavailable', database: 'unreachable' });
  });
  // Prometheus metrics, only with OTPGATE_METRICS_TOKEN set, and only for a caller that presents it.
  const metricsToken = config.metricsToken;
  if (metricsToken !== undefined) {
    app.get('/metrics', { schema: { hide: true } }, async (request, reply) => {
      const given = /^Bearer\s+(\S+)$/i.exec(request.headers.authorization ?? '')?.[1];
      if (given === undefined || !secretsEqual(given, metricsToken)) {
        return reply.status(401).header('www-authenticate', 'Bearer').send({ error: { code: 'unauthorized', message: 'send Authorization: Bearer $OTPGATE_METRICS_TOKEN' } });
      }
      const { contentType, body } = await services.metrics.scrape();
      return reply.type(contentType).send(body);
    });
  }
  // /api/... paths that are no route get the API's JSON error; every other path the console's page.
  await app.register(async (api) => api.setNotFoundHandler(sendNotFound), { prefix: '/api' });
  // The OpenID Provider, when the public address it is issued at is configured. Loaded only then: oidc-provider
  // warns on standard error when it is loaded on Node 20 (docs/oidc.md), and a server without it says nothing.
  if (config.publicUrl !== undefined) {
    const { oidcPlugin } = await import('../oidc/plugin.js');
    await app.register(oidcPlugin);
  }
  await app.register(consolePlugin);
  return app;
}
