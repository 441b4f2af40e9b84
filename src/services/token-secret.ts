// Token secrets at rest: sealed under the master key with the serial as associated data, so a sealed
// secret moved onto another token's row does not open.
import type { MasterKey } from '../crypto/master-key.js';
import { open, seal, SecretBoxError } from '../crypto/secret-box.js';

function identity(serial: string): string {
  return `otpgate token ${serial}`;
}

export function sealTokenSecret(masterKey: MasterKey, serial: string, secret: Buffer): Buffer {
  return seal(masterKey.keyFor('token-secrets'), secret, identity(serial));
}

export function openTokenSecret(masterKey: MasterKey, serial: string, sealed: Uint8Array): Buffer {
  try {
    return open(masterKey.keyFor('token-secrets'), sealed, identity(serial));
  } catch (error) {
    if (!(error instanceof SecretBoxError)) throw error;
    // Name the token: an operator must find the altered (or foreign) row, and nothing is decided for it.
    throw new SecretBoxError(`the secret of token ${serial} does not open under this master key: its row was altered or copied from another token or installation; nothing was decided`);
  }
}
