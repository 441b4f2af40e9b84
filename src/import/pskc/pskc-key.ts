// Which PSKC keys otpgate can use, and why the others are skipped (docs/seed-files.md: a well-formed key
// that cannot be used is skipped with its reason; the file still imports). Validity dates and duplicate
// serials need the whole file and `now`, so they are decided later (pskc-serials.ts).
import { HASH_ALGORITHMS, type HashAlgorithm } from '../../core/hotp.js';
import { normalizeSerial } from '../../core/serial.js';
import type { ImportedKey, SkippedKey } from '../imported-key.js';
import { shortSecretReason } from '../key-rules.js';
import { keyAlgorithmKind } from './pskc-algorithms.js';
import type { PskcKeyRecord } from './pskc-record.js';

export interface UsableKey {
  key: ImportedKey;
  index: number;
  /** The later of Policy StartDate and DeviceInfo StartDate (RFC 6030 §4.3.2, §4.3.1). */
  validFrom: Date | null;
  /** The earlier of Policy ExpiryDate and DeviceInfo ExpiryDate. */
  validUntil: Date | null;
}

export type KeyVerdict = { usable: UsableKey } | { skipped: SkippedKey };

const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);
// PIN usage modes in which the PIN becomes part of the passcode the server would have to check.
const PIN_IN_PASSCODE_MODES = new Set(['prepend', 'append', 'algorithmic']);

function later(a: Date | null, b: Date | null): Date | null {
  if (a === null) return b;
  if (b === null) return a;
  return a.getTime() >= b.getTime() ? a : b;
}

function earlier(a: Date | null, b: Date | null): Date | null {
  if (a === null) return b;
  if (b === null) return a;
  return a.getTime() <= b.getTime() ? a : b;
}

/** `HMAC-SHA256`, `SHA256`, `SHA-256` → SHA256 (RFC 6030 §4.3.4 Suite; multiOTP writes `HMAC-SHA1`). */
function hashFromSuite(suite: string | null): HashAlgorithm | null {
  if (suite === null) return 'SHA1';
  const name = suite.toUpperCase().replace(/^HMAC-/, '').replace('-', '');
  return (HASH_ALGORITHMS as readonly string[]).includes(name) ? (name as HashAlgorithm) : null;
}

/** Decides whether one key can become a token; dates and duplicate serials are checked afterwards. */
export function judgeKey(record: PskcKeyRecord, allowShortSecrets: boolean): KeyVerdict {
  const rawSerial = record.serial ?? record.id;
  const serial = rawSerial === null ? null : normalizeSerial(rawSerial);
  const skip = (reason: string): KeyVerdict => ({ skipped: { serial: serial ?? rawSerial, source: record.source, reason } });

  if (record.algorithm === null) return skip('no Algorithm: the file does not say which OTP algorithm the key is for');
  const kind = keyAlgorithmKind(record.algorithm);
  if (kind === 'pin') return skip('PIN key (algorithm …:pin): a PIN is not an OTP secret');
  if (kind === 'ocra') return skip('OCRA challenge-response key: otpgate verifies HOTP and TOTP only');
  if (kind === 'other') return skip(`unsupported algorithm ${record.algorithm}: otpgate verifies HOTP and TOTP only`);
  if (record.keyUsage.length > 0 && !record.keyUsage.includes('OTP')) {
    return skip(`key usage ${record.keyUsage.join(', ')} does not include OTP (RFC 6030 §4.3.2 KeyUsage)`);
  }
  if (record.unknownPolicy) {
    return skip('its Policy holds elements or attributes otpgate does not understand, and RFC 6030 §5 says such a key MUST NOT be used');
  }
  if (record.pinUsageMode !== null && PIN_IN_PASSCODE_MODES.has(record.pinUsageMode.toLowerCase())) {
    return skip(`PIN usage mode ${record.pinUsageMode} puts the PIN into the passcode, which otpgate cannot check`);
  }
  if (record.secret === null || record.secret.length === 0) {
    return skip('no secret in the file (a key reference or a counter-only entry)');
  }
  if (rawSerial === null) return skip('neither a DeviceInfo SerialNo nor a Key Id to use as the serial');
  if (serial === null) return skip(`serial "${rawSerial}" is not a valid token serial (1-64 of A-Z a-z 0-9 - _)`);
  const encoding = record.responseEncoding ?? 'DECIMAL';
  if (encoding.toUpperCase() !== 'DECIMAL') return skip(`response encoding ${encoding} is not DECIMAL`);
  // RFC 6030 §4.3.3 ResponseFormat Length; HOTP needs 6 to 8 digits (RFC 4226 §5.3). Absent → 6.
  const digits = record.responseLength ?? 6;
  if (digits < 6 || digits > 8) return skip(`${digits}-digit passcodes: otpgate supports 6 to 8 digits (RFC 4226 §5.3)`);
  const algorithm = hashFromSuite(record.suite);
  if (algorithm === null) return skip(`unsupported hash suite ${record.suite ?? ''} (SHA1, SHA256 or SHA512)`);

  let counter = 0;
  let periodInSeconds: number | null = null;
  let timeOffsetInSeconds = 0;
  if (kind === 'hotp') {
    const value = record.counter ?? 0n;
    if (value < 0n || value > MAX_SAFE) return skip(`counter ${value} is outside 0 to 2^53-1, which otpgate cannot store`);
    counter = Number(value);
  } else {
    const interval = record.timeInterval ?? 30n;
    if (interval <= 0n || interval > MAX_SAFE) return skip(`time interval ${interval} s is not a usable time step`);
    periodInSeconds = Number(interval);
    const time = record.time ?? 0n;
    if (time < -MAX_SAFE || time > MAX_SAFE) return skip(`time origin ${time} is out of range`);
    timeOffsetInSeconds = Number(time);
  }
  const short = shortSecretReason(record.secret.length, allowShortSecrets);
  if (short !== null) return skip(short);

  const key: ImportedKey = {
    serial,
    type: kind,
    algorithm,
    digits,
    counter,
    periodInSeconds,
    timeOffsetInSeconds,
    secret: record.secret,
    source: record.source,
  };
  if (record.manufacturer !== null) key.manufacturer = record.manufacturer;
  if (record.model !== null) key.model = record.model;
  if (record.issuer !== null) key.issuer = record.issuer;
  if (record.friendlyName !== null) key.friendlyName = record.friendlyName;
  return {
    usable: {
      key,
      index: record.index,
      validFrom: later(record.startDate, record.deviceStartDate),
      validUntil: earlier(record.expiryDate, record.deviceExpiryDate),
    },
  };
}
