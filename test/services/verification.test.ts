// HOTP verification at sign-in: a passcode is accepted for a counter in [C, C + lookAhead); then C becomes
// the match + 1, so the same code and every older one are refused as replays. Each test has its own user
// and token (associated with the code for counter 0, so C = 1), so they run alone or in any order.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { auditEvents, makeInstallation, signIn, tokenOf, userWithToken, type Installation, type UserWithToken } from '../helpers/installation.js';
import { oathCode, wrongCode } from '../helpers/otp.js';

describe('HOTP window at sign-in', () => {
  let inst: Installation;
  let users = 0;
  /** A new user with a new token at C = 1. */
  const freshUser = (): Promise<UserWithToken> => userWithToken(inst, `user${++users}`, oathCode);
  before(async () => {
    inst = await makeInstallation();
  });
  after(() => inst.cleanup());

  it('starts at the counter after the one used to associate', async () => {
    const user = await freshUser();
    assert.equal((await tokenOf(inst, user.username)).counter, 1);
  });

  it('accepts C + lookAhead - 1 and then expects the match + 1', async () => {
    const user = await freshUser();
    const outcome = await signIn(inst, user.username, { otp: oathCode(user.secretHex, 1 + 9) });
    assert.equal(outcome.result, 'accept');
    const token = await tokenOf(inst, user.username);
    assert.equal(token.counter, 11);
    assert.equal(token.failCount, 0);
  });

  it('refuses C + lookAhead, leaving the counter where it was and counting a failure', async () => {
    const user = await freshUser();
    assert.equal((await signIn(inst, user.username, { otp: oathCode(user.secretHex, 10) })).result, 'accept');
    const outcome = await signIn(inst, user.username, { otp: oathCode(user.secretHex, 11 + 10) });
    assert.equal(outcome.result, 'reject');
    assert.equal(outcome.reason, 'passcode_wrong');
    const token = await tokenOf(inst, user.username);
    assert.equal(token.counter, 11);
    assert.equal(token.failCount, 1);
  });

  it('refuses the code just used (a replay) and an older one', async () => {
    const user = await freshUser();
    assert.equal((await signIn(inst, user.username, { otp: oathCode(user.secretHex, 10) })).result, 'accept');
    await signIn(inst, user.username, { otp: wrongCode(user.secretHex, 11) });
    const failsBefore = (await tokenOf(inst, user.username)).failCount;
    assert.equal(failsBefore, 1);
    const replay = await signIn(inst, user.username, { otp: oathCode(user.secretHex, 10) });
    assert.deepEqual([replay.result, replay.reason], ['reject', 'passcode_replayed']);
    // The last accepted code sent again is a double submit, not a guess: it does not count toward the lock.
    assert.equal((await tokenOf(inst, user.username)).failCount, failsBefore);
    const older = await signIn(inst, user.username, { otp: oathCode(user.secretHex, 4) });
    assert.deepEqual([older.result, older.reason], ['reject', 'passcode_replayed']);
    const token = await tokenOf(inst, user.username);
    assert.equal(token.counter, 11);
    assert.equal(token.failCount, failsBefore + 1, 'an older code does count');
  });

  it('accepts exactly C after refusals and clears the fail count', async () => {
    const user = await freshUser();
    assert.equal((await signIn(inst, user.username, { otp: oathCode(user.secretHex, 10) })).result, 'accept');
    await signIn(inst, user.username, { otp: oathCode(user.secretHex, 11 + 10) });
    await signIn(inst, user.username, { otp: oathCode(user.secretHex, 4) });
    assert.equal((await tokenOf(inst, user.username)).failCount, 2);
    inst.clock.advanceSeconds(60);
    assert.equal((await signIn(inst, user.username, { otp: oathCode(user.secretHex, 11) })).result, 'accept');
    const token = await tokenOf(inst, user.username);
    assert.equal(token.counter, 12);
    assert.equal(token.failCount, 0);
  });

  it('uses the account look-ahead setting', async (t) => {
    // The setting is the account's: this test changes it in an installation of its own.
    const own = await makeInstallation();
    t.after(() => own.cleanup());
    const user = await userWithToken(own, 'alice', oathCode);
    await own.services.accounts.updateSettings({ name: 'test', accountId: null, clientIp: null }, own.account, { lookAheadWindow: 3 });
    await own.reopen();
    assert.equal((await signIn(own, 'alice', { otp: oathCode(user.secretHex, 1 + 3) })).result, 'reject');
    own.clock.advanceSeconds(60);
    assert.equal((await signIn(own, 'alice', { otp: oathCode(user.secretHex, 1 + 2) })).result, 'accept');
    assert.equal((await tokenOf(own, 'alice')).counter, 4);
  });

  it('records the serial and the reason, never the passcode, in the audit log', async () => {
    const user = await freshUser();
    const code = wrongCode(user.secretHex, 1);
    await signIn(inst, user.username, { otp: code });
    const [event] = await auditEvents(inst, { username: user.username });
    assert.equal(event!.action, 'signin');
    assert.equal(event!.serial, user.serial);
    assert.equal(event!.reason, 'passcode_wrong');
    assert.ok(!JSON.stringify(event).includes(code), `${code} in ${JSON.stringify(event)}`);
  });
});
