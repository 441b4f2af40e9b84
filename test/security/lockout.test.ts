// Property: at maxFailures wrong passcodes a token is locked; from then on even the right passcode gets
// `locked` until an admin re-syncs or unlocks it; a success before the limit resets the count; wrong
// passwords never count toward the lock. (The per-user back-off is stepped past with the test clock.)
import { after, beforeEach, afterEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { OPERATOR } from '../../src/services/context.js';
import { makeInstallation, signIn, tokenOf, userWithToken, type Installation, type UserWithToken } from '../helpers/installation.js';
import { oathCode, wrongCode } from '../helpers/otp.js';

describe('token lockout', () => {
  let inst: Installation;
  let alice: UserWithToken;
  beforeEach(async () => {
    inst = await makeInstallation();
    alice = await userWithToken(inst, 'alice', oathCode);
  });
  afterEach(() => inst.cleanup());
  after(() => undefined);

  async function failPasscode(times: number) {
    const bad = wrongCode(alice.secretHex, 1);
    for (let i = 0; i < times; i++) {
      inst.clock.advanceSeconds(120);
      const outcome = await signIn(inst, 'alice', { otp: bad });
      assert.equal(outcome.result, 'reject', `attempt ${i + 1}`);
      assert.equal(outcome.reason, 'passcode_wrong', `attempt ${i + 1}`);
    }
  }

  it('locks the token at maxFailures, not before', async () => {
    await failPasscode(9);
    let token = await tokenOf(inst, 'alice');
    assert.deepEqual([token.status, token.failCount], ['associated', 9]);
    await failPasscode(1);
    token = await tokenOf(inst, 'alice');
    assert.deepEqual([token.status, token.failCount], ['locked', 10]);
    assert.ok(token.lockedAt);
  });

  it('answers locked to the right passcode once locked, without moving the counter', async () => {
    await failPasscode(10);
    inst.clock.advanceSeconds(120);
    const outcome = await signIn(inst, 'alice', { otp: oathCode(alice.secretHex, 1) });
    assert.equal(outcome.result, 'locked');
    assert.equal((await tokenOf(inst, 'alice')).counter, 1);
    assert.equal((await signIn(inst, 'alice', { otp: null })).result, 'locked');
  });

  it('still rejects a wrong password for a locked token (the password comes first)', async () => {
    await failPasscode(10);
    inst.clock.advanceSeconds(120);
    assert.equal((await signIn(inst, 'alice', { password: 'wrong password', otp: oathCode(alice.secretHex, 1) })).result, 'reject');
  });

  it('resets the count on a success before the limit', async () => {
    await failPasscode(9);
    inst.clock.advanceSeconds(120);
    assert.equal((await signIn(inst, 'alice', { otp: oathCode(alice.secretHex, 1) })).result, 'accept');
    assert.equal((await tokenOf(inst, 'alice')).failCount, 0);
    await failPasscode(9);
    assert.equal((await tokenOf(inst, 'alice')).status, 'associated');
  });

  it('is lifted by an unlock, with the back-off, at once', async () => {
    await failPasscode(10);
    await inst.services.tokenStates.unlock(OPERATOR, inst.account, alice.serial);
    const token = await tokenOf(inst, 'alice');
    assert.deepEqual([token.status, token.failCount, token.lockedAt], ['associated', 0, null]);
    assert.equal((await signIn(inst, 'alice', { otp: oathCode(alice.secretHex, 1) })).result, 'accept');
  });

  it('honours the account maxFailures setting', async () => {
    await inst.services.accounts.updateSettings(OPERATOR, inst.account, { maxFailures: 3 });
    await inst.reopen();
    await failPasscode(3);
    assert.equal((await tokenOf(inst, 'alice')).status, 'locked');
  });

  it('never counts wrong passwords toward the lock', async () => {
    for (let i = 0; i < 15; i++) {
      inst.clock.advanceSeconds(120);
      assert.equal((await signIn(inst, 'alice', { password: 'not the password', otp: wrongCode(alice.secretHex, 1) })).result, 'reject');
    }
    const token = await tokenOf(inst, 'alice');
    assert.deepEqual([token.status, token.failCount], ['associated', 0]);
  });
});
