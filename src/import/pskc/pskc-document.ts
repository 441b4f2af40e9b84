// The streaming PSKC document reader: saxes events in, one PskcKeyRecord per Key out.
// Only the current KeyPackage is held in memory (RFC 6030 §4: a KeyContainer is a list of independent
// KeyPackages), so a 100,000-key file costs no more than its results. Values are decrypted and their
// MACs checked as soon as each value element closes, with the container's EncryptionKey and MACMethod,
// which the schema places before the first KeyPackage.
// This file walks the document and says where each part is read (named ElementPath checks); the parts
// are read in pskc-container.ts (the header), pskc-device.ts, pskc-key-fields.ts, pskc-policy.ts and
// pskc-value.ts.
import { SaxesParser, type SaxesTagNS } from 'saxes';
import { SeedFileError } from '../imported-key.js';
import { ContainerHeader } from './pskc-container.js';
import { type PskcCredentials, PskcDecryptor } from './pskc-crypto.js';
import { readCryptoModuleId, readDeviceInfo } from './pskc-device.js';
import { readFormat, readKeyChild, readLegacyUsage, readSuite } from './pskc-key-fields.js';
import { ElementPath } from './pskc-path.js';
import { closePolicyChild, openInsidePinPolicy, openPolicyChild } from './pskc-policy.js';
import { type PackageRecord, type PskcKeyRecord, keysOfPackage, newKeyRecord, newPackage } from './pskc-record.js';
import { StringKeeper } from './pskc-strings.js';
import { PendingValue } from './pskc-value.js';
import {
  ALGORITHM_PARAMETER,
  AT_DATA,
  AT_KEY,
  AT_PACKAGE,
  CRYPTO_MODULE_ID,
  DATA_CHILD,
  DEVICE_INFO_CHILD,
  IN_PIN_POLICY,
  KEY_CHILD,
  LEGACY_USAGE,
  LEGACY_USAGE_CHILD,
  LEGACY_VALUE_FIELDS,
  PACKAGE_CHILD,
  POLICY_CHILD,
  SUITE,
  VALUE_FIELDS,
  attribute,
  isXInclude,
  localNameOf,
} from './pskc-vocabulary.js';

export interface PskcDocumentLimits {
  /** Element nesting depth; libxml2 uses 256, real PSKC files need about 10. */
  maxDepth: number;
  /** Characters the parser may buffer without producing an event (one text node, tag or DOCTYPE). */
  maxPendingChars: number;
  /** Keys in one KeyPackage / Device (RFC 6030 has one; the drafts a few). */
  maxKeysPerPackage: number;
}

export const DEFAULT_LIMITS: PskcDocumentLimits = { maxDepth: 64, maxPendingChars: 1 << 20, maxKeysPerPackage: 256 };

/**
 * Feed text with `write`, finish with `close`; `onKey` receives each key when its KeyPackage ends.
 * Throws SeedFileError for anything that refuses the file.
 */
