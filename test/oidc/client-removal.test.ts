// Property: removing an OpenID client (API, console or CLI: one service call) ends what it was issued at
// once: its access token no longer reaches userinfo, its refresh token is refused, and a new sign-in to
// it is refused. Changing its redirect URIs counts from the next request: the old URI is no longer
// accepted. On both engines.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as client from 'openid-client';
import { OPERATOR } from '../../src/services/context.js';
import { codeFor, discover, REDIRECT_URI, startOidcFixture, tokenRequest, type OidcFixture } from '../helpers/oidc.js';
import { engineCases } from '../helpers/engines.js';

for (const engine of await engineCases()) {
  describe(`OpenID Provider, a client changed or removed (${engine.engine})`, { skip: engine.skip }, () => {
    let fx: OidcFixture;

    before(async () => {
      fx = await startOidcFixture(engine);
    });
    after(() => fx?.close());

    test('after its redirect URIs change, an authorization request with the old one is refused', async () => {
      const { services } = fx.installation;
      const added = await services.oidc.addClient(OPERATOR, fx.account, { name: 'moving', redirectUris: [REDIRECT_URI] });
      const config = await discover(fx.server.issuer, added.clientId, added.clientSecret!);
      const url = client.buildAuthorizationUrl(config, { redirect_uri: REDIRECT_URI, scope: 'openid', code_challenge: await client.calculatePKCECodeChallenge(client.randomPKCECodeVerifier()), code_challenge_method: 'S256' });
      const ok = await fetch(url, { redirect: 'manual' });
      assert.equal(ok.status, 303, 'the saved URI is accepted (on to the sign-in)');
      await services.oidc.updateClient(OPERATOR, fx.account, 'moving', { redirectUris: ['http://127.0.0.1:9/other'] });
      const refused = await fetch(url, { redirect: 'manual' });
      assert.equal(refused.status, 400);
      assert.match(await refused.text(), /redirect_uri/);
    });

    test("removing the client ends its access and refresh tokens, and it can no longer be signed in to", async () => {
      const { services } = fx.installation;
      const added = await services.oidc.addClient(OPERATOR, fx.account, { name: 'leaving', redirectUris: [REDIRECT_URI] });
      const config = await discover(fx.server.issuer, added.clientId, added.clientSecret!);
      const { callback, verifier, nonce } = await codeFor(fx, config);
      const tokens = await client.authorizationCodeGrant(config, callback, { pkceCodeVerifier: verifier, expectedNonce: nonce });
      const me = () => fetch(`${fx.server.local}/me`, { headers: { authorization: `Bearer ${tokens.access_token}` } });
      assert.equal((await me()).status, 200);

      await services.oidc.removeClient(OPERATOR, fx.account, 'leaving');
      assert.equal((await me()).status, 401, 'the access token no longer works');
      const refresh = await tokenRequest(`${fx.server.local}/token`, added.clientId, added.clientSecret!, { grant_type: 'refresh_token', refresh_token: tokens.refresh_token! });
      assert.equal(refresh.status, 401, 'the client itself is unknown now');
      assert.equal(((await refresh.json()) as { error: string }).error, 'invalid_client');
      const url = client.buildAuthorizationUrl(config, { redirect_uri: REDIRECT_URI, scope: 'openid', code_challenge: await client.calculatePKCECodeChallenge(client.randomPKCECodeVerifier()), code_challenge_method: 'S256' });
      const signIn = await fetch(url, { redirect: 'manual' });
      assert.equal(signIn.status, 400);
      assert.match(await signIn.text(), /invalid_client/);
    });
  });
}
