// The XML vocabulary the PSKC reader understands: which namespaces it reads, the element names of a
// container's levels, the value and policy names of RFC 6030 and of the pre-RFC drafts, and the named
// positions (ElementPath steps) at which each part of a file is read.
import type { SaxesTagNS } from 'saxes';
import { ANY, pattern } from './pskc-path.js';

// Namespaces whose elements are matched by local name: RFC 6030, the pre-RFC drafts, and the XML
// Encryption / Signature / PKCS #5 vocabularies PSKC embeds (RFC 6030 §4, §6).
export const PSKC_NAMESPACES: ReadonlySet<string> = new Set([
  'urn:ietf:params:xml:ns:keyprov:pskc',
  'urn:ietf:params:xml:ns:keyprov:pskc:1.0',
  'urn:ietf:params:xml:ns:keyprov:container:1.0',
  'urn:ietf:params:xml:ns:keyprov:container',
  'http://www.openauthentication.org/OATH/2006/08/PSKC',
  '',
]);
const EMBEDDED_NAMESPACES: ReadonlySet<string> = new Set([
  'http://www.w3.org/2000/09/xmldsig#',
  'http://www.w3.org/2001/04/xmlenc#',
  'http://www.w3.org/2009/xmlenc11#',
  'http://www.rsasecurity.com/rsalabs/pkcs/schemas/pkcs-5v2-0#',
]);
const XINCLUDE_NAMESPACES: ReadonlySet<string> = new Set(['http://www.w3.org/2001/XInclude', 'http://www.w3.org/2003/XInclude']);
/** The path entry of an element in a namespace this reader does not read: it matches no name. */
const FOREIGN = '#foreign';

export function isXInclude(tag: SaxesTagNS): boolean {
  return XINCLUDE_NAMESPACES.has(tag.uri);
}

/** The element's local name when its namespace is one PSKC uses, else a name that matches nothing. */
export function localNameOf(tag: SaxesTagNS): string {
  return PSKC_NAMESPACES.has(tag.uri) || EMBEDDED_NAMESPACES.has(tag.uri) ? tag.local : FOREIGN;
}

/** The first of the named attributes the element carries (files spell some several ways). */
export function attribute(tag: SaxesTagNS, ...names: string[]): string | null {
  for (const name of names) {
    const found = tag.attributes[name];
    if (found !== undefined) return found.value;
  }
  return null;
}

// The levels of a file, each with the names RFC 6030 and the drafts give it.
/** The root: RFC 6030 KeyContainer, the drafts' SecretContainer. */
export const CONTAINER = ['KeyContainer', 'SecretContainer'] as const;
/** One token: RFC 6030 KeyPackage, the drafts' Device. */
export const PACKAGE = ['KeyPackage', 'Device'] as const;
/** One key of a package: RFC 6030 Key, the drafts' Secret (in a Device only). */
export const KEY = ['Key', 'Secret'] as const;
/** The package's device description: RFC 6030 DeviceInfo, the drafts' DeviceId. */
export const DEVICE_INFO = ['DeviceInfo', 'DeviceId'] as const;
/** The container's encryption key description: RFC 6030 EncryptionKey, the drafts' EncryptionMethod. */
export const ENCRYPTION_KEY = ['EncryptionKey', 'EncryptionMethod'] as const;
/** The container's MAC description: RFC 6030 MACMethod, the drafts' DigestMethod. */
export const MAC_METHOD = ['MACMethod', 'DigestMethod'] as const;

