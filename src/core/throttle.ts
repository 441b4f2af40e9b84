// Back-off after consecutive failed sign-ins, per user and per end-user address. It only ever delays:
// the delay is short and capped, so that an attacker cannot use it to keep a user out for long
// (the token's lock at maxFailures is the only hard lock).

export interface ThrottleState {
  consecutiveFailures: number;
  /** Epoch milliseconds before which attempts are refused without being checked. */
  blockedUntil: number;
}

export interface ThrottlePolicy {
  /** Failures allowed before any delay (typos happen). */
  freeFailures: number;
  baseDelayInSeconds: number;
  maxDelayInSeconds: number;
}

export const USER_THROTTLE: ThrottlePolicy = { freeFailures: 3, baseDelayInSeconds: 1, maxDelayInSeconds: 30 };
export const ADDRESS_THROTTLE: ThrottlePolicy = { freeFailures: 5, baseDelayInSeconds: 1, maxDelayInSeconds: 60 };

export const NO_FAILURES: ThrottleState = { consecutiveFailures: 0, blockedUntil: 0 };

/** Seconds to wait, or 0 when an attempt may be checked now. */
export function retryAfterSeconds(state: ThrottleState, nowInMs: number): number {
  return state.blockedUntil > nowInMs ? Math.ceil((state.blockedUntil - nowInMs) / 1000) : 0;
}

/** The state after one more failure: 1, 2, 4 … seconds once the free failures are spent, capped. */
export function afterFailure(state: ThrottleState, nowInMs: number, policy: ThrottlePolicy): ThrottleState {
  const consecutiveFailures = state.consecutiveFailures + 1;
  const over = consecutiveFailures - policy.freeFailures;
  if (over <= 0) return { consecutiveFailures, blockedUntil: 0 };
  const delayInSeconds = Math.min(policy.baseDelayInSeconds * 2 ** (over - 1), policy.maxDelayInSeconds);
  return { consecutiveFailures, blockedUntil: nowInMs + delayInSeconds * 1000 };
}
