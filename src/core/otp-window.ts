// Verification over a look-ahead window and the re-sync search. Both return the matched counter, not a
// boolean, so replay protection, re-sync and the audit log share one fact.
import { assertOtpParameters, hotpOf, type OtpParameters } from './hotp.js';
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
 * The window of TOTP time steps to try (RFC 6238 §5.2: allow a step of network delay or clock drift either
 * side), never reaching back before `nextAllowedStep`, so a code once accepted cannot be used again.
 */
export function totpWindow(currentStep: number, nextAllowedStep: number, driftSteps = 1): CounterWindow | null {
  const first = Math.max(currentStep - driftSteps, nextAllowedStep, 0);
  const last = currentStep + driftSteps;
  return last < first ? null : { firstCounter: first, size: last - first + 1 };
}
