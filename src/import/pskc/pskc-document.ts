// The streaming PSKC document reader: saxes events in, one PskcKeyRecord per Key out.
// Only the current KeyPackage is held in memory (RFC 6030 §4: a KeyContainer is a list of independent
// KeyPackages), so a 100,000-key file costs no more than its results. Values are decrypted and their
// MACs checked as soon as each value element closes, with the container's EncryptionKey and MACMethod,
// which the schema places before the first KeyPackage.
import { SaxesParser, type SaxesTagNS } from 'saxes';
import { SeedFileError } from '../imported-key.js';
import { PBKDF2_URI, isLegacyPasswordCipher, isNoEncryption } from './pskc-algorithms.js';
import { type ContainerEncryption, type PskcCredentials, PskcDecryptor, emptyContainerEncryption } from './pskc-crypto.js';
import { decodeBase64, decodeBoolean, decodeDate, decodeInteger, decodePlainInteger, integerFromBytes } from './pskc-values.js';

/** Everything otpgate reads from one Key, with its KeyPackage's device data merged in. */
export interface PskcKeyRecord {
  /** 1-based position of the Key in the file. */
  index: number;
  /** `key 3 (Id 12345678)`: how messages name this key. */
  source: string;
  id: string | null;
  algorithm: string | null;
  serial: string | null;
  manufacturer: string | null;
  model: string | null;
  issueNo: string | null;
  cryptoModule: string | null;
  deviceStartDate: Date | null;
  deviceExpiryDate: Date | null;
  issuer: string | null;
  friendlyName: string | null;
  keyReference: string | null;
  secret: Buffer | null;
  counter: bigint | null;
  /** RFC 6030 §4.3.4 Time: T0 of a time-based algorithm. */
  time: bigint | null;
  timeInterval: bigint | null;
  timeDrift: bigint | null;
  responseLength: number | null;
  responseEncoding: string | null;
  suite: string | null;
  keyUsage: string[];
  startDate: Date | null;
  expiryDate: Date | null;
  pinKeyId: string | null;
  pinUsageMode: string | null;
  /** RFC 6030 §5: a Policy child or PINPolicy attribute this reader does not understand. */
  unknownPolicy: boolean;
}

export interface PskcDocumentLimits {
  /** Element nesting depth; libxml2 uses 256, real PSKC files need about 10. */
  maxDepth: number;
  /** Characters the parser may buffer without producing an event (one text node, tag or DOCTYPE). */
  maxPendingChars: number;
  /** Keys in one KeyPackage / Device (RFC 6030 has one; the drafts a few). */
  maxKeysPerPackage: number;
}

export const DEFAULT_LIMITS: PskcDocumentLimits = { maxDepth: 64, maxPendingChars: 1 << 20, maxKeysPerPackage: 256 };

// Namespaces whose elements are matched by local name: RFC 6030, the pre-RFC drafts, and the XML
// Encryption / Signature / PKCS #5 vocabularies PSKC embeds (RFC 6030 §4, §6).
const PSKC_NAMESPACES = new Set([
  'urn:ietf:params:xml:ns:keyprov:pskc',
  'urn:ietf:params:xml:ns:keyprov:pskc:1.0',
  'urn:ietf:params:xml:ns:keyprov:container:1.0',
  'urn:ietf:params:xml:ns:keyprov:container',
  'http://www.openauthentication.org/OATH/2006/08/PSKC',
  '',
]);
const EMBEDDED_NAMESPACES = new Set([
  'http://www.w3.org/2000/09/xmldsig#',
  'http://www.w3.org/2001/04/xmlenc#',
  'http://www.w3.org/2009/xmlenc11#',
  'http://www.rsasecurity.com/rsalabs/pkcs/schemas/pkcs-5v2-0#',
]);
const XINCLUDE_NAMESPACES = new Set(['http://www.w3.org/2001/XInclude', 'http://www.w3.org/2003/XInclude']);
/** Path entry for an element in a namespace we do not read. */
const FOREIGN = '#foreign';

