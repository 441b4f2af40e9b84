// The container header of a PSKC file (RFC 6030 §4, §6): the root element and its version, and what the
// container says about encryption (EncryptionKey, its key derivation, MACMethod and its MACKey; the
// drafts' EncryptionMethod, DigestMethod and MACAlgorithm). The schema places all of it before the first
// KeyPackage, so each value can be decrypted as soon as it is read.
import type { SaxesTagNS } from 'saxes';
import { SeedFileError } from '../imported-key.js';
import { PBKDF2_URI, isLegacyPasswordCipher, isNoEncryption } from './pskc-algorithms.js';
import { type ContainerEncryption, emptyContainerEncryption } from './pskc-crypto.js';
import type { ElementPath } from './pskc-path.js';
import { nonEmpty } from './pskc-strings.js';
import { decodeBase64, decodeInteger } from './pskc-values.js';
import { AT_MAC_KEY, CONTAINER, CONTAINER_CHILD, IN_ENCRYPTION_KEY, IN_MAC_METHOD, MAC_ALGORITHM, PSKC_NAMESPACES, attribute } from './pskc-vocabulary.js';

export class ContainerHeader {
  readonly encryption: ContainerEncryption = emptyContainerEncryption();
  private rootSeen = false;
  /** A wrong root element, reported once the document has shown it is at least well-formed so far. */
  private rootProblem: SeedFileError | null = null;
  private packagesSeen = false;

  constructor(
    private readonly path: ElementPath,
    /** Where the parser stands, for messages: `line 12`. */
    private readonly where: () => string,
  ) {}

  openRoot(tag: SaxesTagNS, local: string): void {
    this.rootSeen = true;
    if (!PSKC_NAMESPACES.has(tag.uri) || !(CONTAINER as readonly string[]).includes(local)) {
      // Deferred to the root's first child or the document's end: saxes reports a mismatched close tag
      // of the root only after its closetag event, and a file that is not XML at all must say not_xml.
      this.rootProblem = new SeedFileError('invalid_structure', `the root element is ${tag.name}, not a PSKC KeyContainer`, this.where());
    }
    const version = attribute(tag, 'Version', 'version');
    // RFC 6030 §4: Version 1.0; the drafts' KeyContainer wrote "1". The legacy SecretContainer carries
    // its own numbering (1.2) and is accepted as such.
    if (local === 'KeyContainer' && version !== null && version !== '1.0' && version !== '1') {
      throw new SeedFileError('unsupported_version', `PSKC version ${version} is not supported (only 1.0)`, this.where());
    }
  }

  /** Refuses the document below a root that is not a PSKC container. */
  assertRoot(): void {
    if (this.rootProblem !== null) throw this.rootProblem;
  }

  /** At the document's end: a wrong root, or no root at all, refuses it. */
  finish(): void {
    this.assertRoot();
    if (!this.rootSeen) throw new SeedFileError('not_xml', 'the document is empty');
  }

  /** A KeyPackage begins: from here on, header elements are out of place. */
  startPackage(): void {
    this.packagesSeen = true;
  }

  /** The open element is a child of the container or inside its encryption or MAC description. */
  holdsCurrent(): boolean {
    return this.path.at(CONTAINER_CHILD) || this.path.within(IN_ENCRYPTION_KEY) || this.path.within(IN_MAC_METHOD);
  }

  /** An element of the header opens (holdsCurrent() is true). */
  open(tag: SaxesTagNS, local: string): void {
    const path = this.path;
    if (path.at(CONTAINER_CHILD)) this.openContainerChild(tag, local);
    else if (path.within(IN_ENCRYPTION_KEY)) this.openEncryptionKeyPart(tag, local);
    else if (path.at(AT_MAC_KEY)) this.encryption.macKey = { algorithm: null, cipher: null };
    else if (path.within(AT_MAC_KEY) && local === 'EncryptionMethod' && this.encryption.macKey !== null) {
      this.encryption.macKey.algorithm = attribute(tag, 'Algorithm');
    }
  }

  /** An element of the header closes with its text (holdsCurrent() is true). */
  close(local: string, text: string): void {
    const path = this.path;
    if (path.at(MAC_ALGORITHM)) {
      // draft-ietf-keyprov-pskc-02 writes the MAC algorithm as element text.
      this.assertBeforePackages(local);
      this.encryption.macAlgorithm = nonEmpty(text) ?? this.encryption.macAlgorithm;
    } else if (path.at(CONTAINER_CHILD)) {
      return;
    } else if (path.within(IN_ENCRYPTION_KEY)) {
      this.closeEncryptionKeyPart(local, text);
    } else if (path.within(IN_MAC_METHOD) && local === 'CipherValue') {
      const macKey = this.encryption.macKey;
      const value = nonEmpty(text);
      if (macKey !== null && value !== null) macKey.cipher = decodeBase64(value, 'MACKey CipherValue', 'MACMethod');
    }
  }

  private assertBeforePackages(name: string): void {
    if (this.packagesSeen) {
      throw new SeedFileError('invalid_structure', `${name} must come before the first KeyPackage (RFC 6030 §4)`, this.where());
    }
  }

  private openContainerChild(tag: SaxesTagNS, local: string): void {
    switch (local) {
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
}
