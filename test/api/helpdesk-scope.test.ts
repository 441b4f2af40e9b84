// Property: a help-desk caller (API key scope `helpdesk`, or a console session of a `helpdesk` user) has
// exactly the rights of SPEC's "Roles": list and view users and tokens, associate, re-sync, unlock, disable,
// enable, disassociate, and temporary codes. The routes come from the server's own route table, so a route
// added later is covered without editing this test: every route not in the list below answers 403
// insufficient_scope to a help-desk key and changes nothing; the routes in it work.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { Value } from '@sinclair/typebox/value';
import type { TSchema } from '@sinclair/typebox';
import { OPERATOR } from '../../src/services/context.js';
import { call, makeFixture, PASSWORD, type Fixture } from '../helpers/app.js';
import { oathCode } from '../helpers/otp.js';

/** The help desk's routes (GET ones answer HEAD too). */
const HELPDESK_ROUTES = new Set([
  'GET /api/v1/users',
  'GET /api/v1/users/:username',
  'GET /api/v1/users/:username/token',
  'POST /api/v1/users/:username/token',
  'POST /api/v1/users/:username/token/resync',
  'DELETE /api/v1/users/:username/token',
  'GET /api/v1/users/:username/tokens',
  'POST /api/v1/users/:username/tokens',
  'DELETE /api/v1/users/:username/tokens/:serial',
  'POST /api/v1/users/:username/tokens/:serial/resync',
  'GET /api/v1/tokens',
  'GET /api/v1/tokens/:serial',
  'GET /api/v1/tokens/:serial/history',
  'POST /api/v1/tokens/:serial/unlock',
  'POST /api/v1/tokens/:serial/disable',
  'POST /api/v1/tokens/:serial/enable',
  'POST /api/v1/users/:username/temp-code',
  'GET /api/v1/users/:username/temp-code',
  'DELETE /api/v1/users/:username/temp-code',
]);

let f: Fixture;
let desk: string;
before(async () => {
  f = await makeFixture({ env: { OTPGATE_WEBHOOK_ALLOW_PRIVATE: 'true' } });
  desk = (await f.services.apiKeys.create(OPERATOR, f.acme, 'desk', ['helpdesk'], false)).key;
  await f.services.notifications.addWebhook(OPERATOR, f.acme, { name: 'a-hook', url: 'http://127.0.0.1:9/hook' });
});
after(() => f.close());

const keyOf = (route: { method: string; url: string }) => `${route.method === 'HEAD' ? 'GET' : route.method} ${route.url}`;

function filled(url: string): string {
  const values: Record<string, string> = { username: 'alice', serial: f.aliceToken.serial, name: 'a-hook', group: 'vpn' };
  return url.replace(/:([A-Za-z0-9_]+)/g, (_, param: string) => {
    const value = values[param];
    if (value === undefined) throw new Error(`route ${url} has a parameter :${param} this test cannot fill; add it`);
    return encodeURIComponent(value);
  });
}

async function snapshot(): Promise<string> {
  const [users, tokens, keys, webhooks, restriction] = await Promise.all([
    f.services.users.list(f.acme),
    f.services.tokens.list(f.acme),
    f.services.apiKeys.list(f.acme),
    f.services.notifications.listWebhooks(f.acme),
    f.services.restrictions.showForUser(f.acme, 'alice'),
  ]);
  return JSON.stringify({ users, tokens, keys, webhooks, restriction, settings: (await f.services.accounts.byId(f.acme.id)).max_failures });
}

test('every other API route answers 403 insufficient_scope to a help-desk key, before reading the request, and changes nothing', async () => {
  const routes = f.app.otpgateRoutes.filter((r) => r.url.startsWith('/api/v1/') && !HELPDESK_ROUTES.has(keyOf(r)));
  assert.ok(routes.length >= 25, `found ${routes.length} routes outside the help desk's`);
  for (const allowed of HELPDESK_ROUTES) assert.ok(f.app.otpgateRoutes.some((r) => keyOf(r) === allowed), `${allowed} exists`);
  const before = await snapshot();
  for (const route of routes) {
    const body = route.schema?.body === undefined ? undefined : Value.Create(route.schema.body as TSchema);
    const response = await call(f.app, route.method, filled(route.url), { key: desk, body });
    assert.equal(response.statusCode, 403, `${route.method} ${route.url} answered ${response.statusCode} ${response.body}`);
    if (route.method !== 'HEAD') assert.equal(response.json<{ error: { code: string } }>().error.code, 'insufficient_scope', `${route.method} ${route.url}`);
    // Even a body the route would refuse is not read: the scope is refused first.
    if (route.method === 'POST' || route.method === 'PUT' || route.method === 'PATCH') {
      const junk = await call(f.app, route.method, filled(route.url), { key: desk, body: '{"not json' });
      assert.equal(junk.statusCode, 403, `${route.method} ${route.url} with a broken body answered ${junk.statusCode}`);
    }
  }
  assert.equal(await snapshot(), before, 'nothing changed');
});