// Where each part of a file is read, from the root down (ElementPath.at / within).
/** A child of the container: the header's elements, or a KeyPackage. */
export const CONTAINER_CHILD = pattern(CONTAINER, ANY);
export const AT_PACKAGE = pattern(CONTAINER, PACKAGE);
export const MAC_ALGORITHM = pattern(CONTAINER, 'MACAlgorithm');
export const IN_ENCRYPTION_KEY = pattern(CONTAINER, ENCRYPTION_KEY);
export const IN_MAC_METHOD = pattern(CONTAINER, MAC_METHOD);
export const AT_MAC_KEY = pattern(CONTAINER, MAC_METHOD, 'MACKey');
export const PACKAGE_CHILD = pattern(CONTAINER, PACKAGE, ANY);
export const DEVICE_INFO_CHILD = pattern(CONTAINER, PACKAGE, DEVICE_INFO, ANY);
export const CRYPTO_MODULE_ID = pattern(CONTAINER, PACKAGE, 'CryptoModuleInfo', 'Id');
export const AT_KEY = pattern(CONTAINER, PACKAGE, KEY);
export const KEY_CHILD = pattern(CONTAINER, PACKAGE, KEY, ANY);
export const LEGACY_USAGE = pattern(CONTAINER, PACKAGE, KEY, 'Usage');
export const LEGACY_USAGE_CHILD = pattern(CONTAINER, PACKAGE, KEY, 'Usage', ANY);
export const ALGORITHM_PARAMETER = pattern(CONTAINER, PACKAGE, KEY, 'AlgorithmParameters', ANY);
export const SUITE = pattern(CONTAINER, PACKAGE, KEY, 'AlgorithmParameters', 'Suite');
export const AT_DATA = pattern(CONTAINER, PACKAGE, KEY, 'Data');
export const DATA_CHILD = pattern(CONTAINER, PACKAGE, KEY, 'Data', ANY);
export const POLICY_CHILD = pattern(CONTAINER, PACKAGE, KEY, 'Policy', ANY);
export const IN_PIN_POLICY = pattern(CONTAINER, PACKAGE, KEY, 'Policy', 'PINPolicy');
// A value's parts, below the value's own element (ElementPath.below).
export const VALUE_CHILD = pattern(ANY);
export const VALUE_ENCRYPTION_METHOD = pattern('EncryptedValue', 'EncryptionMethod');
/** RFC 6030 §6.2 PBES2: the cipher is named by an EncryptionScheme inside the EncryptionMethod. */
export const VALUE_ENCRYPTION_SCHEME = pattern(ANY, 'EncryptionMethod', 'EncryptionScheme');
export const VALUE_CIPHER_VALUE = pattern('EncryptedValue', 'CipherData', 'CipherValue');

export type ValueField = 'secret' | 'counter' | 'time' | 'timeInterval' | 'timeDrift';

/** RFC 6030 §4.3.4 Data children. */
export const VALUE_FIELDS: ReadonlyMap<string, ValueField> = new Map<string, ValueField>([
  ['Secret', 'secret'],
  ['Counter', 'counter'],
  ['Time', 'time'],
  ['TimeInterval', 'timeInterval'],
  ['TimeDrift', 'timeDrift'],
]);
/** The drafts' <Data Name="…"> names. */
export const LEGACY_VALUE_FIELDS: ReadonlyMap<string, ValueField> = new Map<string, ValueField>([
  ['secret', 'secret'],
  ['counter', 'counter'],
  ['time', 'time'],
  ['time_interval', 'timeInterval'],
  ['timeinterval', 'timeInterval'],
]);

/** RFC 6030 §4.3.2 Policy children and PINPolicy attributes; anything else makes the key unusable (§5). */
export const KNOWN_POLICY_CHILDREN: ReadonlySet<string> = new Set(['StartDate', 'ExpiryDate', 'NumberOfTransactions', 'KeyUsage', 'PINPolicy']);
export const KNOWN_PIN_POLICY_ATTRIBUTES: ReadonlySet<string> = new Set(['PINKeyId', 'PINUsageMode', 'MaxFailedAttempts', 'MinLength', 'MaxLength', 'PINEncoding']);
/** The drafts' <Usage OTP="true" CR="false" …> flags. */
export const LEGACY_USAGE_FLAGS = ['OTP', 'CR', 'Integrity', 'Encrypt', 'Unlock'] as const;
