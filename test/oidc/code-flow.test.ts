// The OpenID Provider through a real relying-party library (openid-client) on both engines: discovery, the
// code flow with PKCE through otpgate's no-JS sign-in pages with oathtool passcodes, the ID token's
// signature and claims, userinfo per scope, refresh, revocation and RP-initiated logout.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as client from 'openid-client';
import { createRemoteJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import { PASSWORD } from '../helpers/app.js';
import { discover, FormBrowser, POST_LOGOUT_URI, REDIRECT_URI, signInThrough, startOidcFixture, type OidcFixture } from '../helpers/oidc.js';
import { engineCases } from '../helpers/engines.js';

interface Started {
  url: URL;
  verifier: string;
  nonce: string;
  state: string;
}

async function authorizationRequest(config: client.Configuration, extra: Record<string, string> = {}): Promise<Started> {
  const verifier = client.randomPKCECodeVerifier();
  const nonce = client.randomNonce();
  const state = client.randomState();
  const url = client.buildAuthorizationUrl(config, {
    redirect_uri: REDIRECT_URI,
    scope: 'openid profile email groups offline_access',
    code_challenge: await client.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
    nonce,
    state,
    prompt: 'consent',
    ...extra,
  });
  return { url, verifier, nonce, state };
}

for (const engine of await engineCases()) {
  describe(`OpenID Provider, code flow (${engine.engine})`, { skip: engine.skip }, () => {
    let fx: OidcFixture;
    let config: client.Configuration;

    before(async () => {
      fx = await startOidcFixture(engine);
      config = await discover(fx.server.issuer, fx.confidential.clientId, fx.confidential.clientSecret);
    });
    after(() => fx?.close());

    test('discovery: code flow only, S256, RS256, the endpoints SPEC names, no registration', () => {
      const meta = config.serverMetadata();
      assert.equal(meta.issuer, fx.server.issuer);
      assert.deepEqual(meta.response_types_supported, ['code']);
      assert.deepEqual(meta.code_challenge_methods_supported, ['S256']);
      assert.deepEqual(meta.id_token_signing_alg_values_supported, ['RS256']);
      assert.ok(meta.userinfo_endpoint && meta.revocation_endpoint && meta.end_session_endpoint && meta.jwks_uri);
      assert.equal(meta.registration_endpoint, undefined);
      assert.ok(meta.scopes_supported?.includes('offline_access'));
      assert.deepEqual(meta.acr_values_supported, ['urn:otpgate:acr:otp']);
    });

    test('every /oidc response carries the security headers', async () => {
      for (const path of ['/.well-known/openid-configuration', '/jwks', '/auth?client_id=nope']) {
        const response = await fetch(`${fx.server.issuer}${path}`, { redirect: 'manual' });
        await response.arrayBuffer();
        assert.match(response.headers.get('content-security-policy') ?? '', /frame-ancestors 'none'/, path);
        assert.equal(response.headers.get('x-frame-options'), 'DENY', path);
      }
    });

    test('password then passcode through the pages: the ID token is RS256 with nonce, iss, aud, amr and acr', async () => {
      const started = await authorizationRequest(config);
      const browser = new FormBrowser();
      const { callback, pages } = await signInThrough(browser, started.url, 'alice', PASSWORD, () => fx.passcode());
      assert.deepEqual(pages, ['/login', '/login/passcode']);
      const tokens = await client.authorizationCodeGrant(config, callback, { pkceCodeVerifier: started.verifier, expectedNonce: started.nonce, expectedState: started.state });
      const claims = tokens.claims()!;
      assert.equal(decodeProtectedHeader(tokens.id_token!).alg, 'RS256');
      const jwks = createRemoteJWKSet(new URL(config.serverMetadata().jwks_uri!));
      const verified = await jwtVerify(tokens.id_token!, jwks, { issuer: fx.server.issuer, audience: fx.confidential.clientId });
      assert.equal(verified.payload.nonce, started.nonce);
      assert.equal(claims.iss, fx.server.issuer);
      assert.equal(claims.aud, fx.confidential.clientId);
      assert.deepEqual(claims.amr, ['pwd', 'otp', 'hwk']);
      assert.equal(claims.acr, 'urn:otpgate:acr:otp');
      const alice = await fx.installation.services.users.require(fx.account, 'alice');
      assert.equal(claims.sub, String(alice.id));
      assert.ok(tokens.refresh_token, 'offline_access gives a refresh token');

      const info = await client.fetchUserInfo(config, tokens.access_token, claims.sub);
      assert.equal(info.preferred_username, 'alice');
      assert.equal(info.name, 'alice Example');
      assert.deepEqual(info.groups, []);

      // Refresh: a new access token; the refresh token rotates and the old one is spent.
      const refreshed = await client.refreshTokenGrant(config, tokens.refresh_token);
      assert.ok(refreshed.access_token && refreshed.refresh_token && refreshed.refresh_token !== tokens.refresh_token);
      await assert.rejects(client.refreshTokenGrant(config, tokens.refresh_token), (error: unknown) => error instanceof client.ResponseBodyError && error.error === 'invalid_grant');

      // Revocation of the access token: userinfo refuses it.
      await client.tokenRevocation(config, refreshed.access_token);
      await assert.rejects(client.fetchUserInfo(config, refreshed.access_token, claims.sub));

      // RP-initiated logout: the confirmation page, then the post-logout redirect; the provider's session ends.
      const logout = client.buildEndSessionUrl(config, { id_token_hint: tokens.id_token!, post_logout_redirect_uri: POST_LOGOUT_URI, state: 'bye' });
      const confirm = await browser.follow(logout.href);
      assert.equal(confirm.response.status, 200);
      const xsrf = /name="xsrf" value="([^"]+)"/.exec(confirm.html)?.[1];
      assert.ok(xsrf, confirm.html);
      const done = await browser.follow(`${fx.server.issuer}/session/end/confirm`, { form: { xsrf, logout: 'yes' } });
      assert.equal(done.url, `${POST_LOGOUT_URI}?state=bye`);
    });

    test('userinfo answers per scope: openid alone gives sub and nothing else', async () => {
      const started = await authorizationRequest(config, { scope: 'openid' });
      const { callback } = await signInThrough(new FormBrowser(), started.url, 'alice', PASSWORD, () => fx.passcode());
      const tokens = await client.authorizationCodeGrant(config, callback, { pkceCodeVerifier: started.verifier, expectedNonce: started.nonce, expectedState: started.state });
      const info = await client.fetchUserInfo(config, tokens.access_token, tokens.claims()!.sub);
      assert.deepEqual(Object.keys(info), ['sub']);
      assert.equal(tokens.refresh_token, undefined, 'no offline_access, no refresh token');
    });

    test('a public client must use PKCE; with it, it signs in without a secret', async () => {
      const publicConfig = await discover(fx.server.issuer, fx.publicClient.clientId);
      const without = client.buildAuthorizationUrl(publicConfig, { redirect_uri: REDIRECT_URI, scope: 'openid', state: 's' });
      const refused = await new FormBrowser().follow(without.href);
      const to = new URL(refused.url);
      assert.equal(to.searchParams.get('error'), 'invalid_request');
      assert.match(to.searchParams.get("error_description") ?? "", /PKCE/);
      const started = await authorizationRequest(publicConfig);
      const { callback } = await signInThrough(new FormBrowser(), started.url, 'alice', PASSWORD, () => fx.passcode());
      const tokens = await client.authorizationCodeGrant(publicConfig, callback, { pkceCodeVerifier: started.verifier, expectedNonce: started.nonce, expectedState: started.state });
      assert.ok(tokens.id_token);
    });

    test('a redirect URI is matched exactly', async () => {
      const started = client.buildAuthorizationUrl(config, { redirect_uri: `${REDIRECT_URI}/`, scope: 'openid', code_challenge: 'x'.repeat(43), code_challenge_method: 'S256' });
      const answer = await new FormBrowser().follow(started.href);
      assert.equal(answer.response.status, 400);
      assert.match(answer.html, /redirect_uri did not match/);
    });

    test("another account's user is refused as an unknown user is, and never reaches the passcode step", async () => {
      const started = await authorizationRequest(config);
      const browser = new FormBrowser();
      const first = await browser.follow(started.url.href);
      const html = first.html;
      const form = { _csrf: /name="_csrf" value="([^"]+)"/.exec(html)![1]!, next: /name="next" value="([^"]+)"/.exec(html)![1]! };
      const zed = await browser.follow(`${new URL(first.url).origin}/login`, { form: { ...form, username: 'zed', password: PASSWORD } });
      const nobody = await browser.follow(`${new URL(first.url).origin}/login`, { form: { ...form, username: 'nobody-here', password: PASSWORD } });
      assert.equal(zed.response.status, 401);
      assert.equal(nobody.response.status, 401);
      const errorOf = (page: string) => /id="login-error">([^<]+)</.exec(page)?.[1];
      assert.equal(errorOf(zed.html), errorOf(nobody.html));
    });
  });
}
