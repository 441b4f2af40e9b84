// Rules every seed format shares about whether a key can be used.
import { SeedFileError, type ImportedKey } from './imported-key.js';

/** RFC 4226 §4 R6: the shared secret must be at least 128 bits (160 recommended). */
const MIN_SECRET_BYTES = 16;

/**
 * Why a secret of this many bytes cannot be imported, or null when it can: the one minimum length of every
 * seed format. Shorter secrets pass only when the import allows them (`--allow-short-secrets`, the API's
 * and the reader's `allowShortSecrets`).
 */
export function shortSecretReason(secretBytes: number, allowShortSecrets: boolean): string | null {
  if (secretBytes >= MIN_SECRET_BYTES || allowShortSecrets) return null;
  return `secret is ${secretBytes * 8} bits, shorter than the 128 bits RFC 4226 §4 requires (import with --allow-short-secrets, or allowShortSecrets, to accept it)`;
}

export function checkSecretLength(key: ImportedKey, allowShortSecrets: boolean): string | null {
  if (key.secret.length === 0) return 'no secret';
  return shortSecretReason(key.secret.length, allowShortSecrets);
}

/** Two usable keys for one serial in one file: which one is the token's is unknowable, so refuse the file. */
export function refuseDuplicateSerials(keys: ImportedKey[]): void {
  const seen = new Map<string, string>();
  for (const key of keys) {
    const first = seen.get(key.serial);
    if (first !== undefined) throw new SeedFileError('duplicate_serial', `serial ${key.serial} appears twice (also at ${first})`, key.source);
    seen.set(key.serial, key.source);
  }
}
