// The embedded engine: one SQLite file in WAL mode, shared safely by the server and CLI processes.
import SQLite from 'better-sqlite3';
import { Kysely, SqliteDialect } from 'kysely';
import type { ColumnTypes } from '../column-types.js';
import type { Database } from '../schema.js';

export const SQLITE_COLUMN_TYPES: ColumnTypes = {
  id: { type: 'integer', primaryKey: (c) => c.primaryKey().autoIncrement() },
  bigint: 'integer',
  bytes: 'blob',
};

export function openSqlite(path: string): Kysely<Database> {
  const connection = new SQLite(path);
  // WAL lets readers run beside one writer; busy_timeout makes a writer wait for another process's
  // transaction instead of failing at once.
  connection.pragma('journal_mode = WAL');
  connection.pragma('busy_timeout = 5000');
  connection.pragma('foreign_keys = ON');
  connection.pragma('synchronous = NORMAL');
  return new Kysely<Database>({ dialect: new SqliteDialect({ database: connection }) });
}
