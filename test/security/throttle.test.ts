// Property: failed sign-ins back off per user and per end-user address: a burst of wrong codes delays that
// user (from any address) and that address, not other users elsewhere; the back-off only delays (it ends
// by itself) and a success or an admin's unlock clears the user's; IPv4-mapped IPv6 is the same address.
//
// Through the HTTP API (the real Fastify app): throttling slows the attacked user (and the attacking end-user address), never the calling
// application: other users checked by the same application still sign in. A throttled check answers 429
// with Retry-After. An admin's re-sync or unlock lets the next right code in at once. Wrong passwords
// never lock a token. Another account's key cannot slow down this account's users.
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it, test } from 'node:test';
import { OPERATOR } from '../../src/services/context.js';
import { userThrottleKey } from '../../src/services/throttle-keys.js';
import { call, check, makeFixture } from '../helpers/app.js';
import { makeInstallation, PASSWORD, signIn, tokenOf, userWithToken, type Installation, type UserWithToken } from '../helpers/installation.js';
import { oathCode, wrongCode } from '../helpers/otp.js';

describe('sign-in back-off', () => {
  let inst: Installation;
  let alice: UserWithToken;
  let bob: UserWithToken;
  beforeEach(async () => {
    inst = await makeInstallation();
    alice = await userWithToken(inst, 'alice', oathCode);
    bob = await userWithToken(inst, 'bob', oathCode);
  });
  afterEach(() => inst.cleanup());

  it('delays only the user a burst of wrong codes was for', async () => {
    const bad = wrongCode(alice.secretHex, 1);
    for (let i = 0; i < 4; i++) await signIn(inst, 'alice', { otp: bad, ip: '198.51.100.1' });
    // Alice is delayed from any address, even with the right code, and the code is not spent.
    const throttled = await signIn(inst, 'alice', { otp: oathCode(alice.secretHex, 1), ip: '203.0.113.9' });
    assert.deepEqual([throttled.result, throttled.reason], ['reject', 'throttled']);
    assert.ok(throttled.retryAfterSeconds > 0);
    assert.equal((await tokenOf(inst, 'alice')).counter, 1);
    // Bob, elsewhere and from the same address (below its own limit), signs in at once.
    assert.equal((await signIn(inst, 'bob', { otp: oathCode(bob.secretHex, 1), ip: '203.0.113.9' })).result, 'accept');
    assert.equal((await signIn(inst, 'bob', { otp: oathCode(bob.secretHex, 2), ip: '198.51.100.1' })).result, 'accept');
  });

  it('ends by itself: after the delay the right code is accepted', async () => {
    const bad = wrongCode(alice.secretHex, 1);
    for (let i = 0; i < 4; i++) await signIn(inst, 'alice', { otp: bad });
    assert.equal((await signIn(inst, 'alice', { otp: oathCode(alice.secretHex, 1) })).reason, 'throttled');
    inst.clock.advanceSeconds(1);
    assert.equal((await signIn(inst, 'alice', { otp: oathCode(alice.secretHex, 1) })).result, 'accept');
  });

  it('a throttled attempt is not checked: it neither counts toward the lock nor spends a code', async () => {
    const bad = wrongCode(alice.secretHex, 1);
    for (let i = 0; i < 30; i++) await signIn(inst, 'alice', { otp: bad });
    const token = await tokenOf(inst, 'alice');
    assert.deepEqual([token.status, token.failCount], ['associated', 4]);
  });

  it('delays an address that many failures came from, for every user, and no other address', async () => {
    for (let i = 0; i < 6; i++) await signIn(inst, `nobody${i}`, { password: 'wrong password', ip: '192.0.2.50' });
    assert.equal((await signIn(inst, 'bob', { otp: oathCode(bob.secretHex, 1), ip: '192.0.2.50' })).reason, 'throttled');
    assert.equal((await signIn(inst, 'bob', { otp: oathCode(bob.secretHex, 1), ip: '192.0.2.51' })).result, 'accept');
  });

  it('treats an IPv4-mapped IPv6 address as the same address as its IPv4 form', async () => {
    for (let i = 0; i < 6; i++) await signIn(inst, `nobody${i}`, { password: 'wrong password', ip: i % 2 ? '192.0.2.60' : '::ffff:192.0.2.60' });
    assert.equal((await signIn(inst, 'bob', { otp: oathCode(bob.secretHex, 1), ip: '192.0.2.60' })).reason, 'throttled');
    assert.equal((await signIn(inst, 'bob', { otp: oathCode(bob.secretHex, 1), ip: '::ffff:192.0.2.60' })).reason, 'throttled');
  });

  it('is cleared for the user by an admin unlock', async () => {
    const bad = wrongCode(alice.secretHex, 1);
    for (let i = 0; i < 6; i++) await signIn(inst, 'alice', { otp: bad });
    assert.equal((await signIn(inst, 'alice', { otp: oathCode(alice.secretHex, 1) })).reason, 'throttled');
    await inst.services.tokenStates.unlock(OPERATOR, inst.account, alice.serial);
    assert.equal((await signIn(inst, 'alice', { otp: oathCode(alice.secretHex, 1) })).result, 'accept');
  });

  it('is cleared for the user by a success, so the next failure is free again', async () => {
    const bad = wrongCode(alice.secretHex, 1);
    for (let i = 0; i < 3; i++) await signIn(inst, 'alice', { otp: bad });
    assert.equal((await signIn(inst, 'alice', { otp: oathCode(alice.secretHex, 1) })).result, 'accept');
    for (let i = 0; i < 3; i++) await signIn(inst, 'alice', { otp: bad });
    assert.equal((await signIn(inst, 'alice', { otp: oathCode(alice.secretHex, 2) })).result, 'accept');
  });

  it('counts every failure of a parallel burst (no lost updates), so the burst is delayed afterwards', async () => {
    await Promise.all(Array.from({ length: 12 }, () => signIn(inst, 'alice', { password: 'wrong password' })));
    const row = await inst.services.ctx.db.selectFrom('throttles').selectAll().where('key', '=', userThrottleKey(inst.account.id, 'alice')).executeTakeFirstOrThrow();
    assert.equal(row.consecutive_failures, 12);
    assert.equal((await signIn(inst, 'alice', { otp: oathCode(alice.secretHex, 1) })).reason, 'throttled');
  });
});

