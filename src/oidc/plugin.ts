// The OpenID Provider at /oidc, in a Fastify context of its own: every /oidc request goes to
// oidc-provider's own handler (the raw request, its body unread), except the interaction pages, which hand
// the browser to otpgate's sign-in pages and finish the interaction with what that sign-in proved.
// Security headers (CSP, frame-ancestors) go on every /oidc response. The signing keys are read from the
// database; a rotation made by another process is picked up within KEY_CHECK_MS.
import type { IncomingMessage } from 'node:http';
import fastifyCookie, { fastifyCookie as cookies } from '@fastify/cookie';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type Provider from 'oidc-provider';
import { ACR_OTP, asksForFreshSignIn, asksForPasscode } from '../services/oidc-service.js';
import { csrfTokensEqual } from '../services/session-service.js';
import { clearSessionCookie, preSessionCookieName, readSessionCookie, sessionCookieName } from '../web/session-cookie.js';
import { escapeHtml, oidcCsp } from './html.js';
import { createProvider, OIDC_PREFIX } from './provider.js';

const KEY_CHECK_MS = 30 * 1000;
const FORM_LIMIT = 4096;

/** The pages the provider renders have no script and only the console's stylesheet; none may be framed. */
const SECURITY_HEADERS: Record<string, string> = {
  'content-security-policy': oidcCsp(),
  'x-frame-options': 'DENY',
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
};

