// A fresh PostgreSQL database per test file (otpgate_test_<random>), dropped afterwards. When no server is
// reachable the PostgreSQL tests are skipped with a loud notice, except under CI=true, where that fails.
import { randomBytes } from 'node:crypto';
import pg from 'pg';

/** The maintenance database tests connect to, to create and drop their own. */
export const POSTGRES_ADMIN_URL = process.env.OTPGATE_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

async function withAdmin<T>(work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: POSTGRES_ADMIN_URL, connectionTimeoutMillis: 3000 });
  client.on('error', () => undefined);
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/**
 * Why the PostgreSQL tests cannot run here, or false when they can. Under CI=true an unreachable server
 * is an error, not a skip: CI must never pass by testing one engine only.
 */
export async function postgresSkipReason(): Promise<string | false> {
  try {
    await withAdmin((client) => client.query('select 1'));
    return false;
  } catch (error) {
    const why = `no PostgreSQL server at ${POSTGRES_ADMIN_URL.replace(/\/\/[^@]*@/, '//')} (${(error as Error).message})`;
    if (process.env.CI === 'true') throw new Error(`${why}; CI=true, so the PostgreSQL tests must run`, { cause: error });
    process.stderr.write(`\n*** SKIPPING the PostgreSQL tests: ${why}. Set OTPGATE_TEST_POSTGRES_URL or start PostgreSQL. ***\n\n`);
    return why;
  }
}

export interface TestDatabase {
  name: string;
  url: string;
  drop(): Promise<void>;
}

export async function createTestDatabase(): Promise<TestDatabase> {
  const name = `otpgate_test_${randomBytes(6).toString('hex')}`;
  await withAdmin((client) => client.query(`create database ${name}`));
  const url = new URL(POSTGRES_ADMIN_URL);
  url.pathname = `/${name}`;
  return {
    name,
    url: url.toString(),
    // FORCE ends sessions a test left behind (PostgreSQL 13+), so a failed test does not leak the database.
    drop: () => withAdmin((client) => client.query(`drop database if exists ${name} with (force)`)).then(() => undefined),
  };
}
