// Algorithm identifiers as PSKC files write them, mapped to what node:crypto and otpgate understand.
// Real files do not always use the registered URIs: older drafts write `…pskc#hotp` where RFC 6030 §10
// registers `…pskc:hotp`, vendors write bare names (`HOTP`, `PBE-3DES112-CBC`, `HMAC-SHA1`), and some
// Camellia files use the xmlenc# namespace instead of the RFC 4051 xmldsig-more# one. We therefore match
// on the algorithm name after the namespace, but only for namespaces we know, so a vendor URI that
// happens to end in `#hotp` is not mistaken for the standard algorithm.

/** How an encrypted value is protected (RFC 6030 §6.1, XML Encryption §5). */
export type CipherSpec =
  | { kind: 'cbc'; nodeName: string; keyLengths: readonly number[]; blockSize: number }
  | { kind: 'kw'; cipher: 'aes' | 'camellia'; keyLength: number }
  | { kind: 'kw-tripledes' };

const ENCRYPTION_NAMESPACES = [
  'http://www.w3.org/2001/04/xmlenc#',
  'http://www.w3.org/2009/xmlenc11#',
  'http://www.w3.org/2001/04/xmldsig-more#',
];

const CIPHERS: ReadonlyMap<string, CipherSpec> = new Map<string, CipherSpec>([
  ['aes128-cbc', { kind: 'cbc', nodeName: 'aes-128-cbc', keyLengths: [16], blockSize: 16 }],
  ['aes192-cbc', { kind: 'cbc', nodeName: 'aes-192-cbc', keyLengths: [24], blockSize: 16 }],
  ['aes256-cbc', { kind: 'cbc', nodeName: 'aes-256-cbc', keyLengths: [32], blockSize: 16 }],
  // Two-key 3DES (16-byte keys, as PBE-3DES112 derives) and three-key 3DES (24 bytes) both occur.
  ['tripledes-cbc', { kind: 'cbc', nodeName: 'des-ede3-cbc', keyLengths: [16, 24], blockSize: 8 }],
  ['camellia128-cbc', { kind: 'cbc', nodeName: 'camellia-128-cbc', keyLengths: [16], blockSize: 16 }],
  ['camellia192-cbc', { kind: 'cbc', nodeName: 'camellia-192-cbc', keyLengths: [24], blockSize: 16 }],
  ['camellia256-cbc', { kind: 'cbc', nodeName: 'camellia-256-cbc', keyLengths: [32], blockSize: 16 }],
  ['kw-aes128', { kind: 'kw', cipher: 'aes', keyLength: 16 }],
  ['kw-aes192', { kind: 'kw', cipher: 'aes', keyLength: 24 }],
  ['kw-aes256', { kind: 'kw', cipher: 'aes', keyLength: 32 }],
  ['kw-camellia128', { kind: 'kw', cipher: 'camellia', keyLength: 16 }],
  ['kw-camellia192', { kind: 'kw', cipher: 'camellia', keyLength: 24 }],
  ['kw-camellia256', { kind: 'kw', cipher: 'camellia', keyLength: 32 }],
  ['kw-tripledes', { kind: 'kw-tripledes' }],
]);

/** Legacy draft names for the container-wide encryption (draft-hoyer-keyprov-portable-symmetric-key-container). */
const LEGACY_CIPHER_NAMES: ReadonlyMap<string, string> = new Map([
  ['PBE-3DES112-CBC', 'tripledes-cbc'],
  ['PBE-3DES168-CBC', 'tripledes-cbc'],
  ['PBE-AES128-CBC', 'aes128-cbc'],
  ['PBE-AES192-CBC', 'aes192-cbc'],
  ['PBE-AES256-CBC', 'aes256-cbc'],
  ['3DES112-CBC', 'tripledes-cbc'],
  ['3DES168-CBC', 'tripledes-cbc'],
  ['AES128-CBC', 'aes128-cbc'],
  ['AES192-CBC', 'aes192-cbc'],
  ['AES256-CBC', 'aes256-cbc'],
]);

/** The legacy `algorithm="NONE"` of the early drafts: values are not encrypted. */
export function isNoEncryption(uri: string): boolean {
  return uri.trim().toUpperCase() === 'NONE';
}

/** True for a legacy name that means "derive the key from a password" (PBE-…). */
export function isLegacyPasswordCipher(uri: string): boolean {
  return uri.trim().toUpperCase().startsWith('PBE-');
}

/** The cipher for an EncryptionMethod Algorithm, or null when otpgate does not support it (e.g. RSA). */
export function cipherFor(uri: string): CipherSpec | null {
  const trimmed = uri.trim();
  const legacy = LEGACY_CIPHER_NAMES.get(trimmed.toUpperCase());
  if (legacy !== undefined) return CIPHERS.get(legacy) ?? null;
  for (const namespace of ENCRYPTION_NAMESPACES) {
    if (trimmed.startsWith(namespace)) return CIPHERS.get(trimmed.slice(namespace.length)) ?? null;
  }
  return null;
}


const MAC_NAMESPACES = ['http://www.w3.org/2000/09/xmldsig#', 'http://www.w3.org/2001/04/xmldsig-more#'];
const MAC_HASHES: ReadonlyMap<string, string> = new Map([
  ['hmac-sha1', 'sha1'],
  ['hmac-sha224', 'sha224'],
  ['hmac-sha256', 'sha256'],
  ['hmac-sha384', 'sha384'],
  ['hmac-sha512', 'sha512'],
]);

/** node:crypto hash name for a MACMethod / DigestMethod / PBKDF2 PRF algorithm, or null when unknown. */
export function hmacHashFor(uri: string): string | null {
  const trimmed = uri.trim();
  // Early drafts write bare names such as `HMAC-SHA1`.
  const bare = MAC_HASHES.get(trimmed.toLowerCase());
  if (bare !== undefined) return bare;
  for (const namespace of MAC_NAMESPACES) {
    if (trimmed.startsWith(namespace)) return MAC_HASHES.get(trimmed.slice(namespace.length)) ?? null;
  }
  return null;
}

export const PBKDF2_URI = 'http://www.rsasecurity.com/rsalabs/pkcs/schemas/pkcs-5v2-0#pbkdf2';

/** What kind of OTP algorithm a Key's Algorithm attribute names (RFC 6030 §10.4 and the pre-RFC drafts). */
export type KeyAlgorithmKind = 'hotp' | 'totp' | 'pin' | 'ocra' | 'other';

const KEY_ALGORITHM_PREFIXES = [
  'urn:ietf:params:xml:ns:keyprov:pskc:',
  'urn:ietf:params:xml:ns:keyprov:pskc#',
  'http://www.ietf.org/keyprov/pskc#',
];

export function keyAlgorithmKind(uri: string): KeyAlgorithmKind {
  const trimmed = uri.trim();
  let name: string | null = null;
  for (const prefix of KEY_ALGORITHM_PREFIXES) {
    if (trimmed.startsWith(prefix)) {
      name = trimmed.slice(prefix.length);
      break;
    }
  }
  // The first drafts (SecretAlgorithm="HOTP") use bare names.
  if (name === null && !trimmed.includes(':') && !trimmed.includes('/')) name = trimmed;
  if (name === null) return 'other';
  const lower = name.toLowerCase();
  if (lower === 'hotp') return 'hotp';
  if (lower === 'totp') return 'totp';
  if (lower === 'pin') return 'pin';
  if (lower === 'ocra' || lower.startsWith('ocra-')) return 'ocra';
  return 'other';
}
