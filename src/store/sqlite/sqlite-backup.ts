// A consistent copy of the SQLite database while it is in use (SQLite's online backup API, through
// better-sqlite3), and the checks and the swap of a restore.
import { chmodSync, closeSync, existsSync, openSync, renameSync, rmSync } from 'node:fs';
import type { Kysely } from 'kysely';
import SQLite from 'better-sqlite3';
import { rawDriverOf } from '../raw-statements.js';
import type { Database } from '../schema.js';

/** Copies the open database to `file` (mode 0600) page by page; other connections go on meanwhile. */
export async function backupSqlite(db: Kysely<Database>, file: string, onProgress?: (done: number, total: number) => void): Promise<{ pages: number }> {
  const driver = rawDriverOf(db);
  if (driver.engine !== 'sqlite') throw new Error('backupSqlite needs a SQLite database');
  // The copy holds sealed secrets and password hashes: owner only from the first byte.
  closeSync(openSync(file, 'w', 0o600));
  chmodSync(file, 0o600);
  const result = await driver.connection.backup(file, {
    progress: ({ totalPages, remainingPages }) => {
      onProgress?.(totalPages - remainingPages, totalPages);
      return 200;
    },
  });
  return { pages: result.totalPages };
}

/** What a restore checks of a backup file before anything is replaced. */
export interface BackupFacts {
  /** `PRAGMA integrity_check`'s answer: 'ok' for a sound file. */
  integrity: string;
  /** The master-key check value the backup was sealed under, or null when it has none (not an otpgate database). */
  keyCheck: string | null;
}

export function inspectSqliteBackup(file: string): BackupFacts {
  const connection = new SQLite(file, { readonly: true, fileMustExist: true });
  try {
    const integrity = String(connection.pragma('integrity_check', { simple: true }));
    const hasMeta = connection.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'meta'").get() !== undefined;
    const row = hasMeta ? (connection.prepare("SELECT value FROM meta WHERE key = 'master_key_check'").get() as { value: string } | undefined) : undefined;
    return { integrity, keyCheck: row?.value ?? null };
  } finally {
    connection.close();
  }
}

/**
 * Puts a copy of `file` in place of the database at `target` (which must not be in use): copied beside it
 * first (mode 0600), then renamed over it, and the old -wal and -shm files removed, so a failure midway
 * leaves the old database as it was.
 */
export async function replaceSqliteDatabase(file: string, target: string): Promise<void> {
  const staging = `${target}.restoring`;
  rmSync(staging, { force: true });
  closeSync(openSync(staging, 'w', 0o600));
  const source = new SQLite(file, { readonly: true, fileMustExist: true });
  try {
    await source.backup(staging);
  } finally {
    source.close();
  }
  chmodSync(staging, 0o600);
  for (const side of [`${target}-wal`, `${target}-shm`]) if (existsSync(side)) rmSync(side);
  renameSync(staging, target);
}
