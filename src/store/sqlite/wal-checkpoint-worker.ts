// The worker thread of wal-checkpointer.ts: its own connection to the database file, a passive checkpoint
// at a fixed interval. A passive checkpoint copies what no reader still needs and returns at once when the
// writer holds a lock it would need, so the request thread never waits for it.
import { workerData } from 'node:worker_threads';
import SQLite from 'better-sqlite3';

export interface CheckpointJob {
  path: string;
  everyMs: number;
}

const job = workerData as CheckpointJob;
const connection = new SQLite(job.path, { fileMustExist: true });
connection.pragma('busy_timeout = 0');
// The file is already in WAL mode (set by the server's connection); checkpoints fsync as it does.
connection.pragma('synchronous = NORMAL');
const checkpoint = connection.prepare('PRAGMA wal_checkpoint(PASSIVE)');
setInterval(() => {
  try {
    checkpoint.run();
  } catch (error) {
    // SQLITE_BUSY: another connection is checkpointing (a CLI command's own automatic checkpoint); next time.
    if ((error as { code?: string }).code !== 'SQLITE_BUSY') throw error;
  }
}, job.everyMs);
