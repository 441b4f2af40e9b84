// What a passcode must look like before any counter or fail count is touched.

/** True when `passcode` is exactly `digits` ASCII digits (no spaces, signs or other numerals). */
export function isWellFormedPasscode(passcode: string, digits: number): boolean {
  return passcode.length === digits && /^[0-9]+$/.test(passcode);
}

/**
 * The passcode comparison, for one candidate against many codes (a window search), in time that does not
 * depend on where they differ: the code is given as the number HOTP truncation yields, and each of its
 * `digits` decimal digits is compared with the candidate's character there, every difference OR-ed into one
 * value that is tested once at the end: no early exit, no branch on a digit. (timingSafeEqual does the same
 * over two buffers, but writing the code into one and crossing into C++ for every counter of a 10,000-
 * counter re-sync window cost more than the hashing.) Nothing is allocated per code. A candidate of
 * another length matches nothing; lengths are not secret (the token's digits are public).
 */
export function passcodeComparer(candidate: string, digits: number): (code: number) => boolean {
  if (candidate.length !== digits) return () => false;
  const wanted = new Int32Array(digits);
  for (let i = 0; i < digits; i++) wanted[i] = candidate.charCodeAt(i);
  return (code) => {
    let rest = code;
    let difference = 0;
    for (let i = digits - 1; i >= 0; i--) {
      difference |= wanted[i]! ^ (0x30 + (rest % 10));
      rest = Math.floor(rest / 10);
    }
    return difference === 0;
  };
}
