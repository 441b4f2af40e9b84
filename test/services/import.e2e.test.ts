// CSV seed import: a file with one bad line imports nothing and names the line; a re-import skips known
// serials and never overwrites them (secret and counter unchanged).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { makeTempDir, testEnv, writeFile, PASSWORD } from '../helpers/installation.js';
import { runCli } from '../helpers/cli.js';
import { oathCode } from '../helpers/otp.js';
import { randomSecretHex } from '../helpers/secrets.js';

describe('CSV import through the command line', () => {
  const dir = makeTempDir();
  const files = makeTempDir();
  const env = testEnv(dir);
  const secret = randomSecretHex();
  const list = async () => JSON.parse((await runCli(['token', 'list', '--json'], env)).stdout) as { serial: string; counter: number; type: string; digits: number; algorithm: string }[];
  before(async () => {
    assert.equal((await runCli(['init'], env)).code, 0);
  });
  after(() => {
    rmSync(dir, { recursive: true, force: true });
    rmSync(files, { recursive: true, force: true });
  });

  it('refuses a file with one bad line as a whole, naming the line', async () => {
    const csv = writeFile(files, 'bad.csv', ['# serial, secret', `7000000000001,${secret}`, `7000000000002,${randomSecretHex()}`, `7000000000003,not-hex-at-all`, `7000000000004,${randomSecretHex()}`].join('\n'));
    const result = await runCli(['token', 'import', csv], env);
    assert.equal(result.code, 1);
    assert.match(result.stderr, /line 4/);
    assert.match(result.stderr, /nothing was imported/);
    assert.deepEqual(await list(), []);
  });

  it('imports a good file with the optional columns', async () => {
    const csv = writeFile(files, 'good.csv', [`7000000000001,${secret}`, `7000-0000-00002, ${randomSecretHex()}, hotp, 8, 42, sha256`, `7000000000003,${randomSecretHex()},totp,6,60`].join('\n'));
    const result = await runCli(['token', 'import', csv], env);
    assert.equal(result.code, 0, result.stderr);
    const tokens = await list();
    assert.deepEqual(tokens.map((t) => [t.serial, t.type, t.digits, t.algorithm]), [
      ['7000000000001', 'hotp', 6, 'SHA1'],
      ['7000000000002', 'hotp', 8, 'SHA256'],
      ['7000000000003', 'totp', 6, 'SHA1'],
    ]);
    assert.equal(tokens[1]!.counter, 42);
  });

  it('skips known serials on re-import and never overwrites their secret or counter', async () => {
    assert.equal((await runCli(['user', 'create', 'alice', '--password', PASSWORD], env)).code, 0);
    assert.equal((await runCli(['token', 'associate', 'alice', '7000000000001', oathCode(secret, 3)], env)).code, 0);
    const csv = writeFile(files, 'again.csv', [`7000000000001,${randomSecretHex()},hotp,6,0`, `7000000000009,${randomSecretHex()}`].join('\n'));
    const result = await runCli(['token', 'import', csv], env);
    assert.equal(result.code, 0);
    assert.match(result.stdout, /imported 1, skipped 1/);
    assert.match(result.stdout, /7000000000001.*already in the inventory/);
    const token = (await list()).find((t) => t.serial === '7000000000001')!;
    assert.equal(token.counter, 4);
    // The old secret still verifies: it was not overwritten.
    assert.equal((await runCli(['check', 'alice', '--password', PASSWORD, '--otp', oathCode(secret, 4)], env)).stdout.trim(), 'accept');
  });

  it('refuses two usable keys for one serial in one file', async () => {
    const csv = writeFile(files, 'dup.csv', [`7100000000001,${randomSecretHex()}`, `7100000000001,${randomSecretHex()}`].join('\n'));
    const result = await runCli(['token', 'import', csv], env);
    assert.equal(result.code, 1);
    assert.match(result.stderr, /line 2.*appears twice/);
  });

  it('a missing file is bad usage', async () => {
    assert.equal((await runCli(['token', 'import', join(files, 'nope.csv')], env)).code, 2);
  });
});
