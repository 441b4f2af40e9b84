// The sign-in decision as a pure function of facts gathered by the sign-in service. It runs twice at most:
// once without a passcode result (it may ask for the passcode to be verified), then with it.
import type { AccessAction } from './access-rule.js';

export const SIGN_IN_RESULTS = ['accept', 'reject', 'otp_required', 'enroll_required', 'locked'] as const;
export type SignInResult = (typeof SIGN_IN_RESULTS)[number];

/** Why a result was given. Kept in the audit log; callers see only the result. */
export const SIGN_IN_REASONS = [
  'throttled',
  'unknown_user',
  'user_disabled',
  'wrong_password',
  'denied_by_rule',
  'token_locked',
  /** The user's token is disabled (by an administrator, or reported lost): no passcode from it is accepted. */
  'token_disabled',
  /** The user's token is outside its validity dates: treated as disabled. */
  'token_expired',
  'passcode_missing',
  'passcode_malformed',
  'passcode_wrong',
  'passcode_replayed',
  'enroll_required',
  'no_token_self_association_off',
  'password_only',
  'passcode_accepted',
  /** A temporary code (issued by an administrator for a forgotten or lost token) signed the user in. */
  'temp_code_accepted',
  /** A temporary code's shape (10 digits), but not the user's live code: wrong, used up, expired or revoked. */
  'temp_code_wrong',
  /** A user completed the sign-in by associating a token themselves (the association proves possession). */
  'token_associated',
] as const;
export type SignInReason = (typeof SIGN_IN_REASONS)[number];

export type PasscodeOutcome = 'matched' | 'wrong' | 'replayed';
export type TempCodeOutcome = 'matched' | 'wrong';

export interface SignInFacts {
  throttled: boolean;
  userFound: boolean;
  /** Disabled by an administrator or a directory sync, or disabled in the directory itself. */
  userDisabled?: boolean;
  /** `not_checked` when the caller verifies passwords itself (an `otp-only` API key). */
  password: 'ok' | 'wrong' | 'not_checked';
  access: AccessAction;
  /** `disabled`: disabled by an administrator or reported lost; `expired`: outside its validity dates. */
  token: 'none' | 'active' | 'locked' | 'disabled' | 'expired';
  /**
   * What the caller sent: nothing, something that is not the token's digits, a well-formed code, or a
   * temporary code's shape (10 digits, which no token has).
   */
  passcode: 'absent' | 'malformed' | 'well_formed' | 'temp_code';
  /** Whether the user has a live temporary code (uses left, not expired). */
  tempCode?: 'none' | 'live';
  /** The temporary code's check, once the service has made it. */
  tempCodeOutcome?: TempCodeOutcome;
  /** The verification's outcome, once the service has verified a well-formed passcode. */
  passcodeOutcome?: PasscodeOutcome;
  selfAssociation: boolean;
}

/**
 * Every token a user holds as one fact (SPEC, "Several tokens per user"): locked when any is (the lock is
 * the user's), else active when any is usable, else disabled when any is, else expired; none without a
 * token. A disabled or expired token beside a usable one changes nothing, and one alone still asks for a
 * passcode and gives none.
 */
export function combineTokenFacts(facts: readonly SignInFacts['token'][]): SignInFacts['token'] {
  for (const fact of ['locked', 'active', 'disabled', 'expired'] as const) if (facts.includes(fact)) return fact;
  return 'none';
}

export type SignInStep =
  | { kind: 'final'; result: SignInResult; reason: SignInReason }
  | { kind: 'verify_passcode' }
  | { kind: 'verify_temp_code' };

const final = (result: SignInResult, reason: SignInReason): SignInStep => ({ kind: 'final', result, reason });

export function decideSignIn(facts: SignInFacts): SignInStep {
  if (facts.throttled) return final('reject', 'throttled');
  // Unknown user, wrong password and deny give the same `reject`: nothing tells them apart but the audit log.
  if (!facts.userFound) return final('reject', 'unknown_user');
  // A disabled user is refused whatever they send; the password result is not shown either.
  if (facts.userDisabled) return final('reject', 'user_disabled');
  if (facts.password === 'wrong') return final('reject', 'wrong_password');
  if (facts.access === 'deny') return final('reject', 'denied_by_rule');
  if (facts.token === 'locked') return decideLocked(facts);
  // A temporary code signs in wherever a passcode is asked for: with a token (disabled or expired too) or
  // without one, even where a restriction requires OTP. Ten digits from a user
  // with neither a token nor a live code are no attempt at anything, as any passcode from them is not.
  if (facts.passcode === 'temp_code' && (facts.tempCode === 'live' || facts.token !== 'none')) {
    if (facts.tempCode === 'live' && facts.tempCodeOutcome === undefined) return { kind: 'verify_temp_code' };
    return facts.tempCodeOutcome === 'matched' ? final('accept', 'temp_code_accepted') : final('reject', 'temp_code_wrong');
  }
  if (facts.token === 'disabled' || facts.token === 'expired') {
    // Still the user's token, so a passcode is still asked for; none from it is accepted.
    if (facts.passcode === 'absent') return final('otp_required', 'passcode_missing');
    return final('reject', facts.token === 'disabled' ? 'token_disabled' : 'token_expired');
  }
  if (facts.token === 'active') {
    // A user with a token needs a passcode at every sign-in, whatever the IP rule says.
    if (facts.passcode === 'absent') return final('otp_required', 'passcode_missing');
    if (facts.passcode === 'malformed') return final('reject', 'passcode_malformed');
    switch (facts.passcodeOutcome) {
      case undefined:
        return { kind: 'verify_passcode' };
      case 'matched':
        return final('accept', 'passcode_accepted');
      case 'wrong':
        return final('reject', 'passcode_wrong');
      case 'replayed':
        return final('reject', 'passcode_replayed');
    }
  }
  if (facts.access === 'require_otp') {
    // A user with a live temporary code is asked for it instead of being asked to associate a token.
    if (facts.tempCode === 'live') return final('otp_required', 'passcode_missing');
    return facts.selfAssociation ? final('enroll_required', 'enroll_required') : final('reject', 'no_token_self_association_off');
  }
  return final('accept', 'password_only');
}

/**
 * A user whose tokens are locked (issue #29): no passcode from a token is accepted, but a live temporary
 * code is — it exists to rescue exactly this user. With one live, the passcode is asked for (so that every
 * channel offers the field) and the code is checked; the tokens stay locked. Without one, `locked`.
 */
function decideLocked(facts: SignInFacts): SignInStep {
  if (facts.tempCode !== 'live') return final('locked', 'token_locked');
  if (facts.passcode === 'absent') return final('otp_required', 'passcode_missing');
  if (facts.passcode !== 'temp_code') return final('locked', 'token_locked');
  if (facts.tempCodeOutcome === undefined) return { kind: 'verify_temp_code' };
  return facts.tempCodeOutcome === 'matched' ? final('accept', 'temp_code_accepted') : final('reject', 'temp_code_wrong');
}