test('the help-desk routes work with a help-desk key, within its own account', async () => {
  const ok = async (method: string, url: string, body?: unknown, status = 200) => {
    const response = await call(f.app, method, url, { key: desk, body });
    assert.equal(response.statusCode, status, `${method} ${url}: ${response.body}`);
    return response;
  };
  assert.ok((await ok('GET', '/api/v1/users')).json<{ users: unknown[] }>().users.length >= 5);
  await ok('GET', '/api/v1/users/alice');
  await ok('GET', '/api/v1/tokens');
  await ok('GET', `/api/v1/tokens/${f.aliceToken.serial}/history`);
  await ok('POST', `/api/v1/tokens/${f.aliceToken.serial}/disable`);
  await ok('POST', `/api/v1/tokens/${f.aliceToken.serial}/enable`);
  await ok('POST', '/api/v1/users/alice/token/resync', { otp1: oathCode(f.aliceToken.hex, 5), otp2: oathCode(f.aliceToken.hex, 6) });
  await ok('POST', `/api/v1/tokens/${f.aliceToken.serial}/unlock`);
  await ok('DELETE', '/api/v1/users/alice/token');
  await ok('POST', '/api/v1/users/bob/token', { serial: f.spare[1]!.serial, otp: oathCode(f.spare[1]!.hex, 0) }, 201);
  await ok('POST', '/api/v1/users/bob/temp-code', {}, 201);
  await ok('GET', '/api/v1/users/bob/temp-code');
  await ok('DELETE', '/api/v1/users/bob/temp-code', undefined, 204);
  // Retiring is an administrator's: not the help desk's.
  const retire = await call(f.app, 'POST', `/api/v1/tokens/${f.spare[1]!.serial}/retire`, { key: desk, body: { reason: 'lost' } });
  assert.equal(retire.statusCode, 403);
  // Another account's user is not found, as for its admin.
  assert.equal((await call(f.app, 'GET', '/api/v1/users/zed', { key: desk })).statusCode, 404);
  const actors = (await f.services.audit.list({ accountId: f.acme.id, limit: 50 })).filter((e) => e.actor === 'apikey:desk').map((e) => e.action);
  for (const action of ['token.disable', 'token.enable', 'token.resync', 'token.unlock', 'token.disassociate', 'token.associate', 'temp_code.issue', 'temp_code.revoke']) assert.ok(actors.includes(action), action);
});

test('a console session of a helpdesk user holds the same rights on the API', async () => {
  await f.services.users.create(OPERATOR, f.acme, { username: 'hank', password: PASSWORD, role: 'helpdesk' });
  const login = await f.app.inject({ method: 'GET', url: '/login' });
  const csrf = /name="_csrf" value="([^"]+)"/.exec(login.body)?.[1] ?? '';
  const preCookie = String(login.headers['set-cookie'] ?? '').split(';')[0]!;
  const signedIn = await f.app.inject({ method: 'POST', url: '/login', headers: { cookie: preCookie, 'content-type': 'application/x-www-form-urlencoded' }, payload: new URLSearchParams({ _csrf: csrf, username: 'hank', password: PASSWORD }).toString() });
  assert.equal(signedIn.statusCode, 303, signedIn.body);
  const cookies = ([] as string[]).concat(signedIn.headers['set-cookie'] ?? []).map((c) => c.split(';')[0]).join('; ');
  assert.equal((await f.app.inject({ method: 'GET', url: '/api/v1/users', headers: { cookie: cookies } })).statusCode, 200);
  const keys = await f.app.inject({ method: 'GET', url: '/api/v1/audit', headers: { cookie: cookies } });
  assert.equal(keys.statusCode, 403);
});
