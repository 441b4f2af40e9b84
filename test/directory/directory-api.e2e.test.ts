// Property: the directory is set, shown (never its bind password), tested and removed through the API,
// only in the caller's account; a directory user signs in through POST /auth/check, and when the directory
// cannot be reached the API answers 503 service_unavailable for them while local users sign in as before.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { call, check, makeFixture, PASSWORD, type Fixture } from '../helpers/app.js';
import { SERVICE_DN, SERVICE_PASSWORD, startSlapd, SUFFIX, type Slapd } from '../helpers/slapd.js';

describe('directory over the API', () => {
  let slapd: Slapd;
  let f: Fixture;

  before(async () => {
    slapd = await startSlapd();
    await slapd.addPeople([{ uid: 'dora', password: 'dora directory password', cn: 'Dora Explorer', groups: ['vpn-users'] }]);
    f = await makeFixture();
  });

  after(async () => {
    await f?.close();
    await slapd?.remove();
  });

  const settings = () => ({ url: slapd.url, bindDn: SERVICE_DN, bindPassword: SERVICE_PASSWORD, baseDn: SUFFIX });

  test('PUT refuses plain ldap:// to a host that is not loopback, and a malformed filter; nothing is stored', async () => {
    const clear = await call(f.app, 'PUT', '/api/v1/directory', { key: f.keys.admin, body: { ...settings(), url: 'ldap://ldap.example.org:389' } });
    assert.equal(clear.statusCode, 400, clear.body);
    assert.equal(clear.json<{ error: { code: string; field: string } }>().error.code, 'invalid_directory');
    assert.equal(clear.json<{ error: { code: string; field: string } }>().error.field, 'url');
    const filter = await call(f.app, 'PUT', '/api/v1/directory', { key: f.keys.admin, body: { ...settings(), userFilter: 'objectClass=person)(' } });
    assert.equal(filter.json<{ error: { code: string } }>().error.code, 'invalid_directory');
    const shown = await call(f.app, 'GET', '/api/v1/directory', { key: f.keys.admin });
    assert.deepEqual(shown.json(), { directory: null });
  });

  test('PUT sets it, GET shows it without the password, POST /directory/test binds and counts', async () => {
    const put = await call(f.app, 'PUT', '/api/v1/directory', { key: f.keys.admin, body: settings() });
    assert.equal(put.statusCode, 200, put.body);
    const shown = await call(f.app, 'GET', '/api/v1/directory', { key: f.keys.admin });
    assert.equal(shown.json<{ directory: { url: string } }>().directory.url, slapd.url);
    assert.ok(!shown.body.includes(SERVICE_PASSWORD));
    const tested = await call(f.app, 'POST', '/api/v1/directory/test', { key: f.keys.admin });
    assert.deepEqual(tested.json(), { ok: true, usersFound: 1, example: 'dora' });
    // Another account sees none and tests none.
    assert.deepEqual((await call(f.app, 'GET', '/api/v1/directory', { key: f.keys.adminB })).json(), { directory: null });
    assert.equal((await call(f.app, 'POST', '/api/v1/directory/test', { key: f.keys.adminB })).statusCode, 404);
    // A check key may not touch it.
    assert.equal((await call(f.app, 'GET', '/api/v1/directory', { key: f.keys.check })).statusCode, 403);
  });

  test('a directory user signs in with their directory password; PATCH disabled refuses them', async () => {
    assert.deepEqual((await check(f.app, f.keys.check, { username: 'dora', password: 'dora directory password' })).body, { result: 'accept' });
    assert.deepEqual((await check(f.app, f.keys.check, { username: 'dora', password: 'wrong' })).body, { result: 'reject' });
    const user = await call(f.app, 'GET', '/api/v1/users/dora', { key: f.keys.admin });
    assert.equal(user.json<{ source: string }>().source, 'directory');
    assert.deepEqual(user.json<{ groups: string[] }>().groups, ['vpn-users']);
    // The other account's check key does not reach acme's directory user.
    assert.deepEqual((await check(f.app, f.keys.checkB, { username: 'dora', password: 'dora directory password' })).body, { result: 'reject' });

    const disabled = await call(f.app, 'PATCH', '/api/v1/users/dora', { key: f.keys.admin, body: { disabled: true } });
    assert.equal(disabled.json<{ disabled: boolean }>().disabled, true);
    assert.deepEqual((await check(f.app, f.keys.check, { username: 'dora', password: 'dora directory password' })).body, { result: 'reject' });
    await call(f.app, 'PATCH', '/api/v1/users/dora', { key: f.keys.admin, body: { disabled: false } });
    assert.deepEqual((await check(f.app, f.keys.check, { username: 'dora', password: 'dora directory password' })).body, { result: 'accept' });
  });

  test('the directory down: 503 service_unavailable for a directory user, local users unaffected', async () => {
    await slapd.stop();
    try {
      const down = await check(f.app, f.keys.check, { username: 'dora', password: 'dora directory password' });
      assert.equal(down.status, 503);
      assert.equal(down.body.error?.code, 'service_unavailable');
      // bob is a local user of the same account: his sign-in does not ask the directory.
      assert.deepEqual((await check(f.app, f.keys.check, { username: 'bob', password: PASSWORD })).body, { result: 'accept' });
      const tested = await call(f.app, 'POST', '/api/v1/directory/test', { key: f.keys.admin });
      assert.equal(tested.json<{ ok: boolean }>().ok, false);
    } finally {
      await slapd.start();
    }
  });

  test('DELETE removes it; its users stay but cannot sign in', async () => {
    assert.equal((await call(f.app, 'DELETE', '/api/v1/directory', { key: f.keys.admin })).statusCode, 204);
    assert.equal((await call(f.app, 'DELETE', '/api/v1/directory', { key: f.keys.admin })).statusCode, 404);
    assert.equal((await call(f.app, 'GET', '/api/v1/users/dora', { key: f.keys.admin })).statusCode, 200);
    assert.deepEqual((await check(f.app, f.keys.check, { username: 'dora', password: 'dora directory password' })).body, { result: 'reject' });
  });
});
