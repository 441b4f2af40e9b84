// Decoding of the typed values PSKC carries as text: base64 binary, integers, booleans and dates.
// Every decoder is strict and throws SeedFileError('invalid_value') naming the record, because
// docs/seed-files.md says a malformed value refuses the whole file.
import { SeedFileError } from '../imported-key.js';

// Compiled once: these run for every value of every key of a 100,000-key file.
const BASE64_PATTERN = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const WHITESPACE = /\s/;
const WHITESPACE_GLOBAL = /\s+/g;
const DECIMAL_PATTERN = /^[+-]?[0-9]+$/;
const DATE_TIME_PATTERN =
  /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?)?(Z|[+-]\d{2}:\d{2})?$/;
// The pre-RFC drafts write DeviceId/Expiry as MM/DD/YYYY.
const LEGACY_DATE_PATTERN = /^(\d{2})\/(\d{2})\/(\d{4})$/;

/**
 * xs:base64Binary (RFC 6030 §4.2 PlainValue, XML Encryption CipherValue). White space is allowed
 * between characters; anything else that is not base64, or wrong padding, is refused: a lenient
 * decoder would silently turn a damaged secret into a different secret.
 */
export function decodeBase64(text: string, what: string, record?: string): Buffer {
  const compact = WHITESPACE.test(text) ? text.replace(WHITESPACE_GLOBAL, '') : text;
  if (compact.length % 4 !== 0 || !BASE64_PATTERN.test(compact)) {
    throw new SeedFileError('invalid_value', `${what} is not valid base64`, record);
  }
  return Buffer.from(compact, 'base64');
}

function isAsciiDigits(bytes: Buffer): boolean {
  if (bytes.length === 0) return false;
  for (const byte of bytes) if (byte < 0x30 || byte > 0x39) return false;
  return true;
}

/**
 * An integer from decrypted or base64-decoded bytes. Files in the wild write either the decimal text
 * (`"831791"`) or a big-endian unsigned number; bytes that are all ASCII digits are read as text.
 */
export function integerFromBytes(bytes: Buffer): bigint {
  if (isAsciiDigits(bytes)) return BigInt(bytes.toString('latin1'));
  if (bytes.length === 0) return 0n;
  return BigInt(`0x${bytes.toString('hex')}`);
}

/** A PlainValue integer (RFC 6030 §4.3.4 Counter, Time, …): decimal text, else base64 of bytes. */
export function decodePlainInteger(text: string, what: string, record?: string): bigint {
  const trimmed = text.trim();
  if (DECIMAL_PATTERN.test(trimmed)) return BigInt(trimmed);
  let bytes: Buffer;
  try {
    bytes = decodeBase64(trimmed, what, record);
  } catch {
    throw new SeedFileError('invalid_value', `${what} is not an integer`, record);
  }
  return integerFromBytes(bytes);
}

/** An integer attribute or element such as ResponseFormat Length or NumberOfTransactions. */
export function decodeInteger(text: string, what: string, record?: string): number {
  const trimmed = text.trim();
  if (!DECIMAL_PATTERN.test(trimmed)) throw new SeedFileError('invalid_value', `${what} "${trimmed}" is not an integer`, record);
  const value = Number(trimmed);
  if (!Number.isSafeInteger(value)) throw new SeedFileError('invalid_value', `${what} ${trimmed} is out of range`, record);
  return value;
}

/** xs:boolean; the case-insensitive form is accepted because vendor files write `TRUE`. */
export function decodeBoolean(text: string, what: string, record?: string): boolean {
  const lower = text.trim().toLowerCase();
  if (lower === 'true' || lower === '1') return true;
  if (lower === 'false' || lower === '0') return false;
  throw new SeedFileError('invalid_value', `${what} "${text.trim()}" is not a boolean`, record);
}

/**
 * xs:dateTime (RFC 6030 §4.3.2 StartDate/ExpiryDate). A date without a time zone is read as UTC, the
 * only reading that does not depend on the importing server's locale.
 */
export function decodeDate(text: string, what: string, record?: string): Date {
  const trimmed = text.trim();
  const match = DATE_TIME_PATTERN.exec(trimmed);
  let result: Date | null = null;
  if (match) {
    const [, year, month, day, hour, minute, second, fraction, zone] = match;
    const millis = fraction === undefined ? 0 : Math.floor(Number(`0.${fraction}`) * 1000);
    let time = Date.UTC(Number(year), Number(month) - 1, Number(day), Number(hour ?? 0), Number(minute ?? 0), Number(second ?? 0), millis);
    if (zone !== undefined && zone !== 'Z') {
      const sign = zone.startsWith('-') ? -1 : 1;
      time -= sign * (Number(zone.slice(1, 3)) * 60 + Number(zone.slice(4, 6))) * 60_000;
    }
    result = new Date(time);
    if (Number(month) < 1 || Number(month) > 12 || Number(day) < 1 || Number(day) > 31) result = null;
  } else {
    const legacy = LEGACY_DATE_PATTERN.exec(trimmed);
    if (legacy) {
      const [, month, day, year] = legacy;
      result = new Date(Date.UTC(Number(year), Number(month) - 1, Number(day)));
    }
  }
  if (result === null || Number.isNaN(result.getTime())) {
    throw new SeedFileError('invalid_value', `${what} "${trimmed}" is not a date`, record);
  }
  return result;
}
