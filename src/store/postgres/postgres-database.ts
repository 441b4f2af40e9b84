// PostgreSQL for several instances behind a load balancer: a pg pool per process.
import pg from 'pg';
import { Kysely, PostgresDialect } from 'kysely';
import type { ColumnTypes } from '../column-types.js';
import type { Database } from '../schema.js';

export const POSTGRES_COLUMN_TYPES: ColumnTypes = {
  id: { type: 'bigserial', primaryKey: (c) => c.primaryKey() },
  bigint: 'bigint',
  bytes: 'bytea',
};

// Epoch milliseconds and counters fit in a double exactly (below 2^53); read int8 as a number.
const INT8_OID = 20;
const types = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary'): unknown =>
    oid === INT8_OID ? (value: string) => Number(value) : (pg.types.getTypeParser(oid, format ?? 'text') as unknown)) as typeof pg.types.getTypeParser,
};

export function openPostgres(connectionString: string, poolSize: number): { db: Kysely<Database>; pool: pg.Pool } {
  const pool = new pg.Pool({ connectionString, max: poolSize, types });
  return { db: new Kysely<Database>({ dialect: new PostgresDialect({ pool }) }), pool };
}
