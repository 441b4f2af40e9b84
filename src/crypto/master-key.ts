// The master key: 32 random bytes in a file of mode 0600. Purpose keys are derived from it with HKDF so
// that no two uses (token secrets, audit chain, RADIUS secrets) share a key.
import { hkdfSync, randomBytes, timingSafeEqual, createHmac } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync, statSync } from 'node:fs';

export class MasterKeyError extends Error {
  override name = 'MasterKeyError';
}

export type KeyPurpose = 'token-secrets' | 'audit-chain' | 'audit-chain-seal' | 'radius-secrets' | 'directory-secrets' | 'webhook-secrets' | 'key-check' | 'console-csrf' | 'temp-codes' | 'oidc-keys' | 'oidc-client-secrets' | 'oidc-cookies' | 'app-enrolment-secrets' | 'import-uploads';

export class MasterKey {
  readonly #keys = new Map<KeyPurpose, Buffer>();
  #material: Buffer;

  /** `source`: the file the key was read from, read again by reloadIfReplaced (a rotation replaces it). */
  constructor(
    material: Buffer,
    readonly source: string | null = null,
  ) {
    if (material.length !== 32) throw new MasterKeyError('the master key must be 32 bytes');
    this.#material = material;
  }

  private get material(): Buffer {
    return this.#material;
  }

  /**
   * After `otpgate key rotate` (in another process) the data is sealed under the key now in the source
   * file: reads it again and, when it holds another valid key, uses that one from now on. True when the key
   * changed. A missing or unreadable file changes nothing.
   */
  reloadIfReplaced(): boolean {
    if (this.source === null) return false;
    let next: MasterKey;
    try {
      next = readMasterKeyFile(this.source);
    } catch {
      return false;
    }
    if (next.sameAs(this)) return false;
    this.#material = next.#material;
    this.#keys.clear();
    return true;
  }

  sameAs(other: MasterKey): boolean {
    return this.#material.length === other.#material.length && timingSafeEqual(this.#material, other.#material);
  }

  /** A 32-byte key for one purpose (RFC 5869 HKDF-SHA256, the purpose as `info`). */
  keyFor(purpose: KeyPurpose): Buffer {
    let key = this.#keys.get(purpose);
    if (!key) {
      key = Buffer.from(hkdfSync('sha256', this.material, Buffer.alloc(0), `otpgate ${purpose}`, 32));
      this.#keys.set(purpose, key);
    }
    return key;
  }

  /** A value stored in the database at init; a different key gives a different value. */
  checkValue(): string {
    return createHmac('sha256', this.keyFor('key-check')).update('otpgate master key check v1').digest('base64url');
  }

  matches(storedCheckValue: string): boolean {
    const mine = Buffer.from(this.checkValue());
    const stored = Buffer.from(storedCheckValue);
    return mine.length === stored.length && timingSafeEqual(mine, stored);
  }
}

/** Writes a new random key; refuses to overwrite one (a lost key makes every stored secret unreadable). */
export function createMasterKeyFile(path: string): MasterKey {
  if (existsSync(path)) throw new MasterKeyError(`refusing to overwrite the existing master key ${path}`);
  const material = randomBytes(32);
  writeFileSync(path, `${material.toString('base64')}\n`, { mode: 0o600, flag: 'wx' });
  return new MasterKey(material, path);
}

export function readMasterKeyFile(path: string): MasterKey {
  if (!existsSync(path)) {
    throw new MasterKeyError(`the master key ${path} is missing; restore it from your backup (without it no token secret can be read), or set OTPGATE_KEY_FILE`);
  }
  const mode = statSync(path).mode & 0o777;
  if ((mode & 0o077) !== 0) {
    throw new MasterKeyError(`the master key ${path} is readable by others (mode ${mode.toString(8)}); run: chmod 600 ${path}`);
  }
  const material = Buffer.from(readFileSync(path, 'utf8').trim(), 'base64');
  if (material.length !== 32) throw new MasterKeyError(`the master key ${path} is not 32 base64-encoded bytes`);
  return new MasterKey(material, path);
}
