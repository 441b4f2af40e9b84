// An authorization code is redeemed once, across requests and instances (SPEC: "a second redemption is
// invalid_grant and revokes what the first issued"): 20 concurrent redemptions of one code give exactly one
// 200, on SQLite, on PostgreSQL, and on two instances over one PostgreSQL database; afterwards the tokens the
// winner got are revoked too.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type * as client from 'openid-client';
import { codeFor, discover, REDIRECT_URI, startOidcFixture, startOidcServer, tokenRequest, type OidcFixture, type OidcServer } from '../helpers/oidc.js';
import { engineCases } from '../helpers/engines.js';
import { OPERATOR } from '../../src/services/context.js';
import { KEY_OVERLAP_MS } from '../../src/services/oidc-service.js';

const RACERS = 20;

for (const engine of await engineCases()) {
  describe(`OpenID Provider, one redemption per code (${engine.engine})`, { skip: engine.skip }, () => {
    let fx: OidcFixture;
    let config: client.Configuration;
    let second: OidcServer | undefined;

    before(async () => {
      fx = await startOidcFixture(engine);
      config = await discover(fx.server.issuer, fx.confidential.clientId, fx.confidential.clientSecret);
      // On PostgreSQL a second instance over the same database, behind the same public address.
      if (engine.engine === 'postgres') second = await startOidcServer(fx.installation.env, fx.server.issuer.replace(/\/oidc$/, ''));
    });
    after(async () => {
      await second?.close();
      await fx?.close();
    });

    async function race(endpoints: string[]): Promise<void> {
      const { code, verifier } = await codeFor(fx, config);
      const form = { grant_type: 'authorization_code', code, redirect_uri: REDIRECT_URI, code_verifier: verifier };
      const responses = await Promise.all(Array.from({ length: RACERS }, (_, i) => tokenRequest(`${endpoints[i % endpoints.length]}/token`, fx.confidential.clientId, fx.confidential.clientSecret, form)));
      const bodies = await Promise.all(responses.map(async (r) => ({ status: r.status, body: (await r.json()) as Record<string, string> })));
      const won = bodies.filter((b) => b.status === 200);
      assert.equal(won.length, 1, `statuses: ${bodies.map((b) => b.status).join(',')}`);
      for (const lost of bodies.filter((b) => b.status !== 200)) {
        assert.equal(lost.status, 400);
        assert.equal(lost.body.error, 'invalid_grant');
      }
      // The replay revoked what the winner was issued: its access token and its refresh token.
      const userinfo = await fetch(`${fx.server.local}/me`, { headers: { authorization: `Bearer ${won[0]!.body.access_token}` } });
      assert.equal(userinfo.status, 401);
      const refresh = await tokenRequest(`${fx.server.local}/token`, fx.confidential.clientId, fx.confidential.clientSecret, { grant_type: 'refresh_token', refresh_token: won[0]!.body.refresh_token! });
      assert.equal(refresh.status, 400);
      assert.equal(((await refresh.json()) as { error: string }).error, 'invalid_grant');
    }

    test(`a code sent by ${RACERS} concurrent requests is redeemed once`, () => race([fx.server.local]));

    test(`... and across two instances over one PostgreSQL database`, { skip: engine.engine !== 'postgres' }, () => race([fx.server.local, second!.local]));

    test('a code redeemed again later is invalid_grant and revokes the first redemption\'s tokens', async () => {
      const { code, verifier } = await codeFor(fx, config);
      const form = { grant_type: 'authorization_code', code, redirect_uri: REDIRECT_URI, code_verifier: verifier };
      const first = await tokenRequest(`${fx.server.local}/token`, fx.confidential.clientId, fx.confidential.clientSecret, form);
      assert.equal(first.status, 200);
      const tokens = (await first.json()) as { access_token: string };
      assert.equal((await fetch(`${fx.server.local}/me`, { headers: { authorization: `Bearer ${tokens.access_token}` } })).status, 200);
      const again = await tokenRequest(`${fx.server.local}/token`, fx.confidential.clientId, fx.confidential.clientSecret, form);
      assert.equal(again.status, 400);
      assert.equal((await fetch(`${fx.server.local}/me`, { headers: { authorization: `Bearer ${tokens.access_token}` } })).status, 401);
    });
  });
}

for (const engine of await engineCases()) {
  describe(`OpenID Provider, the expiry sweeper (${engine.engine})`, { skip: engine.skip }, () => {
    test('sweep deletes expired models and keeps live ones', async () => {
      const installation = await engine.start();
      try {
        const { oidc, ctx } = installation.services;
        await oidc.saveModel('AccessToken', 'expired-one', { accountId: '1', grantId: 'g1' }, 1);
        await oidc.saveModel('AccessToken', 'live-one', { accountId: '1', grantId: 'g1' }, 3600);
        const realNow = ctx.now;
        ctx.now = () => realNow() + 5_000;
        try {
          assert.equal(await oidc.findModel('AccessToken', 'expired-one'), undefined, 'an expired model is not found');
          assert.equal((await oidc.sweep()).models, 1);
        } finally {
          ctx.now = realNow;
        }
        assert.ok(await oidc.findModel('AccessToken', 'live-one'));
      } finally {
        await installation.close();
      }
    });

    test('sweep deletes a retired signing key once its overlap is over, and keeps the others', async () => {
      const installation = await engine.start();
      try {
        const { oidc, ctx } = installation.services;
        const { retired } = await oidc.rotateKeys(OPERATOR);
        assert.equal(retired.length, 1);
        const before = await oidc.listKeys();
        assert.equal((await oidc.sweep()).keys, 0, 'within the overlap the retired key stays published');
        const realNow = ctx.now;
        ctx.now = () => realNow() + KEY_OVERLAP_MS + 1_000;
        try {
          assert.equal((await oidc.sweep()).keys, 1);
        } finally {
          ctx.now = realNow;
        }
        const after = await oidc.listKeys();
        assert.deepEqual(after.map((k) => k.kid), before.filter((k) => k.kid !== retired[0]).map((k) => k.kid));
        assert.ok(after.some((k) => k.status === 'current') && after.some((k) => k.status === 'next'));
      } finally {
        await installation.close();
      }
    });
  });
}