const VALUE_FIELDS: ReadonlyMap<string, ValueField> = new Map<string, ValueField>([
  ['Secret', 'secret'],
  ['Counter', 'counter'],
  ['Time', 'time'],
  ['TimeInterval', 'timeInterval'],
  ['TimeDrift', 'timeDrift'],
]);
// The drafts' <Data Name="…"> names.
const LEGACY_VALUE_FIELDS: ReadonlyMap<string, ValueField> = new Map<string, ValueField>([
  ['secret', 'secret'],
  ['counter', 'counter'],
  ['time', 'time'],
  ['time_interval', 'timeInterval'],
  ['timeinterval', 'timeInterval'],
]);
// RFC 6030 §4.3.2 Policy children and PINPolicy attributes; anything else makes the key unusable.
const KNOWN_POLICY_CHILDREN = new Set(['StartDate', 'ExpiryDate', 'NumberOfTransactions', 'KeyUsage', 'PINPolicy']);
const KNOWN_PIN_POLICY_ATTRIBUTES = new Set(['PINKeyId', 'PINUsageMode', 'MaxFailedAttempts', 'MinLength', 'MaxLength', 'PINEncoding']);
// Legacy <Usage OTP="true" CR="false" …> flags of the drafts.
const LEGACY_USAGE_FLAGS = ['OTP', 'CR', 'Integrity', 'Encrypt', 'Unlock'];

type ValueField = 'secret' | 'counter' | 'time' | 'timeInterval' | 'timeDrift';

interface ValueState {
  field: ValueField | null;
  depth: number;
  legacy: boolean;
  plainText: string | null;
  legacyText: string | null;
  cipherText: string | null;
  macText: string | null;
  algorithm: string | null;
}

interface PackageState {
  serial: string | null;
  manufacturer: string | null;
  model: string | null;
  issueNo: string | null;
  cryptoModule: string | null;
  startDate: Date | null;
  expiryDate: Date | null;
  keys: PskcKeyRecord[];
}

function attribute(tag: SaxesTagNS, ...names: string[]): string | null {
  for (const name of names) {
    const found = tag.attributes[name];
    if (found !== undefined) return found.value;
  }
  return null;
}

/**
 * A copy of a string that shares no memory with the parser's input. V8 makes substrings of 13 or more
 * characters "sliced strings" that keep their whole parent alive: a serial kept from each KeyPackage
 * would otherwise pin every 64 KiB input chunk, i.e. the whole file, in memory.
 */
function detach(text: string): string {
  return text.length < 13 ? text : Buffer.from(text, 'utf8').toString('utf8');
}

function nonEmpty(text: string): string | null {
  const trimmed = text.trim();
  return trimmed === '' ? null : trimmed;
}

function newKey(index: number, id: string | null, algorithm: string | null): PskcKeyRecord {
  return {
    index,
    source: id === null ? `key ${index}` : `key ${index} (Id ${id})`,
    id,
    algorithm,
    serial: null,
    manufacturer: null,
    model: null,
    issueNo: null,
    cryptoModule: null,
    deviceStartDate: null,
    deviceExpiryDate: null,
    issuer: null,
    friendlyName: null,
    keyReference: null,
    secret: null,
    counter: null,
    time: null,
    timeInterval: null,
    timeDrift: null,
    responseLength: null,
    responseEncoding: null,
    suite: null,
    keyUsage: [],
    startDate: null,
    expiryDate: null,
    pinKeyId: null,
    pinUsageMode: null,
    unknownPolicy: false,
  };
}

/**
 * Feed text with `write`, finish with `close`; `onKey` receives each key when its KeyPackage ends.
 * Throws SeedFileError for anything that refuses the file.
 */
export class PskcDocumentReader {
  private readonly parser = new SaxesParser({ xmlns: true, position: true });
  private readonly path: string[] = [];
  private text = '';
  private pendingChars = 0;
  private rootSeen = false;
  /** A wrong root element, reported once the document has shown it is at least well-formed so far. */
  private rootProblem: SeedFileError | null = null;
  private packagesSeen = false;
  private readonly encryption: ContainerEncryption = emptyContainerEncryption();
  private decryptor: PskcDecryptor | null = null;
  private pkg: PackageState | null = null;
  private key: PskcKeyRecord | null = null;
  private value: ValueState | null = null;
  private keyCount = 0;
  /** Values that repeat on every key (algorithm, manufacturer, issuer…), stored once. */
  private readonly interned = new Map<string, string>();

