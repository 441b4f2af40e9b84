// Property: of 16 processes that check the same valid passcode against one SQLite file at the same time,
// exactly one is accepted (the counter moves by compare-and-set); the others are refused as replays, and
// those duplicates of one good code do not count toward the token's lock.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { makeTempDir, testEnv, writeFile, PASSWORD } from '../helpers/installation.js';
import { runCli } from '../helpers/cli.js';
import { oathCode } from '../helpers/otp.js';
import { randomSecretHex } from '../helpers/secrets.js';

describe('replay under concurrency', () => {
  const dir = makeTempDir();
  const env = testEnv(dir);
  const secret = randomSecretHex();
  before(async () => {
    assert.equal((await runCli(['init'], env)).code, 0);
    const csv = writeFile(dir, 'seed.csv', `4000000000001,${secret}\n`);
    assert.equal((await runCli(['token', 'import', csv], env)).code, 0);
    assert.equal((await runCli(['user', 'create', 'alice', '--password', PASSWORD], env)).code, 0);
    assert.equal((await runCli(['token', 'associate', 'alice', '4000000000001', oathCode(secret, 0)], env)).code, 0);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('accepts one of 16 processes checking the same valid passcode at once', async () => {
    const code = oathCode(secret, 1);
    const results = await Promise.all(Array.from({ length: 16 }, () => runCli(['check', 'alice', '--password', PASSWORD, '--otp', code], env)));
    const accepted = results.filter((r) => r.code === 0);
    assert.equal(accepted.length, 1, JSON.stringify(results.map((r) => [r.code, r.stdout.trim(), r.stderr.trim()])));
    assert.equal(accepted[0]!.stdout.trim(), 'accept');
    for (const r of results.filter((x) => x.code !== 0)) {
      assert.equal(r.code, 1);
      assert.equal(r.stderr, '', 'a loser is refused, not crashed');
      assert.equal(r.stdout.trim(), 'reject');
    }
    const show = await runCli(['token', 'show', '4000000000001', '--json'], env);
    const token = JSON.parse(show.stdout);
    assert.equal(token.counter, 2);
    assert.equal(token.status, 'associated', 'duplicates of a good code never lock the token');
    assert.equal(token.failCount, 0);
  });
});
