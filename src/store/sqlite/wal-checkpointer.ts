// Checkpoints of SQLite's write-ahead log, off the request thread. SQLite copies the log back into the
// database (and, with synchronous=NORMAL, fsyncs both) inside whichever commit crosses wal_autocheckpoint:
// that commit, and every request waiting on the event loop behind it, then takes milliseconds (12 ms at the
// 99th percentile of commits, up to 140 ms, measured under sign-in load). A long-running server turns the
// automatic checkpoint off on its connection and lets a worker thread, with a connection of its own, run a
// passive checkpoint (it never waits for, nor blocks, the writer) every CHECKPOINT_EVERY_MS. If the worker
// stops, the automatic checkpoint is switched back on, so the log cannot grow without bound.
import { Worker } from 'node:worker_threads';
import type { Kysely } from 'kysely';
import { rawDriverOf } from '../raw-statements.js';
import type { Database } from '../schema.js';
import type { CheckpointJob } from './wal-checkpoint-worker.js';

/** How often the worker checkpoints; at sign-in load the log gains a few hundred pages per second. */
const CHECKPOINT_EVERY_MS = 200;
/** SQLite's own default, restored when the worker stops. */
const AUTOCHECKPOINT_PAGES = 1000;

export interface BackgroundCheckpoints {
  /** Stops the worker (after its checkpoint in progress) and gives checkpoints back to the connection. */
  stop(): Promise<void>;
}

// Built, the worker is wal-checkpoint-worker.js beside this file; under tsx (tests) both are .ts files, and
// a worker does not inherit tsx's loader: it registers it, then imports.
function startWorker(job: CheckpointJob): Worker {
  if (!import.meta.url.endsWith('.ts')) return new Worker(new URL('./wal-checkpoint-worker.js', import.meta.url), { workerData: job });
  const source = new URL('./wal-checkpoint-worker.ts', import.meta.url).href;
  const boot = `import('tsx/esm/api').then(({ register }) => { register(); return import(${JSON.stringify(source)}); });`;
  return new Worker(boot, { eval: true, workerData: job });
}

/** Moves the SQLite database's checkpoints to a worker thread; on PostgreSQL does nothing. */
export function startBackgroundCheckpoints(db: Kysely<Database>, onError: (error: Error) => void): BackgroundCheckpoints {
  const driver = rawDriverOf(db);
  if (driver.engine !== 'sqlite' || driver.connection.memory) return { stop: () => Promise.resolve() };
  const { connection } = driver;
  const worker = startWorker({ path: connection.name, everyMs: CHECKPOINT_EVERY_MS });
  worker.unref();
  connection.pragma('wal_autocheckpoint = 0');
  let running = true;
  const giveBack = (): void => {
    if (!running) return;
    running = false;
    if (connection.open) connection.pragma(`wal_autocheckpoint = ${AUTOCHECKPOINT_PAGES}`);
  };
  worker.on('error', (error) => {
    giveBack();
    onError(error);
  });
  worker.on('exit', giveBack);
  return {
    async stop() {
      giveBack();
      await worker.terminate();
    },
  };
}
