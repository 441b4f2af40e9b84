// The command line's exit codes: 0 success (check: accept), 1 a refused operation (unknown user, serial or
// account; invalid serial or passcode), 2 bad usage; `token disassociate` without a terminal and without
// --yes is bad usage and changes nothing.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { makeTempDir, testEnv, writeFile, PASSWORD } from '../helpers/installation.js';
import { spawn } from 'node:child_process';
import { PassThrough } from 'node:stream';
import { main } from '../../src/cli/main.js';
import { BIN, runCli } from '../helpers/cli.js';
import { oathCode } from '../helpers/otp.js';
import { randomSecretHex } from '../helpers/secrets.js';

describe('command line bad input', () => {
  const dir = makeTempDir();
  const env = testEnv(dir);
  const secret = randomSecretHex();
  const cli = (...args: string[]) => runCli(args, env);
  before(async () => {
    assert.equal((await cli('init')).code, 0);
    assert.equal((await cli('token', 'import', writeFile(dir, 's.csv', `8000000000001,${secret}\n8000000000002,${randomSecretHex()}\n`))).code, 0);
    assert.equal((await cli('user', 'create', 'alice', '--password', PASSWORD)).code, 0);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('normalises a typed serial and refuses an invalid one', async () => {
    const shown = await cli('token', 'show', '8000 0000-00001', '--json');
    assert.equal(shown.code, 0, shown.stderr);
    assert.equal(JSON.parse(shown.stdout).serial, '8000000000001');
    const bad = await cli('token', 'show', 'bad/serial');
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /not a serial number/);
  });

  it('refuses a malformed passcode before touching the token', async () => {
    const result = await cli('token', 'associate', 'alice', '8000000000001', '12345');
    assert.equal(result.code, 1);
    assert.match(result.stderr, /exactly 6 digits/);
    const token = JSON.parse((await cli('token', 'show', '8000000000001', '--json')).stdout);
    assert.deepEqual([token.status, token.counter, token.failCount], ['available', 0, 0]);
  });

  it('unknown users, serials and accounts exit 1 with a message', async () => {
    const cases: [string[], RegExp][] = [
      [['user', 'show', 'nobody'], /no user "nobody"/],
      [['token', 'show', '9999999999999'], /no token 9999999999999/],
      [['token', 'associate', 'nobody', '8000000000001', '123456'], /no user "nobody"/],
      [['token', 'unlock', '9999999999999'], /no token/],
      [['user', 'list', '--account', 'nope'], /no account "nope"/],
      [['restriction', 'show', 'nobody'], /no user/],
      [['token', 'disassociate', 'alice', '--yes'], /has no token/],
    ];
    const results = await Promise.all(cases.map(([args]) => cli(...args)));
    for (const [i, [args, message]] of cases.entries()) {
      const result = results[i]!;
      assert.equal(result.code, 1, args.join(' '));
      assert.match(result.stderr, message, args.join(' '));
    }
  });

  it('bad usage exits 2', async () => {
    const cases = [
      ['frobnicate'],
      [],
      ['token'],
      ['token', 'associate', 'alice'],
      ['token', 'list', '--bogus'],
      ['check', 'alice'],
      ['check', 'alice', '--password', PASSWORD, '--ip', 'not-an-ip'],
      ['user', 'create', 'bob', '--role', 'root', '--password', PASSWORD],
      ['restriction', 'set', 'alice', '--rule', '10.0.0.0/8'],
    ];
    const results = await Promise.all(cases.map((args) => cli(...args)));
    cases.forEach((args, i) => assert.equal(results[i]!.code, 2, args.join(' ')));
  });

  it('an invalid CIDR is refused when saved (exit 1, the rule named)', async () => {
    const result = await cli('restriction', 'set', 'alice', '--default', 'allow', '--rule', '10.0.0.0/33=deny');
    assert.equal(result.code, 1);
    assert.match(result.stderr, /rule 1 \(network\)/);
  });

  it('token disassociate without a terminal and without --yes exits 2 and changes nothing', async () => {
    assert.equal((await cli('token', 'associate', 'alice', '8000000000001', oathCode(secret, 0))).code, 0);
    const result = await runCli(['token', 'disassociate', 'alice'], env, 'y\n');
    assert.equal(result.code, 2);
    assert.match(result.stderr, /--yes/);
    const token = JSON.parse((await cli('token', 'show', '8000000000001', '--json')).stdout);
    assert.deepEqual([token.status, token.username], ['associated', 'alice']);
    assert.equal((await cli('token', 'disassociate', 'alice', '--yes')).code, 0);
  });

  it('check exits 0 only on accept', async () => {
    const ok = await cli('check', 'alice', '--password', PASSWORD);
    assert.deepEqual([ok.code, ok.stdout.trim()], [0, 'accept']);
    const no = await cli('check', 'alice', '--password', 'wrong password');
    assert.deepEqual([no.code, no.stdout.trim()], [1, 'reject']);
  });
});

describe('command line text that cannot be stored as given', () => {
  const dir = makeTempDir();
  const env = testEnv(dir);
  before(async () => {
    assert.equal((await runCli(['init'], env)).code, 0);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('an argument that is not UTF-8 exits 2, naming the option and not echoing the value', async () => {
    // The shell passes the raw bytes (0xff is never UTF-8); Node reads them as U+FFFD.
    const raw = (script: string) =>
      new Promise<{ code: number | null; stderr: string }>((resolve) => {
        const child = spawn('bash', ['-c', script], { env: { PATH: process.env.PATH, ...env, OTPGATE_BIN: BIN } });
        let stderr = '';
        child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
        child.on('close', (code) => resolve({ code, stderr }));
      });
    const name = await raw(`"${process.execPath}" "$OTPGATE_BIN" user create $'al\\xffice' --password 'a long password'`);
    assert.equal(name.code, 2, name.stderr);
    assert.match(name.stderr, /argument 3 is not valid UTF-8/);
    const password = await raw(`"${process.execPath}" "$OTPGATE_BIN" user create alice --password $'pass\\xffword long'`);
    assert.equal(password.code, 2, password.stderr);
    assert.match(password.stderr, /the value of --password is not valid UTF-8/);
    assert.doesNotMatch(password.stderr, /pass.word long/);
    assert.equal((await runCli(['user', 'list', '--json'], env)).stdout.includes('alice'), false, 'nothing was created');
  });

  it('a password on standard input that is not UTF-8 (or holds NUL) exits 2', async () => {
    const bytes = await runCliBytes(['user', 'create', 'alice'], env, Buffer.from([0x70, 0x61, 0x73, 0x73, 0xc3, 0x28, 0x6c, 0x6f, 0x6e, 0x67, 0x65, 0x72, 0x0a]));
    assert.equal(bytes.code, 2, bytes.stderr);
    assert.match(bytes.stderr, /standard input is not valid UTF-8/);
    const nul = await runCliBytes(['user', 'create', 'alice'], env, Buffer.from('long pass\u0000word\n'));
    assert.equal(nul.code, 2, nul.stderr);
    assert.match(nul.stderr, /NUL/);
    // The same line as valid UTF-8 is a password.
    const ok = await runCliBytes(['user', 'create', 'alice'], env, Buffer.from('pässwörd long enough\n'));
    assert.equal(ok.code, 0, ok.stderr);
  });

  it('in-process callers: a lone surrogate in an argument exits 2', async () => {
    const err: string[] = [];
    const io = { out: new PassThrough(), err: new PassThrough(), input: new PassThrough() };
    io.err.on('data', (d: Buffer) => err.push(d.toString()));
    assert.equal(await main(['user', 'create', 'bo\ud800b', '--password', 'a long password'], io, env), 2);
    assert.match(err.join(''), /argument 3 is not well-formed Unicode/);
  });
});

function runCliBytes(args: string[], env: NodeJS.ProcessEnv, stdin: Buffer): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { env: { PATH: process.env.PATH, ...env }, stdio: ['pipe', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stderr }));
    child.stdin.end(stdin);
  });
}
