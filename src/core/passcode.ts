// What a passcode must look like before any counter or fail count is touched.
import { timingSafeEqual } from 'node:crypto';

/** True when `passcode` is exactly `digits` ASCII digits (no spaces, signs or other numerals). */
export function isWellFormedPasscode(passcode: string, digits: number): boolean {
  return passcode.length === digits && /^[0-9]+$/.test(passcode);
}

/**
 * The passcode comparison, for one candidate against many codes (a window search), in time that does not
 * depend on where they differ: the code is given as the number HOTP truncation yields, written as `digits`
 * ASCII digits into a buffer reused from call to call, and compared with timingSafeEqual. Nothing is
 * allocated per code. A candidate of another length matches nothing; lengths are not secret (the token's
 * digits are public).
 */
export function passcodeComparer(candidate: string, digits: number): (code: number) => boolean {
  const candidateBytes = Buffer.from(candidate, 'latin1');
  const expected = Buffer.allocUnsafe(digits);
  if (candidateBytes.length !== digits || candidate.length !== digits) return () => false;
  return (code) => {
    let rest = code;
    for (let i = digits - 1; i >= 0; i--) {
      expected[i] = 0x30 + (rest % 10);
      rest = Math.floor(rest / 10);
    }
    return timingSafeEqual(expected, candidateBytes);
  };
}
