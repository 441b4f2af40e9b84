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
  // An empty PATCH changes nothing and answers the user as they are (the fuzzer found it answered 500).
  const audited = (await f.services.audit.list({ accountId: f.acme.id, limit: 1000 })).length;
  const empty = await patch({});
  assert.equal(empty.statusCode, 200, empty.body);
  assert.deepEqual([empty.json<{ role: string }>().role, empty.json<{ displayName: string }>().displayName], ['admin', 'Bob B.']);
  assert.equal((await f.services.audit.list({ accountId: f.acme.id, limit: 1000 })).length, audited);
  // A token's counter has no route that sets it: PATCH /tokens/{serial} takes only the validity dates.
  const counterBefore = (await f.services.tokens.show(f.acme, f.aliceToken.serial)).counter;
  assertError(await call(f.app, 'PATCH', `/api/v1/tokens/${f.aliceToken.serial}`, { key: f.keys.admin, body: { counter: 0 } }), 400, 'invalid_request');
  assert.equal((await f.services.tokens.show(f.acme, f.aliceToken.serial)).counter, counterBefore);
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

test('no type coercion: a field of the wrong type is 400, never converted (["frank"] is not "frank")', async (t) => {
  const f = await makeFixture();
  t.after(() => f.close());
  assertError(await call(f.app, 'POST', '/api/v1/auth/check', { key: f.keys.check, body: { username: ['bob'], password: [PASSWORD] } }), 400, 'invalid_request');
  assertError(await call(f.app, 'POST', '/api/v1/auth/check', { key: f.keys.check, body: { username: 'bob', password: PASSWORD, otp: 123456 } }), 400, 'invalid_request');
  assertError(await call(f.app, 'POST', '/api/v1/auth/check', { key: f.keys.check, body: { username: 'bob', password: true } }), 400, 'invalid_request');
  assertError(await call(f.app, 'PATCH', '/api/v1/users/dave', { key: f.keys.admin, body: { role: ['admin'] } }), 400, 'invalid_request');
  assertError(await call(f.app, 'POST', '/api/v1/users', { key: f.keys.admin, body: { username: ['frank'], password: [PASSWORD] } }), 400, 'invalid_request');
  assertError(await call(f.app, 'PUT', '/api/v1/users/bob/restrictions', { key: f.keys.admin, body: { rules: { cidr: '10.0.0.0/8', action: 'allow' }, default: 'deny' } }), 400, 'invalid_request');
  assert.equal((await f.services.users.show(f.acme, 'dave')).role, 'user');
  assert.equal((await f.services.users.list(f.acme)).length, 5, 'nothing was created');
  // Numeric query parameters are still read from the querystring; repeated or non-numeric ones are refused.
  const page = await call(f.app, 'GET', '/api/v1/tokens?limit=1&offset=1', { key: f.keys.admin });
  assert.equal(page.statusCode, 200, page.body);
  assert.equal(page.json<{ tokens: unknown[] }>().tokens.length, 1);
  assertError(await call(f.app, 'GET', '/api/v1/tokens?limit=1&limit=2', { key: f.keys.admin }), 400, 'invalid_request');
  assertError(await call(f.app, 'GET', '/api/v1/tokens?limit=one', { key: f.keys.admin }), 400, 'invalid_request');
  assertError(await call(f.app, 'GET', '/api/v1/audit?before=1.5', { key: f.keys.admin }), 400, 'invalid_request');
  assertError(await call(f.app, 'GET', '/api/v1/users?q=a&q=b', { key: f.keys.admin }), 400, 'invalid_request');
});

test("the framework's own errors answer in the error format: a long path parameter, a bad percent-encoding", async (t) => {
  const f = await makeFixture();
  t.after(() => f.close());
  for (const key of [f.keys.admin, undefined]) {
    assertError(await call(f.app, 'GET', `/api/v1/users/${'a'.repeat(5000)}`, { key }), 414, 'uri_too_long');
    assertError(await call(f.app, 'GET', '/api/v1/users/%zz', { key }), 400, 'invalid_request');
    assertError(await call(f.app, 'GET', '/api/v1/tokens/%E0%A4%A', { key }), 400, 'invalid_request');
  }
  // A parameter a little over its schema's length is the schema's 400, naming it.
  const long = await call(f.app, 'GET', `/api/v1/users/${'a'.repeat(500)}`, { key: f.keys.admin });
  assertError(long, 400, 'invalid_request');
  assert.match(long.json<{ error: { message: string } }>().error.message, /username/);
  // Unknown methods, bad bodies of every kind.
  assertError(await call(f.app, 'PROPFIND', '/api/v1/users', { key: f.keys.admin }), 404, 'not_found');
  assertError(await call(f.app, 'POST', '/api/v1/users', { key: f.keys.admin, body: '' }), 400, 'invalid_request');
  assertError(await call(f.app, 'POST', '/api/v1/users', { key: f.keys.admin, body: '{"__proto__":{"role":"admin"},"username":"eve","password":"x"}' }), 400, 'invalid_request');
  // The console answers its own "not found" page, not the API's format.
  const page = await call(f.app, 'GET', '/admin/users/%zz');
  assert.equal(page.statusCode, 404);
  assert.match(String(page.headers['content-type']), /^text\/html/);
});

test('authentication comes first: without a valid key every API route is 401, whatever the body', async (t) => {
  const f = await makeFixture();
  t.after(() => f.close());
  const big = JSON.stringify({ username: 'eve', password: 'x'.repeat(3 * 1024 * 1024) });
  for (const headers of [{}, { authorization: 'Bearer otpg_not-a-key' }, { authorization: 'Basic eDp5' }] as Record<string, string>[]) {
    assertError(await call(f.app, 'POST', '/api/v1/users', { body: {}, headers }), 401, 'unauthorized');
    assertError(await call(f.app, 'POST', '/api/v1/users', { body: big, headers }), 401, 'unauthorized');
    assertError(await call(f.app, 'POST', '/api/v1/users', { body: '{"username":', headers }), 401, 'unauthorized');
    assertError(await call(f.app, 'POST', '/api/v1/auth/check', { body: { username: ['x'] }, headers }), 401, 'unauthorized');
    assertError(await call(f.app, 'POST', '/api/v1/users', { body: 'a=b', headers: { ...headers, 'content-type': 'text/plain' } }), 401, 'unauthorized');
    assertError(await call(f.app, 'GET', '/api/v1/tokens?limit=zero', { headers }), 401, 'unauthorized');
  }
  assert.equal((await f.services.users.list(f.acme)).length, 5);
});
