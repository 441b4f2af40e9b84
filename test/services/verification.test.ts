// HOTP verification at sign-in: a passcode is accepted for a counter in [C, C + lookAhead); then C becomes
// the match + 1, so the same code and every older one are refused as replays.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { auditEvents, makeInstallation, signIn, tokenOf, userWithToken, type Installation, type UserWithToken } from '../helpers/installation.js';
import { oathCode, wrongCode } from '../helpers/otp.js';

describe('HOTP window at sign-in', () => {
  let inst: Installation;
  let alice: UserWithToken;
  before(async () => {
    inst = await makeInstallation();
    alice = await userWithToken(inst, 'alice', oathCode);
  });
  after(() => inst.cleanup());

  it('starts at the counter after the one used to associate', async () => {
    assert.equal((await tokenOf(inst, 'alice')).counter, 1);
  });

  it('accepts C + lookAhead - 1 and then expects the match + 1', async () => {
    const outcome = await signIn(inst, 'alice', { otp: oathCode(alice.secretHex, 1 + 9) });
    assert.equal(outcome.result, 'accept');
    const token = await tokenOf(inst, 'alice');
    assert.equal(token.counter, 11);
    assert.equal(token.failCount, 0);
  });

  it('refuses C + lookAhead, leaving the counter where it was and counting a failure', async () => {
    const outcome = await signIn(inst, 'alice', { otp: oathCode(alice.secretHex, 11 + 10) });
    assert.equal(outcome.result, 'reject');
    assert.equal(outcome.reason, 'passcode_wrong');
    const token = await tokenOf(inst, 'alice');
    assert.equal(token.counter, 11);
    assert.equal(token.failCount, 1);
  });

  it('refuses the code just used (a replay) and an older one', async () => {
    const replay = await signIn(inst, 'alice', { otp: oathCode(alice.secretHex, 10) });
    assert.deepEqual([replay.result, replay.reason], ['reject', 'passcode_replayed']);
    const older = await signIn(inst, 'alice', { otp: oathCode(alice.secretHex, 4) });
    assert.equal(older.result, 'reject');
    assert.equal((await tokenOf(inst, 'alice')).counter, 11);
  });

  it('accepts exactly C after refusals and clears the fail count', async () => {
    inst.clock.advanceSeconds(60);
    assert.equal((await signIn(inst, 'alice', { otp: oathCode(alice.secretHex, 11) })).result, 'accept');
    const token = await tokenOf(inst, 'alice');
    assert.equal(token.counter, 12);
    assert.equal(token.failCount, 0);
  });

  it('uses the account look-ahead setting', async () => {
    await inst.services.accounts.updateSettings({ name: 'test', accountId: null, clientIp: null }, inst.account, { lookAheadWindow: 3 });
    await inst.reopen();
    assert.equal((await signIn(inst, 'alice', { otp: oathCode(alice.secretHex, 12 + 3) })).result, 'reject');
    inst.clock.advanceSeconds(60);
    assert.equal((await signIn(inst, 'alice', { otp: oathCode(alice.secretHex, 12 + 2) })).result, 'accept');
    assert.equal((await tokenOf(inst, 'alice')).counter, 15);
  });

  it('records the serial and the reason, never the passcode, in the audit log', async () => {
    const code = wrongCode(alice.secretHex, 15);
    await signIn(inst, 'alice', { otp: code });
    const [event] = await auditEvents(inst, { username: 'alice' });
    assert.equal(event!.action, 'signin');
    assert.equal(event!.serial, alice.serial);
    assert.equal(event!.reason, 'passcode_wrong');
    assert.ok(!JSON.stringify(event).includes(code), `${code} in ${JSON.stringify(event)}`);
  });
});
