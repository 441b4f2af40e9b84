// Passcodes computed by Debian's oathtool, an implementation independent of src/core, so that no test
// checks our code against itself. The one place tests get codes from.
import { execFileSync } from 'node:child_process';

export type Algorithm = 'SHA1' | 'SHA256' | 'SHA512';

/** A counter as tests hold it (seed files carry counters up to 2^64 - 1). */
export type Counter = number | bigint | string;

function oathtool(args: string[]): string[] {
  return execFileSync('oathtool', args, { encoding: 'utf8' }).trim().split('\n');
}

/**
 * Codes for counters [counter, counter + count). oathtool's --hotp is SHA-1 only; for SHA-256/512 its TOTP
 * mode with a 1-second step at time T computes HOTP(K, T), which is the same function (RFC 6238 §4).
 */
export function oathCodes(secretHex: string, counter: Counter, count = 1, digits = 6, algorithm: Algorithm = 'SHA1'): string[] {
  const args =
    algorithm === 'SHA1'
      ? ['--hotp', '-c', String(counter), '-d', String(digits), '-w', String(count - 1), secretHex]
      : [`--totp=${algorithm}`, '-s', '1', '-N', `@${counter}`, '-d', String(digits), '-w', String(count - 1), secretHex];
  const out = oathtool(args);
  if (out.length !== count) throw new Error(`oathtool printed ${out.length} codes, expected ${count}`);
  return out;
}

/** HOTP(secret, counter): the passcode the token shows for that counter. */
export function oathCode(secretHex: string, counter: Counter, digits = 6, algorithm: Algorithm = 'SHA1'): string {
  return oathCodes(secretHex, counter, 1, digits, algorithm)[0]!;
}

/** The TOTP code at `now` for a time step of `stepSeconds` (RFC 6238), from oathtool's TOTP mode. */
export function oathTotpCode(secretHex: string, now: Date, stepSeconds: number, digits = 6, algorithm: Algorithm = 'SHA1'): string {
  return oathtool([`--totp=${algorithm}`, '-s', `${stepSeconds}s`, '-N', `@${Math.floor(now.getTime() / 1000)}`, '-d', String(digits), secretHex])[0]!;
}

/** A code of the right length that is none of the token's codes for counters [from - span, from + span). */
export function wrongCode(secretHex: string, from: number, span = 200, digits = 6): string {
  const used = new Set(oathCodes(secretHex, Math.max(0, from - span), 2 * span, digits));
  for (let n = 0; ; n++) {
    const candidate = String((n * 7919 + 482913) % 10 ** digits).padStart(digits, '0');
    if (!used.has(candidate)) return candidate;
  }
}