// ---- through the HTTP API ----------------------------------------------------------------------------

test('a burst of wrong passcodes slows that user only; 429 carries Retry-After', async (t) => {
  const f = await makeFixture();
  t.after(() => f.close());
  const hex = f.aliceToken.hex;
  let throttled = 0;
  // Twenty wrong codes, waiting out each back-off so that every one of them is really checked.
  for (let i = 0; i < 20; i++) {
    let answer = await check(f.app, f.keys.check, { username: 'alice', password: PASSWORD, otp: oathCode(hex, 500 + i) });
    while (answer.status === 429) {
      throttled++;
      const retryAfter = Number(answer.response.headers['retry-after']);
      assert.ok(retryAfter >= 1 && retryAfter <= 60, `Retry-After ${String(answer.response.headers['retry-after'])}`);
      assert.equal(answer.body.error?.code, 'too_many_attempts');
      f.clock.advance(retryAfter);
      answer = await check(f.app, f.keys.check, { username: 'alice', password: PASSWORD, otp: oathCode(hex, 500 + i) });
    }
    if (answer.body.result === 'locked') break;
    assert.equal(answer.body.result, 'reject');
    // Between alice's attempts, bob signs in through the same application, from the same address.
    assert.deepEqual((await check(f.app, f.keys.check, { username: 'bob', password: PASSWORD })).body, { result: 'accept' }, `bob after ${i + 1} of alice's failures`);
  }
  assert.ok(throttled > 0, 'alice was slowed down');
  // Right after a failure that started a back-off, alice is refused at once.
  const refused = await check(f.app, f.keys.check, { username: 'alice', password: PASSWORD, otp: oathCode(hex, 1) });
  assert.ok(refused.status === 429 || refused.body.result === 'locked', JSON.stringify(refused.body));
});

test('an address passed as clientIp is throttled for every user it tries', async (t) => {
  const f = await makeFixture();
  t.after(() => f.close());
  const attacker = '198.51.100.66';
  // Six failures from one address start its back-off (five are free).
  const users = ['alice', 'bob', 'carol', 'dave', 'nobody1', 'nobody2'];
  for (const username of users) {
    const answer = await check(f.app, f.keys.clientIp, { username, password: 'guessed password', clientIp: attacker });
    assert.equal(answer.status, 200);
  }
  const next = await check(f.app, f.keys.clientIp, { username: 'bob', password: PASSWORD, clientIp: attacker });
  assert.equal(next.status, 429, 'the guessing address is slowed down');
  const elsewhere = await check(f.app, f.keys.clientIp, { username: 'bob', password: PASSWORD, clientIp: '192.0.2.10' });
  assert.deepEqual(elsewhere.body, { result: 'accept' }, 'bob from his own address is not');
});