  constructor(
    private readonly credentials: PskcCredentials,
    private readonly onKey: (key: PskcKeyRecord) => void,
    private readonly limits: PskcDocumentLimits = DEFAULT_LIMITS,
  ) {
    const parser = this.parser;
    parser.on('error', (error) => {
      throw new SeedFileError('not_xml', `not well-formed XML: ${error.message}`, `line ${parser.line}`);
    });
    // RFC 6030 files never need a DTD; refusing any DOCTYPE means no entity is ever declared, resolved
    // or expanded (XXE, billion laughs). saxes itself never fetches or expands DTD content.
    parser.on('doctype', () => {
      throw new SeedFileError('forbidden_dtd', 'DOCTYPE and entity declarations are not allowed in a PSKC file', `line ${parser.line}`);
    });
    // No 'xmldecl' handler: the input is decoded as strict UTF-8 before saxes sees it, and each extra
    // handler property on the parser measurably slows saxes' hot loop (V8 object shape).
    parser.on('text', (text) => {
      this.pendingChars = 0;
      if (this.text.length + text.length > this.limits.maxPendingChars) {
        throw new SeedFileError('resource_limit', `text longer than ${this.limits.maxPendingChars} characters`, `line ${parser.line}`);
      }
      this.text += text;
    });
    parser.on('cdata', (text) => {
      this.pendingChars = 0;
      this.text += text;
    });
    parser.on('opentag', (tag) => {
      this.pendingChars = 0;
      this.openElement(tag);
    });
    parser.on('closetag', () => {
      this.pendingChars = 0;
      this.closeElement();
    });
  }

  /** Feeds part of the document; slices keep what saxes may buffer between two events bounded. */
  write(chunk: string): void {
    const slice = 65_536;
    for (let start = 0; start < chunk.length; start += slice) {
      const part = start === 0 && chunk.length <= slice ? chunk : chunk.slice(start, start + slice);
      this.parser.write(part);
      this.pendingChars += part.length;
      if (this.pendingChars > this.limits.maxPendingChars) {
        throw new SeedFileError('resource_limit', `a single text, tag or declaration exceeds ${this.limits.maxPendingChars} characters`, `line ${this.parser.line}`);
      }
    }
  }

  close(): void {
    this.parser.close();
    if (this.rootProblem !== null) throw this.rootProblem;
    if (!this.rootSeen) throw new SeedFileError('not_xml', 'the document is empty');
  }

  /** A detached copy of a value that usually repeats across keys, shared between them. */
  private intern(text: string | null): string | null {
    if (text === null) return null;
    const known = this.interned.get(text);
    if (known !== undefined) return known;
    const copy = detach(text);
    if (this.interned.size < 1024) this.interned.set(copy, copy);
    return copy;
  }

  private keep(text: string | null): string | null {
    return text === null ? null : detach(text);
  }

  private line(): string {
    return `line ${this.parser.line}`;
  }

  private openElement(tag: SaxesTagNS): void {
    if (XINCLUDE_NAMESPACES.has(tag.uri)) {
      throw new SeedFileError('forbidden_dtd', 'XInclude is not allowed in a PSKC file', this.line());
    }
    const local = PSKC_NAMESPACES.has(tag.uri) || EMBEDDED_NAMESPACES.has(tag.uri) ? tag.local : FOREIGN;
    this.path.push(local);
    this.text = '';
    const depth = this.path.length;
    if (depth > this.limits.maxDepth) {
      throw new SeedFileError('resource_limit', `elements nested deeper than ${this.limits.maxDepth}`, this.line());
    }
    if (depth === 1) return this.openRoot(tag, local);
    if (this.rootProblem !== null) throw this.rootProblem;
    const section = this.path[1];
    if (depth === 2) return this.openContainerChild(tag, local);
    if (section === 'EncryptionKey' || section === 'EncryptionMethod') return this.openEncryptionKeyPart(tag, local);
    if (section === 'MACMethod' || section === 'DigestMethod') return this.openMacPart(tag, local, depth);
    if (this.pkg !== null) this.openPackagePart(tag, local, depth);
  }

