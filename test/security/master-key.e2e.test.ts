// Property: a wrong master key (another installation's) or a missing one stops every command with a clear
// message and exit 1 — it never looks like an empty inventory — and the key file is created with mode 0600.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, renameSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { makeTempDir, testEnv, writeFile } from '../helpers/installation.js';
import { runCli } from '../helpers/cli.js';
import { randomSecretHex } from '../helpers/secrets.js';

const COMMANDS = [['token', 'list'], ['token', 'list', '--json'], ['user', 'list'], ['account', 'list'], ['audit', 'list'], ['audit', 'verify'], ['check', 'admin', '--password', 'whatever1']];

describe('master key', () => {
  const dir = makeTempDir();
  const otherDir = makeTempDir();
  const env = testEnv(dir);
  const keyFile = join(dir, 'master.key');
  before(async () => {
    assert.equal((await runCli(['init'], env)).code, 0);
    assert.equal((await runCli(['init'], testEnv(otherDir))).code, 0);
    const csv = writeFile(otherDir, 'seed.csv', `6000000000001,${randomSecretHex()}\n`);
    assert.equal((await runCli(['token', 'import', csv], env)).code, 0);
  });
  after(() => {
    rmSync(dir, { recursive: true, force: true });
    rmSync(otherDir, { recursive: true, force: true });
  });

  it('is created with mode 0600', () => {
    assert.equal(statSync(keyFile).mode & 0o777, 0o600);
  });

  it("another installation's key stops every command with exit 1 and a clear message", async () => {
    const wrongEnv = { ...env, OTPGATE_KEY_FILE: join(otherDir, 'master.key') };
    const results = await Promise.all(COMMANDS.map((args) => runCli(args, wrongEnv)));
    for (const [i, args] of COMMANDS.entries()) {
      const result = results[i]!;
      assert.equal(result.code, 1, args.join(' '));
      assert.equal(result.stdout, '', `${args.join(' ')} printed nothing that looks like a result`);
      assert.match(result.stderr, /master key .* is not the key this database was created with/, args.join(' '));
    }
  });

  it('a missing key stops every command with exit 1 and a clear message', async () => {
    renameSync(keyFile, `${keyFile}.away`);
    try {
      const results = await Promise.all(COMMANDS.map((args) => runCli(args, env)));
      for (const [i, args] of COMMANDS.entries()) {
        const result = results[i]!;
        assert.equal(result.code, 1, args.join(' '));
        assert.equal(result.stdout, '');
        assert.match(result.stderr, /master key .* is missing/, args.join(' '));
      }
      // init does not quietly make a new key for an existing database either.
      const init = await runCli(['init'], env);
      assert.equal(init.code, 1);
      assert.match(init.stderr, /master key/);
    } finally {
      renameSync(`${keyFile}.away`, keyFile);
    }
    const list = await runCli(['token', 'list', '--json'], env);
    assert.equal(JSON.parse(list.stdout).length, 1);
  });

  it('a key readable by others is refused', async () => {
    const loose = join(otherDir, 'loose.key');
    copyFileSync(keyFile, loose);
    const { chmodSync } = await import('node:fs');
    chmodSync(loose, 0o644);
    const result = await runCli(['token', 'list'], { ...env, OTPGATE_KEY_FILE: loose });
    assert.equal(result.code, 1);
    assert.match(result.stderr, /readable by others/);
  });
});