export async function oidcPlugin(app: FastifyInstance): Promise<void> {
  const { oidc, sessions } = app.otpgate;
  const config = app.otpgateConfig;
  const secure = config.secureCookies;
  const issuer = `${config.publicUrl!.replace(/\/+$/, '')}${OIDC_PREFIX}`;

  async function build(): Promise<{ provider: Provider; version: string }> {
    const keys = await oidc.signingKeys();
    const provider = createProvider(oidc, { issuer, cookieKeys: oidc.cookieKeys(), secureCookies: secure, proxy: config.trustedProxies.length > 0, keys });
    // The provider's events are synchronous; the writes they start (the token's audit event, the end of the
    // console session at sign-out) are held on the request and awaited before its response is sent, so that a
    // client never holds a token whose event is not yet written, nor a "signed out" page while its session
    // still lives. A failed write is logged; the answer has been decided by then.
    const held = new WeakMap<object, Promise<void>[]>();
    const hold = (ctx: object, write: Promise<unknown>, what: string) => {
      const settled = write.then(
        () => undefined,
        (error: unknown) => app.log.error({ err: error }, what),
      );
      held.set(ctx, [...(held.get(ctx) ?? []), settled]);
    };
    provider.use(async (ctx, next) => {
      await next();
      const writes = held.get(ctx);
      if (writes) await Promise.all(writes);
    });
    provider.on('grant.success', (ctx) => {
      const client = ctx.oidc.client?.clientId ?? 'unknown';
      hold(ctx, oidc.recordToken(ctx.ip, client, null, ctx.oidc.account?.accountId ?? null, 'success', typeof ctx.oidc.params?.grant_type === 'string' ? ctx.oidc.params.grant_type : 'token'), 'oidc audit failed');
    });
    provider.on('grant.error', (ctx, error) => {
      const client = ctx.oidc.client?.clientId ?? 'unknown';
      hold(ctx, oidc.recordToken(ctx.ip, client, null, null, 'refused', String((error as { error?: string }).error ?? 'error')), 'oidc audit failed');
    });
    // "Sign out" on the end-session page (logout=yes) signs the browser out of otpgate too: its console
    // session (which would sign it in again at the next authorization request without a question) ends.
    provider.on('end_session.success', (ctx) => {
      if (!ctx.oidc.params?.logout) return;
      const header = ctx.get('cookie');
      const id = header ? cookies.parse(header)[sessionCookieName(secure)] : undefined;
      if (id === undefined) return;
      ctx.append('set-cookie', cookies.serialize(sessionCookieName(secure), '', { path: '/', httpOnly: true, sameSite: 'lax', secure, expires: new Date(0) }));
      hold(ctx, sessions.end(id), 'ending the console session at sign-out failed');
    });
    provider.on('server_error', (_ctx, error) => app.log.error({ err: error }, 'oidc provider error'));
    return { provider, version: await oidc.keySetVersion() };
  }

  let current = await build();
  let checkedAt = Date.now();
  let checking: Promise<void> | null = null;
  async function provider(): Promise<Provider> {
    if (Date.now() - checkedAt > KEY_CHECK_MS) {
      checking ??= (async () => {
        if ((await oidc.keySetVersion()) !== current.version) current = await build();
        checkedAt = Date.now();
      })().finally(() => (checking = null));
      await checking;
    }
    return current.provider;
  }

  await app.register(fastifyCookie);
  app.addHook('onRequest', (_request, reply, done) => {
    for (const [name, value] of Object.entries(SECURITY_HEADERS)) reply.raw.setHeader(name, value);
    done();
  });
  // The provider reads its own bodies: Fastify leaves every request body unread here.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', (_request, _payload, done) => done(null, undefined));

  /** Hands a request to oidc-provider, with the /oidc prefix taken off its URL as a mount would. */
  async function toProvider(request: FastifyRequest, reply: FastifyReply): Promise<void> {
    const handler = (await provider()).callback();
    const raw = request.raw as IncomingMessage & { originalUrl?: string };
    raw.originalUrl = raw.url;
    raw.url = raw.url!.slice(OIDC_PREFIX.length) || '/';
    void reply.hijack();
    await handler(raw, reply.raw);
  }

  for (const url of [OIDC_PREFIX, `${OIDC_PREFIX}/*`]) app.route({ method: ['GET', 'POST', 'HEAD', 'OPTIONS'], url, handler: toProvider });

  function refusedPage(): string {
    return `<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>Not sent</title><link rel="stylesheet" href="/console.css"></head><body><main class="narrow"><h1>Not sent</h1><p>${escapeHtml('The form was not sent from this sign-in page. Go back, reload the page and try again.')}</p></main></body></html>`;
  }

  function expired(reply: FastifyReply): FastifyReply {
    return reply
      .status(400)
      .type('text/html; charset=utf-8')
      .send(`<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>Sign-in expired</title><link rel="stylesheet" href="/console.css"></head><body><main class="narrow"><h1>Sign-in expired</h1><p>${escapeHtml('This sign-in took longer than 10 minutes or was finished already. Go back to the application and sign in again.')}</p></main></body></html>`);
  }

  async function finish(request: FastifyRequest, reply: FastifyReply, provider: Provider, result: Parameters<Provider['interactionFinished']>[2]): Promise<void> {
    void reply.hijack();
    await provider.interactionFinished(request.raw, reply.raw, result, { mergeWithLastSubmission: false });
  }

  // The interaction: the browser comes here from the provider, goes to otpgate's sign-in pages when its
  // console session does not prove what the client asks for, and comes back here to finish.
  app.get(`${OIDC_PREFIX}/interaction/:uid`, async (request, reply) => {
    const current = await provider();
    let details;
    try {
      details = await current.interactionDetails(request.raw, reply.raw);
    } catch {
      return expired(reply);
    }
    const { uid, params, prompt } = details;
    const clientId = String(params.client_id);
    if (prompt.name === 'consent' && details.session?.accountId) {
      // No consent page for the account's own clients (prompt=consent, which offline_access asks for): the
      // grant covers the scopes they asked for.
      const grant = details.grantId ? await current.Grant.find(details.grantId) : undefined;
      const given = grant ?? new current.Grant({ clientId, accountId: details.session.accountId });
      given.addOIDCScope(typeof params.scope === 'string' ? params.scope : 'openid');
      return finish(request, reply, current, { consent: { grantId: await given.save() } });
    }
    const accountId = await oidc.accountOfClient(clientId);
    const needOtp = asksForPasscode(params, prompt.reasons);
    const fresh = asksForFreshSignIn(params, prompt.reasons);
    const session = await sessions.resume(readSessionCookie(request, secure));
    const proves =
      session !== null &&
      session.stage === 'full' &&
      Number(session.user.account_id) === accountId &&
      (!needOtp || session.otpAt !== null) &&
      (!fresh || session.createdAt >= details.iat * 1000);
    if (!proves) {
      // A sign-in that does not prove enough (another account's, a password alone, an older one) is ended:
      // the sign-in pages then ask again, for the client's account, with the passcode step when it is due.
      if (session) {
        await sessions.end(session.id);
        clearSessionCookie(reply, secure);
      }
      return reply.status(303).header('location', `/login?next=${encodeURIComponent(`${OIDC_PREFIX}/interaction/${uid}`)}`).send();
    }
    const user = session.user;
    if (!(await oidc.userMayUse(clientId, user.id))) {
      await oidc.recordSignIn(request.clientIp, clientId, accountId, user.username, 'refused', 'not in the groups allowed for the client');
      return finish(request, reply, current, { error: 'access_denied', error_description: 'sign-in refused' });
    }
    const otp = session.otpAt !== null;
    await oidc.recordSignIn(request.clientIp, clientId, accountId, user.username, 'success', otp ? 'password and passcode' : 'password');
    return finish(request, reply, current, {
      login: { accountId: String(user.id), ts: Math.floor((otp ? session.otpAt! : session.createdAt) / 1000), ...(otp ? { acr: ACR_OTP, amr: ['pwd', 'otp', 'hwk'] } : { amr: ['pwd'] }) },
    });
  });

  /** One field of a small urlencoded form body (the provider's context leaves bodies unread); undefined past 4 KiB. */
  async function formField(request: FastifyRequest, name: string): Promise<string | undefined> {
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of request.raw as AsyncIterable<Buffer>) {
      size += chunk.length;
      if (size > FORM_LIMIT) return undefined;
      chunks.push(chunk);
    }
    return new URLSearchParams(Buffer.concat(chunks).toString('utf8')).get(name) ?? undefined;
  }

  // "Cancel" on a sign-in page of an interaction (a no-JS form with the page's CSRF token: the sign-in
  // form's pre-session token, or the half session's): the client gets access_denied, and the half-done
  // sign-in ends.
  app.post(`${OIDC_PREFIX}/interaction/:uid/abort`, async (request, reply) => {
    const current = await provider();
    const token = await formField(request, '_csrf');
    const session = await sessions.resume(readSessionCookie(request, secure));
    const jar = request.headers.cookie === undefined ? {} : cookies.parse(request.headers.cookie);
    const csrfOk = sessions.checkPreSessionCsrf(jar[preSessionCookieName(secure)], token) || (session !== null && csrfTokensEqual(session.csrfToken, token));
    if (!csrfOk) return reply.status(403).type('text/html; charset=utf-8').send(refusedPage());
    try {
      await current.interactionDetails(request.raw, reply.raw);
    } catch {
      return expired(reply);
    }
    if (session?.stage === 'password') {
      await sessions.end(session.id);
      clearSessionCookie(reply, secure);
    }
    return finish(request, reply, current, { error: 'access_denied', error_description: 'sign-in cancelled' });
  });
}
