// Property: the real `otpgate` answers `--help` on every command and subcommand (found by walking the help
// itself, so a new subcommand is covered without being listed here) with its usage on stdout and exit 0;
// `otpgate help TOPIC...` prints the same as `otpgate TOPIC... --help`; `--version` prints package.json's
// version; a usage error exits 2 with a message naming what was wrong and the command whose help to read.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, rmSync } from 'node:fs';
import { makeTempDir, testEnv } from '../helpers/installation.js';
import { runCli } from '../helpers/cli.js';

/** The command names listed under "Commands:" in a help text (without `help`). */
function subcommandsIn(help: string): string[] {
  const section = help.split(/^Commands:\n/m)[1];
  if (section === undefined) return [];
  const names: string[] = [];
  for (const line of section.split('\n')) {
    const match = /^ {2}([a-z][a-z-]*)(\|[a-z-]+)?\b/.exec(line);
    if (!match) {
      if (!line.startsWith(' ')) break;
      continue;
    }
    if (match[1] !== 'help') names.push(match[1]!);
  }
  return names;
}

describe('otpgate help and usage', () => {
  const dir = makeTempDir();
  const env = testEnv(dir);
  const cli = (...args: string[]) => runCli(args, env);
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('every command and subcommand answers --help with its usage and exit 0', async () => {
    const root = await cli('--help');
    assert.equal(root.code, 0, root.stderr);
    assert.match(root.stdout, /^Usage: otpgate /);
    const seen: string[] = [];
    let level = subcommandsIn(root.stdout).map((name) => [name]);
    for (const expected of ['init', 'serve', 'migrate', 'account', 'user', 'token', 'restriction', 'check', 'apikey', 'radius', 'audit', 'directory']) {
      assert.ok(level.some(([name]) => name === expected), `otpgate --help lists ${expected}`);
    }
    while (level.length > 0) {
      const next: string[][] = [];
      // A few at a time: the machine is shared.
      for (let i = 0; i < level.length; i += 4) {
        const batch = level.slice(i, i + 4);
        const results = await Promise.all(batch.map((path) => cli(...path, '--help')));
        batch.forEach((path, j) => {
          const result = results[j]!;
          const what = `otpgate ${path.join(' ')} --help`;
          assert.equal(result.code, 0, `${what}: ${result.stderr}`);
          assert.equal(result.stderr, '', what);
          // A command with an alias shows it: `Usage: otpgate apikey remove|revoke …`.
          assert.ok(new RegExp(`^Usage: otpgate ${path.join(' ')}(\\|[a-z-]+)? `).test(result.stdout), `${what}: ${result.stdout}`);
          assert.match(result.stdout, /-h, --help/, what);
          seen.push(path.join(' '));
          next.push(...subcommandsIn(result.stdout).map((name) => [...path, name]));
        });
      }
      level = next;
    }
    for (const leaf of ['token associate', 'token disassociate', 'user delete', 'restriction set', 'radius client add', 'apikey remove', 'directory sync', 'audit verify']) {
      assert.ok(seen.includes(leaf), `${leaf} was reached (seen: ${seen.join(', ')})`);
    }
    // The help names a subcommand's arguments and options.
    const associate = await cli('token', 'associate', '--help');
    assert.match(associate.stdout, /^Usage: otpgate token associate \[options\] <user> <serial> <otp>$/m);
    assert.match(associate.stdout, /--account <name>/);
    // `token --help` says what the operations are (not "seed operations", which reads as operations on seed files).
    const token = await cli('token', '--help');
    assert.doesNotMatch(token.stdout, /seed operations/);
    assert.match(token.stdout, /import, associate, re-sync,\s+disassociate/);
  });

  it('help TOPIC prints the help of that command; an unknown topic exits 2', async () => {
    for (const topic of [['token'], ['token', 'associate'], ['radius', 'client', 'add'], ['check']]) {
      const [viaHelp, viaFlag] = await Promise.all([cli('help', ...topic), cli(...topic, '--help')]);
      assert.equal(viaHelp.code, 0, viaHelp.stderr);
      assert.equal(viaHelp.stdout, viaFlag.stdout, `help ${topic.join(' ')}`);
    }
    const general = await cli('help');
    assert.equal(general.code, 0);
    assert.match(general.stdout, /^Usage: otpgate /);
    const unknown = await cli('help', 'token', 'frobnicate');
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /no command "token frobnicate"/);
    assert.match(unknown.stderr, /otpgate token --help/);
  });

  it('--version prints the version from package.json', async () => {
    const { version } = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
    for (const flag of ['--version', '-V']) {
      const result = await cli(flag);
      assert.deepEqual([result.code, result.stdout, result.stderr], [0, `${version}\n`, ''], flag);
    }
  });

  it('usage errors exit 2, say what was wrong and point at the command\'s help', async () => {
    const cases: [string[], RegExp][] = [
      [['token', 'associate', 'alice'], /missing required argument 'serial'/],
      [['token', 'show', 'a', 'b'], /too many arguments/],
      [['token', 'list', '--bogus'], /unknown option '--bogus'/],
      // A refused value: one sentence naming the option, what it takes and what was given (#29 item 15).
      [['token', 'list', '--status', 'lost'], /^otpgate: --status takes one of available, associated, locked, disabled, retired, not "lost"\n/],
      [['user', 'create', 'bob', '--role', 'root'], /^otpgate: --role takes one of admin, helpdesk, user, not "root"\n/],
      [['token', 'temp-code', 'alice', '--uses', '50'], /^otpgate: --uses takes a whole number from 1 to 10, not "50"\n/],
      [['token', 'set', '1', '--valid-until', 'soon'], /^otpgate: --valid-until takes a date and time \(ISO 8601, e\.g\. 2027-01-01T00:00:00Z\) or none, not "soon"\n/],
      [['radius', 'client', 'add', 'asa'], /required option '--ip <cidr>' not specified/],
      [['token', 'frobnicate'], /unknown command 'frobnicate'/],
    ];
    const results = await Promise.all(cases.map(([args]) => cli(...args)));
    cases.forEach(([args, message], i) => {
      const result = results[i]!;
      const what = args.join(' ');
      assert.equal(result.code, 2, what);
      assert.equal(result.stdout, '', what);
      assert.match(result.stderr, /^otpgate: /, what);
      assert.match(result.stderr, message, what);
    });
    assert.match(results[0]!.stderr, /run "otpgate token associate --help" for usage/);
    // Without a command: the general help, on stderr, exit 2.
    const bare = await cli();
    assert.equal(bare.code, 2);
    assert.match(bare.stderr, /^Usage: otpgate /);
  });
});
