// What a passcode must look like before any counter or fail count is touched.
import { timingSafeEqual } from 'node:crypto';

/** True when `passcode` is exactly `digits` ASCII digits (no spaces, signs or other numerals). */
export function isWellFormedPasscode(passcode: string, digits: number): boolean {
  return passcode.length === digits && /^[0-9]+$/.test(passcode);
}

/**
 * Compares two passcodes in time that does not depend on where they differ. Codes of different lengths are
 * unequal; their lengths are not secret (the token's digits are public).
 */
export function passcodesEqual(expected: string, candidate: string): boolean {
  if (expected.length !== candidate.length) return false;
  return timingSafeEqual(Buffer.from(expected, 'latin1'), Buffer.from(candidate, 'latin1'));
}
