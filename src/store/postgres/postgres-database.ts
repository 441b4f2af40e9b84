// PostgreSQL for several instances behind a load balancer: a pg pool per process, and an advisory lock
// for the steps that only one instance may take at a time (migrating, initialising).
import pg from 'pg';
import { Kysely, PostgresDialect } from 'kysely';
import type { ColumnTypes } from '../column-types.js';
import type { Database } from '../schema.js';
import { registerRawDriver } from '../raw-statements.js';

export const POSTGRES_COLUMN_TYPES: ColumnTypes = {
  id: { type: 'bigserial', primaryKey: (c) => c.primaryKey() },
  bigint: 'bigint',
  bytes: 'bytea',
  engine: 'postgres',
};

// Epoch milliseconds and counters fit in a double exactly (below 2^53); read int8 as a number.
const INT8_OID = 20;
const types = {
  getTypeParser: (oid: number, format?: 'text' | 'binary'): ((value: string) => unknown) =>
    oid === INT8_OID ? (value: string) => Number(value) : (pg.types.getTypeParser(oid, format ?? 'text') as (value: string) => unknown),
};

/** How long a request waits for a new connection before it fails (503) instead of hanging. */
const CONNECT_TIMEOUT_MS = 5000;

export function openPostgres(connectionString: string, poolSize: number): { db: Kysely<Database>; pool: pg.Pool } {
  const pool = new pg.Pool({ connectionString, max: poolSize, types, connectionTimeoutMillis: CONNECT_TIMEOUT_MS, keepAlive: true });
  // An idle connection that the server (or the network) drops is reported here. Without a listener Node
  // would end the process; the pool has already discarded the connection, and the next query opens a new
  // one or fails with a connection error that the HTTP layer maps to 503.
  pool.on('error', () => undefined);
  // A connection that breaks while checked out (a query in flight) emits 'error' on its client, which the
  // pool does not listen to then: without a listener of our own the process would crash. The query itself
  // fails too, and that failure is what the caller sees (a 503).
  pool.on('connect', (client) => client.on('error', () => undefined));
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  registerRawDriver(db, { engine: 'postgres', pool });
  return { db, pool };
}

/** The advisory lock keys: the first half spells "otpg". */
export const LOCK_CLASS = 0x6f747067;
export const LOCKS = { migrate: 1, initialise: 2 } as const;

/**
 * Runs `work` while this process holds a session-level advisory lock, taken on a connection of its own
 * (outside the pool, so that `work` can use the whole pool even when its size is 1). Another instance
 * asking for the same lock waits until `work` ends; the lock also ends if this process dies.
 */
export async function withAdvisoryLock<T>(connectionString: string, lock: number, work: () => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString, connectionTimeoutMillis: CONNECT_TIMEOUT_MS });
  client.on('error', () => undefined);
  await client.connect();
  try {
    await client.query('select pg_advisory_lock($1, $2)', [LOCK_CLASS, lock]);
    return await work();
  } finally {
    // Closing the session releases the lock, also when the unlock itself cannot be sent.
    await client.end().catch(() => undefined);
  }
}
