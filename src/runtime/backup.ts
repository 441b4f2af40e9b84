// `otpgate backup FILE` and `otpgate restore FILE` for SQLite (PostgreSQL: pg_dump and pg_restore, docs/operations.md).
// A backup is a consistent copy taken while the server runs, written to a new file (never through an
// existing file or link). A restore checks everything about the file before it touches the live database
// (no server holding it; sound; an otpgate database this version knows; sealed under the master key in use;
// exactly the tables and indexes otpgate's own migrations make, no trigger or view), then swaps it in while
// keeping the previous file, and puts that back if the restored one does not open (docs/operations.md).
import { existsSync, mkdirSync, mkdtempSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MasterKeyError, readMasterKeyFile } from '../crypto/master-key.js';
import { knownMigrations, MIGRATION_TABLE, openDatabase } from '../store/database.js';
import {
  backupSqlite,
  copySqliteDatabase,
  foldSqliteLog,
  inspectSqliteBackup,
  liveLeasesIn,
  sideFilesOf,
  sqliteSchemaObjects,
  type SchemaObject,
} from '../store/sqlite/sqlite-backup.js';
import type { Config } from './config.js';
import { SERVER_LEASE_MS, SERVER_LEASE_PREFIX } from './in-use.js';
import { openInstance, type Instance } from './instance.js';

export class BackupRefused extends Error {
  override name = 'BackupRefused';
}

const POSTGRES_BACKUP = 'with PostgreSQL, back up with pg_dump (pg_dump --format=custom --file=otpgate.dump "$OTPGATE_DATABASE_URL") and the master key separately';

export async function backupDatabase(instance: Instance, file: string, options: { replace?: boolean; onProgress?: (done: number, total: number) => void } = {}): Promise<{ pages: number }> {
  if (instance.config.databaseUrl) throw new BackupRefused(POSTGRES_BACKUP);
  return backupSqlite(instance.database.db, file, options);
}

const UNCHANGED = 'nothing was changed';

