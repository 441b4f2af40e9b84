// Re-sync (RFC 4226 §7.4): two consecutive codes anywhere in [C, C + syncWindow) set C to the match + 2,
// clear the fail count and lift a lock; a non-consecutive, reversed or replayed pair fails and counts.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { OPERATOR } from '../../src/services/context.js';
import { ServiceError } from '../../src/services/errors.js';
import { makeInstallation, signIn, tokenOf, userWithToken, type Installation, type UserWithToken } from '../helpers/installation.js';
import { oathCode, wrongCode } from '../helpers/otp.js';

const failsWith = (code: string) => (error: unknown) => error instanceof ServiceError && error.code === code;

describe('re-sync', () => {
  let inst: Installation;
  let alice: UserWithToken;
  before(async () => {
    inst = await makeInstallation();
    alice = await userWithToken(inst, 'alice', oathCode);
  });
  after(() => inst.cleanup());
  const resync = (a: string, b: string) => inst.services.tokens.resync(OPERATOR, inst.account, 'alice', a, b);
  const code = (c: number) => oathCode(alice.secretHex, c);

  it('fails on a non-consecutive pair and counts a failure', async () => {
    await assert.rejects(resync(code(50), code(52)), failsWith('resync_failed'));
    const token = await tokenOf(inst, 'alice');
    assert.deepEqual([token.counter, token.failCount], [1, 1]);
  });

  it('fails on a reversed pair and counts a failure', async () => {
    await assert.rejects(resync(code(51), code(50)), failsWith('resync_failed'));
    assert.equal((await tokenOf(inst, 'alice')).failCount, 2);
  });

  it('succeeds on a pair at the far end of the sync window, sets C = match + 2, clears the fail count', async () => {
    // C = 1, syncWindow 1000: the first code may be for counter 1000 (= C + 999).
    const view = await resync(code(1000), code(1001));
    assert.deepEqual([view.counter, view.failCount, view.status], [1002, 0, 'associated']);
    assert.equal((await signIn(inst, 'alice', { otp: code(1001) })).result, 'reject');
    assert.equal((await signIn(inst, 'alice', { otp: code(1002) })).result, 'accept');
  });

  it('fails on a pair starting at C + syncWindow', async () => {
    await assert.rejects(resync(code(1003 + 1000), code(1003 + 1001)), failsWith('resync_failed'));
    assert.equal((await tokenOf(inst, 'alice')).counter, 1003);
  });

  it('fails on a replayed pair and counts a failure', async () => {
    inst.clock.advanceSeconds(60);
    await assert.rejects(resync(code(1000), code(1001)), failsWith('resync_failed'));
    assert.equal((await tokenOf(inst, 'alice')).failCount, 2);
  });

  it('lifts a lock and clears the back-off at once', async () => {
    for (let i = 0; i < 10; i++) {
      inst.clock.advanceSeconds(120);
      await signIn(inst, 'alice', { otp: wrongCode(alice.secretHex, 1003) });
    }
    assert.equal((await tokenOf(inst, 'alice')).status, 'locked');
    const view = await resync(code(1010), code(1011));
    assert.deepEqual([view.status, view.counter, view.failCount], ['associated', 1012, 0]);
    // No clock step: the user's back-off was cleared too.
    assert.equal((await signIn(inst, 'alice', { otp: code(1012) })).result, 'accept');
  });

  it('refuses malformed passcodes before touching anything', async () => {
    const before = await tokenOf(inst, 'alice');
    await assert.rejects(resync('12345', code(1013)), failsWith('invalid_passcode'));
    await assert.rejects(resync(code(1013), '1234567'), failsWith('invalid_passcode'));
    assert.deepEqual(await tokenOf(inst, 'alice'), before);
  });
});