export class PskcDocumentReader {
  private readonly parser = new SaxesParser({ xmlns: true, position: true });
  private readonly path = new ElementPath();
  private readonly header = new ContainerHeader(this.path, () => this.line());
  private readonly strings = new StringKeeper();
  private text = '';
  private pendingChars = 0;
  private decryptor: PskcDecryptor | null = null;
  private pkg: PackageRecord | null = null;
  private key: PskcKeyRecord | null = null;
  private value: PendingValue | null = null;
  private keyCount = 0;

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
    this.header.finish();
  }

  private line(): string {
    return `line ${this.parser.line}`;
  }

  private openElement(tag: SaxesTagNS): void {
    if (isXInclude(tag)) throw new SeedFileError('forbidden_dtd', 'XInclude is not allowed in a PSKC file', this.line());
    const local = localNameOf(tag);
    const path = this.path;
    path.push(local);
    this.text = '';
    if (path.depth > this.limits.maxDepth) {
      throw new SeedFileError('resource_limit', `elements nested deeper than ${this.limits.maxDepth}`, this.line());
    }
    if (path.depth === 1) return this.header.openRoot(tag, local);
    this.header.assertRoot();
    // Inside a KeyPackage first: that is where nearly every element of a file stands.
    if (this.pkg !== null) this.openPackagePart(this.pkg, tag, local);
    else if (path.at(AT_PACKAGE)) {
      this.header.startPackage();
      this.pkg = newPackage();
    } else if (this.header.holdsCurrent()) this.header.open(tag, local);
  }

  private openPackagePart(pkg: PackageRecord, tag: SaxesTagNS, local: string): void {
    const path = this.path;
    if (path.at(PACKAGE_CHILD)) {
      // RFC 6030 KeyPackage/Key; the drafts' Device/Key and Device/Secret.
      if (path.at(AT_KEY) && (local === 'Key' || path.name(1) === 'Device')) this.openKey(pkg, tag);
      return;
    }
    // Below a KeyPackage's child: only a Key's parts are read when they open (the device's on closing).
    const key = this.key;
    if (key === null) return;
    if (path.at(LEGACY_USAGE)) readLegacyUsage(tag, key);
    else if (path.at(AT_DATA)) {
      const name = attribute(tag, 'Name');
      if (name !== null) this.value = new PendingValue(LEGACY_VALUE_FIELDS.get(name.toLowerCase()) ?? null, path.depth, true);
    } else if (path.at(POLICY_CHILD)) openPolicyChild(tag, local, key, this.strings);
    else if (path.within(IN_PIN_POLICY)) openInsidePinPolicy(key);
    else if (path.at(ALGORITHM_PARAMETER) || path.at(LEGACY_USAGE_CHILD)) readFormat(tag, local, key, this.strings);
    else if (path.at(DATA_CHILD) && this.value === null) {
      const field = VALUE_FIELDS.get(local);
      if (field !== undefined) this.value = new PendingValue(field, path.depth, false);
    } else this.value?.open(tag, path);
  }

  private openKey(pkg: PackageRecord, tag: SaxesTagNS): void {
    if (pkg.keys.length >= this.limits.maxKeysPerPackage) {
      throw new SeedFileError('resource_limit', `more than ${this.limits.maxKeysPerPackage} keys in one KeyPackage`, this.line());
    }
    this.keyCount += 1;
    const key = newKeyRecord(
      this.keyCount,
      this.strings.keep(attribute(tag, 'Id', 'KeyId', 'SecretId')),
      this.strings.intern(attribute(tag, 'Algorithm', 'KeyAlgorithm', 'SecretAlgorithm')),
    );
    this.key = key;
    pkg.keys.push(key);
  }

  private closeElement(): void {
    const path = this.path;
    const local = path.current;
    const text = this.text;
    this.text = '';
    try {
      if (path.at(AT_PACKAGE)) this.closePackage();
      else if (this.pkg !== null) this.closePackagePart(this.pkg, local, text);
      else if (path.depth > 1 && this.header.holdsCurrent()) this.header.close(local, text);
    } finally {
      path.pop();
    }
  }

  private closePackage(): void {
    const pkg = this.pkg;
    if (pkg === null) return;
    this.pkg = null;
    this.key = null;
    this.value = null;
    for (const key of keysOfPackage(pkg)) this.onKey(key);
  }

  private closePackagePart(pkg: PackageRecord, local: string, text: string): void {
    const path = this.path;
    if (path.at(DEVICE_INFO_CHILD)) return readDeviceInfo(pkg, local, text, this.strings, this.line());
    if (path.at(CRYPTO_MODULE_ID)) return readCryptoModuleId(pkg, text, this.strings);
    const key = this.key;
    if (key === null) return;
    if (path.at(AT_KEY)) {
      this.key = null;
      return;
    }
    const value = this.value;
    if (value !== null) {
      if (path.depth !== value.depth) return value.close(local, text, path);
      this.value = null;
      return value.store(key, this.header.encryption.algorithm !== null, (algorithm, cipher, mac) => {
        this.decryptor ??= new PskcDecryptor(this.header.encryption, this.credentials);
        return this.decryptor.decrypt(algorithm, cipher, mac, key.source, pkg.serial);
      });
    }
    if (path.at(KEY_CHILD)) readKeyChild(key, local, text, this.strings);
    else if (path.at(SUITE)) readSuite(key, text, this.strings);
    else if (path.at(POLICY_CHILD)) closePolicyChild(key, local, text, this.strings);
  }
}
