// Reports through the API: tokens unused for N days, users without a token, locked tokens; own account only.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { OPERATOR } from '../../src/services/context.js';
import { call, check, makeFixture, type Fixture } from '../helpers/app.js';
import { oathCode } from '../helpers/otp.js';

let f: Fixture;
before(async () => {
  f = await makeFixture();
});
after(async () => f?.close());

const get = async (url: string) => {
  const response = await call(f.app, 'GET', url, { key: f.keys.admin });
  return { status: response.statusCode, json: response.json<{ tokens?: { serial: string; username: string | null }[]; users?: { username: string }[]; error?: { code: string } }>() };
};

test('unused tokens: listed after N days without a sign-in, gone once the token signs someone in', async () => {
  assert.deepEqual((await get('/api/v1/reports/tokens?unusedDays=30')).json.tokens, [], 'associated today');
  f.clock.advance(40 * 24 * 3600);
  const unused = (await get('/api/v1/reports/tokens?unusedDays=30')).json.tokens!;
  assert.deepEqual(unused.map((t) => [t.serial, t.username]), [[f.aliceToken.serial, 'alice']], "only acme's token in a user's hands (not globex's, not the inventory's)");
  assert.equal((await check(f.app, f.keys.otpOnly, { username: 'alice', otp: oathCode(f.aliceToken.hex, 1) })).body.result, 'accept');
  assert.deepEqual((await get('/api/v1/reports/tokens?unusedDays=30')).json.tokens, []);
});

test('users without a token, and locked tokens', async () => {
  const users = (await get('/api/v1/reports/users?withoutToken=true')).json.users!.map((u) => u.username);
  assert.deepEqual(users, ['admin-acme', 'bob', 'carol', 'dave']);
  assert.deepEqual((await get('/api/v1/reports/tokens?status=locked')).json.tokens, []);
  await f.services.accounts.updateSettings(OPERATOR, f.acme, { maxFailures: 1 });
  const wrong = oathCode(f.aliceToken.hex, 500).split('').reverse().join('');
  await check(f.app, f.keys.otpOnly, { username: 'alice', otp: wrong });
  assert.deepEqual((await get('/api/v1/reports/tokens?status=locked')).json.tokens!.map((t) => t.serial), [f.aliceToken.serial]);
});

test('bad questions are 400; other scopes 403', async () => {
  assert.equal((await get('/api/v1/reports/tokens')).status, 400);
  assert.equal((await get('/api/v1/reports/tokens?unusedDays=30&status=locked')).status, 400);
  assert.equal((await get('/api/v1/reports/tokens?unusedDays=0')).status, 400);
  assert.equal((await get('/api/v1/reports/users')).status, 400);
  assert.equal((await call(f.app, 'GET', '/api/v1/reports/users?withoutToken=true', { key: f.keys.check })).statusCode, 403);
});
