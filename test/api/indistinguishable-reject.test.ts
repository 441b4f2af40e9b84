// Property: wrong password, unknown user and an IP rule that says deny give byte-identical answers to
// POST /api/v1/auth/check: the same status, the same headers (all but Date) and the same body. Only the
// audit log tells them apart.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { LightMyRequestResponse } from 'fastify';
import { PASSWORD, check, makeFixture } from '../helpers/app.js';
import { oathCode } from '../helpers/otp.js';

function shape(response: LightMyRequestResponse): { status: number; headers: Record<string, unknown>; body: string } {
  const headers = { ...response.headers };
  delete headers.date;
  return { status: response.statusCode, headers, body: response.body };
}

test('wrong password, unknown user and deny are byte-identical rejects', async (t) => {
  const f = await makeFixture();
  t.after(() => f.close());
  const answers = {
    wrongPassword: await check(f.app, f.keys.check, { username: 'bob', password: 'not bobs password' }),
    wrongPasswordWithToken: await check(f.app, f.keys.check, { username: 'alice', password: 'not her password', otp: oathCode(f.aliceToken.hex, 1) }),
    unknownUser: await check(f.app, f.keys.check, { username: 'mallory', password: PASSWORD }),
    unknownUserWithCode: await check(f.app, f.keys.check, { username: 'mallory', password: PASSWORD, otp: '123456' }),
    otherAccountsUser: await check(f.app, f.keys.check, { username: 'zed', password: PASSWORD }),
    denied: await check(f.app, f.keys.check, { username: 'dave', password: PASSWORD }),
  };
  const reference = shape(answers.wrongPassword.response);
  assert.equal(reference.status, 200);
  assert.equal(reference.body, '{"result":"reject"}');
  for (const [name, answer] of Object.entries(answers)) assert.deepEqual(shape(answer.response), reference, name);

  // The audit log keeps the reasons apart.
  const reasons = (await f.services.audit.list({ accountId: f.acme.id })).filter((e) => e.action === 'signin').map((e) => e.reason);
  for (const reason of ['wrong_password', 'unknown_user', 'denied_by_rule']) assert.ok(reasons.includes(reason), reason);
});

test('with an otp-only key, unknown user and deny are byte-identical too', async (t) => {
  const f = await makeFixture();
  t.after(() => f.close());
  const unknown = await check(f.app, f.keys.otpOnly, { username: 'mallory', otp: '123456' });
  const denied = await check(f.app, f.keys.otpOnly, { username: 'dave', otp: '123456' });
  const wrongCode = await check(f.app, f.keys.otpOnly, { username: 'alice', otp: oathCode(f.aliceToken.hex, 40) });
  assert.equal(unknown.response.body, '{"result":"reject"}');
  assert.deepEqual(shape(denied.response), shape(unknown.response));
  assert.deepEqual(shape(wrongCode.response), shape(unknown.response));
});