  private openRoot(tag: SaxesTagNS, local: string): void {
    this.rootSeen = true;
    if (!PSKC_NAMESPACES.has(tag.uri) || (local !== 'KeyContainer' && local !== 'SecretContainer')) {
      // Deferred to the root's first child or the document's end: saxes reports a mismatched close tag
      // of the root only after its closetag event, and a file that is not XML at all must say not_xml.
      this.rootProblem = new SeedFileError('invalid_structure', `the root element is ${tag.name}, not a PSKC KeyContainer`, this.line());
    }
    const version = attribute(tag, 'Version', 'version');
    // RFC 6030 §4: Version 1.0; the drafts' KeyContainer wrote "1". The legacy SecretContainer carries
    // its own numbering (1.2) and is accepted as such.
    if (local === 'KeyContainer' && version !== null && version !== '1.0' && version !== '1') {
      throw new SeedFileError('unsupported_version', `PSKC version ${version} is not supported (only 1.0)`, this.line());
    }
  }

  private assertBeforePackages(name: string): void {
    if (this.packagesSeen) {
      throw new SeedFileError('invalid_structure', `${name} must come before the first KeyPackage (RFC 6030 §4)`, this.line());
    }
  }

  private openContainerChild(tag: SaxesTagNS, local: string): void {
    switch (local) {
      case 'KeyPackage':
      case 'Device':
        this.packagesSeen = true;
        this.pkg = { serial: null, manufacturer: null, model: null, issueNo: null, cryptoModule: null, startDate: null, expiryDate: null, keys: [] };
        return;
      case 'EncryptionKey': {
        this.assertBeforePackages(local);
        this.encryption.algorithm = attribute(tag, 'Algorithm') ?? this.encryption.algorithm;
        return;
      }
      case 'EncryptionMethod': {
        // The drafts' container-wide <EncryptionMethod algorithm="…">.
        this.assertBeforePackages(local);
        const algorithm = attribute(tag, 'Algorithm', 'algorithm');
        if (algorithm === null || isNoEncryption(algorithm)) return;
        this.encryption.algorithm = algorithm;
        if (isLegacyPasswordCipher(algorithm)) {
          // PBE-3DES112-CBC: PBKDF2 (HMAC-SHA1) giving a 112-bit (16-byte) two-key 3DES key, etc.
          const keyLength = /3DES112|AES128/i.test(algorithm) ? 16 : /AES256/i.test(algorithm) ? 32 : 24;
          this.encryption.derivation = { algorithm: PBKDF2_URI, salt: null, iterations: null, keyLength, prf: null };
        }
        return;
      }
      case 'MACMethod':
      case 'DigestMethod':
        this.assertBeforePackages(local);
        this.encryption.macAlgorithm = attribute(tag, 'Algorithm', 'algorithm');
        return;
      default:
        return;
    }
  }

  private openEncryptionKeyPart(tag: SaxesTagNS, local: string): void {
    if (local === 'KeyDerivationMethod') {
      this.encryption.derivation = { algorithm: attribute(tag, 'Algorithm'), salt: null, iterations: null, keyLength: null, prf: null };
    } else if (local === 'PRF' && this.encryption.derivation !== null) {
      this.encryption.derivation.prf = attribute(tag, 'Algorithm');
    }
  }

  private openMacPart(tag: SaxesTagNS, local: string, depth: number): void {
    if (local === 'MACKey' && depth === 3) this.encryption.macKey = { algorithm: null, cipher: null };
    else if (local === 'EncryptionMethod' && this.path[2] === 'MACKey' && this.encryption.macKey !== null) {
      this.encryption.macKey.algorithm = attribute(tag, 'Algorithm');
    }
  }

