// Token secrets at rest: sealed under the master key with the serial as associated data, so a sealed
// secret moved onto another token's row does not open.
import type { MasterKey } from '../crypto/master-key.js';
import { open, seal } from '../crypto/secret-box.js';

function identity(serial: string): string {
  return `otpgate token ${serial}`;
}

export function sealTokenSecret(masterKey: MasterKey, serial: string, secret: Buffer): Buffer {
  return seal(masterKey.keyFor('token-secrets'), secret, identity(serial));
}

export function openTokenSecret(masterKey: MasterKey, serial: string, sealed: Uint8Array): Buffer {
  return open(masterKey.keyFor('token-secrets'), sealed, identity(serial));
}
