// Decryption and MAC checking of PSKC values (RFC 6030 §6): pre-shared keys (§6.1), password-based
// keys via PBKDF2 (§6.2), and the ValueMAC integrity check (§6.1.1). Everything here is per file:
// the encryption key and the MAC key are derived or decrypted once and then reused for every value.
import { createDecipheriv, createHmac, pbkdf2Sync, timingSafeEqual } from 'node:crypto';
import { SeedFileError } from '../imported-key.js';
import { type CipherSpec, PBKDF2_URI, cipherFor, hmacHashFor } from './pskc-algorithms.js';

export interface PskcCredentials {
  psk?: Buffer;
  password?: string;
}

/** PBKDF2 parameters (RFC 6030 §6.2, PKCS #5 v2.0 PBKDF2-params), as far as the file gives them. */
export interface KeyDerivation {
  algorithm: string | null;
  salt: Buffer | null;
  iterations: number | null;
  keyLength: number | null;
  prf: string | null;
}

/** What the container says about its encryption, collected while parsing (before any KeyPackage). */
export interface ContainerEncryption {
  /** A container-wide algorithm: the legacy drafts' EncryptionMethod, or an EncryptionKey Algorithm. */
  algorithm: string | null;
  /** A container-wide IV (ActivIdentity files); otherwise the IV is the first block of each CipherValue. */
  iv: Buffer | null;
  derivation: KeyDerivation | null;
  macAlgorithm: string | null;
  macKey: { algorithm: string | null; cipher: Buffer | null } | null;
}

export function emptyContainerEncryption(): ContainerEncryption {
  return { algorithm: null, iv: null, derivation: null, macAlgorithm: null, macKey: null };
}

// One message for every way a wrong key shows (bad length, bad padding, failed key-wrap check, MAC
// mismatch on the MAC key): the caller learns "wrong key or damaged file", never which check failed.
const DECRYPTION_FAILED = 'cannot decrypt: the key or password is wrong, or the file is damaged';

/** Internal: a decryption step failed; turned into the generic decryption_failed error. */
class CipherFailure extends Error {}

const RFC3394_IV = Buffer.from('a6a6a6a6a6a6a6a6', 'hex');
const RFC5649_IV_PREFIX = Buffer.from('a65959a6', 'hex');
// PBKDF2 work is chosen by the file; a hostile file must not make the import spin for minutes.
const MAX_PBKDF2_ITERATIONS = 10_000_000;

function decryptCbc(spec: Extract<CipherSpec, { kind: 'cbc' }>, key: Buffer, data: Buffer, containerIv: Buffer | null): Buffer {
  if (!spec.keyLengths.includes(key.length)) throw new CipherFailure('key length');
  // RFC 6030 §6.1: the IV is the first block of the CipherValue, unless the (legacy) container gave one.
  const iv = containerIv ?? data.subarray(0, spec.blockSize);
  const ciphertext = containerIv ? data : data.subarray(spec.blockSize);
  if (iv.length !== spec.blockSize || ciphertext.length === 0 || ciphertext.length % spec.blockSize !== 0) {
    throw new CipherFailure('length');
  }
  // Two-key 3DES (K1 K2 K1) is a different OpenSSL cipher name from three-key 3DES.
  const nodeName = spec.nodeName === 'des-ede3-cbc' && key.length === 16 ? 'des-ede-cbc' : spec.nodeName;
  try {
    const decipher = createDecipheriv(nodeName, key, iv);
    return Buffer.concat([decipher.update(ciphertext), decipher.final()]);
  } catch {
    throw new CipherFailure('padding');
  }
}

/** RFC 3394 key unwrap, with the RFC 5649 padded variant, over any 128-bit block cipher in ECB mode. */
function unwrapKey(ecbName: string, key: Buffer, data: Buffer): Buffer {
  if (data.length % 8 !== 0 || data.length < 16) throw new CipherFailure('length');
  const n = data.length / 8 - 1;
  let decipher;
  try {
    decipher = createDecipheriv(ecbName, key, null);
  } catch {
    throw new CipherFailure('key length');
  }
  decipher.setAutoPadding(false);
  let a: Buffer;
  const r: Buffer[] = [];
  if (n === 1) {
    const block = decipher.update(data);
    a = block.subarray(0, 8);
    r.push(block.subarray(8, 16));
  } else {
    a = Buffer.from(data.subarray(0, 8));
    for (let i = 0; i < n; i++) r.push(data.subarray(8 + 8 * i, 16 + 8 * i));
    const input = Buffer.alloc(16);
    for (let j = 5; j >= 0; j--) {
      for (let i = n; i >= 1; i--) {
        const t = BigInt(n * j + i);
        const aValue = a.readBigUInt64BE(0) ^ t;
        input.writeBigUInt64BE(aValue, 0);
        const ri = r[i - 1];
        if (ri === undefined) throw new CipherFailure('internal');
        ri.copy(input, 8);
        const block = decipher.update(input);
        a = Buffer.from(block.subarray(0, 8));
        r[i - 1] = Buffer.from(block.subarray(8, 16));
      }
    }
  }
  const plaintext = Buffer.concat(r);
  if (a.equals(RFC3394_IV)) return plaintext;
  if (a.subarray(0, 4).equals(RFC5649_IV_PREFIX)) {
    const length = a.readUInt32BE(4);
    if (length > 8 * (n - 1) && length <= 8 * n && plaintext.subarray(length).every((byte) => byte === 0)) {
      return plaintext.subarray(0, length);
    }
  }
  throw new CipherFailure('integrity check');
}

