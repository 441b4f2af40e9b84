// otpgate's events end what the OpenID Provider holds for a user (SPEC, "OpenID Connect provider": disabling
// or deleting a user, and disassociating, disabling or retiring their last token, end their OIDC sessions
// and refresh tokens). For each event: before it, the browser's next authorization request gets a code at
// once (its provider session and sign-in live) and the refresh token works; after it, the refresh token is
// invalid_grant and the same browser is asked to sign in again.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as client from 'openid-client';
import { OPERATOR } from '../../src/services/context.js';
import { PASSWORD } from '../helpers/app.js';
import { discover, FormBrowser, REDIRECT_URI, signInThrough, startOidcFixture, type OidcFixture } from '../helpers/oidc.js';
import { engineCases, importTokens } from '../helpers/engines.js';
import { oathCode } from '../helpers/otp.js';
import { randomSecretHex } from '../helpers/secrets.js';

for (const engine of await engineCases()) {
  describe(`OpenID Provider, revocation by otpgate's events (${engine.engine})`, { skip: engine.skip }, () => {
    let fx: OidcFixture;
    let config: client.Configuration;
    let n = 0;

    before(async () => {
      fx = await startOidcFixture(engine);
      config = await discover(fx.server.issuer, fx.confidential.clientId, fx.confidential.clientSecret);
    });
    after(() => fx?.close());

    async function authorization(): Promise<{ url: URL; verifier: string; nonce: string }> {
      const verifier = client.randomPKCECodeVerifier();
      const nonce = client.randomNonce();
      const url = client.buildAuthorizationUrl(config, { redirect_uri: REDIRECT_URI, scope: 'openid offline_access', code_challenge: await client.calculatePKCECodeChallenge(verifier), code_challenge_method: 'S256', nonce, prompt: 'consent' });
      return { url, verifier, nonce };
    }

    /** A new user with one token (their last), signed in through a browser that keeps its cookies. */
    async function signedInUser(): Promise<{ username: string; serial: string; browser: FormBrowser; refreshToken: string }> {
      const { services } = fx.installation;
      n++;
      const username = `rev${n}`;
      const serial = `REV${String(n).padStart(6, '0')}`;
      const hex = randomSecretHex();
      let counter = 1;
      await services.users.create(OPERATOR, fx.account, { username, password: PASSWORD, role: 'user' });
      await importTokens(services, fx.account, [{ serial, secretHex: hex }]);
      await services.tokens.associate(OPERATOR, fx.account, username, serial, oathCode(hex, 0));
      const browser = new FormBrowser();
      const first = await authorization();
      const { callback } = await signInThrough(browser, first.url, username, PASSWORD, () => oathCode(hex, counter++));
      const tokens = await client.authorizationCodeGrant(config, callback, { pkceCodeVerifier: first.verifier, expectedNonce: first.nonce });
      assert.ok(tokens.refresh_token);
      // Before the event: signed in (a code at once, no page) and the refresh token works (and rotates).
      const again = await browser.follow((await authorization()).url.href);
      assert.ok(new URL(again.url).searchParams.get('code'), `signed in before the event (at ${again.url})`);
      const refreshed = await client.refreshTokenGrant(config, tokens.refresh_token);
      assert.ok(refreshed.refresh_token);
      return { username, serial, browser, refreshToken: refreshed.refresh_token };
    }

    async function assertEnded(state: { browser: FormBrowser; refreshToken: string }, event: string): Promise<void> {
      await assert.rejects(client.refreshTokenGrant(config, state.refreshToken), (error: unknown) => error instanceof client.ResponseBodyError && error.error === 'invalid_grant', `refresh after ${event}`);
      const next = await state.browser.follow((await authorization()).url.href);
      assert.equal(new URL(next.url).pathname, '/login', `after ${event} the browser is asked to sign in again (at ${next.url})`);
    }

    test('a disabled user', async () => {
      const state = await signedInUser();
      await fx.installation.services.users.update(OPERATOR, fx.account, state.username, { disabled: true });
      await assertEnded(state, 'user disable');
    });

    test('a deleted user', async () => {
      const state = await signedInUser();
      await fx.installation.services.users.delete(OPERATOR, fx.account, state.username);
      await assertEnded(state, 'user delete');
    });

    test('their last token disassociated', async () => {
      const state = await signedInUser();
      await fx.installation.services.tokens.disassociate(OPERATOR, fx.account, state.username, state.serial);
      await assertEnded(state, 'token disassociate');
    });

    test('their last token disabled', async () => {
      const state = await signedInUser();
      await fx.installation.services.tokenStates.disable(OPERATOR, fx.account, state.serial);
      await assertEnded(state, 'token disable');
    });

    test('their last token retired', async () => {
      const state = await signedInUser();
      await fx.installation.services.tokenStates.retire(OPERATOR, fx.account, state.serial, 'lost');
      await assertEnded(state, 'token retire');
    });
  });
}
