// Property: every sign-in rule of the SPEC holds through POST /api/v1/auth/check, with passcodes from
// oathtool: a token means a passcode is needed; the look-ahead window [C, C+10) is exact at both edges;
// a used code is refused; require_otp without a token asks to enroll (or rejects when self-association is
// off); deny rejects; a locked token answers locked; an otp-only key checks passcode and IP rules without
// a password.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { OPERATOR } from '../../src/services/context.js';
import { PASSWORD, check, makeFixture } from '../helpers/app.js';
import { oathCode } from '../helpers/otp.js';

test('a user with a token needs a passcode: otp_required, then accept with the next code', async (t) => {
  const f = await makeFixture();
  t.after(() => f.close());
  assert.deepEqual((await check(f.app, f.keys.check, { username: 'alice', password: PASSWORD })).body, { result: 'otp_required' });
  assert.deepEqual((await check(f.app, f.keys.check, { username: 'alice', password: PASSWORD, otp: oathCode(f.aliceToken.hex, 1) })).body, { result: 'accept' });
  // Without a token and without a rule, the password alone signs in.
  assert.deepEqual((await check(f.app, f.keys.check, { username: 'bob', password: PASSWORD })).body, { result: 'accept' });
});

test('look-ahead window: C+9 is accepted, C+10 is not; a success moves C past the match', async (t) => {
  const f = await makeFixture();
  t.after(() => f.close());
  const hex = f.aliceToken.hex;
  // C = 1 after association. C + 10 = 11 is outside [1, 11).
  assert.equal((await check(f.app, f.keys.check, { username: 'alice', password: PASSWORD, otp: oathCode(hex, 11) })).body.result, 'reject');
  // C + 9 = 10 is the last counter inside the window.
  assert.equal((await check(f.app, f.keys.check, { username: 'alice', password: PASSWORD, otp: oathCode(hex, 10) })).body.result, 'accept');
  // Now C = 11: the code that was one step too far is now the first of the window.
  assert.equal((await check(f.app, f.keys.check, { username: 'alice', password: PASSWORD, otp: oathCode(hex, 11) })).body.result, 'accept');
  const token = await f.services.tokens.show(f.acme, f.aliceToken.serial);
  assert.equal(token.counter, 12);
  assert.equal(token.failCount, 0, 'a success resets the fail count');
});

test('replay: a code already used, or any code below C, is refused', async (t) => {
  const f = await makeFixture();
  t.after(() => f.close());
  const hex = f.aliceToken.hex;
  const code = oathCode(hex, 3);
  assert.equal((await check(f.app, f.keys.check, { username: 'alice', password: PASSWORD, otp: code })).body.result, 'accept');
  assert.equal((await check(f.app, f.keys.check, { username: 'alice', password: PASSWORD, otp: code })).body.result, 'reject');
  assert.equal((await check(f.app, f.keys.check, { username: 'alice', password: PASSWORD, otp: oathCode(hex, 2) })).body.result, 'reject');
  assert.equal((await check(f.app, f.keys.check, { username: 'alice', password: PASSWORD, otp: oathCode(hex, 0) })).body.result, 'reject', 'the association code is used up');
  const events = await f.services.audit.list({ accountId: f.acme.id, username: 'alice', outcome: 'reject' });
  assert.deepEqual(events.map((e) => e.reason), ['passcode_replayed', 'passcode_replayed', 'passcode_replayed']);
});

test('a malformed passcode is refused without touching the counter', async (t) => {
  const f = await makeFixture();
  t.after(() => f.close());
  for (const otp of ['12345', '1234567', '12a456', ' ']) {
    assert.equal((await check(f.app, f.keys.check, { username: 'alice', password: PASSWORD, otp })).body.result, 'reject', otp);
  }
  assert.equal((await f.services.tokens.show(f.acme, f.aliceToken.serial)).counter, 1);
  // Four failures in a row start the user's back-off; wait it out, then the next code still works.
  f.clock.advance(5);
  assert.equal((await check(f.app, f.keys.check, { username: 'alice', password: PASSWORD, otp: oathCode(f.aliceToken.hex, 1) })).body.result, 'accept');
});

