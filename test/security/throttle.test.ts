// Property: failed sign-ins back off per user and per end-user address: a burst of wrong codes delays that
// user (from any address) and that address, not other users elsewhere; the back-off only delays (it ends
// by itself) and a success or an admin's unlock clears the user's; IPv4-mapped IPv6 is the same address.
import { afterEach, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { OPERATOR } from '../../src/services/context.js';
import { makeInstallation, signIn, tokenOf, userWithToken, type Installation, type UserWithToken } from '../helpers/installation.js';
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
    await inst.services.tokens.unlock(OPERATOR, inst.account, alice.serial);
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
    const row = await inst.services.ctx.db.selectFrom('throttles').selectAll().where('key', '=', 'user:alice').executeTakeFirstOrThrow();
    assert.equal(row.consecutive_failures, 12);
    assert.equal((await signIn(inst, 'alice', { otp: oathCode(alice.secretHex, 1) })).reason, 'throttled');
  });
});
