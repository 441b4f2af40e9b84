// The OpenID Provider's test fixture, not product code: a real installation on either engine with the
// provider at OTPGATE_PUBLIC_URL + /oidc on a loopback port, users and a token (passcodes from oathtool), a
// confidential and a public client, and a cookie-keeping "browser" over fetch that fills in otpgate's
// no-JS sign-in pages as a person would.
import * as client from 'openid-client';
import { buildServer, type App } from '../../src/http/app.js';
import { loadConfig } from '../../src/runtime/config.js';
import { openInstance, type Instance } from '../../src/runtime/instance.js';
import { OPERATOR } from '../../src/services/context.js';
import type { AccountRow } from '../../src/store/schema.js';
import type { EngineCase, TestInstallation } from './engines.js';
import { importTokens } from './engines.js';
import { PASSWORD } from './app.js';
import { oathCode } from './otp.js';
import { randomSecretHex } from './secrets.js';
import { freePort } from './ports.js';

export const REDIRECT_URI = 'http://127.0.0.1:9/callback';
export const POST_LOGOUT_URI = 'http://127.0.0.1:9/signed-out';

export interface OidcServer {
  app: App;
  instance: Instance;
  issuer: string;
  /** This instance's own address (+ /oidc), which differs from the issuer for a second instance. */
  local: string;
  close(): Promise<void>;
}

/**
 * One otpgate server (an instance) over an installation's database, with the provider at a free port.
 * `publicUrl`: another instance's address, as two instances behind one load balancer share theirs.
 */
export async function startOidcServer(env: NodeJS.ProcessEnv, shared?: string): Promise<OidcServer> {
  const port = await freePort();
  const publicUrl = shared ?? `http://127.0.0.1:${port}`;
  const config = loadConfig({ ...env, OTPGATE_PUBLIC_URL: publicUrl });
  const instance = await openInstance(config);
  const app = await buildServer(instance.services, config, { logger: false });
  await app.listen({ host: '127.0.0.1', port });
  return {
    app,
    instance,
    issuer: `${publicUrl}/oidc`,
    local: `http://127.0.0.1:${port}/oidc`,
    async close() {
      await app.close();
      await instance.close();
    },
  };
}

export interface OidcFixture {
  installation: TestInstallation;
  server: OidcServer;
  account: AccountRow;
  other: AccountRow;
  /** alice: a token at counter 1 (the next passcode is oathCode(hex, next)). */
  alice: { hex: string; next: number };
  confidential: { clientId: string; clientSecret: string };
  publicClient: { clientId: string };
  /** Another account's client. */
  otherClient: { clientId: string; clientSecret: string };
  /** alice's next passcode, as her token would show it. */
  passcode(): string;
  close(): Promise<void>;
}

export async function startOidcFixture(engine: EngineCase): Promise<OidcFixture> {
  const installation = await engine.start();
  const { services, account } = installation;
  const other = await services.accounts.create(OPERATOR, 'globex');
  for (const name of ['alice', 'bob']) await services.users.create(OPERATOR, account, { username: name, password: PASSWORD, role: 'user', displayName: `${name} Example` });
  await services.users.create(OPERATOR, other, { username: 'zed', password: PASSWORD, role: 'user' });
  const hex = randomSecretHex();
  await importTokens(services, account, [{ serial: 'OIDC0001', secretHex: hex }]);
  await services.tokens.associate(OPERATOR, account, 'alice', 'OIDC0001', oathCode(hex, 0));
  const confidential = await services.oidc.addClient(OPERATOR, account, { name: 'grafana', redirectUris: [REDIRECT_URI], postLogoutRedirectUris: [POST_LOGOUT_URI] });
  const publicClient = await services.oidc.addClient(OPERATOR, account, { name: 'cli-app', redirectUris: [REDIRECT_URI], public: true });
  const otherClient = await services.oidc.addClient(OPERATOR, other, { name: 'globex-app', redirectUris: [REDIRECT_URI] });
  const server = await startOidcServer(installation.env);
  const alice = { hex, next: 1 };
  return {
    installation,
    server,
    account,
    other,
    alice,
    confidential: { clientId: confidential.clientId, clientSecret: confidential.clientSecret! },
    publicClient: { clientId: publicClient.clientId },
    otherClient: { clientId: otherClient.clientId, clientSecret: otherClient.clientSecret! },
    passcode: () => oathCode(hex, alice.next++),
    async close() {
      await server.close();
      await installation.close();
    },
  };
}

