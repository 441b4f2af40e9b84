// What every seed-file reader (CSV, PSKC) produces, and how it reports keys it cannot use.
import type { HashAlgorithm } from '../core/hotp.js';
import type { TokenType } from '../core/values.js';

export type { TokenType };

/** One usable OTP key read from a seed file, ready to be encrypted and stored. */
export interface ImportedKey {
  /** Normalised serial (see core/serial.ts). */
  serial: string;
  type: TokenType;
  algorithm: HashAlgorithm;
  /** 6 to 8. */
  digits: number;
  /** HOTP: the next counter the token will use. TOTP: 0. */
  counter: number;
  /** TOTP: the time step in seconds (30 unless the file says otherwise); HOTP: null. */
  periodInSeconds: number | null;
  /** TOTP: RFC 6238 T0 / PSKC TimeOffset in seconds where the file gives one; else 0. */
  timeOffsetInSeconds: number;
  secret: Buffer;
  manufacturer?: string;
  model?: string;
  issuer?: string;
  friendlyName?: string;
  /** PSKC: the key's validity dates (StartDate/ExpiryDate of its Policy and DeviceInfo), kept on the token. */
  validFrom?: Date;
  validUntil?: Date;
  /** Where the key stands in its file, for messages: `line 4`, `key 3 (Id 12345678)`. */
  source: string;
}

/** A well-formed key that cannot be used; the file still imports. */
export interface SkippedKey {
  serial: string | null;
  source: string;
  reason: string;
}

export interface ReadResult {
  keys: ImportedKey[];
  skipped: SkippedKey[];
}

/**
 * A file that must be refused as a whole: nothing from it is imported. `category` is a stable code
 * (the PSKC corpus's error categories, e.g. `not_xml`, `bad_mac`); `record` names where it went wrong.
 */
export class SeedFileError extends Error {
  constructor(
    readonly category: string,
    message: string,
    readonly record?: string,
  ) {
    super(record ? `${record}: ${message}` : message);
    this.name = 'SeedFileError';
  }
}
