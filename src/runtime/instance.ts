// Opening an installation: the database, the master key checked against it, and the services.
// `init` creates what is missing; every other command refuses to run on a missing or wrong key.
import { mkdirSync, existsSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { createMasterKeyFile, MasterKeyError, readMasterKeyFile, type MasterKey } from '../crypto/master-key.js';
import { openDatabase, type DatabaseHandle } from '../store/database.js';
import { readMeta, writeMeta } from '../store/meta-store.js';
import { DEFAULT_ACCOUNT } from '../services/account-service.js';
import { OPERATOR } from '../services/context.js';
import { createServices, type Services } from '../services/services.js';
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

const KEY_CHECK = 'master_key_check';

function openHandle(config: Config): DatabaseHandle {
  if (!config.databaseUrl) mkdirSync(config.dataDir, { recursive: true, mode: 0o700 });
  return openDatabase({ databaseUrl: config.databaseUrl, sqlitePath: config.sqlitePath, poolSize: config.poolSize });
}

function build(config: Config, database: DatabaseHandle, masterKey: MasterKey, now: () => number): Instance {
  const services = createServices({ db: database.db, masterKey, now, passwordCost: config.passwordCost });
  return { config, database, services, close: () => database.close() };
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
    if (options.migrate ?? true) await database.migrate();
    const check = await readMeta(database.db, KEY_CHECK);
    const masterKey = readMasterKeyFile(config.keyFile);
    if (!check || !masterKey.matches(check)) {
      throw new MasterKeyError(`the master key ${config.keyFile} is not the key this database was created with; token secrets cannot be read. Restore the right key (OTPGATE_KEY_FILE) — nothing was changed`);
    }
    return build(config, database, masterKey, options.now ?? Date.now);
  } catch (error) {
    await database.close();
    throw error;
  }
}

/** Creates the database, the master key, the `default` account and its first admin; idempotent. */
export async function initInstance(config: Config, options: { adminName?: string; now?: () => number } = {}): Promise<{ instance: Instance; result: InitResult }> {
  const database = openHandle(config);
  try {
    await database.migrate();
    const check = await readMeta(database.db, KEY_CHECK);
    if (check) {
      await database.close();
      return { instance: await openInstance(config, options), result: { created: false } };
    }
    const masterKey = existsSync(config.keyFile) ? readMasterKeyFile(config.keyFile) : createMasterKeyFile(config.keyFile);
    await writeMeta(database.db, KEY_CHECK, masterKey.checkValue());
    await writeMeta(database.db, 'audit_head', 'genesis');
    const instance = build(config, database, masterKey, options.now ?? Date.now);
    const { services } = instance;
    const account = await services.accounts.create(OPERATOR, DEFAULT_ACCOUNT);
    const username = options.adminName ?? 'admin';
    const password = randomBytes(12).toString('base64url');
    await services.users.create(OPERATOR, account, { username, password, role: 'admin', displayName: 'Administrator' });
    return { instance, result: { created: true, firstAdmin: { username, password } } };
  } catch (error) {
    await database.close();
    throw error;
  }
}
