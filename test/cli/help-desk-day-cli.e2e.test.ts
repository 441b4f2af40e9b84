// The help desk's day on the command line, second round (issue #29): a temporary code for a user whose tokens
// are locked says it signs in all the same (and does, through `check`); a second code says it replaces the
// live one, and `user show` says whether one is live. Run as `node bin/otpgate.js`.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { makeTempDir, PASSWORD, testEnv, writeFile } from '../helpers/installation.js';
import { runCli } from '../helpers/cli.js';
import { oathCode } from '../helpers/otp.js';
import { randomSecretHex } from '../helpers/secrets.js';

describe('the help desk on the command line (#29)', () => {
  const dir = makeTempDir();
  const env = testEnv(dir);
  const secrets = Array.from({ length: 4 }, () => randomSecretHex());
  const serial = (i: number) => `829000000000${i}`;
  const cli = (...args: string[]) => runCli(args, env);
  const ok = async (...args: string[]) => {
    const result = await cli(...args);
    assert.equal(result.code, 0, `${args.join(' ')}: ${result.stderr}`);
    return result;
  };
  before(async () => {
    await ok('init');
    await ok('token', 'import', writeFile(dir, 's.csv', secrets.map((s, i) => `${serial(i)},${s}\n`).join('')));
    for (const name of ['ada', 'bea']) await ok('user', 'create', name, '--password', PASSWORD);
    await ok('token', 'associate', 'ada', serial(0), oathCode(secrets[0]!, 0));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('a temporary code for a locked user says it signs in all the same, and does; a second one says it replaces the first', async () => {
    await ok('account', 'settings', '--max-failures', '1');
    assert.equal((await cli('check', 'ada', '--password', PASSWORD, '--otp', oathCode(secrets[0]!, 400))).code, 1);
    assert.match((await ok('token', 'show', serial(0))).stdout, /locked/);
    assert.match((await ok('user', 'show', 'ada')).stdout, /temporary code\s+none live/);

    const issued = (await ok('token', 'temp-code', 'ada', '--uses', '2')).stdout;
    assert.match(issued, /ada's tokens are locked: this code signs in all the same/);
    assert.doesNotMatch(issued, /replaces/);
    const code = issued.trim().split('\n').at(-1)!;
    assert.match(code, /^[0-9]{10}$/);
    assert.match((await ok('user', 'show', 'ada')).stdout, /temporary code\s+live: 2 uses left/);
    const checked = await cli('check', 'ada', '--password', PASSWORD, '--otp', code);
    assert.equal(checked.code, 0, checked.stdout + checked.stderr);

    const second = (await ok('token', 'temp-code', 'ada')).stdout;
    assert.match(second, /replaces ada's earlier temporary code, which no longer signs in/);
    assert.equal((await cli('check', 'ada', '--password', PASSWORD, '--otp', code)).code, 1, 'the first code no longer signs in');
    await ok('account', 'settings', '--max-failures', '10');
  });

  it('user create --role helpdesk --email; user set --role/--email/--display-name; nothing to set is a usage error', async () => {
    const created = await ok('user', 'create', 'hal', '--role', 'helpdesk', '--email', 'hal@example.org', '--password', PASSWORD);
    assert.match(created.stdout, /created helpdesk hal/);
    let shown = JSON.parse((await ok('user', 'show', 'hal', '--json')).stdout) as { role: string; email: string | null; displayName: string };
    assert.deepEqual([shown.role, shown.email], ['helpdesk', 'hal@example.org']);
    assert.match((await cli('user', 'create', 'x1', '--role', 'boss', '--password', PASSWORD)).stderr, /helpdesk/);

    const set = await ok('user', 'set', 'bea', '--role', 'helpdesk', '--email', 'bea@example.org', '--display-name', 'Bea Desk');
    assert.match(set.stdout, /user bea: role helpdesk, e-mail bea@example.org, display name Bea Desk/);
    shown = JSON.parse((await ok('user', 'show', 'bea', '--json')).stdout) as typeof shown;
    assert.deepEqual([shown.role, shown.email, shown.displayName], ['helpdesk', 'bea@example.org', 'Bea Desk']);
    assert.match((await ok('user', 'set', 'bea', '--email', '')).stdout, /e-mail \(none\)/);
    const bad = await cli('user', 'set', 'bea', '--email', 'not-an-address');
    assert.equal(bad.code, 1, bad.stderr);
    assert.match(bad.stderr, /not an e-mail address/);
    const nothing = await cli('user', 'set', 'bea');
    assert.equal(nothing.code, 2);
    assert.match(nothing.stderr, /nothing to change/);
  });

  it('token disassociate says what the rules will do once the user has no token, not "no longer need a passcode"', async () => {
    for (const name of ['cy', 'dot', 'eve']) await ok('user', 'create', name, '--password', PASSWORD);
    await ok('token', 'associate', 'cy', serial(1), oathCode(secrets[1]!, 0));
    await ok('token', 'associate', 'dot', serial(2), oathCode(secrets[2]!, 0));
    await ok('token', 'associate', 'eve', serial(3), oathCode(secrets[3]!, 0));
    // cy: no restriction; dot: OTP required with self-association on; eve: the same with it off.
    await ok('restriction', 'set', 'dot', '--default', 'require_otp');
    await ok('restriction', 'set', 'eve', '--default', 'require_otp');
    const free = (await ok('token', 'disassociate', 'cy', '--yes')).stdout;
    assert.match(free, /sign in with the password alone/);
    const asked = (await ok('token', 'disassociate', 'dot', '--yes')).stdout;
    assert.match(asked, /asked to associate a token at their next sign-in/);
    assert.doesNotMatch(asked, /no longer need a passcode/);
    await ok('account', 'settings', '--self-association', 'off');
    const shut = (await ok('token', 'disassociate', 'eve', '--yes')).stdout;
    assert.match(shut, /will not be able to sign in \(self-association is off\)/);
    await ok('account', 'settings', '--self-association', 'on');
  });

  it('wording: "read 1 key", a secret that is not hexadecimal or has an odd digit count says which, check gives the reason code', async () => {
    const one = await ok('token', 'import', writeFile(dir, 'one.csv', `8290000000099,${randomSecretHex()}\n`));
    assert.match(one.stdout, /read 1 key, /);
    const notHex = await cli('token', 'import', writeFile(dir, 'zz.csv', '8290000000098,zzzz\n'));
    assert.equal(notHex.code, 1);
    assert.match(notHex.stderr, /the secret is not hexadecimal \(only 0-9 and a-f\)/);
    const odd = await cli('token', 'import', writeFile(dir, 'odd.csv', '8290000000097,abc\n'));
    assert.match(odd.stderr, /odd number of hexadecimal digits \(3\)/);
    const wrong = await cli('check', 'ada', '--password', 'not the password');
    assert.deepEqual([wrong.code, wrong.stdout], [1, 'reject\n'], 'standard output stays the result alone');
    assert.match(wrong.stderr, /^reason: wrong_password \(Wrong password\)$/m);
    const json = JSON.parse((await cli('check', 'ada', '--password', 'not the password', '--json')).stdout) as { result: string; reason: string };
    assert.deepEqual(json, { result: 'reject', reason: 'wrong_password' });
  });

  it('help with a mistyped topic suggests the nearest command', async () => {
    const typo = await cli('help', 'tokn');
    assert.equal(typo.code, 2);
    assert.match(typo.stderr, /no command "tokn"\n\(Did you mean token\?\)/);
    const sub = await cli('help', 'token', 'disasociate');
    assert.match(sub.stderr, /Did you mean token disassociate\?/);
    const far = await cli('help', 'zzzzzz');
    assert.doesNotMatch(far.stderr, /Did you mean/, 'no suggestion for a name near nothing');
  });
});
