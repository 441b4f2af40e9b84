// What a change of restriction or setting does to a user's way in, before it is saved: a user who would
// need a passcode and has no token is asked to associate one at sign-in, or, with self-association off,
// cannot sign in at all ("Ask your administrator"). Pure: the restrictions and facts come in.
import type { AccessRestriction } from './access-rule.js';

export type WayIn = 'ok' | 'asked_to_associate' | 'locked_out';

/** From some address the restriction asks for a passcode. */
export function asksForPasscode(restriction: AccessRestriction): boolean {
  return restriction.default === 'require_otp' || restriction.rules.some((rule) => rule.action === 'require_otp');
}

export function wayIn(restriction: AccessRestriction, hasToken: boolean, selfAssociation: boolean): WayIn {
  if (hasToken || !asksForPasscode(restriction)) return 'ok';
  return selfAssociation ? 'asked_to_associate' : 'locked_out';
}

const RANK: Record<WayIn, number> = { ok: 0, asked_to_associate: 1, locked_out: 2 };

/** Whether the change makes a user's way in harder (they are the ones to warn about). */
export function madeHarder(before: WayIn, after: WayIn): boolean {
  return RANK[after] > RANK[before];
}
