// Secrets at rest (token seeds, RADIUS shared secrets, webhook signing secrets): sealed under a key derived from the master key for
// their kind, with their owner as associated data, so a sealed value moved onto another row does not open.
// A RADIUS client's owner is its name; a token's is its account and its serial (seal version 2). Tokens
// sealed before serials became unique per account (migration 0003) name the serial alone (seal version 1):
// they still open, and opening an instance re-seals them (TokenService.resealLegacySecrets).
import type { MasterKey } from '../crypto/master-key.js';
import { open, seal, SecretBoxError } from '../crypto/secret-box.js';

const KINDS = {
  token: { purpose: 'token-secrets', noun: 'token' },
  radiusClient: { purpose: 'radius-secrets', noun: 'RADIUS client' },
  webhook: { purpose: 'webhook-secrets', noun: 'webhook' },
  directory: { purpose: 'directory-secrets', noun: 'directory of account' },
  auditChain: { purpose: 'audit-chain-seal', noun: 'audit log' },
  oidcKey: { purpose: 'oidc-keys', noun: 'OpenID signing key' },
  oidcClient: { purpose: 'oidc-client-secrets', noun: 'OpenID client' },
  appEnrolment: { purpose: 'app-enrolment-secrets', noun: 'pending authenticator-app enrolment of user' },
  importUpload: { purpose: 'import-uploads', noun: 'kept import upload' },
} as const;

export type SecretKind = keyof typeof KINDS;

/** The seal version every token secret is sealed with now: the account and the serial as associated data. */
export const TOKEN_SEAL_VERSION = 2;
/** Before migration 0003: the serial alone. */
export const LEGACY_TOKEN_SEAL_VERSION = 1;

/** What a sealed token secret belongs to: the row's account, serial and seal version. */
export interface TokenSealOwner {
  account_id: number;
  serial: string;
  seal_version: number;
}

function tokenAssociatedData(owner: TokenSealOwner): string {
  if (owner.seal_version === TOKEN_SEAL_VERSION) return `otpgate token v2 account ${owner.account_id} serial ${owner.serial}`;
  if (owner.seal_version === LEGACY_TOKEN_SEAL_VERSION) return `otpgate token ${owner.serial}`;
  throw new SecretBoxError(`the secret of token ${owner.serial} has an unknown seal version ${owner.seal_version}; nothing was decided`);
}

function radiusClientAssociatedData(name: string): string {
  return `otpgate radius client ${name}`;
}

function sealAs(masterKey: MasterKey, kind: SecretKind, associatedData: string, secret: Buffer): Buffer {
  return seal(masterKey.keyFor(KINDS[kind].purpose), secret, associatedData);
}

function openAs(masterKey: MasterKey, kind: SecretKind, associatedData: string, ownerName: string, sealed: Uint8Array): Buffer {
  try {
    return open(masterKey.keyFor(KINDS[kind].purpose), sealed, associatedData);
  } catch (error) {
    if (!(error instanceof SecretBoxError)) throw error;
    // `otpgate key rotate` in another process re-sealed the data and replaced the key file: take the new key.
    if (masterKey.reloadIfReplaced()) return openAs(masterKey, kind, associatedData, ownerName, sealed);
    // Name the owner: an operator must find the altered (or foreign) row, and nothing is decided for it.
    throw new SecretBoxError(`the secret of ${KINDS[kind].noun} ${ownerName} does not open under this master key: its row was altered or copied from another row or installation; nothing was decided`);
  }
}

export function sealRadiusClientSecret(masterKey: MasterKey, name: string, secret: Buffer): Buffer {
  return sealAs(masterKey, 'radiusClient', radiusClientAssociatedData(name), secret);
}

export function openRadiusClientSecret(masterKey: MasterKey, name: string, sealed: Uint8Array): Buffer {
  return openAs(masterKey, 'radiusClient', radiusClientAssociatedData(name), name, sealed);
}

/** Seals a token's secret for this account's serial, at TOKEN_SEAL_VERSION (store it in seal_version). */
export function sealTokenSecret(masterKey: MasterKey, accountId: number, serial: string, secret: Buffer): Buffer {
  return sealAs(masterKey, 'token', tokenAssociatedData({ account_id: accountId, serial, seal_version: TOKEN_SEAL_VERSION }), secret);
}

/** Opens a token row's secret with the associated data of the row's seal version. */
export function openTokenSecret(masterKey: MasterKey, token: TokenSealOwner & { secret_sealed: Uint8Array }): Buffer {
  return openAs(masterKey, 'token', tokenAssociatedData(token), `${token.serial} (account id ${token.account_id})`, token.secret_sealed);
}

/**
 * The opened seeds of the tokens that signed in lately, by token id, for the sign-in check. Opening a seed
 * (an AES-256-GCM decryption through node:crypto) cost about 12 µs of every check under load, a twelfth of
 * it. A seed is kept opened only with what it was opened from: the key (the same object: a reload or
 * rotation gives a new one), its associated data (account, serial, seal version) and its sealed bytes (a
 * re-seal gives new ones), and is used only when all three are the same, so the answer is always the one
 * opening it again would give. At rest, in the database and in backups, seeds stay sealed; the process
 * memory this adds them to already holds the master key that opens them all (docs/security.md).
 */
const openedSeeds = new Map<number, { key: Buffer; owner: string; sealed: Buffer; secret: Buffer }>();
/** The most seeds kept opened; the one opened longest ago goes first. */
const OPENED_SEEDS_MAX = 10_000;

