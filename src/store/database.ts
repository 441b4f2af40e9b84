// Opens the configured engine and brings its schema up to date.
import { Migrator, type Kysely } from 'kysely';
import { migrationProvider } from './migrations.js';
import type { Database } from './schema.js';
import { openSqlite, SQLITE_COLUMN_TYPES } from './sqlite/sqlite-database.js';
import { openPostgres, POSTGRES_COLUMN_TYPES } from './postgres/postgres-database.js';

export type Engine = 'sqlite' | 'postgres';

export interface DatabaseHandle {
  db: Kysely<Database>;
  engine: Engine;
  /** Applies pending migrations; returns the names applied. */
  migrate(): Promise<string[]>;
  /** True when the schema has been created (used to tell a fresh data directory from an existing one). */
  isInitialised(): Promise<boolean>;
  close(): Promise<void>;
}

export interface DatabaseConfig {
  /** A postgres:// URL selects PostgreSQL; otherwise sqlitePath is used. */
  databaseUrl?: string | undefined;
  sqlitePath: string;
  poolSize?: number;
}

export function openDatabase(config: DatabaseConfig): DatabaseHandle {
  const url = config.databaseUrl;
  const postgres = url !== undefined && /^postgres(ql)?:\/\//.test(url);
  const db = postgres ? openPostgres(url, config.poolSize ?? 10).db : openSqlite(config.sqlitePath);
  const engine: Engine = postgres ? 'postgres' : 'sqlite';
  const provider = migrationProvider(postgres ? POSTGRES_COLUMN_TYPES : SQLITE_COLUMN_TYPES);
  return {
    db,
    engine,
    async migrate() {
      const migrator = new Migrator({ db, provider, migrationTableName: 'otpgate_migrations', migrationLockTableName: 'otpgate_migration_lock' });
      const { error, results } = await migrator.migrateToLatest();
      if (error) throw error instanceof Error ? error : new Error(`migration failed: ${JSON.stringify(error)}`);
      return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
    },
    async isInitialised() {
      const tables = await db.introspection.getTables();
      return tables.some((t) => t.name === 'meta');
    },
    close: () => db.destroy(),
  };
}