function decryptWith(spec: CipherSpec, key: Buffer, data: Buffer, containerIv: Buffer | null): Buffer {
  switch (spec.kind) {
    case 'cbc':
      return decryptCbc(spec, key, data, containerIv);
    case 'kw': {
      const bits = spec.keyLength * 8;
      if (key.length !== spec.keyLength) throw new CipherFailure('key length');
      return unwrapKey(`${spec.cipher}-${bits}-ecb`, key, data);
    }
    case 'kw-tripledes': {
      // RFC 3217 CMS Triple-DES key wrap, which OpenSSL provides (checksum and IV checked there).
      if (key.length !== 24) throw new CipherFailure('key length');
      try {
        const decipher = createDecipheriv('id-smime-alg-CMS3DESwrap', key, null);
        return Buffer.concat([decipher.update(data), decipher.final()]);
      } catch {
        throw new CipherFailure('integrity check');
      }
    }
  }
}

function macMatches(hash: string, key: Buffer, data: Buffer, expected: Buffer): boolean {
  const computed = createHmac(hash, key).update(data).digest();
  return computed.length === expected.length && timingSafeEqual(computed, expected);
}

/**
 * Decrypts a file's values with the caller's credentials. Construct one per file, after the container's
 * EncryptionKey and MACMethod have been read.
 */
export class PskcDecryptor {
  private encryptionKey: Buffer | null = null;
  private macKeyBytes: Buffer | null = null;
  private macHash: string | null = null;
  /** Values whose ValueMAC matched: once there is one, the credentials are known to be right. */
  private verifiedValues = 0;
  private readonly cipherCache = new Map<string, CipherSpec | null>();

  constructor(
    private readonly encryption: ContainerEncryption,
    private readonly credentials: PskcCredentials,
  ) {}

  /**
   * The plaintext of an EncryptedValue. `algorithm` is its EncryptionMethod (else the container's);
   * `mac` its ValueMAC, checked first as RFC 6030 §6.1.1 asks.
   */
  decrypt(algorithm: string | null, cipherValue: Buffer, mac: Buffer | null, record: string, serial: string | null = null): Buffer {
    const spec = this.cipher(algorithm ?? this.encryption.algorithm, record);
    const key = this.key(record);
    if (mac === null) return this.run(spec, key, cipherValue, record);
    const hash = this.hash(record);
    const macKey = this.macKey(record);
    // RFC 6030 §6.1.1: the MAC covers IV‖ciphertext, i.e. the CipherValue as written.
    if (macMatches(hash, macKey, cipherValue, mac)) return this.verified(this.run(spec, key, cipherValue, record));
    let plaintext: Buffer;
    try {
      // A wrong key usually fails here already (bad padding or key-wrap check): report it generically.
      plaintext = this.run(spec, key, cipherValue, record);
    } catch (error) {
      throw this.damaged(record, serial) ?? error;
    }
    // Older drafts (and ActivIdentity's files) MAC the plaintext instead.
    if (macMatches(hash, macKey, plaintext, mac)) return this.verified(plaintext);
    throw this.damaged(record, serial) ?? new SeedFileError('bad_mac', 'the ValueMAC does not match: the value was altered, or the key is wrong', record);
  }

  private verified(plaintext: Buffer): Buffer {
    this.verifiedValues += 1;
    return plaintext;
  }

  /**
   * A value that fails its MAC after others verified under the same MAC key: the key is right, so this
   * value was altered or damaged, and the refusal can name it (#11). Before any value verified, a failure
   * cannot be told from a wrong key, and the caller keeps the generic answer.
   */
  private damaged(record: string, serial: string | null): SeedFileError | null {
    if (this.verifiedValues === 0) return null;
    const which = serial === null ? 'this value' : `the value of serial ${serial}`;
    const before = this.verifiedValues === 1 ? 'the value before it verified' : `the ${this.verifiedValues} values before it verified`;
    return new SeedFileError('damaged_value', `${which} does not match its ValueMAC, although ${before} under the same key: it was altered or damaged`, record);
  }

