// Property (SPEC: "Each sign-in and each token issued is audited (oidc.signin, oidc.token)"; issue #28:
// "metrics by client and result"): a sign-in through openid-client writes an `oidc.signin` event and each
// token request an `oidc.token` event, in the account's log, naming the client and the user; a refused
// token request (a replayed code) is an `oidc.token` refused in the client's account's log; and
// `otpgate_oidc_total{client,event,result}` moves by exactly one for each, per client. On both engines.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as client from 'openid-client';
import type { AuditEventView } from '../../src/services/audit-service.js';
import { OPERATOR } from '../../src/services/context.js';
import { codeFor, discover, REDIRECT_URI, startOidcFixture, tokenRequest, type OidcFixture } from '../helpers/oidc.js';
import { engineCases } from '../helpers/engines.js';
import { waitFor } from '../helpers/wait.js';

/** The value of otpgate_oidc_total for one client, event and result on the fixture's server (0 when absent). */
async function counted(fx: OidcFixture, clientId: string, event: 'signin' | 'token', result: 'success' | 'refused'): Promise<number> {
  const { body } = await fx.server.instance.services.metrics.scrape();
  const line = body.split('\n').find((l) => l.startsWith('otpgate_oidc_total{') && l.includes(`client="${clientId}"`) && l.includes(`event="${event}"`) && l.includes(`result="${result}"`));
  return line === undefined ? 0 : Number(line.slice(line.lastIndexOf(' ') + 1));
}

for (const engine of await engineCases()) {
  describe(`OpenID Provider, audit and metrics (${engine.engine})`, { skip: engine.skip }, () => {
    let fx: OidcFixture;
    let config: client.Configuration;

    before(async () => {
      fx = await startOidcFixture(engine);
      config = await discover(fx.server.issuer, fx.confidential.clientId, fx.confidential.clientSecret);
    });
    after(() => fx?.close());

    /** The account's events of one action, newest first. */
    const events = (action: string): Promise<AuditEventView[]> => fx.installation.services.audit.list({ accountId: fx.account.id, action, limit: 100 });
    const actor = () => `oidc:${fx.confidential.clientId}`;

    test("a token's response waits for its oidc.token event: it is there when the client holds the token", async () => {
      // The audit write is slowed here, so a response sent before its event is written would be seen.
      const services = fx.server.instance.services.oidc;
      const recordToken = services.recordToken.bind(services);
      services.recordToken = async (...args) => {
        await new Promise((resolve) => setTimeout(resolve, 300));
        return recordToken(...args);
      };
      try {
        const tokensBefore = (await events('oidc.token')).length;
        const { callback, verifier, nonce } = await codeFor(fx, config);
        await client.authorizationCodeGrant(config, callback, { pkceCodeVerifier: verifier, expectedNonce: nonce });
        assert.equal((await events('oidc.token')).length, tokensBefore + 1);
      } finally {
        services.recordToken = recordToken;
      }
    });

    test('a sign-in, its code and a refresh: oidc.signin and oidc.token events, and the counters move by one each', async () => {
      const id = fx.confidential.clientId;
      const before = { signin: await counted(fx, id, 'signin', 'success'), token: await counted(fx, id, 'token', 'success') };
      const signinsBefore = (await events('oidc.signin')).length;
      const tokensBefore = (await events('oidc.token')).length;

      const { callback, verifier, nonce } = await codeFor(fx, config);
      const tokens = await client.authorizationCodeGrant(config, callback, { pkceCodeVerifier: verifier, expectedNonce: nonce });
      await waitFor('the oidc.token event', async () => (await events('oidc.token')).length === tokensBefore + 1);

      const [signin] = await events('oidc.signin');
      assert.equal((await events('oidc.signin')).length, signinsBefore + 1);
      assert.deepEqual([signin!.actor, signin!.user, signin!.outcome, signin!.reason], [actor(), 'alice', 'success', 'password and passcode']);
      assert.equal(signin!.clientIp, '127.0.0.1');
      const [token] = await events('oidc.token');
      assert.deepEqual([token!.actor, token!.user, token!.outcome, token!.reason], [actor(), 'alice', 'success', 'authorization_code']);
      assert.equal(await counted(fx, id, 'signin', 'success'), before.signin + 1);
      assert.equal(await counted(fx, id, 'token', 'success'), before.token + 1);

      await client.refreshTokenGrant(config, tokens.refresh_token!);
      await waitFor('the refresh oidc.token event', async () => (await events('oidc.token')).length === tokensBefore + 2);
      const [refreshed] = await events('oidc.token');
      assert.deepEqual([refreshed!.user, refreshed!.outcome, refreshed!.reason], ['alice', 'success', 'refresh_token']);
      assert.equal(await counted(fx, id, 'token', 'success'), before.token + 2);
      // Another client's counters did not move.
      assert.equal(await counted(fx, fx.publicClient.clientId, 'token', 'success'), 0);
    });

    test("a replayed code: oidc.token refused (invalid_grant) in the client's account's log, and the refused counter moves by one", async () => {
      const id = fx.confidential.clientId;
      const refusedBefore = await counted(fx, id, 'token', 'refused');
      const { code, verifier } = await codeFor(fx, config);
      const form = { grant_type: 'authorization_code', code, redirect_uri: REDIRECT_URI, code_verifier: verifier };
      assert.equal((await tokenRequest(`${fx.server.local}/token`, id, fx.confidential.clientSecret, form)).status, 200);
      const refusedEventsBefore = (await events('oidc.token')).filter((e) => e.outcome === 'refused').length;
      assert.equal((await tokenRequest(`${fx.server.local}/token`, id, fx.confidential.clientSecret, form)).status, 400);
      await waitFor('the refused oidc.token event', async () => (await events('oidc.token')).filter((e) => e.outcome === 'refused').length === refusedEventsBefore + 1);
      const refused = (await events('oidc.token')).find((e) => e.outcome === 'refused')!;
      assert.deepEqual([refused.actor, refused.reason], [actor(), 'invalid_grant']);
      assert.equal(await counted(fx, id, 'token', 'refused'), refusedBefore + 1);
    });

    test('a sign-in refused for the allowed groups: oidc.signin refused, and its counter', async () => {
      const { services } = fx.installation;
      const ops = await services.oidc.addClient(OPERATOR, fx.account, { name: 'ops-audit', redirectUris: [REDIRECT_URI], allowedGroups: ['ops'] });
      const opsConfig = await discover(fx.server.issuer, ops.clientId, ops.clientSecret!);
      const { callback } = await codeFor(fx, opsConfig).catch((error: unknown) => ({ callback: new URL(String((error as Error).message).replace(/^no code: /, '')) }));
      assert.equal(callback.searchParams.get('error'), 'access_denied');
      await waitFor('the refused oidc.signin event', async () => (await events('oidc.signin')).some((e) => e.actor === `oidc:${ops.clientId}` && e.outcome === 'refused'));
      assert.equal(await counted(fx, ops.clientId, 'signin', 'refused'), 1);
      assert.equal(await counted(fx, ops.clientId, 'signin', 'success'), 0);
    });
  });
}
