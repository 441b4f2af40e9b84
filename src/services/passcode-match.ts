// Finds which counter (HOTP) or time step (TOTP) a passcode belongs to, for a stored token.
import { findHotpCounter, totpWindow, type CounterWindow } from '../core/otp-window.js';
import { totpCounterAt } from '../core/hotp.js';
import type { TokenRow } from '../store/schema.js';
import { searchConsecutiveCounters } from './resync-search.js';

function paramsOf(token: TokenRow) {
  return { algorithm: token.algorithm, digits: token.digits };
}

/** The window a passcode is searched in: [C, C + size) for HOTP; the current step ± 1 (not before C) for TOTP. */
function windowFor(token: TokenRow, hotpWindowSize: number, nowInMs: number): CounterWindow | null {
  if (token.type === 'hotp') return { firstCounter: Number(token.counter), size: hotpWindowSize };
  const step = totpCounterAt(nowInMs / 1000, {
    ...paramsOf(token),
    periodInSeconds: token.period_in_seconds ?? 30,
    startTimeInSeconds: Number(token.time_offset_in_seconds),
  });
  return totpWindow(step, Number(token.counter));
}

/** The matched counter, or null. Counters below the token's C are never tried: a replay finds nothing. */
export function matchPasscode(token: TokenRow, secret: Buffer, passcode: string, hotpWindowSize: number, nowInMs: number): number | null {
  const window = windowFor(token, hotpWindowSize, nowInMs);
  return window ? findHotpCounter(secret, passcode, window, paramsOf(token)) : null;
}

/**
 * How far behind C a passcode is when the token already produced it (1: the last accepted code), looking
 * back at most 10 counters; null when it is not a recent code (a wrong guess, or TOTP).
 */
export function replayDistance(token: TokenRow, secret: Buffer, passcode: string): number | null {
  const counter = Number(token.counter);
  const lookBack = Math.min(counter, 10);
  if (token.type !== 'hotp' || lookBack === 0) return null;
  const matched = findHotpCounter(secret, passcode, { firstCounter: counter - lookBack, size: lookBack }, paramsOf(token));
  return matched === null ? null : counter - matched;
}

/**
 * The re-sync search: the first counter of two consecutive passcodes in [C, C + syncWindow). HOTP only.
 * A large window is searched in a worker thread (resync-search.ts), not on the request thread.
 */
export function matchConsecutivePasscodes(token: TokenRow, secret: Buffer, first: string, second: string, syncWindow: number): Promise<number | null> {
  return searchConsecutiveCounters(secret, first, second, { firstCounter: Number(token.counter), size: syncWindow }, paramsOf(token));
}
