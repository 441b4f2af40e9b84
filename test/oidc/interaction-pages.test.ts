// The sign-in pages of an OpenID sign-in (SPEC, "OpenID Connect provider"; issue #28): a deny rule for the
// browser's address answers access_denied to the client (not the sign-in form again); Cancel (a no-JS form
// with the page's CSRF token) answers access_denied from the password page and from the passcode page; a
// Cancel without the token changes nothing; the pages' CSP names the client's redirect origin in
// form-action, and only on an OpenID sign-in.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as client from 'openid-client';
import { OPERATOR } from '../../src/services/context.js';
import { PASSWORD } from '../helpers/app.js';
import { csrfOf, discover, FormBrowser, nextOf, REDIRECT_URI, signInThrough, startOidcFixture, type OidcFixture } from '../helpers/oidc.js';
import { engineCases } from '../helpers/engines.js';

function cancelActionOf(html: string): string | undefined {
  return /<form method="post" action="([^"]*\/abort)"/.exec(html)?.[1]?.replace(/&#x2F;|&#47;/g, '/');
}

for (const engine of await engineCases()) {
  describe(`OpenID Provider, the interaction's sign-in pages (${engine.engine})`, { skip: engine.skip }, () => {
    let fx: OidcFixture;
    let config: client.Configuration;

    before(async () => {
      fx = await startOidcFixture(engine);
      config = await discover(fx.server.issuer, fx.confidential.clientId, fx.confidential.clientSecret);
    });
    after(() => fx?.close());

    async function authorizationUrl(extra: Record<string, string> = {}): Promise<URL> {
      const verifier = client.randomPKCECodeVerifier();
      return client.buildAuthorizationUrl(config, { redirect_uri: REDIRECT_URI, scope: 'openid', code_challenge: await client.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256', state: 'st-1', ...extra });
    }

    const origin = () => new URL(fx.server.issuer).origin;

    test('a deny rule for the address: the client gets error=access_denied, and the refusal is audited', async () => {
      const { services } = fx.installation;
      await services.users.create(OPERATOR, fx.account, { username: 'dora', password: PASSWORD, role: 'user' });
      await services.restrictions.setForUser(OPERATOR, fx.account, 'dora', { rules: [{ cidr: '127.0.0.0/8', action: 'deny' }], default: 'allow' });
      const { callback, pages } = await signInThrough(new FormBrowser(), await authorizationUrl(), 'dora', PASSWORD, null);
      assert.deepEqual(pages, ['/login']);
      assert.equal(callback.origin + callback.pathname, REDIRECT_URI);
      assert.equal(callback.searchParams.get('error'), 'access_denied');
      assert.equal(callback.searchParams.get('state'), 'st-1');
      assert.equal(callback.searchParams.get('code'), null);
      const audit = await services.audit.list({ accountId: fx.account.id, username: 'dora', limit: 20 });
      assert.ok(audit.some((e) => e.action === 'oidc.signin' && e.outcome === 'refused'), JSON.stringify(audit.map((e) => [e.action, e.outcome])));
      // A wrong password is still the sign-in form again (nothing tells a deny from it before the password is right).
      const browser = new FormBrowser();
      const page = await browser.follow((await authorizationUrl()).href);
      const wrong = await browser.follow(`${origin()}/login`, { form: { _csrf: csrfOf(page.html), next: nextOf(page.html)!, username: 'dora', password: 'not her password' } });
      assert.equal(wrong.response.status, 401);
      assert.equal(new URL(wrong.url).pathname, '/login');
    });

    test('Cancel on the password page answers access_denied to the client; without the CSRF token it is refused', async () => {
      const browser = new FormBrowser();
      const page = await browser.follow((await authorizationUrl()).href);
      assert.equal(new URL(page.url).pathname, '/login');
      const cancel = cancelActionOf(page.html);
      assert.match(cancel ?? '', /^\/oidc\/interaction\/[A-Za-z0-9_-]+\/abort$/, 'the page offers Cancel');
      const forged = await browser.request(`${origin()}${cancel}`, { form: { _csrf: 'forged' } });
      assert.equal(forged.status, 403);
      const wrongToken = await browser.request(`${origin()}${cancel}`, { form: {} });
      assert.equal(wrongToken.status, 403);
      const cancelled = await browser.follow(`${origin()}${cancel}`, { form: { _csrf: csrfOf(page.html) } });
      const callback = new URL(cancelled.url);
      assert.equal(callback.origin + callback.pathname, REDIRECT_URI);
      assert.equal(callback.searchParams.get('error'), 'access_denied');
      assert.equal(callback.searchParams.get('state'), 'st-1');
    });

    test('Cancel on the passcode page answers access_denied and ends the half-done sign-in', async () => {
      const browser = new FormBrowser();
      const page = await browser.follow((await authorizationUrl()).href);
      const passcodePage = await browser.follow(`${origin()}/login`, { form: { _csrf: csrfOf(page.html), next: nextOf(page.html)!, username: 'alice', password: PASSWORD } });
      assert.equal(new URL(passcodePage.url).pathname, '/login/passcode');
      const cancel = cancelActionOf(passcodePage.html)!;
      assert.ok(cancel, 'the passcode page offers Cancel to the client');
      const cancelled = await browser.follow(`${origin()}${cancel}`, { form: { _csrf: csrfOf(passcodePage.html) } });
      assert.equal(new URL(cancelled.url).searchParams.get('error'), 'access_denied');
      const after = await browser.follow(`${origin()}/login/passcode`);
      assert.equal(new URL(after.url).pathname, '/login', 'the half session is gone');
    });

    test('a browser signed in with a password alone (an allow network) is asked to sign in again when a client sends acr_values', async () => {
      const { services } = fx.installation;
      await services.users.create(OPERATOR, fx.account, { username: 'erin', password: PASSWORD, role: 'user' });
      await services.restrictions.setForUser(OPERATOR, fx.account, 'erin', { rules: [{ cidr: '127.0.0.0/8', action: 'allow' }], default: 'require_otp' });
      const browser = new FormBrowser();
      const first = await signInThrough(browser, await authorizationUrl(), 'erin', PASSWORD, null);
      assert.deepEqual(first.pages, ['/login']);
      assert.ok(first.callback.searchParams.get('code'));
      const again = await browser.follow((await authorizationUrl()).href);
      assert.ok(new URL(again.url).searchParams.get('code'), 'the same request again: a code at once, no page');
      const asked = await browser.follow((await authorizationUrl({ acr_values: 'urn:otpgate:acr:otp' })).href);
      assert.equal(new URL(asked.url).pathname, '/login', `acr_values: the password alone does not do (at ${asked.url})`);
      const password = await browser.follow(`${origin()}/login`, { form: { _csrf: csrfOf(asked.html), next: nextOf(asked.html)!, username: 'erin', password: PASSWORD } });
      assert.equal(new URL(password.url).pathname, '/login/associate', 'then the token step (erin has no token: the association prompt)');
    });

    test("the OpenID sign-in pages name the client's redirect origin in form-action; the console's own keep 'self'", async () => {
      const browser = new FormBrowser();
      const page = await browser.follow((await authorizationUrl()).href);
      const csp = page.response.headers.get('content-security-policy') ?? '';
      assert.match(csp, /form-action 'self' http:\/\/127\.0\.0\.1:9(;|$)/, csp);
      const plain = await new FormBrowser().follow(`${origin()}/login`);
      const plainCsp = plain.response.headers.get('content-security-policy') ?? '';
      assert.match(plainCsp, /form-action 'self'(;|$)/, plainCsp);
      assert.doesNotMatch(plain.html, /\/abort"/, 'no client Cancel on a console sign-in');
    });
  });
}
