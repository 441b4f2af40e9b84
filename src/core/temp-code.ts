// Temporary codes for a forgotten or lost token: their shape, their limits, and their keyed hash. A code is
// 10 random digits (about 33 bits): a fast unkeyed hash of it would be brute-forced from a leaked database in
// seconds, so it is stored as an HMAC under a key derived from the master key (not stored in the database),
// bound to its user, and compared in constant time. Online guessing meets the sign-in back-off.
import { createHmac, timingSafeEqual } from 'node:crypto';

export const TEMP_CODE_DIGITS = 10;

export const TEMP_CODE_LIMITS = { defaultUses: 1, maxUses: 10, defaultHours: 8, maxHours: 72 } as const;

/** Whether a passcode has a temporary code's shape (tokens have 6 to 8 digits, so none is mistaken for one). */
export function isTempCodeShaped(passcode: string): boolean {
  return passcode.length === TEMP_CODE_DIGITS && /^[0-9]+$/.test(passcode);
}

/** The stored form: HMAC-SHA256(key, user id + ":" + code), hex. */
export function tempCodeHash(key: Buffer, userId: number, code: string): string {
  return createHmac('sha256', key).update(`${userId}:${code}`).digest('hex');
}

/** Constant-time comparison of a code's hash with the stored one. */
export function tempCodeMatches(key: Buffer, userId: number, code: string, storedHash: string): boolean {
  const candidate = Buffer.from(tempCodeHash(key, userId, code), 'latin1');
  const stored = Buffer.from(storedHash, 'latin1');
  return candidate.length === stored.length && timingSafeEqual(candidate, stored);
}

/** A temporary code that still signs in: uses left and not expired. */
export function isTempCodeLive(code: { uses_left: number; expires_at: number }, now: number): boolean {
  return code.uses_left > 0 && now < Number(code.expires_at);
}
