// Property: `otpgate check` tells a back-off and a locked token apart from a wrong passcode: a throttled
// attempt prints `throttled (retry in N s)` (exit 1, as the API's 429), even with the right passcode, which
// is not spent; a locked token prints `locked` (exit 1).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { OPERATOR } from '../../src/services/context.js';
import { userThrottleKey } from '../../src/services/throttle-keys.js';
import { writeThrottle } from '../../src/store/throttle-store.js';
import { makeInstallation, PASSWORD, tokenOf, userWithToken, type Installation, type UserWithToken } from '../helpers/installation.js';
import { runCli } from '../helpers/cli.js';
import { oathCode, wrongCode } from '../helpers/otp.js';

describe('otpgate check output', () => {
  let inst: Installation;
  let alice: UserWithToken;
  const cli = (...args: string[]) => runCli(args, inst.env);
  before(async () => {
    inst = await makeInstallation();
    alice = await userWithToken(inst, 'alice', oathCode);
  });
  after(() => inst.cleanup());

  it('prints throttled (retry in N s) while the user is backed off, even for the right passcode', async () => {
    // The back-off as a burst of failures leaves it, but long enough that starting the CLI cannot outlast it.
    const now = Date.now();
    await writeThrottle(inst.instance.database.db, userThrottleKey(inst.account.id, 'alice'), { consecutiveFailures: 9, blockedUntil: now + 600_000 }, now);
    const result = await cli('check', 'alice', '--password', PASSWORD, '--otp', oathCode(alice.secretHex, 1));
    assert.equal(result.code, 1, result.stderr);
    const match = /^throttled \(retry in (\d+) s\)\n$/.exec(result.stdout);
    assert.ok(match, `stdout: ${result.stdout}`);
    assert.ok(Number(match[1]) > 0 && Number(match[1]) <= 600);
    const json = await cli('check', 'alice', '--password', PASSWORD, '--otp', oathCode(alice.secretHex, 1), '--json');
    assert.equal(json.code, 1);
    assert.equal(JSON.parse(json.stdout).result, 'throttled');
    assert.equal((await tokenOf(inst, 'alice')).counter, 1, 'the passcode was not spent');
  });

  it('prints locked for a locked token', async () => {
    assert.equal((await cli('token', 'unlock', alice.serial)).code, 0, 'an unlock clears the back-off');
    await inst.services.accounts.updateSettings(OPERATOR, inst.account, { maxFailures: 1 });
    const wrong = await cli('check', 'alice', '--password', PASSWORD, '--otp', wrongCode(alice.secretHex, 1));
    assert.deepEqual([wrong.code, wrong.stdout], [1, 'reject\n']);
    assert.equal((await tokenOf(inst, 'alice')).status, 'locked');
    const locked = await cli('check', 'alice', '--password', PASSWORD, '--otp', oathCode(alice.secretHex, 1));
    assert.deepEqual([locked.code, locked.stdout], [1, 'locked\n']);
  });
});