test('an admin re-sync or unlock makes the next right code succeed at once', async (t) => {
  const f = await makeFixture();
  t.after(() => f.close());
  const hex = f.aliceToken.hex;
  const burst = async () => {
    for (let i = 0; i < 6; i++) await check(f.app, f.keys.check, { username: 'alice', password: PASSWORD, otp: '000000' });
    assert.equal((await check(f.app, f.keys.check, { username: 'alice', password: PASSWORD, otp: '000000' })).status, 429);
  };
  await burst();
  // The token drifted far ahead: re-sync with two consecutive codes around 200.
  const resync = await call(f.app, 'POST', '/api/v1/users/alice/token/resync', { key: f.keys.admin, body: { otp1: oathCode(hex, 200), otp2: oathCode(hex, 201) } });
  assert.equal(resync.statusCode, 200, resync.body);
  assert.equal(resync.json<{ counter: number }>().counter, 202);
  assert.deepEqual((await check(f.app, f.keys.check, { username: 'alice', password: PASSWORD, otp: oathCode(hex, 202) })).body, { result: 'accept' });

  await burst();
  const unlock = await call(f.app, 'POST', `/api/v1/tokens/${f.aliceToken.serial}/unlock`, { key: f.keys.admin });
  assert.equal(unlock.statusCode, 200, unlock.body);
  assert.deepEqual((await check(f.app, f.keys.check, { username: 'alice', password: PASSWORD, otp: oathCode(hex, 203) })).body, { result: 'accept' });
});

test('a locked token: unlock clears the lock and the fail count, and the next code signs in', async (t) => {
  const f = await makeFixture();
  t.after(() => f.close());
  const hex = f.aliceToken.hex;
  for (let i = 0; i < 40 && (await f.services.tokens.show(f.acme, f.aliceToken.serial)).status !== 'locked'; i++) {
    f.clock.advance(61);
    await check(f.app, f.keys.check, { username: 'alice', password: PASSWORD, otp: oathCode(hex, 900 + i) });
  }
  const locked = await f.services.tokens.show(f.acme, f.aliceToken.serial);
  assert.equal(locked.status, 'locked');
  assert.equal(locked.failCount, 10, 'locked at maxFailures (default 10)');
  f.clock.advance(61);
  assert.equal((await check(f.app, f.keys.check, { username: 'alice', password: PASSWORD, otp: oathCode(hex, 1) })).body.result, 'locked');
  const unlock = await call(f.app, 'POST', `/api/v1/tokens/${f.aliceToken.serial}/unlock`, { key: f.keys.admin });
  assert.equal(unlock.json<{ status: string; failCount: number }>().status, 'associated');
  assert.equal(unlock.json<{ status: string; failCount: number }>().failCount, 0);
  assert.deepEqual((await check(f.app, f.keys.check, { username: 'alice', password: PASSWORD, otp: oathCode(hex, 1) })).body, { result: 'accept' });
});

test('wrong passwords never lock the token nor count as failed passcodes', async (t) => {
  const f = await makeFixture();
  t.after(() => f.close());
  for (let i = 0; i < 25; i++) {
    f.clock.advance(61);
    const answer = await check(f.app, f.keys.check, { username: 'alice', password: `wrong password ${i}`, otp: oathCode(f.aliceToken.hex, 1) });
    assert.deepEqual(answer.body, { result: 'reject' });
  }
  const token = await f.services.tokens.show(f.acme, f.aliceToken.serial);
  assert.equal(token.status, 'associated');
  assert.equal(token.failCount, 0);
  assert.equal(token.counter, 1, 'the code sent with a wrong password was not used');
  f.clock.advance(61);
  assert.deepEqual((await check(f.app, f.keys.check, { username: 'alice', password: PASSWORD, otp: oathCode(f.aliceToken.hex, 1) })).body, { result: 'accept' });
});

test("another account's key cannot slow down this account's users", async (t) => {
  const f = await makeFixture();
  t.after(() => f.close());
  // globex's application hammers the name "alice" (not a user of globex: all rejects).
  for (let i = 0; i < 12; i++) await check(f.app, f.keys.checkB, { username: 'alice', password: 'guess' });
  assert.deepEqual((await check(f.app, f.keys.check, { username: 'alice', password: PASSWORD, otp: oathCode(f.aliceToken.hex, 1) })).body, { result: 'accept' });
});

test("another account's failures from an address do not slow that address down in this account", async (t) => {
  const f = await makeFixture();
  t.after(() => f.close());
  // globex's portal names the end user's address; the address back-off is kept per account, as the user's
  // is, so that no tenant can throttle an address (one it chooses) for another.
  const globex = await f.services.accounts.resolve(OPERATOR, 'globex');
  const portal = (await f.services.apiKeys.create(OPERATOR, globex, 'globex-portal', ['check'], true)).key;
  const shared = '198.51.100.77';
  for (let i = 0; i < 8; i++) await check(f.app, portal, { username: `nobody${i}`, password: 'guess', clientIp: shared });
  assert.equal((await check(f.app, portal, { username: 'zed', password: 'guess', clientIp: shared })).status, 429, 'the address is slowed down in globex');
  const answer = await check(f.app, f.keys.clientIp, { username: 'bob', password: PASSWORD, clientIp: shared });
  assert.deepEqual(answer.body, { result: 'accept' }, 'but not in acme');
});
