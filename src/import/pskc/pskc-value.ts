// One value of a key (RFC 6030 §4.2, §4.3.4 Data: Secret, Counter, Time, TimeInterval, TimeDrift; the
// drafts' <Data Name="…">): its parts are collected while it is open, and when it closes it is decoded,
// or decrypted with its ValueMAC checked (§6.1.1), into the key record.
import type { SaxesTagNS } from 'saxes';
import { SeedFileError } from '../imported-key.js';
import type { ElementPath } from './pskc-path.js';
import type { PskcKeyRecord } from './pskc-record.js';
import { nonEmpty } from './pskc-strings.js';
import { decodeBase64, decodePlainInteger, integerFromBytes } from './pskc-values.js';
import { VALUE_CHILD, VALUE_CIPHER_VALUE, VALUE_ENCRYPTION_METHOD, VALUE_ENCRYPTION_SCHEME, type ValueField, attribute } from './pskc-vocabulary.js';

/** Decrypts a CipherValue, checking its ValueMAC when there is one (PskcDecryptor.decrypt for this key). */
export type DecryptValue = (algorithm: string | null, cipher: Buffer, mac: Buffer | null) => Buffer;

export class PendingValue {
  private plainText: string | null = null;
  private legacyText: string | null = null;
  private cipherText: string | null = null;
  private macText: string | null = null;
  private algorithm: string | null = null;

  constructor(
    /** null: a drafts' Data element whose Name this reader does not use. */
    private readonly field: ValueField | null,
    /** The depth of the value's own element: its parts are named relative to it. */
    readonly depth: number,
    /** The drafts' <Data Name="…"><Value>…</Value></Data>. */
    private readonly legacy: boolean,
  ) {}

  /** An element inside the value opens: the encryption algorithm is an attribute. */
  open(tag: SaxesTagNS, path: ElementPath): void {
    if (path.below(this.depth, VALUE_ENCRYPTION_METHOD) || path.below(this.depth, VALUE_ENCRYPTION_SCHEME)) {
      this.algorithm = attribute(tag, 'Algorithm') ?? this.algorithm;
    }
  }

  /** An element inside the value closes with its text. */
  close(local: string, text: string, path: ElementPath): void {
    if (path.below(this.depth, VALUE_CHILD)) {
      switch (local) {
        case 'PlainValue':
          this.plainText = nonEmpty(text);
          return;
        case 'Value':
          if (this.legacy) this.legacyText = nonEmpty(text);
          return;
        case 'ValueMAC':
        case 'ValueDigest':
          this.macText = nonEmpty(text);
          return;
        default:
          return;
      }
    }
    if (path.below(this.depth, VALUE_CIPHER_VALUE)) this.cipherText = nonEmpty(text) ?? '';
  }

  /**
   * The value has closed: decodes it into its field of the key. `containerEncrypted`: the container names
   * an encryption algorithm, which makes a drafts' <Value> with a digest ciphertext.
   */
  store(key: PskcKeyRecord, containerEncrypted: boolean, decrypt: DecryptValue): void {
    const field = this.field;
    if (field === null) return;
    const what = field === 'secret' ? 'Secret' : field;
    let bytes: Buffer | null = null;
    let plainInteger: bigint | null = null;
    if (this.plainText !== null) {
      if (field === 'secret') bytes = decodeBase64(this.plainText, what, key.source);
      else plainInteger = decodePlainInteger(this.plainText, what, key.source);
    } else if (this.cipherText !== null || (this.legacyText !== null && containerEncrypted && this.macText !== null)) {
      const cipherText = this.cipherText ?? this.legacyText ?? '';
      if (cipherText === '') throw new SeedFileError('invalid_structure', `${what} EncryptedValue has no CipherValue`, key.source);
      const cipher = decodeBase64(cipherText, `${what} CipherValue`, key.source);
      const mac = this.macText === null ? null : decodeBase64(this.macText, `${what} ValueMAC`, key.source);
      bytes = decrypt(this.algorithm, cipher, mac);
    } else if (this.legacyText !== null) {
      if (field === 'secret') bytes = decodeBase64(this.legacyText, what, key.source);
      else plainInteger = decodePlainInteger(this.legacyText, what, key.source);
    } else {
      return;
    }
    if (field === 'secret') {
      key.secret = bytes;
      return;
    }
    key[field] = plainInteger ?? (bytes === null ? null : integerFromBytes(bytes));
  }
}
