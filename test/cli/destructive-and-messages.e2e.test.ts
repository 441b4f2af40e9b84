// Property: every command that deletes or disassociates (user delete, token disassociate, apikey
// remove/revoke, radius client remove, directory remove, restriction clear) behaves alike: without a
// terminal and without --yes it exits 2 and changes nothing; on a terminal (a real pseudo-terminal, through
// util-linux `script`) it asks, and anything but yes changes nothing (exit 1); yes or --yes does it.
// And the messages a new administrator meets: a token already associated names its user (of this account
// only), `restriction set` counts rules from 1 and takes `require-otp`, a CSV line without a secret and a
// semicolon-separated file say so.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import { makeTempDir, PASSWORD, testEnv, writeFile } from '../helpers/installation.js';
import { BIN, runCli, type CliResult } from '../helpers/cli.js';
import { oathCode } from '../helpers/otp.js';
import { randomSecretHex } from '../helpers/secrets.js';

const quote = (arg: string) => `'${arg.replace(/'/g, `'\\''`)}'`;

/** `otpgate ARGS` on a pseudo-terminal (util-linux `script`), `typed` written to it; the exit code is otpgate's. */
function onTerminal(args: string[], env: NodeJS.ProcessEnv, typed: string): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const command = [process.execPath, BIN, ...args].map(quote).join(' ');
    const child = spawn('script', ['-qec', command, '/dev/null'], { env: { PATH: process.env.PATH, ...env }, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(typed);
  });
}

describe('destructive commands ask alike', () => {
  const dir = makeTempDir();
  const env = testEnv(dir);
  const secret = randomSecretHex();
  const cli = (...args: string[]) => runCli(args, env);
  const ok = async (...args: string[]) => {
    const result = await cli(...args);
    assert.equal(result.code, 0, `${args.join(' ')}: ${result.stderr}`);
    return result;
  };
  before(async () => {
    await ok('init');
    await ok('token', 'import', writeFile(dir, 's.csv', `8000000000001,${secret}\n`));
    for (const name of ['alice', 'bob']) await ok('user', 'create', name, '--password', PASSWORD);
    await ok('token', 'associate', 'alice', '8000000000001', oathCode(secret, 0));
    await ok('apikey', 'create', 'app');
    await ok('radius', 'client', 'add', 'asa', '--ip', '192.0.2.0/24', '--secret', 'a shared secret of 16+');
    await ok('directory', 'set', '--url', 'ldap://127.0.0.1:1', '--bind-dn', 'cn=svc,dc=example,dc=org', '--base-dn', 'dc=example,dc=org', '--bind-password-file', writeFile(dir, 'bind', 'bind password\n'));
    await ok('restriction', 'set', 'bob', '--default', 'deny');
    await ok('restriction', 'set', '--account-wide', '--default', 'require_otp');
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  /** Each destructive command, and how to tell whether it happened. */
  const commands: { args: string[]; done: () => Promise<boolean> }[] = [
    { args: ['user', 'delete', 'bob'], done: async () => (await cli('user', 'show', 'bob')).code === 1 },
    { args: ['token', 'disassociate', 'alice'], done: async () => JSON.parse((await ok('token', 'show', '8000000000001', '--json')).stdout).status === 'available' },
    { args: ['apikey', 'revoke', 'app'], done: async () => JSON.parse((await ok('apikey', 'list', '--json')).stdout).length === 0 },
    { args: ['radius', 'client', 'remove', 'asa'], done: async () => JSON.parse((await ok('radius', 'client', 'list', '--json')).stdout).length === 0 },
    { args: ['directory', 'remove'], done: async () => (await cli('directory', 'show')).code === 1 },
    { args: ['restriction', 'clear', '--account-wide'], done: async () => JSON.parse((await ok('restriction', 'show', '--account-wide', '--json')).stdout).source === 'none' },
  ];

  it('without a terminal and without --yes: exit 2, naming --yes, nothing changed', async () => {
    const results = await Promise.all(commands.map(({ args }) => runCli(args, env, 'y\n')));
    for (const [i, { args, done }] of commands.entries()) {
      assert.equal(results[i]!.code, 2, args.join(' '));
      assert.match(results[i]!.stderr, /needs confirmation: run it on a terminal, or pass --yes/, args.join(' '));
      assert.equal(await done(), false, `${args.join(' ')} changed nothing`);
    }
  });

  it('on a terminal: asks; no changes nothing (exit 1), yes does it', async () => {
    for (const { args, done } of commands) {
      const declined = await onTerminal(args, env, 'n\n');
      assert.equal(declined.code, 1, `${args.join(' ')}: ${declined.stdout}`);
      assert.match(declined.stdout, / \[y\/N\] /, `${args.join(' ')} asks`);
      assert.match(declined.stdout, /nothing changed/);
      assert.equal(await done(), false, `${args.join(' ')} declined changed nothing`);
    }
    // The question says what will happen.
    assert.match((await onTerminal(['user', 'delete', 'bob'], env, '\n')).stdout, /Delete user bob of account default\?/);
    assert.match((await onTerminal(['token', 'disassociate', 'alice'], env, '\n')).stdout, /Disassociate token 8000000000001 from alice\?/);
    for (const { args, done } of commands.slice(0, 3)) {
      const accepted = await onTerminal(args, env, 'y\n');
      assert.equal(accepted.code, 0, `${args.join(' ')}: ${accepted.stdout}`);
      assert.equal(await done(), true, `${args.join(' ')} done after yes`);
    }
  });

  it('--yes does it without asking', async () => {
    for (const { args, done } of commands.slice(3)) {
      const result = await runCli([...args, '--yes'], env);
      assert.equal(result.code, 0, `${args.join(' ')}: ${result.stderr}`);
      assert.doesNotMatch(result.stderr, /\[y\/N\]/);
      assert.equal(await done(), true, `${args.join(' ')} --yes`);
    }
    // A name that does not exist is refused without asking (exit 1), --yes or not.
    const unknown = await cli('apikey', 'remove', 'nope');
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, /^otpgate: no API key "nope"/m);
  });
});

describe('messages a new administrator meets', () => {
  const dir = makeTempDir();
  const env = testEnv(dir);
  const secret = randomSecretHex();
  const otherSecret = randomSecretHex();
  const cli = (...args: string[]) => runCli(args, env);
  before(async () => {
    assert.equal((await cli('init')).code, 0);
    assert.equal((await cli('account', 'create', 'acme')).code, 0);
    assert.equal((await cli('token', 'import', writeFile(dir, 's.csv', `8000000000001,${secret}\n`))).code, 0);
    assert.equal((await cli('token', 'import', writeFile(dir, 'o.csv', `8000000000002,${otherSecret}\n`), '--account', 'acme')).code, 0);
    for (const name of ['alice', 'bob']) assert.equal((await cli('user', 'create', name, '--password', PASSWORD)).code, 0);
    for (const name of ['carol', 'dave']) assert.equal((await cli('user', 'create', name, '--password', PASSWORD, '--account', 'acme')).code, 0);
    assert.equal((await cli('token', 'associate', 'alice', '8000000000001', oathCode(secret, 0))).code, 0);
    assert.equal((await cli('token', 'associate', 'carol', '8000000000002', oathCode(otherSecret, 0), '--account', 'acme')).code, 0);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('a token already associated names its user, within the account only', async () => {
    const taken = await cli('token', 'associate', 'bob', '8000000000001', oathCode(secret, 1));
    assert.equal(taken.code, 1);
    assert.match(taken.stderr, /^otpgate: token 8000000000001 is already associated with "alice"$/m);
    // acme's token, asked from the default account: not found, and its user is not named.
    const foreign = await cli('token', 'associate', 'bob', '8000000000002', oathCode(otherSecret, 1));
    assert.equal(foreign.code, 1);
    assert.match(foreign.stderr, /no token 8000000000002 in account "default"/);
    assert.doesNotMatch(foreign.stderr, /carol/);
    const inAcme = await cli('token', 'associate', 'dave', '8000000000002', oathCode(otherSecret, 1), '--account', 'acme');
    assert.match(inAcme.stderr, /already associated with "carol"/);
  });

  it('restriction set counts rules from 1 and takes require-otp', async () => {
    const bad = await cli('restriction', 'set', 'bob', '--default', 'allow', '--rule', '10.0.0.0/8=allow', '--rule', '10.0.0.0/33=deny', '--rule', '192.0.2.0/24=maybe');
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /rule 2 \(network\): /);
    assert.match(bad.stderr, /rule 3 \(action\): unknown action "maybe"/);
    assert.doesNotMatch(bad.stderr, /rules\[|rule 0/);
    const twice = await cli('restriction', 'set', 'bob', '--default', 'allow', '--rule', '10.0.0.0/8=allow', '--rule', '10.0.0.0/8=deny');
    assert.match(twice.stderr, /rule 2 \(network\): 10\.0\.0\.0\/8 is already used by rule 1/);
    const shape = await cli('restriction', 'set', 'bob', '--default', 'allow', '--rule', '10.0.0.0/8=allow', '--rule', '192.0.2.0/24');
    assert.equal(shape.code, 2);
    assert.match(shape.stderr, /rule 2: --rule takes CIDR=ACTION/);
    const set = await cli('restriction', 'set', 'alice', '--default', 'require-otp', '--rule', '192.0.2.0/24=deny', '--rule', '198.51.100.0/24=require-otp', '--json');
    assert.equal(set.code, 0, set.stderr);
    const view = JSON.parse(set.stdout) as { default: string; rules: { cidr: string; action: string }[] };
    assert.deepEqual([view.default, view.rules.map((r) => r.action)], ['require_otp', ['deny', 'require_otp']]);
    const check = await cli('check', 'alice', '--password', PASSWORD, '--ip', '198.51.100.7');
    assert.deepEqual([check.code, check.stdout], [1, 'otp_required\n']);
  });

  it('a CSV line without a secret, and a semicolon-separated file, say what is wrong', async () => {
    const cases: [string, RegExp][] = [
      [`8000000000010,${randomSecretHex()}\n8000000000011\n`, /line 2: missing secret \(column 2\); nothing was imported/],
      [`8000000000012, ,hotp\n`, /line 1: missing secret \(column 2\)/],
      [`,${randomSecretHex()}\n`, /line 1: missing serial \(column 1\)/],
      [`serial;secret\n8000000000013;${randomSecretHex()}\n`, /line 1: the columns must be comma-separated \(this line uses semicolons\)/],
      [`8000000000014\t${randomSecretHex()}\n`, /line 1: the columns must be comma-separated \(this line uses tabs\)/],
    ];
    for (const [i, [text, message]] of cases.entries()) {
      const result = await cli('token', 'import', writeFile(dir, `bad-${i}.csv`, text), '--format', 'csv');
      assert.equal(result.code, 1, text);
      assert.match(result.stderr, message, text);
    }
    const list = JSON.parse((await cli('token', 'list', '--json')).stdout) as unknown[];
    assert.equal(list.length, 1, 'nothing was imported');
  });
});
