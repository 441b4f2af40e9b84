// The API of several tokens per user (SPEC, "Several tokens per user"): the plural routes list, add (with a
// label, up to maxTokensPerUser: 409 token_limit above it), re-sync and disassociate one token by serial; the
// milestone-1 singular routes keep working for a user with one token and answer 409 several_tokens, naming
// the serials, for a user who holds several; /auth/check accepts a passcode from either token; the user's
// view lists every token.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { call, check, makeFixture, PASSWORD, type Fixture } from '../helpers/app.js';
import { oathCode } from '../helpers/otp.js';

let f: Fixture;
before(async () => {
  f = await makeFixture();
});
after(() => f.close());

const errorOf = (body: string) => (JSON.parse(body) as { error: { code: string; message: string; serials?: string[] } }).error;

test('plural routes: add a labelled spare, list both, sign in with either, and the singular routes answer several_tokens', async () => {
  const [spare] = f.spare;
  const singular = await call(f.app, 'GET', '/api/v1/users/alice/token', { key: f.keys.admin });
  assert.equal(singular.statusCode, 200, 'a one-token user: the milestone-1 route works as before');

  const added = await call(f.app, 'POST', '/api/v1/users/alice/tokens', { key: f.keys.admin, body: { serial: spare!.serial, otp: oathCode(spare!.hex, 0), label: 'spare' } });
  assert.equal(added.statusCode, 201, added.body);
  assert.deepEqual([added.json<{ label: string }>().label, added.json<{ username: string }>().username], ['spare', 'alice']);

  const listed = await call(f.app, 'GET', '/api/v1/users/alice/tokens', { key: f.keys.admin });
  assert.deepEqual(listed.json<{ tokens: { serial: string; label: string | null }[] }>().tokens.map((t) => [t.serial, t.label]), [[f.aliceToken.serial, null], [spare!.serial, 'spare']]);
  const user = await call(f.app, 'GET', '/api/v1/users/alice', { key: f.keys.admin });
  assert.deepEqual(user.json<{ tokens: { serial: string }[] }>().tokens.map((t) => t.serial), [f.aliceToken.serial, spare!.serial]);

  assert.equal((await check(f.app, f.keys.check, { username: 'alice', password: PASSWORD, otp: oathCode(f.aliceToken.hex, 1) })).body.result, 'accept');
  assert.equal((await check(f.app, f.keys.check, { username: 'alice', password: PASSWORD, otp: oathCode(spare!.hex, 1) })).body.result, 'accept');

  for (const [method, url, body] of [
    ['GET', '/api/v1/users/alice/token', undefined],
    ['DELETE', '/api/v1/users/alice/token', undefined],
    ['POST', '/api/v1/users/alice/token/resync', { otp1: oathCode(spare!.hex, 5), otp2: oathCode(spare!.hex, 6) }],
  ] as const) {
    const answer = await call(f.app, method, url, { key: f.keys.admin, ...(body ? { body } : {}) });
    assert.equal(answer.statusCode, 409, `${method} ${url}: ${answer.body}`);
    assert.deepEqual([errorOf(answer.body).code, errorOf(answer.body).serials], ['several_tokens', [f.aliceToken.serial, spare!.serial]]);
  }

  const resynced = await call(f.app, 'POST', `/api/v1/users/alice/tokens/${spare!.serial}/resync`, { key: f.keys.admin, body: { otp1: oathCode(spare!.hex, 5), otp2: oathCode(spare!.hex, 6) } });
  assert.deepEqual([resynced.statusCode, resynced.json<{ counter: number }>().counter], [200, 7]);

  const removed = await call(f.app, 'DELETE', `/api/v1/users/alice/tokens/${spare!.serial}`, { key: f.keys.admin });
  assert.deepEqual([removed.statusCode, removed.json<{ status: string }>().status], [200, 'available']);
  assert.equal((await call(f.app, 'GET', '/api/v1/users/alice/token', { key: f.keys.admin })).statusCode, 200, 'one token again: the singular route works');
});

test('a fourth token is refused with token_limit (default 3), naming the ones held; a taken label is refused', async () => {
  const [, second, third] = f.spare;
  const add = (serial: string, otp: string, label?: string) =>
    call(f.app, 'POST', '/api/v1/users/bob/tokens', { key: f.keys.admin, body: { serial, otp, ...(label ? { label } : {}) } });
  assert.equal((await add(second!.serial, oathCode(second!.hex, 0), 'desk')).statusCode, 201);
  const taken = await add(third!.serial, oathCode(third!.hex, 0), 'desk');
  assert.deepEqual([taken.statusCode, errorOf(taken.body).code], [400, 'invalid_request']);
  assert.equal((await add(third!.serial, oathCode(third!.hex, 0))).statusCode, 201);
  await f.services.accounts.updateSettings({ name: 'test', accountId: null, clientIp: null }, f.acme, { maxTokensPerUser: 2 });
  const over = await add(f.spare[0]!.serial, oathCode(f.spare[0]!.hex, 2));
  assert.equal(over.statusCode, 409, over.body);
  assert.equal(errorOf(over.body).code, 'token_limit');
  assert.match(errorOf(over.body).message, new RegExp(`${second!.serial}.*${third!.serial}`));
});