test('require_otp without a token: enroll_required; reject when self-association is off', async (t) => {
  const f = await makeFixture();
  t.after(() => f.close());
  assert.deepEqual((await check(f.app, f.keys.check, { username: 'carol', password: PASSWORD })).body, { result: 'enroll_required' });
  // The wrong password still gives reject, not enroll_required.
  assert.deepEqual((await check(f.app, f.keys.check, { username: 'carol', password: 'wrong password!' })).body, { result: 'reject' });
  await f.services.accounts.updateSettings(OPERATOR, f.acme, { selfAssociation: false });
  assert.deepEqual((await check(f.app, f.keys.check, { username: 'carol', password: PASSWORD })).body, { result: 'reject' });
  const [last] = await f.services.audit.list({ accountId: f.acme.id, username: 'carol', limit: 1 });
  assert.equal(last?.reason, 'no_token_self_association_off');
});

test('a rule for the client address decides: require_otp, deny, allow by longest prefix', async (t) => {
  const f = await makeFixture();
  t.after(() => f.close());
  await f.services.restrictions.setForUser(OPERATOR, f.acme, 'bob', {
    rules: [
      { cidr: '10.0.0.0/8', action: 'require_otp' },
      { cidr: '10.1.0.0/16', action: 'deny' },
      { cidr: '10.1.2.3', action: 'allow' },
    ],
    default: 'deny',
  });
  const from = async (ip: string) => (await check(f.app, f.keys.clientIp, { username: 'bob', password: PASSWORD, clientIp: ip })).body.result;
  assert.equal(await from('10.9.9.9'), 'enroll_required');
  assert.equal(await from('10.1.9.9'), 'reject');
  assert.equal(await from('10.1.2.3'), 'accept');
  assert.equal(await from('192.0.2.1'), 'reject');
  // deny refuses whatever the credentials, also for a user with a token and a right code.
  await f.services.restrictions.setForUser(OPERATOR, f.acme, 'alice', { rules: [], default: 'deny' });
  assert.equal((await check(f.app, f.keys.check, { username: 'alice', password: PASSWORD, otp: oathCode(f.aliceToken.hex, 1) })).body.result, 'reject');
  assert.equal((await f.services.tokens.show(f.acme, f.aliceToken.serial)).counter, 1, 'a denied sign-in does not use the code');
  // dave's default is deny.
  assert.equal((await check(f.app, f.keys.check, { username: 'dave', password: PASSWORD })).body.result, 'reject');
});

test('a locked token answers locked (after the right password), and a wrong password never reveals it', async (t) => {
  const f = await makeFixture();
  t.after(() => f.close());
  await f.services.accounts.updateSettings(OPERATOR, f.acme, { maxFailures: 2 });
  const hex = f.aliceToken.hex;
  for (const counter of [50, 60]) {
    assert.equal((await check(f.app, f.keys.check, { username: 'alice', password: PASSWORD, otp: oathCode(hex, counter) })).body.result, 'reject');
  }
  assert.equal((await f.services.tokens.show(f.acme, f.aliceToken.serial)).status, 'locked');
  assert.equal((await check(f.app, f.keys.check, { username: 'alice', password: PASSWORD })).body.result, 'locked');
  assert.equal((await check(f.app, f.keys.check, { username: 'alice', password: PASSWORD, otp: oathCode(hex, 1) })).body.result, 'locked', 'even the right code');
  assert.equal((await check(f.app, f.keys.check, { username: 'alice', password: 'not her password' })).body.result, 'reject');
});

test('an otp-only key: no password, yet the passcode and the IP rules are enforced', async (t) => {
  const f = await makeFixture();
  t.after(() => f.close());
  const key = f.keys.otpOnly;
  assert.equal((await check(f.app, key, { username: 'alice' })).body.result, 'otp_required');
  assert.equal((await check(f.app, key, { username: 'alice', otp: oathCode(f.aliceToken.hex, 30) })).body.result, 'reject');
  assert.equal((await check(f.app, key, { username: 'alice', otp: oathCode(f.aliceToken.hex, 1) })).body.result, 'accept');
  assert.equal((await check(f.app, key, { username: 'alice', otp: oathCode(f.aliceToken.hex, 1) })).body.result, 'reject', 'replay');
  assert.equal((await check(f.app, key, { username: 'dave' })).body.result, 'reject', 'deny');
  assert.equal((await check(f.app, key, { username: 'carol' })).body.result, 'enroll_required');
  assert.equal((await check(f.app, key, { username: 'nobody' })).body.result, 'reject');
  // The key cannot be used to test passwords; a check key must send one.
  const withPassword = await check(f.app, key, { username: 'alice', password: PASSWORD });
  assert.equal(withPassword.status, 400);
  assert.equal(withPassword.body.error?.code, 'invalid_request');
  const noPassword = await check(f.app, f.keys.check, { username: 'bob' });
  assert.equal(noPassword.status, 400);
  assert.equal(noPassword.body.error?.code, 'invalid_request');
});