  private openPackagePart(tag: SaxesTagNS, local: string, depth: number): void {
    const pkg = this.pkg;
    if (pkg === null) return;
    if (depth === 3) {
      // RFC 6030 KeyPackage/Key; the drafts' Device/Key and Device/Secret.
      if (local === 'Key' || (local === 'Secret' && this.path[1] === 'Device')) {
        if (pkg.keys.length >= this.limits.maxKeysPerPackage) {
          throw new SeedFileError('resource_limit', `more than ${this.limits.maxKeysPerPackage} keys in one KeyPackage`, this.line());
        }
        this.keyCount += 1;
        const key = newKey(
          this.keyCount,
          this.keep(attribute(tag, 'Id', 'KeyId', 'SecretId')),
          this.intern(attribute(tag, 'Algorithm', 'KeyAlgorithm', 'SecretAlgorithm')),
        );
        this.key = key;
        pkg.keys.push(key);
      }
      return;
    }
    const key = this.key;
    if (key === null || this.path[2] === 'DeviceInfo' || this.path[2] === 'DeviceId') return;
    const parent = this.path[depth - 2];
    if (depth === 4) {
      if (local === 'Usage') this.readLegacyUsage(tag, key);
      else if (local === 'Data') {
        const name = attribute(tag, 'Name');
        if (name !== null) this.value = this.newValue(LEGACY_VALUE_FIELDS.get(name.toLowerCase()) ?? null, depth, true);
      } else if (local === 'Policy') {
        // nothing to read on the element itself
      }
      return;
    }
    if (this.path[3] === 'Policy') return this.openPolicyPart(tag, local, depth, key);
    if (depth === 5 && (parent === 'AlgorithmParameters' || parent === 'Usage')) {
      if (local === 'ResponseFormat') this.readResponseFormat(tag, key);
      else if (local === 'ChallengeFormat') this.readChallengeFormat(tag, key);
      return;
    }
    if (depth === 5 && parent === 'Data' && this.value === null) {
      const field = VALUE_FIELDS.get(local);
      if (field !== undefined) this.value = this.newValue(field, depth, false);
      return;
    }
    const value = this.value;
    if (value === null) return;
    if (local === 'EncryptionMethod' && depth === value.depth + 2 && parent === 'EncryptedValue') {
      value.algorithm = attribute(tag, 'Algorithm') ?? value.algorithm;
    } else if (local === 'EncryptionScheme' && depth === value.depth + 3 && parent === 'EncryptionMethod') {
      // RFC 6030 §6.2 PBES2: the cipher is named by the nested EncryptionScheme.
      value.algorithm = attribute(tag, 'Algorithm') ?? value.algorithm;
    }
  }

  private newValue(field: ValueField | null, depth: number, legacy: boolean): ValueState {
    return { field, depth, legacy, plainText: null, legacyText: null, cipherText: null, macText: null, algorithm: null };
  }

  private openPolicyPart(tag: SaxesTagNS, local: string, depth: number, key: PskcKeyRecord): void {
    if (depth === 5) {
      if (!KNOWN_POLICY_CHILDREN.has(local)) key.unknownPolicy = true;
      if (local === 'PINPolicy') {
        for (const name of Object.keys(tag.attributes)) {
          if (!KNOWN_PIN_POLICY_ATTRIBUTES.has(name) && !name.startsWith('xmlns')) key.unknownPolicy = true;
        }
        key.pinKeyId = this.keep(attribute(tag, 'PINKeyId'));
        key.pinUsageMode = this.intern(attribute(tag, 'PINUsageMode'));
        for (const name of ['MinLength', 'MaxLength', 'MaxFailedAttempts']) {
          const text = attribute(tag, name);
          if (text !== null && text !== '') decodeInteger(text, `PINPolicy ${name}`, key.source);
        }
      }
    } else if (this.path[4] === 'PINPolicy') {
      // RFC 6030 §4.3.2 defines no children of PINPolicy.
      key.unknownPolicy = true;
    }
  }

  private readLegacyUsage(tag: SaxesTagNS, key: PskcKeyRecord): void {
    for (const flag of LEGACY_USAGE_FLAGS) {
      const text = attribute(tag, flag);
      if (text !== null && text !== '' && decodeBoolean(text, `Usage ${flag}`, key.source)) key.keyUsage.push(flag);
    }
  }

  private readResponseFormat(tag: SaxesTagNS, key: PskcKeyRecord): void {
    key.responseEncoding = this.intern(attribute(tag, 'Encoding', 'Format', 'format')) ?? key.responseEncoding;
    const length = attribute(tag, 'Length', 'length');
    if (length !== null && length !== '') key.responseLength = decodeInteger(length, 'ResponseFormat Length', key.source);
    const check = attribute(tag, 'CheckDigits', 'CheckDigit');
    if (check !== null && check !== '') decodeBoolean(check, 'ResponseFormat CheckDigits', key.source);
  }

  private readChallengeFormat(tag: SaxesTagNS, key: PskcKeyRecord): void {
    for (const name of ['Min', 'Max']) {
      const text = attribute(tag, name);
      if (text !== null && text !== '') decodeInteger(text, `ChallengeFormat ${name}`, key.source);
    }
    const check = attribute(tag, 'CheckDigits', 'CheckDigit');
    if (check !== null && check !== '') decodeBoolean(check, 'ChallengeFormat CheckDigits', key.source);
  }

