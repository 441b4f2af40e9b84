// What a change of restriction or setting does to a user's way in, before it is saved: a user who would
// need a passcode and has no token is asked to associate one at sign-in, or, with self-association off,
// cannot sign in at all ("Ask your administrator"). And whether an administrator can sign in to the console
// at all (SPEC, "Administrators keep a way in"). Pure: the restrictions and facts come in.
import type { AccessAction, AccessRestriction } from './access-rule.js';
import { reachableActions } from './access-regions.js';
import { decideSignIn, type SignInFacts } from './sign-in-decision.js';

export type WayIn = 'ok' | 'asked_to_associate' | 'locked_out';

/** From some address the restriction asks for a passcode (a rule shadowed by more specific ones does not count). */
export function asksForPasscode(restriction: AccessRestriction): boolean {
  return reachableActions(restriction).has('require_otp');
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

/**
 * The restriction an administrator meets at the console while the account's `adminsRequireOtp` is on: a
 * passcode wherever their restriction would allow a password alone (`deny` stays `deny`).
 */
export function requireOtpWhereAllowed(restriction: AccessRestriction): AccessRestriction {
  const raise = (action: AccessAction): AccessAction => (action === 'allow' ? 'require_otp' : action);
  return { rules: restriction.rules.map((rule) => ({ ...rule, action: raise(rule.action) })), default: raise(restriction.default) };
}

/** What a user's sign-in depends on, besides their password. */
export interface WayInFacts {
  disabled: boolean;
  /** The restriction that applies to them (own > groups > account-wide: restriction-precedence.ts). */
  restriction: AccessRestriction;
  /** Their token as the sign-in decision sees it. */
  token: SignInFacts['token'];
  selfAssociation: boolean;
  /** An administrator while the account's `adminsRequireOtp` is on: the console asks them for a passcode wherever it would allow. */
  passcodeAlways: boolean;
  /**
   * Why a directory user's password cannot be checked, or null (a local user, or their directory finds them):
   * no directory left, the directory as changed does not find them, or cannot be used to look.
   */
  directoryLoss: DirectoryLoss | null;
}

/** Why a directory user's password can no longer be checked (a NoWayIn of its own). */
export type DirectoryLoss = 'no_directory' | 'not_in_directory' | 'directory_unusable';

/** Why someone cannot sign in to the console from any address. */
export type NoWayIn = 'user_disabled' | DirectoryLoss | 'denied_everywhere' | 'token_disabled' | 'token_expired' | 'token_locked' | 'no_token_self_association_off';

export const NO_WAY_IN_TEXT: Record<NoWayIn, string> = {
  user_disabled: 'disabled',
  no_directory: 'a directory user, and no directory would be left to check their password',
  not_in_directory: 'a directory user whom the directory, as changed, does not find (URL, base DN, user filter or username attribute)',
  directory_unusable: 'a directory user, and the directory as changed cannot be used to find them (connection, TLS, bind DN or password)',
  denied_everywhere: 'denied from every address',
  token_disabled: 'their token is disabled, so no passcode is accepted',
  token_expired: 'their token is outside its validity dates, so no passcode is accepted',
  token_locked: 'their token is locked',
  no_token_self_association_off: 'required to use OTP without a token, and self-association is off',
};

export type ConsoleWayIn = { open: true; clientIp: string } | { open: false; why: NoWayIn };

/**
 * Whether the user can sign in to the console from some address with their password and token (or, with no
 * token, by associating one where self-association lets them): the sign-in decision itself is asked, at one
 * address of each action the restriction gives. Temporary codes are left out: they run out within 72 hours.
 */
export function consoleWayIn(facts: WayInFacts): ConsoleWayIn {
  if (facts.disabled) return { open: false, why: 'user_disabled' };
  if (facts.directoryLoss !== null) return { open: false, why: facts.directoryLoss };
  const restriction = facts.passcodeAlways ? requireOtpWhereAllowed(facts.restriction) : facts.restriction;
  let why: NoWayIn = 'denied_everywhere';
  for (const [access, clientIp] of reachableActions(restriction)) {
    if (access === 'deny') continue;
    const signIn: SignInFacts = {
      throttled: false,
      userFound: true,
      userDisabled: false,
      password: 'ok',
      access,
      token: facts.token,
      passcode: facts.token === 'none' ? 'absent' : 'well_formed',
      tempCode: 'none',
      selfAssociation: facts.selfAssociation,
    };
    let step = decideSignIn(signIn);
    if (step.kind === 'verify_passcode') step = decideSignIn({ ...signIn, passcodeOutcome: 'matched' });
    if (step.kind !== 'final') continue;
    // Asked to associate a token: the association completes the sign-in.
    if (step.result === 'accept' || step.result === 'enroll_required') return { open: true, clientIp };
    why = step.reason === 'token_disabled' || step.reason === 'token_expired' || step.reason === 'token_locked' || step.reason === 'no_token_self_association_off' ? step.reason : why;
  }
  return { open: false, why };
}

/** An administrator as the lockout guard sees them, before or after a change (`facts` null: no longer an administrator). */
export interface AdminWayIn {
  username: string;
  facts: WayInFacts | null;
  /** Why they are no administrator after the change (deleted, demoted), when `facts` is null. */
  gone?: string;
}

/**
 * SPEC, "Administrators keep a way in": a change is refused when some administrator can sign in before it
 * and none can after it. An account where no administrator can sign in already is not made worse by
 * anything, so nothing is refused there. Returns null when the change may go ahead, else the refusal,
 * naming each administrator who loses their way in and why.
 */
export function adminLockout(before: AdminWayIn[], after: AdminWayIn[], when = ''): string | null {
  const openBefore = before.filter((a) => a.facts !== null && consoleWayIn(a.facts).open);
  if (openBefore.length === 0) return null;
  const reasons: string[] = [];
  for (const admin of after) {
    if (admin.facts === null) {
      if (openBefore.some((a) => a.username === admin.username)) reasons.push(`${admin.username}: ${admin.gone ?? 'no longer an administrator'}`);
      continue;
    }
    const way = consoleWayIn(admin.facts);
    if (way.open) return null;
    if (openBefore.some((a) => a.username === admin.username)) reasons.push(`${admin.username}: ${NO_WAY_IN_TEXT[way.why]}`);
  }
  for (const admin of openBefore) if (!after.some((a) => a.username === admin.username)) reasons.push(`${admin.username}: no longer an administrator`);
  return `This would leave no administrator able to sign in${when === '' ? '' : ` ${when}`} (${reasons.join('; ')})`;
}