/** Signs alice in (password, passcode) with PKCE and returns the code and what redeeming it needs. */
export async function codeFor(fx: OidcFixture, config: client.Configuration, scope = 'openid offline_access'): Promise<{ code: string; verifier: string; callback: URL; nonce: string }> {
  const verifier = client.randomPKCECodeVerifier();
  const nonce = client.randomNonce();
  const url = client.buildAuthorizationUrl(config, { redirect_uri: REDIRECT_URI, scope, code_challenge: await client.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256', nonce, prompt: 'consent' });
  const { callback } = await signInThrough(new FormBrowser(), url, 'alice', PASSWORD, () => fx.passcode());
  const code = callback.searchParams.get('code');
  if (!code) throw new Error(`no code: ${callback.href}`);
  return { code, verifier, callback, nonce };
}

/** POST to a token endpoint as a confidential client does (client_secret_basic), without a library. */
export function tokenRequest(tokenEndpoint: string, clientId: string, clientSecret: string, form: Record<string, string>): Promise<Response> {
  return fetch(tokenEndpoint, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${Buffer.from(`${encodeURIComponent(clientId)}:${encodeURIComponent(clientSecret)}`).toString('base64')}` },
    body: new URLSearchParams(form).toString(),
  });
}

/** openid-client's configuration for a client of the fixture (plain HTTP on loopback allowed). */
export async function discover(issuer: string, clientId: string, clientSecret?: string): Promise<client.Configuration> {
  return client.discovery(new URL(issuer), clientId, clientSecret, clientSecret === undefined ? client.None() : client.ClientSecretBasic(clientSecret), { execute: [client.allowInsecureRequests] });
}

/** A browser without JavaScript: keeps cookies per host and follows redirects by hand. */
export class FormBrowser {
  readonly #cookies = new Map<string, string>();

  private cookieHeader(): string {
    return [...this.#cookies].map(([name, value]) => `${name}=${value}`).join('; ');
  }

  private keep(response: Response): void {
    for (const line of response.headers.getSetCookie()) {
      const [pair] = line.split(';');
      const at = pair!.indexOf('=');
      const name = pair!.slice(0, at).trim();
      const value = pair!.slice(at + 1).trim();
      if (value === '' || /expires=Thu, 01 Jan 1970/i.test(line)) this.#cookies.delete(name);
      else this.#cookies.set(name, value);
    }
  }

  async request(url: string, init: { method?: string; form?: Record<string, string> } = {}): Promise<Response> {
    const headers: Record<string, string> = { cookie: this.cookieHeader() };
    let body: string | undefined;
    if (init.form) {
      headers['content-type'] = 'application/x-www-form-urlencoded';
      body = new URLSearchParams(init.form).toString();
    }
    const response = await fetch(url, { method: init.method ?? (init.form ? 'POST' : 'GET'), headers, body, redirect: 'manual' });
    this.keep(response);
    return response;
  }

  /**
   * Follows redirects from `url` until a page (200-499 that is not a redirect) or a location that leaves
   * the server (the client's redirect URI). Returns the last response and its URL.
   */
  async follow(url: string, init: { method?: string; form?: Record<string, string> } = {}): Promise<{ url: string; response: Response; html: string }> {
    let current = url;
    let response = await this.request(current, init);
    for (let hops = 0; hops < 20 && response.status >= 300 && response.status < 400; hops++) {
      const next = new URL(response.headers.get('location')!, current).href;
      await response.arrayBuffer();
      if (new URL(next).origin !== new URL(url).origin) return { url: next, response, html: '' };
      current = next;
      response = await this.request(current);
    }
    return { url: current, response, html: await response.text() };
  }
}

export function csrfOf(html: string): string {
  const match = /name="_csrf" value="([^"]+)"/.exec(html);
  if (!match) throw new Error(`no CSRF field in the page: ${html.slice(0, 400)}`);
  return match[1]!;
}

export function nextOf(html: string): string | undefined {
  return /name="next" value="([^"]+)"/.exec(html)?.[1]?.replace(/&#x2F;|&#47;/g, '/');
}

/**
 * Runs the authorization request through otpgate's sign-in pages: the password, then the passcode when a
 * passcode page comes. Returns where the browser was sent at the end (the redirect URI with the code or
 * the error) and the pages it saw.
 */
export async function signInThrough(browser: FormBrowser, authorizationUrl: URL, username: string, password: string, passcode: (() => string) | null): Promise<{ callback: URL; pages: string[] }> {
  const pages: string[] = [];
  let step = await browser.follow(authorizationUrl.href);
  const origin = authorizationUrl.origin;
  for (let round = 0; round < 4; round++) {
    if (new URL(step.url).origin !== origin) return { callback: new URL(step.url), pages };
    const path = new URL(step.url).pathname;
    pages.push(path);
    const html = step.html;
    const hidden = { _csrf: csrfOf(html), ...(nextOf(html) ? { next: nextOf(html)! } : {}) };
    if (path === '/login') step = await browser.follow(`${origin}/login`, { form: { ...hidden, username, password } });
    else if (path === '/login/passcode') {
      if (!passcode) throw new Error('a passcode page came, and the test has no passcode to give');
      step = await browser.follow(`${origin}/login/passcode`, { form: { ...hidden, otp: passcode() } });
    } else throw new Error(`unexpected page ${path} (${step.response.status}): ${html.slice(0, 300)}`);
  }
  throw new Error(`no redirect to the client after ${pages.join(' -> ')}`);
}
