// Re-sync (RFC 4226 §7.4): two consecutive codes anywhere in [C, C + syncWindow) set C to the match + 2,
// clear the fail count and lift a lock; a non-consecutive, reversed or replayed pair fails and counts. Each
// test has its own user and token (C = 1), so they run alone or in any order.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { OPERATOR } from '../../src/services/context.js';
import { ServiceError } from '../../src/services/errors.js';
import { makeInstallation, signIn, tokenOf, userWithToken, type Installation, type UserWithToken } from '../helpers/installation.js';
import { oathCode, wrongCode } from '../helpers/otp.js';

const failsWith = (code: string) => (error: unknown) => error instanceof ServiceError && error.code === code;

describe('re-sync', () => {
  let inst: Installation;
  let users = 0;
  before(async () => {
    inst = await makeInstallation();
  });
  after(() => inst.cleanup());
  /** A new user with a new token at C = 1, and re-sync and codes for it. */
  const freshUser = async () => {
    const user: UserWithToken = await userWithToken(inst, `user${++users}`, oathCode);
    return {
      ...user,
      resync: (a: string, b: string) => inst.services.tokens.resync(OPERATOR, inst.account, user.username, a, b),
      code: (c: number) => oathCode(user.secretHex, c),
      token: () => tokenOf(inst, user.username),
    };
  };

  it('fails on a non-consecutive pair and counts a failure', async () => {
    const { resync, code, token } = await freshUser();
    await assert.rejects(resync(code(50), code(52)), failsWith('resync_failed'));
    const after = await token();
    assert.deepEqual([after.counter, after.failCount], [1, 1]);
  });

  it('fails on a reversed pair and counts a failure', async () => {
    const { resync, code, token } = await freshUser();
    await assert.rejects(resync(code(50), code(52)), failsWith('resync_failed'));
    await assert.rejects(resync(code(51), code(50)), failsWith('resync_failed'));
    assert.equal((await token()).failCount, 2);
  });

  it('succeeds on a pair at the far end of the sync window, sets C = match + 2, clears the fail count', async () => {
    const { username, resync, code, token } = await freshUser();
    await assert.rejects(resync(code(50), code(52)), failsWith('resync_failed'));
    assert.equal((await token()).failCount, 1);
    // C = 1, syncWindow 1000: the first code may be for counter 1000 (= C + 999).
    const view = await resync(code(1000), code(1001));
    assert.deepEqual([view.counter, view.failCount, view.status], [1002, 0, 'associated']);
    assert.equal((await signIn(inst, username, { otp: code(1001) })).result, 'reject');
    assert.equal((await signIn(inst, username, { otp: code(1002) })).result, 'accept');
  });

  it('fails on a pair starting at C + syncWindow', async () => {
    const { resync, code, token } = await freshUser();
    await assert.rejects(resync(code(1 + 1000), code(1 + 1001)), failsWith('resync_failed'));
    assert.equal((await token()).counter, 1);
  });

  it('fails on a replayed pair and counts a failure', async () => {
    const { resync, code, token } = await freshUser();
    await resync(code(1000), code(1001));
    inst.clock.advanceSeconds(60);
    await assert.rejects(resync(code(1000), code(1001)), failsWith('resync_failed'));
    const after = await token();
    assert.deepEqual([after.counter, after.failCount], [1002, 1]);
  });

  it('lifts a lock and clears the back-off at once', async () => {
    const { username, secretHex, resync, code, token } = await freshUser();
    for (let i = 0; i < 10; i++) {
      inst.clock.advanceSeconds(120);
      await signIn(inst, username, { otp: wrongCode(secretHex, 1) });
    }
    assert.equal((await token()).status, 'locked');
    const view = await resync(code(500), code(501));
    assert.deepEqual([view.status, view.counter, view.failCount], ['associated', 502, 0]);
    // No clock step: the user's back-off was cleared too.
    assert.equal((await signIn(inst, username, { otp: code(502) })).result, 'accept');
  });

  it('refuses malformed passcodes before touching anything', async () => {
    const { resync, code, token } = await freshUser();
    await assert.rejects(resync(code(50), code(52)), failsWith('resync_failed'));
    const before = await token();
    await assert.rejects(resync('12345', code(1)), failsWith('invalid_passcode'));
    await assert.rejects(resync(code(1), '1234567'), failsWith('invalid_passcode'));
    assert.deepEqual(await token(), before);
  });
});