  private closeElement(): void {
    const depth = this.path.length;
    const local = this.path[depth - 1] ?? '';
    const text = this.text;
    this.text = '';
    try {
      if (depth === 2) this.closeContainerChild(local, text);
      else if (depth > 2) {
        const section = this.path[1];
        if (section === 'EncryptionKey' || section === 'EncryptionMethod') this.closeEncryptionKeyPart(local, text);
        else if (section === 'MACMethod' || section === 'DigestMethod') this.closeMacPart(local, text);
        else if (this.pkg !== null) this.closePackagePart(local, text, depth);
      }
    } finally {
      this.path.pop();
    }
  }

  private closeContainerChild(local: string, text: string): void {
    if (local === 'MACAlgorithm') {
      // draft-ietf-keyprov-pskc-02 writes the MAC algorithm as element text.
      this.assertBeforePackages(local);
      this.encryption.macAlgorithm = nonEmpty(text) ?? this.encryption.macAlgorithm;
    } else if ((local === 'KeyPackage' || local === 'Device') && this.pkg !== null) {
      const pkg = this.pkg;
      this.pkg = null;
      this.key = null;
      this.value = null;
      for (const key of pkg.keys) {
        key.serial = pkg.serial;
        key.manufacturer = pkg.manufacturer;
        key.model = pkg.model;
        key.issueNo = pkg.issueNo;
        key.cryptoModule = pkg.cryptoModule;
        key.deviceStartDate = pkg.startDate;
        key.deviceExpiryDate = pkg.expiryDate;
        this.onKey(key);
      }
    }
  }

  private closeEncryptionKeyPart(local: string, text: string): void {
    const derivation = this.encryption.derivation;
    const value = nonEmpty(text);
    if (value === null) return;
    switch (local) {
      case 'IV':
        this.encryption.iv = decodeBase64(value, 'IV', 'EncryptionKey');
        return;
      case 'Specified':
      case 'PBESalt':
        if (derivation !== null) derivation.salt = decodeBase64(value, 'PBKDF2 salt', 'EncryptionKey');
        return;
      case 'IterationCount':
      case 'PBEIterationCount':
        if (derivation !== null) derivation.iterations = decodeInteger(value, 'PBKDF2 iteration count', 'EncryptionKey');
        return;
      case 'KeyLength':
        if (derivation !== null) derivation.keyLength = decodeInteger(value, 'PBKDF2 key length', 'EncryptionKey');
        return;
      default:
        return;
    }
  }

  private closeMacPart(local: string, text: string): void {
    const macKey = this.encryption.macKey;
    const value = nonEmpty(text);
    if (local === 'CipherValue' && macKey !== null && value !== null) macKey.cipher = decodeBase64(value, 'MACKey CipherValue', 'MACMethod');
  }

  private closePackagePart(local: string, text: string, depth: number): void {
    const pkg = this.pkg;
    if (pkg === null) return;
    const section = this.path[2];
    if (depth === 4 && (section === 'DeviceInfo' || section === 'DeviceId')) return this.closeDeviceInfo(pkg, local, text);
    if (depth === 4 && section === 'CryptoModuleInfo' && local === 'Id') {
      pkg.cryptoModule = this.intern(nonEmpty(text));
      return;
    }
    const key = this.key;
    if (key === null) return;
    if (depth === 3) {
      this.key = null;
      return;
    }
    const value = this.value;
    if (value !== null) {
      if (depth === value.depth) {
        this.value = null;
        this.storeValue(key, value);
        return;
      }
      this.collectValuePart(value, local, text, depth);
      return;
    }
    if (depth === 4) {
      const trimmed = nonEmpty(text);
      switch (local) {
        case 'Issuer':
          key.issuer = this.intern(trimmed);
          return;
        case 'FriendlyName':
          key.friendlyName = this.keep(trimmed);
          return;
        case 'KeyReference':
          key.keyReference = this.keep(trimmed);
          return;
        case 'StartDate':
          if (trimmed !== null) key.startDate = decodeDate(trimmed, 'StartDate', key.source);
          return;
        case 'ExpiryDate':
          if (trimmed !== null) key.expiryDate = decodeDate(trimmed, 'ExpiryDate', key.source);
          return;
        default:
          return;
      }
    }
    if (depth === 5 && this.path[3] === 'AlgorithmParameters' && local === 'Suite') {
      key.suite = this.intern(nonEmpty(text));
      return;
    }
    if (depth === 5 && this.path[3] === 'Policy') this.closePolicyPart(key, local, text);
  }

