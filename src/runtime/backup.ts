// `otpgate backup FILE` and `otpgate restore FILE` for SQLite (PostgreSQL: pg_dump and pg_restore, docs/operations.md).
// A backup is a consistent copy taken while the server runs; a restore checks the file (integrity, and that
// it was sealed under the master key in use) before it replaces anything, then opens the result as any
// command would (migrating it when it is older).
import { existsSync, mkdirSync } from 'node:fs';
import { MasterKeyError, readMasterKeyFile } from '../crypto/master-key.js';
import { backupSqlite, inspectSqliteBackup, replaceSqliteDatabase } from '../store/sqlite/sqlite-backup.js';
import type { Config } from './config.js';
import { openInstance, type Instance } from './instance.js';

export class BackupRefused extends Error {
  override name = 'BackupRefused';
}

const POSTGRES_BACKUP = 'with PostgreSQL, back up with pg_dump (pg_dump --format=custom --file=otpgate.dump "$OTPGATE_DATABASE_URL") and the master key separately';

export async function backupDatabase(instance: Instance, file: string, onProgress?: (done: number, total: number) => void): Promise<{ pages: number }> {
  if (instance.config.databaseUrl) throw new BackupRefused(POSTGRES_BACKUP);
  return backupSqlite(instance.database.db, file, onProgress);
}

/** Replaces the installation's SQLite database with a backup, after checking it. The server must be stopped. */
export async function restoreDatabase(config: Config, file: string): Promise<void> {
  if (config.databaseUrl) throw new BackupRefused('with PostgreSQL, restore with pg_restore (pg_restore --clean --dbname "$OTPGATE_DATABASE_URL" otpgate.dump)');
  if (!existsSync(file)) throw new BackupRefused(`no backup file ${file}`);
  let facts;
  try {
    facts = inspectSqliteBackup(file);
  } catch (error) {
    throw new BackupRefused(`${file} is not a SQLite database (${error instanceof Error ? error.message : String(error)}); nothing was changed`);
  }
  if (facts.integrity !== 'ok') throw new BackupRefused(`${file} is damaged (integrity check: ${facts.integrity.slice(0, 200)}); nothing was changed`);
  if (facts.keyCheck === null) throw new BackupRefused(`${file} is not an otpgate database; nothing was changed`);
  if (!existsSync(config.keyFile)) {
    throw new MasterKeyError(`no master key at ${config.keyFile}: put the key the backup was sealed under there first (OTPGATE_KEY_FILE); nothing was changed`);
  }
  const masterKey = readMasterKeyFile(config.keyFile);
  if (!masterKey.matches(facts.keyCheck)) {
    throw new MasterKeyError(`${file} was sealed under another master key than ${config.keyFile}: its token secrets could not be read; nothing was changed`);
  }
  mkdirSync(config.dataDir, { recursive: true, mode: 0o700 });
  await replaceSqliteDatabase(file, config.sqlitePath);
  // Opened as every command opens it: the key checked again, pending migrations applied.
  const instance = await openInstance(config);
  await instance.close();
}
