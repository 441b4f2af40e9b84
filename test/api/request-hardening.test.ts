// Property: the API refuses what it should before doing anything: a body over 1 MB (413, before parsing),
// a wrong Content-Type (415), an unknown route (404), a PATCH with fields outside its schema (400), a
// request without a valid key (401), a key without the route's scope (403); clientIp only from a key made
// with --client-ip (400 client_ip_not_allowed, never silently used). Every refusal has the error format.
import assert from 'node:assert/strict';
import { request as httpRequest } from 'node:http';
import { test } from 'node:test';
import { PASSWORD, call, check, makeFixture } from '../helpers/app.js';

function assertError(response: { statusCode: number; body: string; headers: Record<string, unknown> }, status: number, code: string): void {
  assert.equal(response.statusCode, status, response.body);
  assert.match(String(response.headers['content-type']), /^application\/json/);
  const body = JSON.parse(response.body) as { error: { code: string; message: string } };
  assert.equal(body.error.code, code);
  assert.equal(typeof body.error.message, 'string');
  assert.ok(body.error.message.length > 0);
}

test('a body over 1 MB is refused with 413 before it is parsed', async (t) => {
  const f = await makeFixture();
  t.after(() => f.close());
  const big = JSON.stringify({ username: 'alice', password: 'x'.repeat(1024 * 1024) });
  assertError(await call(f.app, 'POST', '/api/v1/auth/check', { key: f.keys.check, body: big }), 413, 'payload_too_large');
  assertError(await call(f.app, 'POST', '/api/v1/users', { key: f.keys.admin, body: big }), 413, 'payload_too_large');
  // Not valid JSON at all, yet 413: the size is checked first.
  assertError(await call(f.app, 'POST', '/api/v1/users', { key: f.keys.admin, body: `{${'x'.repeat(1024 * 1024 + 10)}` }), 413, 'payload_too_large');
  // Over a real socket, a declared Content-Length over the limit is refused without the body being sent.
  const address = await f.app.listen({ port: 0, host: '127.0.0.1' });
  const { port } = new URL(address);
  const status = await new Promise<number>((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, method: 'POST', path: '/api/v1/auth/check', headers: { authorization: `Bearer ${f.keys.check}`, 'content-type': 'application/json', 'content-length': String(50 * 1024 * 1024) } });
    req.on('response', (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', reject);
    req.write('{"username":');
  });
  assert.equal(status, 413);
  assert.equal((await f.services.users.list(f.acme)).length, 5, 'nothing was created');
});

test('a wrong Content-Type is refused with 415', async (t) => {
  const f = await makeFixture();
  t.after(() => f.close());
  const body = JSON.stringify({ username: 'bob', password: PASSWORD });
  for (const type of ['text/plain', 'application/x-www-form-urlencoded', 'application/xml', 'application/json-patch+json']) {
    assertError(await call(f.app, 'POST', '/api/v1/auth/check', { key: f.keys.check, body, headers: { 'content-type': type } }), 415, 'unsupported_media_type');
  }
  assertError(await call(f.app, 'POST', '/api/v1/users', { key: f.keys.admin, body: 'username=eve', headers: { 'content-type': 'application/x-www-form-urlencoded' } }), 415, 'unsupported_media_type');
  // multipart is for the import only.
  assertError(await call(f.app, 'POST', '/api/v1/users', { key: f.keys.admin, body: '--b\r\n\r\n--b--\r\n', headers: { 'content-type': 'multipart/form-data; boundary=b' } }), 415, 'unsupported_media_type');
  // The import takes multipart only.
  assertError(await call(f.app, 'POST', '/api/v1/tokens/import', { key: f.keys.admin, body: '{}' }), 415, 'unsupported_media_type');
  // JSON with a charset parameter is fine.
  assert.equal((await check(f.app, f.keys.check, { username: 'bob', password: PASSWORD }, { headers: { 'content-type': 'application/json; charset=utf-8' } })).body.result, 'accept');
});

test('malformed JSON and schema violations are 400 invalid_request', async (t) => {
  const f = await makeFixture();
  t.after(() => f.close());
  assertError(await call(f.app, 'POST', '/api/v1/auth/check', { key: f.keys.check, body: '{"username": ' }), 400, 'invalid_request');
  assertError(await call(f.app, 'POST', '/api/v1/auth/check', { key: f.keys.check, body: { username: 'bob', password: PASSWORD, extra: 1 } }), 400, 'invalid_request');
  assertError(await call(f.app, 'POST', '/api/v1/auth/check', { key: f.keys.check, body: { username: { name: 'bob' }, password: PASSWORD } }), 400, 'invalid_request');
  assertError(await call(f.app, 'POST', '/api/v1/auth/check', { key: f.keys.check, body: { username: 'bob', password: PASSWORD, otp: 'x'.repeat(65) } }), 400, 'invalid_request');
  assertError(await call(f.app, 'POST', '/api/v1/auth/check', { key: f.keys.check, body: [] }), 400, 'invalid_request');
});

test('an unknown route is 404 in the error format, with or without a key', async (t) => {
  const f = await makeFixture();
  t.after(() => f.close());
  assertError(await call(f.app, 'GET', '/api/v1/nothing-here'), 404, 'not_found');
  assertError(await call(f.app, 'GET', '/api/v1/nothing-here', { key: f.keys.admin }), 404, 'not_found');
  assertError(await call(f.app, 'PUT', '/api/v1/users', { key: f.keys.admin, body: {} }), 404, 'not_found');
  assertError(await call(f.app, 'GET', '/api/v2/users', { key: f.keys.admin }), 404, 'not_found');
});