  private run(spec: CipherSpec, key: Buffer, data: Buffer, record: string): Buffer {
    try {
      return decryptWith(spec, key, data, this.encryption.iv);
    } catch (error) {
      if (error instanceof CipherFailure) throw new SeedFileError('decryption_failed', DECRYPTION_FAILED, record);
      throw error;
    }
  }

  private cipher(uri: string | null, record: string): CipherSpec {
    if (uri === null || uri.trim() === '') {
      throw new SeedFileError('invalid_structure', 'an encrypted value names no EncryptionMethod algorithm', record);
    }
    let spec = this.cipherCache.get(uri);
    if (spec === undefined) {
      spec = cipherFor(uri);
      this.cipherCache.set(uri, spec);
    }
    if (spec === null) throw new SeedFileError('unsupported_algorithm', `unsupported encryption algorithm ${uri.trim()}`, record);
    return spec;
  }

  private key(record: string): Buffer {
    if (this.encryptionKey !== null) return this.encryptionKey;
    const derivation = this.encryption.derivation;
    const { psk, password } = this.credentials;
    if (derivation !== null) {
      if (password !== undefined) this.encryptionKey = this.derive(derivation, password, record);
      // A caller may hold the derived key itself rather than the password.
      else if (psk !== undefined) this.encryptionKey = psk;
      else throw new SeedFileError('missing_key', 'the file is encrypted with a password, and none was given', record);
    } else if (psk !== undefined) {
      this.encryptionKey = psk;
    } else if (password !== undefined) {
      throw new SeedFileError('missing_key', 'the file is encrypted with a pre-shared key, not a password; give the key', record);
    } else {
      throw new SeedFileError('missing_key', 'the file is encrypted, and no pre-shared key was given', record);
    }
    return this.encryptionKey;
  }

  private derive(derivation: KeyDerivation, password: string, record: string): Buffer {
    if (derivation.algorithm === null || derivation.algorithm.trim() !== PBKDF2_URI) {
      throw new SeedFileError('unsupported_algorithm', `unsupported key derivation ${derivation.algorithm ?? '(none)'}`, record);
    }
    const { salt, iterations, keyLength } = derivation;
    if (salt === null || iterations === null || keyLength === null) {
      throw new SeedFileError('invalid_structure', 'incomplete PBKDF2 parameters: salt, iteration count and key length are required', record);
    }
    if (iterations < 1 || keyLength < 1 || keyLength > 64) {
      throw new SeedFileError('invalid_value', 'PBKDF2 iteration count or key length out of range', record);
    }
    if (iterations > MAX_PBKDF2_ITERATIONS) {
      throw new SeedFileError('resource_limit', `PBKDF2 iteration count ${iterations} exceeds ${MAX_PBKDF2_ITERATIONS}`, record);
    }
    // PKCS #5 v2.0: the PRF defaults to HMAC-SHA1.
    const prfHash = derivation.prf === null ? 'sha1' : hmacHashFor(derivation.prf);
    if (prfHash === null) throw new SeedFileError('unsupported_algorithm', `unsupported PBKDF2 PRF ${derivation.prf ?? ''}`, record);
    return pbkdf2Sync(Buffer.from(password, 'utf8'), salt, iterations, keyLength, prfHash);
  }

  private hash(record: string): string {
    if (this.macHash !== null) return this.macHash;
    const uri = this.encryption.macAlgorithm;
    if (uri === null || uri.trim() === '') {
      throw new SeedFileError('invalid_structure', 'a value has a ValueMAC but the file names no MACMethod', record);
    }
    const hash = hmacHashFor(uri);
    if (hash === null) throw new SeedFileError('unsupported_algorithm', `unsupported MAC algorithm ${uri.trim()}`, record);
    this.macHash = hash;
    return hash;
  }

  /** RFC 6030 §6.1.1: MACKey is encrypted with the encryption key; older files use the encryption key itself. */
  private macKey(record: string): Buffer {
    if (this.macKeyBytes !== null) return this.macKeyBytes;
    const key = this.key(record);
    const macKey = this.encryption.macKey;
    if (macKey === null) {
      this.macKeyBytes = key;
    } else {
      if (macKey.cipher === null) throw new SeedFileError('invalid_structure', 'MACKey has no CipherValue', 'MACMethod');
      const spec = this.cipher(macKey.algorithm, 'MACMethod');
      this.macKeyBytes = this.run(spec, key, macKey.cipher, 'MACMethod');
    }
    return this.macKeyBytes;
  }
}