/**
 * openTokenSecret for the sign-in check, through the cache above. The Buffer returned is shared: the caller
 * must not change it (the other callers of openTokenSecret get their own copy, which they may wipe).
 */
export function openTokenSecretForCheck(masterKey: MasterKey, token: TokenSealOwner & { id: number; secret_sealed: Uint8Array }): Buffer {
  const owner = tokenAssociatedData(token);
  const kept = openedSeeds.get(token.id);
  if (kept && kept.key === masterKey.keyFor(KINDS.token.purpose) && kept.owner === owner && kept.sealed.equals(token.secret_sealed)) return kept.secret;
  const secret = openTokenSecret(masterKey, token);
  openedSeeds.delete(token.id);
  if (openedSeeds.size >= OPENED_SEEDS_MAX) openedSeeds.delete(openedSeeds.keys().next().value!);
  // The key after opening: a rotation found while opening reloads it.
  openedSeeds.set(token.id, { key: masterKey.keyFor(KINDS.token.purpose), owner, sealed: Buffer.from(token.secret_sealed), secret });
  return secret;
}

// A webhook's name is unique within its account only: its owner is the account id and the name.
function webhookAssociatedData(accountId: number, name: string): string {
  return `otpgate webhook account ${accountId} name ${name}`;
}

export function sealWebhookSecret(masterKey: MasterKey, accountId: number, name: string, secret: Buffer): Buffer {
  return sealAs(masterKey, 'webhook', webhookAssociatedData(accountId, name), secret);
}

export function openWebhookSecret(masterKey: MasterKey, accountId: number, name: string, sealed: Uint8Array): Buffer {
  return openAs(masterKey, 'webhook', webhookAssociatedData(accountId, name), `${name} (account id ${accountId})`, sealed);
}

// A directory's service bind password, bound to its account (one directory per account).
function directoryAssociatedData(accountId: number): string {
  return `otpgate directory bind password of account ${accountId}`;
}

export function sealDirectoryPassword(masterKey: MasterKey, accountId: number, password: Buffer): Buffer {
  return sealAs(masterKey, 'directory', directoryAssociatedData(accountId), password);
}

export function openDirectoryPassword(masterKey: MasterKey, accountId: number, sealed: Uint8Array): Buffer {
  return openAs(masterKey, 'directory', directoryAssociatedData(accountId), String(accountId), sealed);
}

/**
 * The audit chain's HMAC key. An installation starts with one derived from its master key; the first key
 * rotation stores that key sealed under the new master key (and each later rotation re-seals it), so the
 * chain written so far still verifies and goes on unbroken.
 */
export function sealAuditChainKey(masterKey: MasterKey, chainKey: Buffer): Buffer {
  return sealAs(masterKey, 'auditChain', 'otpgate audit chain key', chainKey);
}

export function openAuditChainKey(masterKey: MasterKey, sealed: Uint8Array): Buffer {
  return openAs(masterKey, 'auditChain', 'otpgate audit chain key', 'chain key', sealed);
}

export function sealOidcKey(masterKey: MasterKey, kid: string, jwk: Buffer): Buffer {
  return sealAs(masterKey, 'oidcKey', `otpgate oidc key ${kid}`, jwk);
}

export function openOidcKey(masterKey: MasterKey, kid: string, sealed: Uint8Array): Buffer {
  return openAs(masterKey, 'oidcKey', `otpgate oidc key ${kid}`, kid, sealed);
}

export function sealOidcClientSecret(masterKey: MasterKey, clientId: string, secret: Buffer): Buffer {
  return sealAs(masterKey, 'oidcClient', `otpgate oidc client ${clientId}`, secret);
}

export function openOidcClientSecret(masterKey: MasterKey, clientId: string, sealed: Uint8Array): Buffer {
  return openAs(masterKey, 'oidcClient', `otpgate oidc client ${clientId}`, clientId, sealed);
}

/** A pending authenticator-app enrolment's secret, sealed with its user, session binding and start as associated data. */
function appEnrolmentAssociatedData(userId: number, binding: string, createdAt: number): string {
  return `otpgate app enrolment user ${userId} binding ${binding} at ${createdAt}`;
}

export function sealAppEnrolmentSecret(masterKey: MasterKey, userId: number, binding: string, createdAt: number, secret: Buffer): Buffer {
  return sealAs(masterKey, 'appEnrolment', appEnrolmentAssociatedData(userId, binding, createdAt), secret);
}

export function openAppEnrolmentSecret(masterKey: MasterKey, userId: number, binding: string, createdAt: number, sealed: Uint8Array): Buffer {
  return openAs(masterKey, 'appEnrolment', appEnrolmentAssociatedData(userId, binding, createdAt), String(userId), sealed);
}

/** A console dry run's upload (file, key or password, options), sealed with its result's id hash, session binding and time. */
function importUploadAssociatedData(idHash: string, binding: string, createdAt: number): string {
  return `otpgate import upload ${idHash} binding ${binding} at ${createdAt}`;
}

export function sealImportUpload(masterKey: MasterKey, idHash: string, binding: string, createdAt: number, upload: Buffer): Buffer {
  return sealAs(masterKey, 'importUpload', importUploadAssociatedData(idHash, binding, createdAt), upload);
}

export function openImportUpload(masterKey: MasterKey, idHash: string, binding: string, createdAt: number, sealed: Uint8Array): Buffer {
  return openAs(masterKey, 'importUpload', importUploadAssociatedData(idHash, binding, createdAt), idHash, sealed);
}
