// SQLite's log checkpoints run in a worker thread while a server runs (store/sqlite/wal-checkpointer.ts):
// the server's own connection never checkpoints (so no sign-in's commit carries a checkpoint's copy and
// fsync), the worker keeps the log short, and when the worker stops the connection checkpoints again.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { sql } from 'kysely';
import { openDatabase, type DatabaseHandle } from '../../src/store/database.js';
import { rawDriverOf } from '../../src/store/raw-statements.js';
import { startBackgroundCheckpoints } from '../../src/store/sqlite/wal-checkpointer.js';
import { makeTempDir } from '../helpers/temp-dir.js';

let dir: string;
let handle: DatabaseHandle;

before(async () => {
  dir = makeTempDir('otpgate-wal-');
  handle = openDatabase({ sqlitePath: join(dir, 'otpgate.db') });
  await sql`CREATE TABLE filler (id INTEGER PRIMARY KEY, body TEXT NOT NULL)`.execute(handle.db);
});
after(async () => {
  await handle?.close();
  rmSync(dir, { recursive: true, force: true });
});

function connection() {
  const driver = rawDriverOf(handle.db);
  if (driver.engine !== 'sqlite') throw new Error('expected SQLite');
  return driver.connection;
}

/** Frames now in the log (a passive checkpoint's `log` column); it checkpoints what it can as it asks. */
function framesInLog(): number {
  return (connection().pragma('wal_checkpoint(PASSIVE)') as { log: number }[])[0]!.log;
}

/** Many small transactions (each adds log frames), spread over `ms` so the worker's interval passes several times. */
async function writeFor(ms: number): Promise<number> {
  const insert = connection().prepare('INSERT INTO filler (body) VALUES (?)');
  const until = Date.now() + ms;
  let commits = 0;
  while (Date.now() < until) {
    for (let i = 0; i < 50; i++, commits++) insert.run('x'.repeat(3000));
    await sleep(5);
  }
  return commits;
}

test('while it runs, the connection does not checkpoint and the worker keeps the log short', async () => {
  const errors: Error[] = [];
  const checkpoints = startBackgroundCheckpoints(handle.db, (error) => errors.push(error));
  try {
    assert.equal(connection().pragma('wal_autocheckpoint', { simple: true }), 0);
    const commits = await writeFor(1500);
    // Each commit wrote at least one 4 KiB page: left alone, the log would hold every one of them.
    assert.ok(commits > 1000, `only ${commits} commits`);
    await sleep(600);
    // The worker checkpointed everything; the next write starts the log over.
    connection().prepare('INSERT INTO filler (body) VALUES (?)').run('after');
    const frames = framesInLog();
    assert.ok(frames < 50, `${frames} frames in the log after ${commits} commits: the worker did not checkpoint`);
    assert.deepEqual(errors, []);
  } finally {
    await checkpoints.stop();
  }
  // Stopped: the connection's automatic checkpoint is back.
  assert.equal(connection().pragma('wal_autocheckpoint', { simple: true }), 1000);
});

test('without the worker (the control): with automatic checkpoints off, the log keeps every commit', async () => {
  connection().pragma('wal_autocheckpoint = 0');
  try {
    framesInLog(); // checkpoints everything: the next write starts the log over
    const commits = await writeFor(300);
    const frames = framesInLog();
    assert.ok(frames >= commits, `${frames} frames after ${commits} commits: the log should hold a frame per commit when nothing checkpoints it`);
  } finally {
    connection().pragma('wal_autocheckpoint = 1000');
  }
});
