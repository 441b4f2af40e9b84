// Bad input changes nothing: a passcode that is not exactly the token's digits is refused before any
// counter, fail count or back-off of the token is touched.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { makeInstallation, signIn, tokenOf, userWithToken, type Installation, type UserWithToken } from '../helpers/installation.js';
import { oathCode } from '../helpers/otp.js';

describe('malformed passcodes at sign-in', () => {
  let inst: Installation;
  let alice: UserWithToken;
  before(async () => {
    inst = await makeInstallation();
    alice = await userWithToken(inst, 'alice', oathCode);
  });
  after(() => inst.cleanup());

  it('are rejected without touching the counter or the fail count', async () => {
    const code = oathCode(alice.secretHex, 1);
    for (const bad of [code.slice(0, 5), `${code}1`, ` ${code}`, `${code.slice(0, 3)} ${code.slice(3)}`, `-${code.slice(1)}`, '１２３４５６', 'abcdef']) {
      inst.clock.advanceSeconds(120);
      const outcome = await signIn(inst, 'alice', { otp: bad });
      assert.deepEqual([outcome.result, outcome.reason], ['reject', 'passcode_malformed'], JSON.stringify(bad));
    }
    const token = await tokenOf(inst, 'alice');
    assert.deepEqual([token.counter, token.failCount, token.status], [1, 0, 'associated']);
    inst.clock.advanceSeconds(120);
    assert.equal((await signIn(inst, 'alice', { otp: code })).result, 'accept');
  });
});