/** The tables and indexes otpgate's migrations make, up to and including `lastMigration`, as SQLite keeps them. */
async function expectedObjects(lastMigration: string): Promise<SchemaObject[]> {
  const dir = mkdtempSync(join(tmpdir(), 'otpgate-schema-'));
  try {
    const path = join(dir, 'reference.db');
    const database = openDatabase({ sqlitePath: path });
    try {
      await database.migrate(lastMigration);
    } finally {
      await database.close();
    }
    return sqliteSchemaObjects(path);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const describe = (o: SchemaObject) => `${o.type} ${o.name}`;

/** Refuses a copy that is not a sound otpgate database this version knows, sealed under the key in use. */
async function checkCopy(config: Config, file: string, copy: string): Promise<void> {
  let facts;
  try {
    facts = inspectSqliteBackup(copy, MIGRATION_TABLE);
  } catch (error) {
    throw new BackupRefused(`${file} is not a SQLite database (${error instanceof Error ? error.message : String(error)}); ${UNCHANGED}`);
  }
  if (facts.integrity !== 'ok') throw new BackupRefused(`${file} is damaged (integrity check: ${facts.integrity.slice(0, 200)}); ${UNCHANGED}`);
  if (facts.keyCheck === null || facts.migrations.length === 0) throw new BackupRefused(`${file} is not an otpgate database; ${UNCHANGED}`);
  const known = await knownMigrations();
  const unknown = facts.migrations.filter((name) => !known.includes(name));
  if (unknown.length > 0) {
    throw new BackupRefused(`${file} is from a newer otpgate (its schema has ${unknown.join(', ')}, which this version does not know): restore it with that version or a later one; ${UNCHANGED}`);
  }
  if (facts.migrations.some((name, i) => known[i] !== name)) throw new BackupRefused(`${file} has migrations applied out of order (${facts.migrations.join(', ')}); ${UNCHANGED}`);
  if (!existsSync(config.keyFile)) {
    throw new MasterKeyError(`no master key at ${config.keyFile}: put the key the backup was sealed under there first (OTPGATE_KEY_FILE); ${UNCHANGED}`);
  }
  if (!readMasterKeyFile(config.keyFile).matches(facts.keyCheck)) {
    throw new MasterKeyError(`${file} was sealed under another master key than ${config.keyFile}: its token secrets could not be read; ${UNCHANGED}`);
  }
  // Exactly what otpgate's migrations make: a trigger, a view, or a table or index changed or added
  // (a counter-reset trigger would let one passcode sign in again and again) is refused.
  const expected = await expectedObjects(facts.migrations.at(-1)!);
  const key = (o: SchemaObject) => `${o.type}\u0000${o.name}\u0000${o.table}\u0000${o.sql ?? ''}`;
  const expectedKeys = new Set(expected.map(key));
  const foreign = facts.objects.filter((o) => !expectedKeys.has(key(o)));
  const actualKeys = new Set(facts.objects.map(key));
  const missing = expected.filter((o) => !actualKeys.has(key(o)));
  if (foreign.length > 0) {
    throw new BackupRefused(`${file} holds schema objects otpgate did not create (${foreign.map(describe).join(', ').slice(0, 300)}); ${UNCHANGED}`);
  }
  if (missing.length > 0) throw new BackupRefused(`${file} lacks part of otpgate's schema (${missing.map(describe).join(', ').slice(0, 300)}); ${UNCHANGED}`);
}

/**
 * Replaces the installation's SQLite database with a backup, after checking it. Refused while a server
 * holds the database. The previous database is kept until the restored one has opened (migrated, when it
 * is older), and put back when it does not.
 */
export async function restoreDatabase(config: Config, file: string, now = Date.now()): Promise<void> {
  if (config.databaseUrl) throw new BackupRefused('with PostgreSQL, restore with pg_restore (pg_restore --clean --dbname "$OTPGATE_DATABASE_URL" otpgate.dump)');
  if (!existsSync(file)) throw new BackupRefused(`no backup file ${file}`);
  const target = config.sqlitePath;
  const live = existsSync(target);
  if (live) {
    const servers = liveLeasesIn(target, SERVER_LEASE_PREFIX, now);
    if (servers.length > 0) {
      throw new BackupRefused(
        `the database is in use by ${servers.map((s) => s.holder).join('; ')}: stop the server first (one stopped without a shutdown holds it for up to ${SERVER_LEASE_MS / 1000} s); ${UNCHANGED}`,
      );
    }
  }
  mkdirSync(config.dataDir, { recursive: true, mode: 0o700 });
  // The checks read the copy that will be swapped in, not `file`, which could change in between.
  const staging = `${target}.restoring`;
  const removeStaging = () => {
    for (const path of [staging, ...sideFilesOf(staging)]) rmSync(path, { force: true });
  };
  try {
    await copySqliteDatabase(file, staging);
  } catch (error) {
    removeStaging();
    throw new BackupRefused(`${file} is not a SQLite database (${error instanceof Error ? error.message : String(error)}); ${UNCHANGED}`);
  }
  const previous = `${target}.before-restore-${new Date(now).toISOString().replace(/[:.]/g, '-')}`;
  try {
    await checkCopy(config, file, staging);
    // The checks read the copy without writing to it: its (empty) log files go before it moves.
    for (const side of sideFilesOf(staging)) rmSync(side, { force: true });
    if (live) {
      // The file alone must be the whole database before it is moved aside (its log folded in).
      foldSqliteLog(target);
      renameSync(target, previous);
    }
    renameSync(staging, target);
  } finally {
    removeStaging();
  }
  try {
    // Opened as every command opens it: the key checked again, pending migrations applied.
    const instance = await openInstance(config);
    await instance.close();
  } catch (error) {
    for (const path of [target, ...sideFilesOf(target)]) rmSync(path, { force: true });
    if (live) renameSync(previous, target);
    const why = error instanceof Error ? error.message : String(error);
    throw new BackupRefused(`the restored database did not open (${why}); ${live ? 'the previous database was put back' : UNCHANGED}`);
  }
  if (live) rmSync(previous, { force: true });
}
