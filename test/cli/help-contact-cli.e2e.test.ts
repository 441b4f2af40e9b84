// `account settings --help-contact` (issue 29, item 9): sets the text the sign-in page shows after a refusal
// and on "Lost your token?"; empty removes it; more than 200 characters is refused and changes nothing.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { makeTempDir, testEnv } from '../helpers/installation.js';
import { runCli } from '../helpers/cli.js';

describe('the help contact on the command line', () => {
  const dir = makeTempDir();
  const env = testEnv(dir);
  const cli = (...args: string[]) => runCli(args, env);
  const settings = async (...args: string[]) => {
    const result = await cli('account', 'settings', ...args, '--json');
    assert.equal(result.code, 0, result.stderr);
    return JSON.parse(result.stdout) as { helpContact: string | null };
  };
  before(async () => assert.equal((await cli('init')).code, 0));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('sets, shows, refuses too long a text and removes the help contact', async () => {
    assert.equal((await settings()).helpContact, null);
    assert.equal((await settings('--help-contact', '  IT help desk, extension 4400 ')).helpContact, 'IT help desk, extension 4400');
    const long = await cli('account', 'settings', '--help-contact', 'x'.repeat(201));
    assert.notEqual(long.code, 0);
    assert.match(long.stderr, /helpContact must be at most 200/);
    assert.equal((await settings()).helpContact, 'IT help desk, extension 4400', 'unchanged by the refused one');
    assert.equal((await settings('--help-contact', '')).helpContact, null);
  });
});
