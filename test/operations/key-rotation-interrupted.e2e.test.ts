// Property: a key rotation stopped between putting the new key in place and its commit (the process killed
// there: the data still sealed under the old key, which the rotation had moved to `master.key.before-*`)
// is named for what it is: the next command's error names that kept file and how to put it back, and once
// it is back, the installation opens as before. (The files are left here exactly as the rotation's swap
// leaves them, runtime/key-rotation.ts; the window between the swap and the commit is too short to hit
// with a signal.)
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { renameSync, writeFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { runCli } from '../helpers/cli.js';
import { testEnv } from '../helpers/app.js';
import { makeTempDir } from '../helpers/temp-dir.js';

let root: string;
let env: Record<string, string>;

before(async () => {
  root = makeTempDir('otpgate-rotate-killed-');
  env = testEnv(join(root, 'data'));
  assert.equal((await runCli(['init'], env)).code, 0);
});

after(() => rm(root, { recursive: true, force: true }));

test('the next command names the kept master.key.before-* file that still opens the database', async () => {
  const keyFile = join(root, 'data', 'master.key');
  const kept = `${keyFile}.before-2026-12-07T19-00-00-000Z`;
  // Another kept key from an earlier, committed rotation: it does not open this database.
  writeFileSync(`${keyFile}.before-2026-01-01T00-00-00-000Z`, `${randomBytes(32).toString('base64')}\n`, { mode: 0o600 });
  renameSync(keyFile, kept);
  writeFileSync(keyFile, `${randomBytes(32).toString('base64')}\n`, { mode: 0o600 });
  const result = await runCli(['user', 'list'], env);
  assert.equal(result.code, 1);
  assert.equal(
    result.stderr,
    `otpgate: the master key ${keyFile} is not the key this database is sealed under, but ${kept} is: a key rotation stopped before it committed. Put that key back (mv ${kept} ${keyFile}) and run the rotation again — nothing was changed\n`,
  );
  renameSync(kept, keyFile);
  const again = await runCli(['user', 'list'], env);
  assert.equal(again.code, 0, again.stderr);
});