test('a PATCH changes only what its schema allows: account, counter, username and the like are 400', async (t) => {
  const f = await makeFixture();
  t.after(() => f.close());
  const patch = (body: unknown, key = f.keys.admin) => call(f.app, 'PATCH', '/api/v1/users/bob', { key, body });
  for (const body of [{ account: 'globex' }, { accountId: f.globex.id }, { counter: 0 }, { username: 'robert' }, { passwordHash: 'x' }, { role: 'superuser' }, { displayName: 'Bob', token: null }]) {
    assertError(await patch(body), 400, 'invalid_request');
  }
  const user = await f.services.users.show(f.acme, 'bob');
  assert.equal(user.role, 'user');
  assert.equal(user.displayName, 'bob');
  // What the schema allows does change, and only with the admin scope.
  assertError(await patch({ role: 'admin' }, f.keys.check), 403, 'insufficient_scope');
  assertError(await patch({ role: 'admin' }, f.keys.otpOnly), 403, 'insufficient_scope');
  assert.equal((await f.services.users.show(f.acme, 'bob')).role, 'user');
  const changed = await patch({ role: 'admin', displayName: 'Bob B.' });
  assert.equal(changed.statusCode, 200, changed.body);
  assert.deepEqual([changed.json<{ role: string }>().role, changed.json<{ displayName: string }>().displayName], ['admin', 'Bob B.']);
  // A token's counter has no route that sets it.
  assertError(await call(f.app, 'PATCH', `/api/v1/tokens/${f.aliceToken.serial}`, { key: f.keys.admin, body: { counter: 0 } }), 404, 'not_found');
});

test('no key: 401; an unknown key: 401; a check or otp-only key on an admin route: 403', async (t) => {
  const f = await makeFixture();
  t.after(() => f.close());
  const adminRoutes: [string, string, unknown?][] = [
    ['GET', '/api/v1/users'],
    ['POST', '/api/v1/users', { username: 'eve', password: PASSWORD }],
    ['GET', '/api/v1/users/bob'],
    ['DELETE', '/api/v1/users/bob'],
    ['GET', '/api/v1/users/alice/token'],
    ['DELETE', '/api/v1/users/alice/token'],
    ['GET', '/api/v1/users/bob/restrictions'],
    ['PUT', '/api/v1/users/bob/restrictions', { rules: [], default: 'deny' }],
    ['GET', '/api/v1/tokens'],
    ['GET', `/api/v1/tokens/${f.aliceToken.serial}`],
    ['POST', `/api/v1/tokens/${f.aliceToken.serial}/unlock`],
    ['GET', '/api/v1/audit'],
  ];
  for (const [method, url, body] of adminRoutes) {
    assertError(await call(f.app, method, url, { body }), 401, 'unauthorized');
    assertError(await call(f.app, method, url, { body, key: 'otpg_not-a-key' }), 401, 'unauthorized');
    assertError(await call(f.app, method, url, { body, headers: { authorization: f.keys.admin } }), 401, 'unauthorized');
    assertError(await call(f.app, method, url, { body, key: f.keys.check }), 403, 'insufficient_scope');
    assertError(await call(f.app, method, url, { body, key: f.keys.otpOnly }), 403, 'insufficient_scope');
  }
  // Nothing changed.
  assert.equal((await f.services.users.list(f.acme)).length, 5);
  assert.equal((await f.services.tokens.show(f.acme, f.aliceToken.serial)).status, 'associated');
  // An admin key is not a check key.
  assertError(await call(f.app, 'POST', '/api/v1/auth/check', { key: f.keys.admin, body: { username: 'bob', password: PASSWORD } }), 403, 'insufficient_scope');
  assertError(await call(f.app, 'POST', '/api/v1/auth/check', { body: { username: 'bob', password: PASSWORD } }), 401, 'unauthorized');
});

test('clientIp from a key without --client-ip is refused (400), never silently used', async (t) => {
  const f = await makeFixture();
  t.after(() => f.close());
  await f.services.restrictions.setForUser({ name: 'test', accountId: null, clientIp: null }, f.acme, 'bob', { rules: [{ cidr: '203.0.113.0/24', action: 'allow' }], default: 'deny' });
  const refused = await check(f.app, f.keys.check, { username: 'bob', password: PASSWORD, clientIp: '203.0.113.7' });
  assert.equal(refused.status, 400);
  assert.equal(refused.body.error?.code, 'client_ip_not_allowed');
  const otpOnly = await check(f.app, f.keys.otpOnly, { username: 'bob', clientIp: '203.0.113.7' });
  assert.equal(otpOnly.body.error?.code, 'client_ip_not_allowed');
  // The refused request was not a sign-in attempt.
  assert.equal((await f.services.audit.list({ accountId: f.acme.id, username: 'bob' })).filter((e) => e.action === 'signin').length, 0);
  // The key made with --client-ip may, and its address decides.
  assert.equal((await check(f.app, f.keys.clientIp, { username: 'bob', password: PASSWORD, clientIp: '203.0.113.7' })).body.result, 'accept');
  assert.equal((await check(f.app, f.keys.clientIp, { username: 'bob', password: PASSWORD, clientIp: '198.51.100.7' })).body.result, 'reject');
  const bad = await check(f.app, f.keys.clientIp, { username: 'bob', password: PASSWORD, clientIp: 'not-an-address' });
  assert.equal(bad.status, 400);
  assert.equal(bad.body.error?.code, 'invalid_request');
});
