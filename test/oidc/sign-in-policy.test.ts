// Who signs in to an OIDC client and how (SPEC, "OpenID Connect provider"): a client that asks for
// acr_values=urn:otpgate:acr:otp (or max_age) gets the passcode step even from a network the IP rules allow
// with a password alone; allowed groups; a disabled user's refresh token is invalid_grant; a key rotation
// keeps ID tokens signed by the previous key verifiable.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as client from 'openid-client';
import { createRemoteJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import { OPERATOR } from '../../src/services/context.js';
import { replaceGroups } from '../../src/store/directory-store.js';
import { PASSWORD } from '../helpers/app.js';
import { codeFor, discover, FormBrowser, REDIRECT_URI, signInThrough, startOidcFixture, startOidcServer, type OidcFixture } from '../helpers/oidc.js';
import { engineCases } from '../helpers/engines.js';

for (const engine of await engineCases()) {
  describe(`OpenID Provider, sign-in policy (${engine.engine})`, { skip: engine.skip }, () => {
    let fx: OidcFixture;
    let config: client.Configuration;

    before(async () => {
      fx = await startOidcFixture(engine);
      config = await discover(fx.server.issuer, fx.confidential.clientId, fx.confidential.clientSecret);
    });
    after(() => fx?.close());

    async function signIn(cfg: client.Configuration, extra: Record<string, string>, username = 'alice') {
      const verifier = client.randomPKCECodeVerifier();
      const nonce = client.randomNonce();
      const url = client.buildAuthorizationUrl(cfg, { redirect_uri: REDIRECT_URI, scope: 'openid', code_challenge: await client.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256', nonce, ...extra });
      const { callback, pages } = await signInThrough(new FormBrowser(), url, username, PASSWORD, () => fx.passcode());
      return { callback, pages, verifier, nonce };
    }

    test('from a network the IP rules allow: a password alone (amr pwd, no acr), unless the client asks for the passcode', async () => {
      // bob has no token: where his rule allows, a password alone signs him in. alice has one: a token's
      // user gives a passcode at every sign-in (core/sign-in-decision.ts), so acr_values changes nothing for her.
      const { services } = fx.installation;
      await services.restrictions.setForUser(OPERATOR, fx.account, 'bob', { rules: [{ cidr: '127.0.0.0/8', action: 'allow' }], default: 'require_otp' });
      const plain = await signIn(config, {}, 'bob');
      assert.deepEqual(plain.pages, ['/login']);
      const plainTokens = await client.authorizationCodeGrant(config, plain.callback, { pkceCodeVerifier: plain.verifier, expectedNonce: plain.nonce });
      assert.deepEqual(plainTokens.claims()!.amr, ['pwd']);
      assert.equal(plainTokens.claims()!.acr, undefined);

      const asks: Record<string, string>[] = [{ acr_values: 'urn:otpgate:acr:otp' }, { max_age: '300' }, { prompt: 'login' }];
      for (const extra of asks) {
        // bob now needs the token step: with no token to give, the password alone does not reach the client.
        await assert.rejects(signIn(config, extra, 'bob'), /unexpected page \/login\/associate/, JSON.stringify(extra));
        const asked = await signIn(config, extra);
        assert.deepEqual(asked.pages, ['/login', '/login/passcode'], JSON.stringify(extra));
        const tokens = await client.authorizationCodeGrant(config, asked.callback, { pkceCodeVerifier: asked.verifier, expectedNonce: asked.nonce, ...(extra.max_age ? { maxAge: 300 } : {}) });
        assert.equal(tokens.claims()!.acr, 'urn:otpgate:acr:otp', JSON.stringify(extra));
        assert.deepEqual(tokens.claims()!.amr, ['pwd', 'otp', 'hwk']);
      }
    });

    test('a client with allowed groups refuses a user outside them (access_denied) and admits one inside', async () => {
      const { services } = fx.installation;
      const ops = await services.oidc.addClient(OPERATOR, fx.account, { name: 'ops-only', redirectUris: [REDIRECT_URI], allowedGroups: ['ops'] });
      const opsConfig = await discover(fx.server.issuer, ops.clientId, ops.clientSecret!);
      const outside = await signIn(opsConfig, {});
      assert.equal(outside.callback.searchParams.get('error'), 'access_denied');
      assert.equal(outside.callback.searchParams.get('code'), null);
      const alice = await services.users.require(fx.account, 'alice');
      await replaceGroups(services.ctx.db, alice.id, ['ops']);
      try {
        const inside = await signIn(opsConfig, {});
        assert.ok(inside.callback.searchParams.get('code'));
        const audit = await services.audit.list({ accountId: fx.account.id, username: 'alice', limit: 20 });
        assert.ok(audit.some((e) => e.action === 'oidc.signin' && e.outcome === 'refused'));
        assert.ok(audit.some((e) => e.action === 'oidc.signin' && e.outcome === 'success'));
      } finally {
        await replaceGroups(services.ctx.db, alice.id, []);
      }
    });

    test("a disabled user's refresh token is invalid_grant", async () => {
      const { services } = fx.installation;
      const { verifier, callback, nonce } = await codeFor(fx, config);
      const tokens = await client.authorizationCodeGrant(config, callback, { pkceCodeVerifier: verifier, expectedNonce: nonce });
      assert.ok(tokens.refresh_token);
      await services.users.update(OPERATOR, fx.account, 'alice', { disabled: true });
      try {
        await assert.rejects(client.refreshTokenGrant(config, tokens.refresh_token), (error: unknown) => error instanceof client.ResponseBodyError && error.error === 'invalid_grant');
        await assert.rejects(client.fetchUserInfo(config, tokens.access_token, tokens.claims()!.sub));
      } finally {
        await services.users.update(OPERATOR, fx.account, 'alice', { disabled: false });
      }
    });

    test('after oidc key rotate, an ID token signed by the previous key still verifies, and new ones use the new key', async () => {
      const { services } = fx.installation;
      const before = await signIn(config, {});
      const old = await client.authorizationCodeGrant(config, before.callback, { pkceCodeVerifier: before.verifier, expectedNonce: before.nonce });
      const oldKid = decodeProtectedHeader(old.id_token!).kid;
      const rotated = await services.oidc.rotateKeys(OPERATOR);
      assert.deepEqual(rotated.retired, [oldKid]);
      // An instance started after the rotation (a running one picks it up within 30 s).
      const next = await startOidcServer(fx.installation.env);
      try {
        const jwks = createRemoteJWKSet(new URL(`${next.issuer}/jwks`));
        await jwtVerify(old.id_token!, jwks, { audience: fx.confidential.clientId });
        const nextConfig = await discover(next.issuer, fx.confidential.clientId, fx.confidential.clientSecret);
        const after = await signIn(nextConfig, {});
        const fresh = await client.authorizationCodeGrant(nextConfig, after.callback, { pkceCodeVerifier: after.verifier, expectedNonce: after.nonce });
        assert.equal(decodeProtectedHeader(fresh.id_token!).kid, rotated.current);
        assert.notEqual(rotated.current, oldKid);
      } finally {
        await next.close();
      }
    });
  });
}
