// Verification over a look-ahead window and the re-sync search. Both return the matched counter, not a
// boolean, so replay protection, re-sync and the audit log share one fact.
import { assertOtpParameters, hotpOf, totpCounterAt, type OtpParameters, type TotpParameters } from './hotp.js';
import { passcodeComparer } from './passcode.js';

export interface CounterWindow {
  /** The next counter the server expects (C). Counters below it are spent: a code for them is a replay. */
  firstCounter: number;
  /** How many counters to try, starting at firstCounter: [C, C + size). */
  size: number;
}

function assertWindow(window: CounterWindow): void {
  if (!Number.isSafeInteger(window.firstCounter) || window.firstCounter < 0) throw new RangeError('firstCounter must be a non-negative integer');
  if (!Number.isSafeInteger(window.size) || window.size < 1) throw new RangeError('window size must be a positive integer');
}

/**
 * Finds the counter c in [C, C + size) with HOTP(K, c) = passcode (RFC 4226 §7.4 look-ahead).
 * Returns c, or null when no counter in the window matches.
 */
export function findHotpCounter(secret: Uint8Array, passcode: string, window: CounterWindow, params: OtpParameters): number | null {
  assertWindow(window);
  assertOtpParameters(params);
  const matches = passcodeComparer(passcode, params.digits);
  const hotp = hotpOf(secret, params);
  const end = window.firstCounter + window.size;
  for (let counter = window.firstCounter; counter < end; counter++) {
    if (matches(hotp(counter))) return counter;
  }
  return null;
}

/**
 * RFC 4226 §7.4: re-sync needs two consecutive values so that a single guess cannot move the counter.
 * Finds c in [C, C + size) with HOTP(c) = first and HOTP(c + 1) = second, computing each code once.
 * Returns c (the caller sets the next expected counter to c + 2), or null.
 */
export function findConsecutiveCounters(
  secret: Uint8Array,
  first: string,
  second: string,
  window: CounterWindow,
  params: OtpParameters,
): number | null {
  assertWindow(window);
  assertOtpParameters(params);
  const matchesFirst = passcodeComparer(first, params.digits);
  const matchesSecond = passcodeComparer(second, params.digits);
  const end = window.firstCounter + window.size;
  const hotp = hotpOf(secret, params);
  let previousMatchedFirst = false;
  for (let counter = window.firstCounter; counter <= end; counter++) {
    const code = hotp(counter);
    if (previousMatchedFirst && matchesSecond(code)) return counter - 1;
    previousMatchedFirst = counter < end && matchesFirst(code);
  }
  return null;
}

/**
 * The window of TOTP time steps to try: the token's step now (the server's step plus its recorded drift)
 * ± `radius` (RFC 6238 §5.2: a step or so of network delay or clock drift either side), never reaching back
 * to `nextAllowedStep` - 1 or before, so a code once accepted, or any older one, cannot be used again. Null
 * when every step of the window is spent.
 */
export function totpWindow(currentStep: number, nextAllowedStep: number, radius = 1, driftSteps = 0): CounterWindow | null {
  if (!Number.isSafeInteger(radius) || radius < 0) throw new RangeError('radius must be a non-negative integer');
  if (!Number.isSafeInteger(driftSteps)) throw new RangeError('driftSteps must be an integer');
  const centre = currentStep + driftSteps;
  const first = Math.max(centre - radius, nextAllowedStep, 0);
  const last = centre + radius;
  return last < first ? null : { firstCounter: first, size: last - first + 1 };
}

/**
 * The re-sync search of a TOTP token (RFC 6238 §6): the first of two consecutive codes anywhere within
 * `syncSteps` of the server's step, whatever drift was recorded before (the clock may have drifted further, or
 * back), and never at or before the last accepted step. Its window is the first code's: the second may be the
 * step just after it.
 */
export function totpSyncWindow(currentStep: number, nextAllowedStep: number, syncSteps: number): CounterWindow | null {
  return totpWindow(currentStep, nextAllowedStep, syncSteps);
}

/**
 * A TOTP re-sync's result: the two codes matched steps `firstStep` and `firstStep + 1`, and the second is what
 * the token shows now (the user read them in turn), so the token's clock runs `firstStep + 1 - currentStep`
 * steps ahead of the server's. The next allowed step is `firstStep + 2`: both codes are spent.
 */
export function totpResync(firstStep: number, currentStep: number): { driftSteps: number; nextAllowedStep: number } {
  return { driftSteps: firstStep + 1 - currentStep, nextAllowedStep: firstStep + 2 };
}

/**
 * The step of a TOTP code at `unixTimeInSeconds` ± `radius` steps (no drift, nothing spent yet: a new
 * authenticator app's first code), or null.
 */
export function findTotpStep(secret: Uint8Array, passcode: string, unixTimeInSeconds: number, radius: number, params: TotpParameters): number | null {
  const window = totpWindow(totpCounterAt(unixTimeInSeconds, params), 0, radius);
  return window ? findHotpCounter(secret, passcode, window, params) : null;
}
