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
});
