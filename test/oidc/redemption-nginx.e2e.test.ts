// An authorization code sent by 20 concurrent token requests through a real nginx in front of two instances
// over one PostgreSQL database (nginx's round robin spreading them over both) is redeemed once: one 200, the
// rest invalid_grant (SPEC: the code is consumed by one conditional write, whichever instance gets it).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type * as client from 'openid-client';
import { codeFor, discover, REDIRECT_URI, startOidcFixture, startOidcServer, tokenRequest, type OidcFixture, type OidcServer } from '../helpers/oidc.js';
import { engineCases } from '../helpers/engines.js';
import { startNginx, type Nginx } from '../helpers/nginx.js';

const RACERS = 20;
const postgres = (await engineCases()).find((e) => e.engine === 'postgres')!;

describe('OpenID Provider behind nginx, two instances: one redemption per code', { skip: postgres.skip }, () => {
  let fx: OidcFixture;
  let config: client.Configuration;
  let second: OidcServer;
  let nginx: Nginx;

  before(async () => {
    fx = await startOidcFixture(postgres);
    config = await discover(fx.server.issuer, fx.confidential.clientId, fx.confidential.clientSecret);
    second = await startOidcServer(fx.installation.env, fx.server.issuer.replace(/\/oidc$/, ''));
    nginx = await startNginx([new URL(fx.server.local).host, new URL(second.local).host]);
  });
  after(async () => {
    await nginx?.stop();
    await second?.close();
    await fx?.close();
  });

  test(`a code sent by ${RACERS} concurrent requests through nginx gives one 200, the rest invalid_grant`, async () => {
    const { code, verifier } = await codeFor(fx, config);
    const form = { grant_type: 'authorization_code', code, redirect_uri: REDIRECT_URI, code_verifier: verifier };
    const served = (await nginx.servedBy()).length;
    const responses = await Promise.all(Array.from({ length: RACERS }, () => tokenRequest(`${nginx.url}/oidc/token`, fx.confidential.clientId, fx.confidential.clientSecret, form)));
    const bodies = await Promise.all(responses.map(async (r) => ({ status: r.status, body: (await r.json()) as Record<string, string> })));
    assert.equal(bodies.filter((b) => b.status === 200).length, 1, `statuses: ${bodies.map((b) => b.status).join(',')}`);
    for (const lost of bodies.filter((b) => b.status !== 200)) assert.equal(lost.body.error, 'invalid_grant');
    const upstreams = new Set((await nginx.servedBy()).slice(served));
    assert.equal(upstreams.size, 2, `both instances got some of the requests: ${[...upstreams].join(', ')}`);
  });
});
