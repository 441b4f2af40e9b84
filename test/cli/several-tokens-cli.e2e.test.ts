// Several tokens per user on the command line, run as `node bin/otpgate.js`: `token associate --label` adds
// a token (a taken label and the account's limit refused); `user show` lists every token; `token resync`
// finds the token whose window holds both passcodes, or takes `--serial`, and refuses with ambiguous_token
// when two tokens (a shared seed) fit; `token disassociate` needs `--serial` for a user with several;
// `report users --without-token` counts every token the user holds, a disabled one too.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { makeTempDir, PASSWORD, testEnv, writeFile } from '../helpers/installation.js';
import { runCli } from '../helpers/cli.js';
import { oathCode } from '../helpers/otp.js';
import { randomSecretHex } from '../helpers/secrets.js';

describe('several tokens per user on the command line', () => {
  const dir = makeTempDir();
  const env = testEnv(dir);
  const [deskSecret, spareSecret, otherSecret] = [randomSecretHex(), randomSecretHex(), randomSecretHex()];
  // 8200000000003 shares the spare's seed (a copy made by mistake): both windows hold the same codes.
  const seeds: [string, string][] = [['8200000000001', deskSecret], ['8200000000002', spareSecret], ['8200000000003', spareSecret], ['8200000000004', otherSecret]];
  const cli = (...args: string[]) => runCli(args, env);
  const ok = async (...args: string[]) => {
    const result = await cli(...args);
    assert.equal(result.code, 0, `${args.join(' ')}: ${result.stderr}`);
    return result;
  };
  const shown = async (serial: string) => JSON.parse((await ok('token', 'show', serial, '--json')).stdout) as { status: string; username: string | null; counter: number; label: string | null };
  before(async () => {
    await ok('init');
    await ok('token', 'import', writeFile(dir, 's.csv', seeds.map(([serial, secret]) => `${serial},${secret}\n`).join('')));
    for (const name of ['kim', 'lee']) await ok('user', 'create', name, '--password', PASSWORD);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('associate --label adds a token; a taken label is refused; user show lists both', async () => {
    assert.match((await ok('token', 'associate', 'kim', '8200000000001', oathCode(deskSecret, 0), '--label', 'desk')).stdout, /token 8200000000001 \("desk"\) is now associated with kim/);
    const taken = await cli('token', 'associate', 'kim', '8200000000002', oathCode(spareSecret, 0), '--label', 'desk');
    assert.equal(taken.code, 1);
    assert.match(taken.stderr, /already has a token labelled "desk"/);
    assert.equal((await shown('8200000000002')).status, 'available');
    assert.match((await ok('token', 'associate', 'kim', '8200000000002', oathCode(spareSecret, 0), '--label', 'spare')).stdout, /8200000000002 \("spare"\) is now associated with kim/);
    assert.deepEqual([(await shown('8200000000001')).username, (await shown('8200000000001')).label], ['kim', 'desk'], 'the first token stays: added, not replaced');
    const table = (await ok('user', 'show', 'kim')).stdout;
    assert.match(table, /tokens\s+8200000000001 \(associated, "desk"\), 8200000000002 \(associated, "spare"\)/);
    const json = JSON.parse((await ok('user', 'show', 'kim', '--json')).stdout) as { tokens: { serial: string }[] };
    assert.deepEqual(json.tokens.map((t) => t.serial), ['8200000000001', '8200000000002']);
  });

  it('resync without --serial finds the token whose window holds both; --serial names one; a wrong pair counts', async () => {
    const found = await ok('token', 'resync', 'kim', oathCode(spareSecret, 30), oathCode(spareSecret, 31));
    assert.match(found.stdout, /token 8200000000002 of kim is re-synced \(next counter 32\)/);
    assert.equal((await shown('8200000000001')).counter, 1, 'the desk token did not move');
    // The desk's codes named with the spare's serial: refused, nothing moves.
    const wrong = await cli('token', 'resync', 'kim', oathCode(deskSecret, 40), oathCode(deskSecret, 41), '--serial', '8200000000002');
    assert.equal(wrong.code, 1);
    assert.match(wrong.stderr, /not consecutive codes/);
    assert.deepEqual([(await shown('8200000000001')).counter, (await shown('8200000000002')).counter], [1, 32]);
    assert.match((await ok('token', 'resync', 'kim', oathCode(deskSecret, 40), oathCode(deskSecret, 41), '--serial', '8200000000001')).stdout, /token 8200000000001 of kim is re-synced \(next counter 42\)/);
    assert.equal((await cli('token', 'resync', 'kim', '111111', '222222', '--serial', '8200000000004')).code, 1, "a serial that is not kim's");
  });

  it('two tokens that both fit the pair: ambiguous_token naming both; --serial settles it', async () => {
    await ok('token', 'associate', 'kim', '8200000000003', oathCode(spareSecret, 0), '--label', 'copy');
    const ambiguous = await cli('token', 'resync', 'kim', oathCode(spareSecret, 60), oathCode(spareSecret, 61));
    assert.equal(ambiguous.code, 1);
    assert.match(ambiguous.stderr, /more than one of kim's tokens \(8200000000002, 8200000000003\); name one with its serial/);
    assert.match((await ok('token', 'resync', 'kim', oathCode(spareSecret, 60), oathCode(spareSecret, 61), '--serial', '8200000000003')).stdout, /8200000000003 of kim is re-synced \(next counter 62\)/);
    // A fourth token is over the default limit of 3.
    const over = await cli('token', 'associate', 'kim', '8200000000004', oathCode(otherSecret, 0));
    assert.equal(over.code, 1);
    assert.match(over.stderr, /already holds 3 tokens/);
  });

  it('disassociate needs --serial for a user with several; with it, only that token goes', async () => {
    const unnamed = await cli('token', 'disassociate', 'kim', '--yes');
    assert.equal(unnamed.code, 1);
    assert.match(unnamed.stderr, /8200000000001, 8200000000002, 8200000000003/);
    assert.equal((await shown('8200000000001')).username, 'kim');
    assert.match((await ok('token', 'disassociate', 'kim', '--serial', '8200000000003', '--yes')).stdout, /token 8200000000003 is disassociated from kim/);
    assert.deepEqual([(await shown('8200000000003')).status, (await shown('8200000000002')).username], ['available', 'kim']);
    assert.equal((await cli('token', 'disassociate', 'kim', '--serial', '8200000000004', '--yes')).code, 1, "a serial that is not kim's");
  });

  it('report users --without-token counts every token, a disabled one too', async () => {
    const users = async () => (JSON.parse((await ok('report', 'users', '--without-token', '--json')).stdout) as { username: string }[]).map((u) => u.username);
    assert.deepEqual((await users()).filter((u) => u !== 'admin'), ['lee']);
    await ok('token', 'disassociate', 'kim', '--serial', '8200000000002', '--yes');
    await ok('token', 'disable', '8200000000001', '--yes');
    assert.ok(!(await users()).includes('kim'), 'a user whose one token is disabled still holds a token');
    await ok('token', 'disassociate', 'kim', '--yes');
    assert.ok((await users()).includes('kim'));
  });
});
