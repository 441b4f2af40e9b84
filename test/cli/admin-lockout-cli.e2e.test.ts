// The command line's side of "Administrators keep a way in": a change that would leave no administrator
// able to sign in exits 1 and prints why, naming the administrator; nothing is changed. The setting
// adminsRequireOtp is shown and set with `account settings`. Run as `node bin/otpgate.js`.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { makeTempDir, testEnv } from '../helpers/installation.js';
import { runCli } from '../helpers/cli.js';

describe('administrators keep a way in, on the command line', () => {
  const dir = makeTempDir();
  const env = testEnv(dir);
  const cli = (...args: string[]) => runCli(args, env);
  const ok = async (...args: string[]) => {
    const result = await cli(...args);
    assert.equal(result.code, 0, `${args.join(' ')}: ${result.stderr}`);
    return result;
  };
  const settings = async () => JSON.parse((await ok('account', 'settings', '--json')).stdout) as { selfAssociation: boolean; adminsRequireOtp: boolean };
  before(async () => {
    // init creates the first administrator, "admin", with no token and no restriction.
    await ok('init');
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('an account-wide deny exits 1 naming the administrator; nothing is saved', async () => {
    const refused = await cli('restriction', 'set', '--account-wide', '--default', 'deny');
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /^otpgate: This would leave no administrator able to sign in \(admin: denied from every address\)\. Nothing was changed\.\n$/);
    assert.match((await ok('restriction', 'show', '--account-wide')).stdout, /none/i);
    // An allow rule for the administrator's address is a way in.
    await ok('restriction', 'set', '--account-wide', '--default', 'deny', '--rule', '127.0.0.1/32=allow');
  });

  it('adminsRequireOtp: off by default; on with self-association off exits 1; on with it on is saved', async () => {
    assert.equal((await settings()).adminsRequireOtp, false);
    await ok('account', 'settings', '--self-association', 'off');
    const refused = await cli('account', 'settings', '--admins-require-otp', 'on');
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /admin: required to use OTP without a token, and self-association is off/);
    assert.equal((await settings()).adminsRequireOtp, false);
    await ok('account', 'settings', '--self-association', 'on', '--admins-require-otp', 'on');
    assert.deepEqual(await settings(), { ...(await settings()), selfAssociation: true, adminsRequireOtp: true });
    assert.match((await ok('account', 'settings')).stdout, /adminsRequireOtp\s+on/);
  });

  it('disabling or deleting the only administrator exits 1', async () => {
    const disabled = await cli('user', 'disable', 'admin');
    assert.equal(disabled.code, 1, disabled.stderr);
    assert.match(disabled.stderr, /\(admin: disabled\)/);
    const deleted = await cli('user', 'delete', 'admin', '--yes');
    assert.equal(deleted.code, 1, deleted.stderr);
    assert.match(deleted.stderr, /admin: deleted/);
  });
});
