// `otpgate key rotate --new-key-file F`: every sealed secret (token seeds, RADIUS secrets, directory bind
// passwords, webhook secrets, OpenID client secrets and signing keys, the audit chain's key) is re-sealed under the new master key in one
// transaction; the new key takes the old one's place at OTPGATE_KEY_FILE as that transaction commits (the old
// file is kept beside it, renamed, for backups taken before); servers that are running take the new key
// the first time a secret does not open under the old one. Afterwards only the new key opens the data.
import { copyFileSync, existsSync, renameSync, rmSync } from 'node:fs';
import { MasterKeyError, readMasterKeyFile } from '../crypto/master-key.js';
import { resealEverything, type ResealCounts } from '../store/key-rotation-store.js';
import {
  openDirectoryPassword,
  openAuditChainKey,
  openOidcClientSecret,
  openOidcKey,
  sealOidcClientSecret,
  sealOidcKey,
  openRadiusClientSecret,
  openTokenSecret,
  openWebhookSecret,
  sealAuditChainKey,
  sealDirectoryPassword,
  sealRadiusClientSecret,
  sealTokenSecret,
  sealWebhookSecret,
  TOKEN_SEAL_VERSION,
} from '../services/sealed-secrets.js';
import { AUDIT_CHAIN_KEY, KEY_CHECK, type Instance } from './instance.js';

export interface RotationResult extends ResealCounts {
  /** Where the replaced key was moved (it opens only backups taken before the rotation). */
  oldKeyFile: string;
}

export async function rotateMasterKey(instance: Instance, newKeyFile: string, now = new Date()): Promise<RotationResult> {
  const { config } = instance;
  const oldKey = instance.services.ctx.masterKey;
  if (!existsSync(newKeyFile)) {
    throw new MasterKeyError(`no key file ${newKeyFile}; make one with: (umask 077; head -c 32 /dev/urandom | base64 > ${newKeyFile})`);
  }
  const newKey = readMasterKeyFile(newKeyFile);
  if (newKey.sameAs(oldKey)) throw new MasterKeyError(`${newKeyFile} holds the key in use; nothing to rotate`);
  const keyFile = config.keyFile;
  const oldKeyFile = `${keyFile}.before-${now.toISOString().replace(/[:.]/g, '-')}`;
  const staging = `${keyFile}.rotating`;
  let swapped = false;
  try {
    const counts = await resealEverything(
      instance.database.db,
      KEY_CHECK,
      AUDIT_CHAIN_KEY,
      {
        token: (row) => ({ sealed: sealTokenSecret(newKey, row.account_id, row.serial, openTokenSecret(oldKey, row)), version: TOKEN_SEAL_VERSION }),
        radiusClient: (row) => sealRadiusClientSecret(newKey, row.name, openRadiusClientSecret(oldKey, row.name, row.secret_sealed)),
        directory: (row) => sealDirectoryPassword(newKey, row.account_id, openDirectoryPassword(oldKey, row.account_id, row.bind_password_sealed)),
        oidcClient: (row) => sealOidcClientSecret(newKey, row.client_id, openOidcClientSecret(oldKey, row.client_id, row.secret_sealed)),
        oidcKey: (row) => sealOidcKey(newKey, row.kid, openOidcKey(oldKey, row.kid, row.private_sealed)),
        webhook: (row) => sealWebhookSecret(newKey, row.account_id, row.name, openWebhookSecret(oldKey, row.account_id, row.name, row.secret_sealed)),
        auditChainKey: (before) => {
          const chainKey = before === undefined ? oldKey.keyFor('audit-chain') : openAuditChainKey(oldKey, Buffer.from(before, 'base64'));
          return sealAuditChainKey(newKey, chainKey).toString('base64');
        },
        keyCheck: newKey.checkValue(),
      },
      () => {
        // Last, inside the transaction: the new key goes in place (copied beside, then renamed over), the
        // old one kept. If the commit then fails, the files are put back below.
        copyFileSync(newKeyFile, staging);
        renameSync(keyFile, oldKeyFile);
        renameSync(staging, keyFile);
        swapped = true;
      },
    );
    return { ...counts, oldKeyFile };
  } catch (error) {
    rmSync(staging, { force: true });
    if (swapped) renameSync(oldKeyFile, keyFile);
    throw error;
  }
}
