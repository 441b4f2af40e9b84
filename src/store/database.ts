// Opens the configured engine and brings its schema up to date.
import { Migrator, type Kysely } from 'kysely';
import { migrationProvider } from './migrations.js';
import type { Database } from './schema.js';
import { openSqlite, SQLITE_COLUMN_TYPES } from './sqlite/sqlite-database.js';
import { LOCKS, openPostgres, POSTGRES_COLUMN_TYPES, withAdvisoryLock } from './postgres/postgres-database.js';

export type Engine = 'sqlite' | 'postgres';

export interface DatabaseHandle {
  db: Kysely<Database>;
  engine: Engine;
  /**
   * Applies pending migrations (up to and including `target`, when given: a test builds an older schema
   * so); returns the names applied. Instances starting together take turns.
   */
  migrate(target?: string): Promise<string[]>;
  /** The names of the migrations already applied, oldest first. */
  appliedMigrations(): Promise<string[]>;
  /** True when the schema has been created (used to tell a fresh data directory from an existing one). */
  isInitialised(): Promise<boolean>;
  /**
   * Runs `work` while no other instance runs its own `initialising` work on this database (PostgreSQL: an
   * advisory lock). SQLite is one file used by one server, so there the work simply runs.
   */
  whileInitialising<T>(work: () => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

export interface DatabaseConfig {
  /** A postgres:// URL selects PostgreSQL; otherwise sqlitePath is used. */
  databaseUrl?: string | undefined;
  sqlitePath: string;
  poolSize?: number;
}

export function isPostgresUrl(url: string | undefined): url is string {
  return url !== undefined && /^postgres(ql)?:\/\//.test(url);
}

/** Where Kysely records the migrations applied (a backup's list is read from it before a restore). */
export const MIGRATION_TABLE = 'otpgate_migrations';

/** The names of the migrations this version of otpgate knows, oldest first. */
export async function knownMigrations(): Promise<string[]> {
  return Object.keys(await migrationProvider(SQLITE_COLUMN_TYPES).getMigrations()).sort();
}

export function openDatabase(config: DatabaseConfig): DatabaseHandle {
  const url = config.databaseUrl;
  const postgres = isPostgresUrl(url);
  const db = postgres ? openPostgres(url, config.poolSize ?? 10).db : openSqlite(config.sqlitePath);
  const engine: Engine = postgres ? 'postgres' : 'sqlite';
  // The statements are the same on both engines; the column types come from the engine's folder.
  const provider = migrationProvider(postgres ? POSTGRES_COLUMN_TYPES : SQLITE_COLUMN_TYPES);
  const exclusive = <T>(lock: number, work: () => Promise<T>): Promise<T> => (postgres ? withAdvisoryLock(url, lock, work) : work());
  const migrator = new Migrator({ db, provider, migrationTableName: MIGRATION_TABLE, migrationLockTableName: 'otpgate_migration_lock' });
  return {
    db,
    engine,
    // Kysely takes its own lock around the migrations, but not around creating its bookkeeping tables,
    // which two instances starting on an empty PostgreSQL database would otherwise race to create.
    migrate: (target) =>
      exclusive(LOCKS.migrate, async () => {
        const { error, results } = await (target === undefined ? migrator.migrateToLatest() : migrator.migrateTo(target));
        if (error) throw error instanceof Error ? error : new Error(`migration failed: ${JSON.stringify(error)}`);
        return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
      }),
    async appliedMigrations() {
      const migrations = await migrator.getMigrations();
      return migrations.filter((m) => m.executedAt !== undefined).map((m) => m.name);
    },
    async isInitialised() {
      const tables = await db.introspection.getTables();
      return tables.some((t) => t.name === 'meta');
    },
    whileInitialising: (work) => exclusive(LOCKS.initialise, work),
    close: () => db.destroy(),
  };
}
