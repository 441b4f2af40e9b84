// A consistent copy of the SQLite database while it is in use (SQLite's online backup API, through
// better-sqlite3), and the checks and the swap of a restore.
import { randomBytes } from 'node:crypto';
import { chmodSync, closeSync, existsSync, fstatSync, linkSync, lstatSync, openSync, renameSync, rmSync, type Stats } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import type { Kysely } from 'kysely';
import SQLite from 'better-sqlite3';
import { rawDriverOf } from '../raw-statements.js';
import type { Database } from '../schema.js';

/** A backup target that cannot be written: the message says why, and nothing was written. */
export class BackupTargetError extends Error {
  override name = 'BackupTargetError';
}

function lstatOrNull(path: string): Stats | null {
  try {
    return lstatSync(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
}

/**
 * Copies the open database to `file` (mode 0600) page by page; other connections go on meanwhile. The copy
 * is written to a new file of a random name beside `file`, created exclusively (never through a file or
 * link someone put there), and then linked in as `file`: an existing `file` is refused unless `replace`,
 * and then replaced by the rename (a symbolic link at `file` is always refused, never followed).
 */
export async function backupSqlite(db: Kysely<Database>, file: string, options: { replace?: boolean; onProgress?: (done: number, total: number) => void } = {}): Promise<{ pages: number }> {
  const driver = rawDriverOf(db);
  if (driver.engine !== 'sqlite') throw new Error('backupSqlite needs a SQLite database');
  const existing = lstatOrNull(file);
  if (existing?.isDirectory()) throw new BackupTargetError(`${file} is a directory: give the backup's file name, e.g. ${join(file, 'otpgate-backup.db')}`);
  if (existing?.isSymbolicLink()) throw new BackupTargetError(`${file} is a symbolic link: a backup is never written through one; give another name`);
  if (existing && !existing.isFile()) throw new BackupTargetError(`${file} exists and is not a regular file; give another name`);
  if (existing && !options.replace) throw new BackupTargetError(`${file} exists; give a new name, or --force to replace it`);
  const staging = join(dirname(file), `.${basename(file)}.${randomBytes(8).toString('hex')}.partial`);
  // O_CREAT|O_EXCL: a new file of our own (an existing name, or a link, fails). The copy holds sealed
  // secrets and password hashes: owner only from the first byte.
  let fd: number;
  try {
    fd = openSync(staging, 'wx', 0o600);
  } catch (error) {
    throw new BackupTargetError(`cannot write in ${dirname(file)}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
  }
  try {
    const result = await driver.connection.backup(staging, {
      progress: ({ totalPages, remainingPages }) => {
        options.onProgress?.(totalPages - remainingPages, totalPages);
        return 200;
      },
    });
    // SQLite opened the copy by its name: it must still be the file created above.
    const written = lstatSync(staging);
    if (!written.isFile() || written.ino !== fstatSync(fd).ino) throw new BackupTargetError(`${staging} was replaced while the backup was written; nothing was kept`);
    chmodSync(staging, 0o600);
    if (options.replace) renameSync(staging, file);
    else {
      try {
        linkSync(staging, file);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'EEXIST') throw new BackupTargetError(`${file} appeared while the backup was written; give a new name, or --force to replace it`);
        throw error;
      }
    }
    return { pages: result.totalPages };
  } finally {
    closeSync(fd);
    rmSync(staging, { force: true });
  }
}

/** One schema object (table, index, trigger, view) as SQLite keeps it. */
export interface SchemaObject {
  type: string;
  name: string;
  table: string;
  sql: string | null;
}

/** What a restore checks of a backup file before anything is replaced. */
export interface BackupFacts {
  /** `PRAGMA integrity_check`'s answer: 'ok' for a sound file. */
  integrity: string;
  /** The master-key check value the backup was sealed under, or null when it has none (not an otpgate database). */
  keyCheck: string | null;
  /** The names of the migrations applied to it, oldest first (empty without the migrations table). */
  migrations: string[];
  /** Every table, index, trigger and view in it, SQLite's own bookkeeping left out. */
  objects: SchemaObject[];
}

/** SQLite's own tables and the indexes it makes for UNIQUE and PRIMARY KEY (no SQL of their own). */
function isSqliteBookkeeping(o: SchemaObject): boolean {
  if (o.type === 'table') return /^sqlite_(sequence|stat[1-4])$/.test(o.name);
  return o.type === 'index' && o.sql === null && o.name.startsWith('sqlite_autoindex_');
}

function schemaObjectsOf(connection: SQLite.Database): SchemaObject[] {
  const rows = connection.prepare('SELECT type, name, tbl_name AS "table", sql FROM sqlite_master ORDER BY type, name').all() as SchemaObject[];
  return rows.filter((o) => !isSqliteBookkeeping(o));
}

export function inspectSqliteBackup(file: string, migrationTable: string): BackupFacts {
  const connection = new SQLite(file, { readonly: true, fileMustExist: true });
  try {
    const integrity = String(connection.pragma('integrity_check', { simple: true }));
    const objects = schemaObjectsOf(connection);
    const hasTable = (name: string) => objects.some((o) => o.type === 'table' && o.name === name);
    const row = hasTable('meta') ? (connection.prepare("SELECT value FROM meta WHERE key = 'master_key_check'").get() as { value: string } | undefined) : undefined;
    const migrations = hasTable(migrationTable) ? (connection.prepare(`SELECT name FROM "${migrationTable}" ORDER BY name`).all() as { name: string }[]).map((r) => r.name) : [];
    return { integrity, keyCheck: row?.value ?? null, migrations, objects };
  } finally {
    connection.close();
  }
}

/** The schema objects of a SQLite file (a reference schema built by the migrations). */
export function sqliteSchemaObjects(file: string): SchemaObject[] {
  const connection = new SQLite(file, { readonly: true, fileMustExist: true });
  try {
    return schemaObjectsOf(connection);
  } finally {
    connection.close();
  }
}

/** The leases in a SQLite database file whose name starts with `prefix` and that have not expired at `now`. */
export function liveLeasesIn(file: string, prefix: string, now: number): { name: string; holder: string; expiresAt: number }[] {
  const connection = new SQLite(file, { readonly: true, fileMustExist: true });
  try {
    connection.pragma('busy_timeout = 5000');
    const hasLeases = connection.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'leases'").get() !== undefined;
    if (!hasLeases) return [];
    const rows = connection.prepare('SELECT name, holder, expires_at AS expiresAt FROM leases WHERE substr(name, 1, ?) = ? AND expires_at > ?').all(prefix.length, prefix, now);
    return rows as { name: string; holder: string; expiresAt: number }[];
  } finally {
    connection.close();
  }
}

/** Copies `file` to `staging` (mode 0600, a fresh file) with SQLite's backup API: a whole, consistent copy. */
export async function copySqliteDatabase(file: string, staging: string): Promise<void> {
  rmSync(staging, { force: true });
  closeSync(openSync(staging, 'wx', 0o600));
  const source = new SQLite(file, { readonly: true, fileMustExist: true });
  try {
    await source.backup(staging);
  } finally {
    source.close();
  }
  chmodSync(staging, 0o600);
}

/** The -wal and -shm files beside a SQLite database. */
export function sideFilesOf(path: string): string[] {
  return [`${path}-wal`, `${path}-shm`];
}

/**
 * Folds the write-ahead log into the database file and removes it, so that the file alone is the whole
 * database (before it is moved aside). Nothing else may have it open.
 */
export function foldSqliteLog(path: string): void {
  const connection = new SQLite(path, { fileMustExist: true });
  try {
    connection.pragma('busy_timeout = 5000');
    connection.pragma('wal_checkpoint(TRUNCATE)');
  } finally {
    connection.close();
  }
  for (const side of sideFilesOf(path)) if (existsSync(side)) rmSync(side);
}