  private closeDeviceInfo(pkg: PackageState, local: string, text: string): void {
    const value = nonEmpty(text);
    switch (local) {
      case 'Manufacturer':
        pkg.manufacturer = this.intern(value);
        return;
      case 'SerialNo':
        pkg.serial = this.keep(value);
        return;
      case 'Model':
        pkg.model = this.intern(value);
        return;
      case 'IssueNo':
        pkg.issueNo = this.keep(value);
        return;
      case 'StartDate':
        if (value !== null) pkg.startDate = decodeDate(value, 'DeviceInfo StartDate', this.line());
        return;
      case 'ExpiryDate':
      case 'Expiry':
        if (value !== null) pkg.expiryDate = decodeDate(value, 'DeviceInfo ExpiryDate', this.line());
        return;
      default:
        return;
    }
  }

  private closePolicyPart(key: PskcKeyRecord, local: string, text: string): void {
    const value = nonEmpty(text);
    if (value === null) return;
    switch (local) {
      case 'StartDate':
        key.startDate = decodeDate(value, 'Policy StartDate', key.source);
        return;
      case 'ExpiryDate':
        key.expiryDate = decodeDate(value, 'Policy ExpiryDate', key.source);
        return;
      case 'NumberOfTransactions':
        decodeInteger(value, 'Policy NumberOfTransactions', key.source);
        return;
      case 'KeyUsage':
        key.keyUsage.push(this.intern(value) ?? value);
        return;
      default:
        return;
    }
  }

  private collectValuePart(value: ValueState, local: string, text: string, depth: number): void {
    const relative = depth - value.depth;
    if (relative === 1) {
      switch (local) {
        case 'PlainValue':
          value.plainText = nonEmpty(text);
          return;
        case 'Value':
          if (value.legacy) value.legacyText = nonEmpty(text);
          return;
        case 'ValueMAC':
        case 'ValueDigest':
          value.macText = nonEmpty(text);
          return;
        default:
          return;
      }
    }
    if (relative === 3 && local === 'CipherValue' && this.path[depth - 2] === 'CipherData' && this.path[value.depth] === 'EncryptedValue') {
      value.cipherText = nonEmpty(text) ?? '';
    }
  }

  private storeValue(key: PskcKeyRecord, value: ValueState): void {
    const field = value.field;
    if (field === null) return;
    const what = field === 'secret' ? 'Secret' : field;
    let bytes: Buffer | null = null;
    let plainInteger: bigint | null = null;
    if (value.plainText !== null) {
      if (field === 'secret') bytes = decodeBase64(value.plainText, what, key.source);
      else plainInteger = decodePlainInteger(value.plainText, what, key.source);
    } else if (value.cipherText !== null || (value.legacyText !== null && this.legacyValueIsEncrypted(value))) {
      const cipherText = value.cipherText ?? value.legacyText ?? '';
      if (cipherText === '') throw new SeedFileError('invalid_structure', `${what} EncryptedValue has no CipherValue`, key.source);
      const cipher = decodeBase64(cipherText, `${what} CipherValue`, key.source);
      const mac = value.macText === null ? null : decodeBase64(value.macText, `${what} ValueMAC`, key.source);
      this.decryptor ??= new PskcDecryptor(this.encryption, this.credentials);
      bytes = this.decryptor.decrypt(value.algorithm, cipher, mac, key.source, this.pkg?.serial ?? null);
    } else if (value.legacyText !== null) {
      if (field === 'secret') bytes = decodeBase64(value.legacyText, what, key.source);
      else plainInteger = decodePlainInteger(value.legacyText, what, key.source);
    } else {
      return;
    }
    if (field === 'secret') {
      key.secret = bytes;
      return;
    }
    const integer = plainInteger ?? (bytes === null ? null : integerFromBytes(bytes));
    key[field] = integer;
  }

  /** The drafts' <Value> is ciphertext only when the container is encrypted and a digest accompanies it. */
  private legacyValueIsEncrypted(value: ValueState): boolean {
    return this.encryption.algorithm !== null && value.macText !== null;
  }
}

