// Property: `otpgate backup FILE` writes a new file of its own and nothing else. An existing FILE is
// refused (kept as it was, with its owner and mode) unless --force, which replaces it with a new 0600 file;
// a symbolic link planted at FILE is refused, never followed, with or without --force; a directory gets a
// sentence, not a raw EISDIR; no partial file is left beside the target.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, lstatSync, mkdirSync, readFileSync, readdirSync, readlinkSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { runCli } from '../helpers/cli.js';
import { testEnv } from '../helpers/app.js';
import { makeTempDir } from '../helpers/temp-dir.js';

let root: string;
let env: Record<string, string>;
let out: string;
const cli = (args: string[]) => runCli(args, env);

before(async () => {
  root = makeTempDir('otpgate-backup-target-');
  env = testEnv(join(root, 'live'));
  assert.equal((await cli(['init'])).code, 0);
  out = join(root, 'out');
  mkdirSync(out);
});

after(() => rm(root, { recursive: true, force: true }));

const SQLITE_HEADER = 'SQLite format 3\0';

function assertNoPartialFiles(): void {
  assert.deepEqual(readdirSync(out).filter((f) => f.includes('.partial')), [], 'no partial copy left beside the target');
}

test('an existing file is refused and kept as it was; --force replaces it with a new owner-only file', async () => {
  const file = join(out, 'existing.db');
  writeFileSync(file, 'somebody else\'s file\n');
  chmodSync(file, 0o644);
  const refused = await cli(['backup', file]);
  assert.equal(readFileSync(file, 'utf8'), 'somebody else\'s file\n', 'the existing file is untouched');
  assert.equal(statSync(file).mode & 0o777, 0o644);
  assert.equal(refused.code, 1);
  assert.equal(refused.stderr, `otpgate: ${file} exists; give a new name, or --force to replace it\n`);
  assertNoPartialFiles();
  const forced = await cli(['backup', file, '--force']);
  assert.equal(forced.code, 0, forced.stderr);
  assert.equal(readFileSync(file).subarray(0, 16).toString('latin1'), SQLITE_HEADER);
  assert.equal(statSync(file).mode & 0o777, 0o600, 'a new file, owner only, not the old one written through');
  assertNoPartialFiles();
});

test('a planted symbolic link is refused and never followed, even with --force', async () => {
  const victim = join(root, 'victim.txt');
  writeFileSync(victim, 'keep me\n');
  const link = join(out, 'link.db');
  symlinkSync(victim, link);
  for (const args of [['backup', link], ['backup', link, '--force']]) {
    const result = await cli(args);
    assert.equal(readFileSync(victim, 'utf8'), 'keep me\n', 'the link target is untouched');
    assert.ok(lstatSync(link).isSymbolicLink() && readlinkSync(link) === victim, 'the link is left as it was');
    assert.equal(result.code, 1);
    assert.equal(result.stderr, `otpgate: ${link} is a symbolic link: a backup is never written through one; give another name\n`);
  }
  // A dangling link too: creating the file through it would put the copy wherever it points.
  const dangling = join(out, 'dangling.db');
  symlinkSync(join(root, 'nowhere.db'), dangling);
  assert.equal((await cli(['backup', dangling])).code, 1);
  assert.throws(() => statSync(join(root, 'nowhere.db')), /ENOENT/);
  assertNoPartialFiles();
});

test('a directory is named as such, not a raw EISDIR', async () => {
  const result = await cli(['backup', out]);
  assert.equal(result.code, 1);
  assert.equal(result.stderr, `otpgate: ${out} is a directory: give the backup's file name, e.g. ${join(out, 'otpgate-backup.db')}\n`);
  assert.doesNotMatch(result.stderr, /EISDIR/);
  assertNoPartialFiles();
});

test('a new name is written (mode 0600) and is a SQLite database', async () => {
  const file = join(out, 'new.db');
  const result = await cli(['backup', file]);
  assert.equal(result.code, 0, result.stderr);
  assert.equal(statSync(file).mode & 0o777, 0o600);
  assert.equal(readFileSync(file).subarray(0, 16).toString('latin1'), SQLITE_HEADER);
  assertNoPartialFiles();
});
