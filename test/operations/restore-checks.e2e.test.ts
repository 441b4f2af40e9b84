// Property: `otpgate restore` never destroys the live database. Every crafted backup below is refused with
// the live database untouched — asserted FIRST, before the message, so that a check that goes missing is
// caught by the "untouched" assertion even when a later step would fail anyway: a backup from a newer
// schema (a migration this version does not know), one without the master-key check value, one carrying a
// counter-reset trigger, a view, or a table otpgate did not create. A backup that passes the checks but does
// not open is swapped back out, the previous database put back. Restore is refused while a real
// `otpgate serve` runs on the database, and goes ahead once it has stopped.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, existsSync, readdirSync, readFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import SQLite from 'better-sqlite3';
import { runCli } from '../helpers/cli.js';
import { serve, testEnv } from '../helpers/app.js';
import { makeTempDir } from '../helpers/temp-dir.js';

let root: string;
let env: Record<string, string>;
let live: string;
/** A sound backup of the live installation, before anything else happened. */
let good: string;
let liveBytes: Buffer;

const cli = (args: string[]) => runCli(args, env);

before(async () => {
  root = makeTempDir('otpgate-restore-');
  env = testEnv(join(root, 'live'));
  live = join(root, 'live', 'otpgate.db');
  assert.equal((await cli(['init'])).code, 0);
  good = join(root, 'good.db');
  assert.equal((await cli(['backup', good])).code, 0);
  // A change after the backup: a restore that went through would lose it.
  assert.equal((await cli(['user', 'create', 'after-backup', '--password', 'correct horse battery'])).code, 0);
  // Every command has exited, its log folded into the file: the file alone is the live database.
  liveBytes = readFileSync(live);
});

after(() => rm(root, { recursive: true, force: true }));

/** A copy of the good backup, changed by `craft` through SQLite itself. */
function crafted(name: string, craft: (db: SQLite.Database) => void): string {
  const file = join(root, `${name}.db`);
  copyFileSync(good, file);
  const db = new SQLite(file);
  try {
    craft(db);
  } finally {
    db.close();
  }
  return file;
}

function assertLiveUntouched(): void {
  assert.ok(existsSync(live), 'the live database is still there');
  assert.ok(readFileSync(live).equals(liveBytes), 'the live database is untouched');
  assert.deepEqual(
    readdirSync(join(root, 'live')).filter((f) => /restoring|before-restore/.test(f)),
    [],
    'no staging copy or kept previous file is left behind',
  );
}

async function refused(file: string, message: RegExp): Promise<void> {
  const result = await cli(['restore', file, '--yes']);
  assertLiveUntouched();
  assert.equal(result.code, 1, result.stdout);
  assert.match(result.stderr, message);
}

test('a backup from a newer schema is refused before anything is replaced', async () => {
  const newer = crafted('newer', (db) => db.prepare("INSERT INTO otpgate_migrations (name, timestamp) VALUES ('9999_from_the_future', '2027-01-01T00:00:00.000Z')").run());
  await refused(newer, /is from a newer otpgate \(its schema has 9999_from_the_future, which this version does not know\).*nothing was changed/);
});

test('a backup without the master-key check value is refused before anything is replaced', async () => {
  const keyless = crafted('keyless', (db) => db.prepare("DELETE FROM meta WHERE key = 'master_key_check'").run());
  await refused(keyless, /is not an otpgate database; nothing was changed/);
});

test('a backup carrying a counter-reset trigger is refused, naming it', async () => {
  const trigger = crafted('trigger', (db) => db.exec('CREATE TRIGGER keep_counter AFTER UPDATE OF counter ON tokens BEGIN UPDATE tokens SET counter = 0 WHERE id = new.id; END'));
  await refused(trigger, /holds schema objects otpgate did not create \(trigger keep_counter\); nothing was changed/);
});

test('a backup carrying a view, an extra table or a changed index is refused', async () => {
  await refused(crafted('view', (db) => db.exec('CREATE VIEW secrets AS SELECT serial, secret_sealed FROM tokens')), /did not create \(view secrets\)/);
  await refused(crafted('table', (db) => db.exec('CREATE TABLE extra (x)')), /did not create \(table extra\)/);
  const index = crafted('index', (db) => {
    const name = (db.prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL AND tbl_name = 'tokens' LIMIT 1").get() as { name: string }).name;
    db.exec(`DROP INDEX "${name}"`);
    db.exec(`CREATE INDEX "${name}" ON tokens (counter)`);
  });
  await refused(index, /did not create \(index /);
});

test('a backup that passes the checks but does not open is swapped out again: the previous database is put back', async () => {
  // The audit chain's sealed key garbled: the schema and the key check are right, opening it fails.
  const garbled = crafted('garbled', (db) => db.prepare("INSERT INTO meta (key, value) VALUES ('audit_chain_key', 'Z2FyYmxlZA==') ON CONFLICT (key) DO UPDATE SET value = excluded.value").run());
  await refused(garbled, /the restored database did not open \(.*\); the previous database was put back/);
  assert.match((await cli(['user', 'list'])).stdout, /after-backup/, 'the live database still opens, with what was written after the backup');
});

test('restore is refused while `otpgate serve` runs on the database, and goes ahead once it stopped', async () => {
  const server = await serve(env);
  let result;
  try {
    result = await cli(['restore', good, '--yes']);
  } finally {
    assert.equal(await server.stop(), 0);
  }
  assert.equal(result.code, 1, result.stdout);
  assert.match(result.stderr, /the database is in use by otpgate serve, pid \d+ on .*: stop the server first/);
  assert.match((await cli(['user', 'list'])).stdout, /after-backup/, 'the live database was not replaced');
  // Stopped: the mark is gone, and the good backup restores (what came after it is gone, as asked).
  const restored = await cli(['restore', good, '--yes']);
  assert.equal(restored.code, 0, restored.stderr);
  assert.doesNotMatch((await cli(['user', 'list'])).stdout, /after-backup/);
  assert.deepEqual(readdirSync(join(root, 'live')).filter((f) => /restoring|before-restore/.test(f)), [], 'the previous file is removed once the restored one opened');
});
