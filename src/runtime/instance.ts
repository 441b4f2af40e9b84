// Opening an installation: the database, the master key checked against it, and the services.
// `init` creates what is missing; every other command refuses to run on a missing or wrong key.
import { mkdirSync, existsSync, readdirSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { basename, dirname, join } from 'node:path';
import { createMasterKeyFile, MasterKeyError, readMasterKeyFile, type MasterKey } from '../crypto/master-key.js';
import { openDatabase, type DatabaseHandle } from '../store/database.js';
import { readMeta, writeMeta } from '../store/meta-store.js';
import { DEFAULT_ACCOUNT } from '../services/account-service.js';
import { OPERATOR } from '../services/context.js';
import { ServiceError } from '../services/errors.js';
import { createServices, type Services } from '../services/services.js';
import { openAuditChainKey } from '../services/sealed-secrets.js';
import type { Config } from './config.js';

export interface Instance {
  config: Config;
  database: DatabaseHandle;
  services: Services;
  close(): Promise<void>;
}

export interface InitResult {
  created: boolean;
  /** Set only when the first admin was created: the one time their password is shown. */
  firstAdmin?: { username: string; password: string };
}

export const KEY_CHECK = 'master_key_check';
export const AUDIT_CHAIN_KEY = 'audit_chain_key';

function openHandle(config: Config): DatabaseHandle {
  if (!config.databaseUrl) mkdirSync(config.dataDir, { recursive: true, mode: 0o700 });
  return openDatabase({ databaseUrl: config.databaseUrl, sqlitePath: config.sqlitePath, poolSize: config.poolSize });
}

/** The audit chain's key: kept sealed in the database since a key rotation, else derived from the master key. */
async function auditChainKeyOf(database: DatabaseHandle, masterKey: MasterKey): Promise<Buffer> {
  const sealed = await readMeta(database.db, AUDIT_CHAIN_KEY);
  return sealed === undefined ? masterKey.keyFor('audit-chain') : openAuditChainKey(masterKey, Buffer.from(sealed, 'base64'));
}

async function build(config: Config, database: DatabaseHandle, masterKey: MasterKey, now: () => number): Promise<Instance> {
  const auditChainKey = await auditChainKeyOf(database, masterKey);
  const services = createServices({ db: database.db, masterKey, auditChainKey, now, passwordCost: config.passwordCost, notify: config.notify });
  const close = async () => {
    await services.directories.close();
    await database.close();
  };
  return { config, database, services, close };
}

/**
 * The key a rotation moved aside (`KEYFILE.before-*`, runtime/key-rotation.ts) that still opens the
 * database: a rotation stopped between putting the new key in place and its commit leaves the data sealed
 * under the old key, kept there.
 */
function keptKeyThatOpens(keyFile: string, check: string): string | undefined {
  const prefix = `${basename(keyFile)}.before-`;
  let names: string[];
  try {
    names = readdirSync(dirname(keyFile)).filter((name) => name.startsWith(prefix)).sort().reverse();
  } catch {
    return undefined;
  }
  for (const name of names) {
    const path = join(dirname(keyFile), name);
    try {
      if (readMasterKeyFile(path).matches(check)) return path;
    } catch {
      // Not a key file: look at the next.
    }
  }
  return undefined;
}

/**
 * Opens an initialised installation. Stops with a MasterKeyError when the key is missing or is not the
 * one this database was created with: a wrong key must never look like an empty inventory.
 */
export async function openInstance(config: Config, options: { migrate?: boolean; now?: () => number } = {}): Promise<Instance> {
  if (!config.databaseUrl && !existsSync(config.sqlitePath)) {
    throw new MasterKeyError(`no otpgate database in ${config.dataDir}; run \`otpgate init\` first (or \`otpgate serve\`, which initialises a new data directory)`);
  }
  const database = openHandle(config);
  try {
    if (!(await database.isInitialised())) throw new MasterKeyError('the database is not initialised; run `otpgate init` first');
    // The key is checked before any migration runs, so that a wrong key changes nothing.
    const check = await readMeta(database.db, KEY_CHECK);
    const masterKey = readMasterKeyFile(config.keyFile);
    if (!check || !masterKey.matches(check)) {
      const kept = check ? keptKeyThatOpens(config.keyFile, check) : undefined;
      if (kept !== undefined) {
        throw new MasterKeyError(
          `the master key ${config.keyFile} is not the key this database is sealed under, but ${kept} is: a key rotation stopped before it committed. Put that key back (mv ${kept} ${config.keyFile}) and run the rotation again — nothing was changed`,
        );
      }
      throw new MasterKeyError(`the master key ${config.keyFile} is not the key this database was created with; token secrets cannot be read. Restore the right key (OTPGATE_KEY_FILE) — nothing was changed`);
    }
    if (options.migrate ?? true) await database.migrate();
    const instance = await build(config, database, masterKey, options.now ?? Date.now);
    // Token secrets sealed before serials became unique per account are re-sealed with their account: the
    // migration cannot, it runs without the master key (docs/security.md, "Sealed secrets"). Likewise the
    // head of an older otpgate's single audit chain is MAC'd here, once (migration 0009). Each step runs once
    // its migration is applied (an instance opened without migrating may be on an older schema).
    const applied = await database.appliedMigrations();
    if (applied.includes('0003_serial_per_account')) await instance.services.tokens.resealLegacySecrets();
    if (applied.includes('0009_audit_chains')) await instance.services.audit.sealLegacyChain();
    return instance;
  } catch (error) {
    await database.close();
    throw error;
  }
}

export interface InitOptions {
  adminName?: string;
  now?: () => number;
  /** Apply pending migrations first (default true); when false, a database without a schema is refused. */
  migrate?: boolean;
}

/**
 * Creates the database, the master key, the `default` account and its first admin; idempotent.
 * Instances starting together on one empty PostgreSQL database take turns under an advisory lock: exactly
 * one initialises (and prints the first admin), the others find the key check written and open.
 */
export async function initInstance(config: Config, options: InitOptions = {}): Promise<{ instance: Instance; result: InitResult }> {
  const database = openHandle(config);
  let instance: Instance | undefined;
  try {
    if (options.migrate ?? true) await database.migrate();
    else if (!(await database.isInitialised())) {
      throw new MasterKeyError('the database has no otpgate schema and OTPGATE_NO_MIGRATE=1 is set; run `otpgate migrate` first');
    }
    const firstAdmin = await database.whileInitialising(async () => {
      if (await readMeta(database.db, KEY_CHECK)) return null;
      // With PostgreSQL the data directory holds only the key file, and may not exist yet.
      if (!existsSync(config.keyFile)) mkdirSync(dirname(config.keyFile), { recursive: true, mode: 0o700 });
      const masterKey = existsSync(config.keyFile) ? readMasterKeyFile(config.keyFile) : createMasterKeyFile(config.keyFile);
      instance = await build(config, database, masterKey, options.now ?? Date.now);
      const { services } = instance;
      // The key check is written last: it is what marks the installation as initialised. If a start is cut
      // short before it, the next start finds the account (and the admin, whose password was never shown)
      // and completes the work instead of failing on them.
      const account = await services.accounts.create(OPERATOR, DEFAULT_ACCOUNT).catch(async (error: unknown) => {
        if (error instanceof ServiceError && error.code === 'account_exists') return services.accounts.resolve(OPERATOR, DEFAULT_ACCOUNT);
        throw error;
      });
      const username = options.adminName ?? 'admin';
      const password = randomBytes(12).toString('base64url');
      try {
        await services.users.create(OPERATOR, account, { username, password, role: 'admin', displayName: 'Administrator' });
      } catch (error) {
        if (!(error instanceof ServiceError && error.code === 'user_exists')) throw error;
        await services.users.update(OPERATOR, account, username, { password, role: 'admin' });
      }
      await writeMeta(database.db, KEY_CHECK, masterKey.checkValue());
      return { username, password };
    });
    if (instance && firstAdmin) return { instance, result: { created: true, firstAdmin } };
    await database.close();
    return { instance: await openInstance(config, { migrate: false, ...(options.now ? { now: options.now } : {}) }), result: { created: false } };
  } catch (error) {
    await database.close();
    throw error;
  }
}

/** `otpgate migrate`: applies pending migrations; needs neither the master key nor an initialised database. */
export async function migrateDatabase(config: Config): Promise<{ applied: string[]; current: string[] }> {
  const database = openHandle(config);
  try {
    const applied = await database.migrate();
    return { applied, current: await database.appliedMigrations() };
  } finally {
    await database.close();
  }
}
