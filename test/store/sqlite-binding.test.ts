// Property: the better-sqlite3 native module this suite runs on is not one that aborts the process when a
// statement is garbage-collected (built against Node 24.19+ headers, issue 18), and such a module is
// recognised, so that otpgate refuses to open a database with it instead of aborting at random later.
import { strict as assert } from 'node:assert';
import { copyFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { sqliteBindingPath, sqliteBindingProblem } from '../../src/store/sqlite/native-binding.js';
import { makeTempDir } from '../helpers/temp-dir.js';

test(`the better-sqlite3 binary in use has no per-object cleanup hook (Node ${process.version})`, () => {
  assert.equal(sqliteBindingProblem(), null);
});

test('a binary that imports node::RemoveEnvironmentCleanupHook is refused, with what to do', () => {
  const dir = makeTempDir('otpgate-binding-');
  try {
    const good = join(dir, 'good.node');
    copyFileSync(sqliteBindingPath(), good);
    assert.equal(sqliteBindingProblem(good), null);
    // The symbol as an ELF build of better-sqlite3 against 24.19+ headers names it in its dynamic symbol table.
    const bad = join(dir, 'bad.node');
    writeFileSync(bad, Buffer.concat([Buffer.from('\x7fELF'), Buffer.alloc(64), Buffer.from('_ZN4node28RemoveEnvironmentCleanupHookEPN2v87IsolateEPFvPvES3_\0')]));
    assert.match(sqliteBindingProblem(bad) ?? '', /built against Node\.js headers \(24\.19 or later\).*npm rebuild better-sqlite3/);
    assert.equal(sqliteBindingProblem(join(dir, 'missing.node')), null);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
