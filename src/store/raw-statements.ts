// The hot path's statements, prepared once on the engine's own driver (better-sqlite3's `prepare`,
// node-postgres's named statements) instead of built and compiled by Kysely on every call. The rest of
// the store uses Kysely; these few run per sign-in check. Only the store sees them.
import type SQLite from 'better-sqlite3';
import type pg from 'pg';
import type { Kysely } from 'kysely';
import type { Database } from './schema.js';

export type RawDriver = { engine: 'sqlite'; connection: SQLite.Database } | { engine: 'postgres'; pool: pg.Pool };

const drivers = new WeakMap<Kysely<Database>, RawDriver>();

/** Called by the engine's opener: the Kysely instance and the driver connection(s) beneath it. */
export function registerRawDriver(db: Kysely<Database>, driver: RawDriver): void {
  drivers.set(db, driver);
}

export function rawDriverOf(db: Kysely<Database>): RawDriver {
  const driver = drivers.get(db);
  if (!driver) throw new Error('database opened without its driver registered (open it with openDatabase)');
  return driver;
}

/** One statement in both engines' spellings: written with `?` placeholders, numbered for PostgreSQL. */
export interface RawStatement {
  /** The PostgreSQL prepared statement's name (unique per text). */
  name: string;
  sqlite: string;
  postgres: string;
  /** Rows come as arrays of values in the select list's order, not objects (no property names to build). */
  arrays?: boolean;
}

const names = new Set<string>();

export function statement(name: string, text: string): RawStatement {
  if (names.has(name)) throw new Error(`statement ${name} defined twice`);
  names.add(name);
  let n = 0;
  return { name: `otpgate_${name}`, sqlite: text, postgres: text.replace(/\?/g, () => `$${++n}`) };
}

/** A statement already in each engine's spelling (compiled once by Kysely for its dialect). */
export function compiledStatement(name: string, text: string, options: { arrays?: boolean } = {}): RawStatement {
  return { name: `otpgate_${name}`, sqlite: text, postgres: text, ...options };
}

// Per connection, each statement prepared once, found by the statement object itself (hashing a long
// SQL text on every call cost more than running a small statement).
const prepared = new WeakMap<SQLite.Database, Map<RawStatement, SQLite.Statement>>();

function sqliteStatement(connection: SQLite.Database, s: RawStatement): SQLite.Statement {
  let cache = prepared.get(connection);
  if (!cache) prepared.set(connection, (cache = new Map<RawStatement, SQLite.Statement>()));
  let statement = cache.get(s);
  if (!statement) {
    statement = connection.prepare(s.sqlite);
    if (s.arrays) statement.raw(true);
    cache.set(s, statement);
  }
  return statement;
}

export interface RawResult<R> {
  rows: R[];
  /** Rows changed by an INSERT, UPDATE or DELETE (for one with RETURNING: the rows returned). */
  changes: number;
}

/** Runs a statement on a SQLite connection at once (synchronously). */
export function runSqlite<R>(connection: SQLite.Database, s: RawStatement, params: readonly unknown[]): RawResult<R> {
  const prepared = sqliteStatement(connection, s);
  if (prepared.reader) {
    const rows = prepared.all(...params) as R[];
    return { rows, changes: rows.length };
  }
  return { rows: [], changes: prepared.run(...params).changes };
}

/** Runs a named prepared statement on a PostgreSQL client or the pool. */
export async function runPostgres<R>(client: pg.Pool | pg.PoolClient, s: RawStatement, params: readonly unknown[]): Promise<RawResult<R>> {
  const result = await client.query<R & pg.QueryResultRow>({ name: s.name, text: s.postgres, values: params as unknown[], ...(s.arrays ? { rowMode: 'array' } : {}) });
  return { rows: result.rows, changes: result.rowCount ?? result.rows.length };
}

/** Runs one statement outside any transaction: a read of the hot path. */
export async function runRaw<R>(db: Kysely<Database>, s: RawStatement, params: readonly unknown[]): Promise<RawResult<R>> {
  const driver = rawDriverOf(db);
  if (driver.engine === 'postgres') return runPostgres<R>(driver.pool, s, params);
  // Kysely holds the one SQLite connection across the awaits of its transactions: a statement run on the
  // connection meanwhile would read (or write) inside that transaction. Then it waits its turn through Kysely.
  if (driver.connection.inTransaction) return db.connection().execute(() => Promise.resolve(runSqlite<R>(driver.connection, s, params)));
  return runSqlite<R>(driver.connection, s, params);
}

/** The statements of one transaction, on either engine. */
export interface RawTransaction {
  /** The engine beneath: a few batch statements are written once per engine (PostgreSQL's arrays). */
  readonly engine: RawDriver['engine'];
  run<R>(s: RawStatement, params: readonly unknown[]): Promise<RawResult<R>>;
}

const BEGIN_IMMEDIATE = statement('begin_immediate', 'BEGIN IMMEDIATE');
const COMMIT = statement('commit', 'COMMIT');
const ROLLBACK = statement('rollback', 'ROLLBACK');

/**
 * Runs `work` in one transaction on the engine's driver. SQLite: `BEGIN IMMEDIATE` takes the write lock
 * first (waiting busy_timeout for another process's writer), while this process's Kysely connection is
 * held, so no Kysely transaction of this process is open meanwhile. PostgreSQL: one client of the pool,
 * READ COMMITTED; a client whose connection failed is discarded, not returned to the pool.
 */
export async function inRawTransaction<T>(db: Kysely<Database>, work: (trx: RawTransaction) => Promise<T>): Promise<T> {
  const driver = rawDriverOf(db);
  if (driver.engine === 'sqlite') {
    const { connection } = driver;
    return db.connection().execute(async () => {
      runSqlite(connection, BEGIN_IMMEDIATE, []);
      try {
        const result = await work({ engine: 'sqlite', run: (s, params) => Promise.resolve(runSqlite(connection, s, params)) });
        runSqlite(connection, COMMIT, []);
        return result;
      } catch (error) {
        if (connection.inTransaction) runSqlite(connection, ROLLBACK, []);
        throw error;
      }
    });
  }
  const client = await driver.pool.connect();
  let broken: Error | undefined;
  try {
    await client.query('BEGIN');
    try {
      const result = await work({ engine: 'postgres', run: (s, params) => runPostgres(client, s, params) });
      await client.query('COMMIT');
      return result;
    } catch (error) {
      await client.query('ROLLBACK').catch((rollbackError: unknown) => {
        broken = rollbackError instanceof Error ? rollbackError : new Error('rollback failed');
      });
      throw error;
    }
  } catch (error) {
    broken ??= error instanceof Error && !('code' in error) ? error : undefined;
    throw error;
  } finally {
    client.release(broken);
  }
}
