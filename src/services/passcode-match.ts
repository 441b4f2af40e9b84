// Finds which counter (HOTP) or time step (TOTP) a passcode belongs to, for a stored token.
import { findHotpCounter, totpResync, totpSyncWindow, totpWindow, type CounterWindow } from '../core/otp-window.js';
import { totpCounterAt } from '../core/hotp.js';
import type { TokenRow } from '../store/schema.js';

/** The columns of a token that matching a passcode reads. */
export type MatchedToken = Pick<TokenRow, 'type' | 'algorithm' | 'digits' | 'counter' | 'period_in_seconds' | 'time_offset_in_seconds' | 'drift_steps'>;
import { searchConsecutiveCounters } from './resync-search.js';

/** How far a search looks: `hotp` counters ahead of C, or `totp` time steps either side of the drifted step. */
export interface PasscodeWindows {
  hotp: number;
  totp: number;
}

function paramsOf(token: MatchedToken) {
  return { algorithm: token.algorithm, digits: token.digits };
}

/** The server's time step now for a TOTP token (its period, 30 s unless the seed file said otherwise, and T0). */
export function totpStepNow(token: MatchedToken, nowInMs: number): number {
  return totpCounterAt(nowInMs / 1000, { ...paramsOf(token), periodInSeconds: token.period_in_seconds ?? 30, startTimeInSeconds: Number(token.time_offset_in_seconds) });
}

/**
 * The window a passcode is searched in: [C, C + hotp) for HOTP; for TOTP the server's step plus the token's
 * recorded drift, ± totp, never at or before the last accepted step (C - 1).
 */
function windowFor(token: MatchedToken, windows: PasscodeWindows, nowInMs: number): CounterWindow | null {
  if (token.type === 'hotp') return { firstCounter: Number(token.counter), size: windows.hotp };
  return totpWindow(totpStepNow(token, nowInMs), Number(token.counter), windows.totp, Number(token.drift_steps));
}

/**
 * The matched counter or step, or null. Counters below the token's C are never tried: a replay finds nothing.
 * The caller moves C to the match + 1 by compare-and-set (for TOTP: the step after the accepted one).
 */
export function matchPasscode(token: MatchedToken, secret: Buffer, passcode: string, windows: PasscodeWindows, nowInMs: number): number | null {
  const window = windowFor(token, windows, nowInMs);
  return window ? findHotpCounter(secret, passcode, window, paramsOf(token)) : null;
}

/**
 * How far behind C a passcode is when the token already produced it (1: the last accepted code, HOTP or TOTP),
 * looking back at most 10 counters or steps; null when it is not a recent code (a wrong guess).
 */
export function replayDistance(token: MatchedToken, secret: Buffer, passcode: string): number | null {
  const counter = Number(token.counter);
  const lookBack = Math.min(counter, 10);
  if (lookBack === 0) return null;
  const matched = findHotpCounter(secret, passcode, { firstCounter: counter - lookBack, size: lookBack }, paramsOf(token));
  return matched === null ? null : counter - matched;
}

/** A re-sync's result: the counter or step the token continues from, and (TOTP) its clock's new drift. */
export interface ResyncMatch {
  nextCounter: number;
  driftSteps: number | null;
}

/**
 * The re-sync search: two consecutive passcodes. HOTP: the first in [C, C + hotp), continuing at the second + 1.
 * TOTP: the first within ± totpSync steps of the server's step (not at or before the last accepted one); the
 * drift is where the second code's step stands from the server's now (core totpResync).
 * A large window is searched in a worker thread (resync-search.ts), not on the request thread.
 */
export async function matchConsecutivePasscodes(
  token: MatchedToken,
  secret: Buffer,
  first: string,
  second: string,
  windows: { hotp: number; totpSync: number },
  nowInMs: number,
): Promise<ResyncMatch | null> {
  if (token.type === 'hotp') {
    const matched = await searchConsecutiveCounters(secret, first, second, { firstCounter: Number(token.counter), size: windows.hotp }, paramsOf(token));
    return matched === null ? null : { nextCounter: matched + 2, driftSteps: null };
  }
  const currentStep = totpStepNow(token, nowInMs);
  const window = totpSyncWindow(currentStep, Number(token.counter), windows.totpSync);
  const matched = window ? await searchConsecutiveCounters(secret, first, second, window, paramsOf(token)) : null;
  if (matched === null) return null;
  const { driftSteps, nextAllowedStep } = totpResync(matched, currentStep);
  return { nextCounter: nextAllowedStep, driftSteps };
}
