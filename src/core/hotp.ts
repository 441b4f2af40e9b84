// HOTP (RFC 4226) and TOTP (RFC 6238) code generation: pure functions over bytes.
// node:crypto is used only for hashing, a pure computation here; nothing reads a clock or a file.
import { hmacOfCounters, type PadHash } from './hmac-pads.js';

export const HASH_ALGORITHMS = ['SHA1', 'SHA256', 'SHA512'] as const;
export type HashAlgorithm = (typeof HASH_ALGORITHMS)[number];

export interface OtpParameters {
  algorithm: HashAlgorithm;
  /** Number of decimal digits in a passcode, 6 to 8 (RFC 4226 §5.3 requires at least 6). */
  digits: number;
}

const NODE_HASH_NAMES: Record<HashAlgorithm, PadHash> = { SHA1: 'sha1', SHA256: 'sha256', SHA512: 'sha512' };
const POWERS_OF_TEN = [1, 10, 100, 1_000, 10_000, 100_000, 1_000_000, 10_000_000, 100_000_000];

export function isHashAlgorithm(value: string): value is HashAlgorithm {
  return (HASH_ALGORITHMS as readonly string[]).includes(value);
}

export function assertOtpParameters(params: OtpParameters): void {
  if (!isHashAlgorithm(params.algorithm)) throw new RangeError(`unsupported HMAC algorithm ${String(params.algorithm)}`);
  if (!Number.isInteger(params.digits) || params.digits < 6 || params.digits > 8) {
    throw new RangeError(`digits must be 6, 7 or 8, not ${params.digits}`);
  }
}

function assertCounter(counter: number): void {
  if (!Number.isSafeInteger(counter) || counter < 0) throw new RangeError(`counter must be a non-negative safe integer, not ${counter}`);
}

/** HOTP(K, C) for one key and many counters: HOTP(K, C) as a number below 10^digits. */
export type HotpOfCounter = (counter: number) => number;

/**
 * HOTP for one key (RFC 4226 §5.3 dynamic truncation), its HMAC pad states computed once: for window
 * searches, which try many counters of one key. The 8-byte big-endian moving factor of §5.2; counters
 * beyond 2^53 are not representable here. Does not check the parameters (`assertOtpParameters` does).
 */
export function hotpOf(secret: Uint8Array, params: OtpParameters): HotpOfCounter {
  const hmac = hmacOfCounters(secret, NODE_HASH_NAMES[params.algorithm]);
  const modulus = POWERS_OF_TEN[params.digits]!;
  return (counter) => {
    assertCounter(counter);
    const mac = hmac(Math.floor(counter / 2 ** 32), counter >>> 0);
    const offset = mac[mac.length - 1]! & 0x0f;
    const binary = ((mac[offset]! & 0x7f) << 24) | (mac[offset + 1]! << 16) | (mac[offset + 2]! << 8) | mac[offset + 3]!;
    return binary % modulus;
  };
}

/** HOTP(K, C) as a number below 10^digits, without the checks of `assertOtpParameters`. */
export function hotpValue(secret: Uint8Array, counter: number, params: OtpParameters): number {
  return hotpOf(secret, params)(counter);
}

/** HOTP(K, C) as the decimal passcode a token shows for counter C. */
export function generateHotp(secret: Uint8Array, counter: number, params: OtpParameters): string {
  assertOtpParameters(params);
  return hotpValue(secret, counter, params).toString().padStart(params.digits, '0');
}

export interface TotpParameters extends OtpParameters {
  /** RFC 6238 X, the time step; 30 s unless a seed file says otherwise. */
  periodInSeconds: number;
  /** RFC 6238 T0, the Unix time at which counting starts; 0 by default. */
  startTimeInSeconds?: number;
}

/** RFC 6238 §4.2: T = floor((unixTime - T0) / X). The caller passes the time; the core has no clock. */
export function totpCounterAt(unixTimeInSeconds: number, params: TotpParameters): number {
  if (!(params.periodInSeconds > 0)) throw new RangeError('periodInSeconds must be positive');
  return Math.floor((unixTimeInSeconds - (params.startTimeInSeconds ?? 0)) / params.periodInSeconds);
}

export function generateTotp(secret: Uint8Array, unixTimeInSeconds: number, params: TotpParameters): string {
  return generateHotp(secret, totpCounterAt(unixTimeInSeconds, params), params);
}
