// Secrets at rest (token seeds, RADIUS shared secrets, webhook signing secrets): sealed under a key derived from the master key for
// their kind, with their owner (a token's serial, a RADIUS client's name) as associated data, so a sealed
// value moved onto another row does not open.
import type { MasterKey } from '../crypto/master-key.js';
import { open, seal, SecretBoxError } from '../crypto/secret-box.js';

const KINDS = {
  token: { purpose: 'token-secrets', identity: (serial: string) => `otpgate token ${serial}`, noun: 'token' },
  radiusClient: { purpose: 'radius-secrets', identity: (name: string) => `otpgate radius client ${name}`, noun: 'RADIUS client' },
  // The owner is `accountId/name`: webhook names are unique per account only.
  webhook: { purpose: 'webhook-secrets', identity: (owner: string) => `otpgate webhook ${owner}`, noun: 'webhook' },
} as const;

export type SecretKind = keyof typeof KINDS;

export function sealSecret(masterKey: MasterKey, kind: SecretKind, owner: string, secret: Buffer): Buffer {
  return seal(masterKey.keyFor(KINDS[kind].purpose), secret, KINDS[kind].identity(owner));
}

export function openSecret(masterKey: MasterKey, kind: SecretKind, owner: string, sealed: Uint8Array): Buffer {
  try {
    return open(masterKey.keyFor(KINDS[kind].purpose), sealed, KINDS[kind].identity(owner));
  } catch (error) {
    if (!(error instanceof SecretBoxError)) throw error;
    // Name the owner: an operator must find the altered (or foreign) row, and nothing is decided for it.
    throw new SecretBoxError(`the secret of ${KINDS[kind].noun} ${owner} does not open under this master key: its row was altered or copied from another ${KINDS[kind].noun} or installation; nothing was decided`);
  }
}

export function sealTokenSecret(masterKey: MasterKey, serial: string, secret: Buffer): Buffer {
  return sealSecret(masterKey, 'token', serial, secret);
}

export function openTokenSecret(masterKey: MasterKey, serial: string, sealed: Uint8Array): Buffer {
  return openSecret(masterKey, 'token', serial, sealed);
}
