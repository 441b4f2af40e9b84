// The embedded engine: one SQLite file in WAL mode, shared safely by the server and CLI processes.
import { chmodSync, closeSync, openSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import SQLite from 'better-sqlite3';
import { Kysely, SqliteDialect, type SqliteDatabase, type SqliteStatement } from 'kysely';
import type { ColumnTypes } from '../column-types.js';
import type { Database } from '../schema.js';
import { assertUsableSqliteBinding } from './native-binding.js';
import { registerRawDriver } from '../raw-statements.js';

export const SQLITE_COLUMN_TYPES: ColumnTypes = {
  id: { type: 'integer', primaryKey: (c) => c.primaryKey().autoIncrement() },
  bigint: 'integer',
  bytes: 'blob',
  engine: 'sqlite',
};

/** Statements kept prepared; the hot path uses about a dozen distinct ones. */
const STATEMENT_CACHE_SIZE = 256;
/** Longer SQL (multi-row inserts of an import) is prepared each time rather than kept. */
const CACHEABLE_SQL_LENGTH = 4096;

/**
 * Kysely's SQLite driver prepares every query afresh, which costs more than running a small one. This
 * keeps prepared statements by their SQL text (the values are bound per call, so reuse is safe), oldest
 * dropped first. A statement still busy iterating is never handed out twice: a fresh one is prepared.
 */
function withStatementCache(connection: SQLite.Database): SqliteDatabase {
  const cache = new Map<string, SQLite.Statement>();
  return {
    close: () => connection.close(),
    prepare(sql: string): SqliteStatement {
      const cached = cache.get(sql);
      if (cached && !cached.busy) return cached;
      const statement = connection.prepare(sql);
      if (!cached && sql.length <= CACHEABLE_SQL_LENGTH) {
        if (cache.size >= STATEMENT_CACHE_SIZE) cache.delete(cache.keys().next().value as string);
        cache.set(sql, statement);
      }
      return statement;
    },
  };
}

/** Sets the mode when group or others may access the file or directory; a file of another owner is left as it is. */
function tighten(path: string, mode: number): void {
  try {
    if ((statSync(path).mode & 0o077) !== 0) chmodSync(path, mode);
  } catch {
    // Missing (no -wal yet), or not ours to change: opening it reports what matters.
  }
}

/**
 * The database holds the sealed secrets, password hashes and the audit log: owner only, as the master key.
 * The file is created 0600 before SQLite opens it, since SQLite gives its -wal and -shm files the main
 * file's mode; files and a data directory from before are tightened (files 0600, directory 0700).
 */
function ownerOnly(path: string): void {
  closeSync(openSync(path, 'a', 0o600));
  tighten(dirname(path), 0o700);
  for (const file of [path, `${path}-wal`, `${path}-shm`]) tighten(file, 0o600);
}

export function openSqlite(path: string): Kysely<Database> {
  assertUsableSqliteBinding();
  ownerOnly(path);
  const connection = new SQLite(path);
  // WAL lets readers run beside one writer; busy_timeout makes a writer wait for another process's
  // transaction instead of failing at once.
  connection.pragma('journal_mode = WAL');
  connection.pragma('busy_timeout = 5000');
  connection.pragma('foreign_keys = ON');
  connection.pragma('synchronous = NORMAL');
  const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: withStatementCache(connection) }) });
  registerRawDriver(db, { engine: 'sqlite', connection });
  return db;
}
