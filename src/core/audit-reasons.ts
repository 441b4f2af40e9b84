// The audit log's reason codes in plain language: one sentence per code, the one source for every page that
// shows an audit event. A reason that is not a code (services also record short prose, e.g. "role admin")
// is shown as it is, without a code beside it.
import { type SignInReason } from './sign-in-decision.js';

/** Every sign-in reason needs a sentence: the compiler says so when SIGN_IN_REASONS gains one. */
const SIGN_IN_REASON_TEXT: Record<SignInReason, string> = {
  throttled: 'Too many failed attempts: refused without checking, until the back-off ends',
  unknown_user: 'No such user',
  user_disabled: 'The user is disabled',
  wrong_password: 'Wrong password',
  denied_by_rule: 'An access restriction denies sign-in from this address',
  token_locked: 'The token is locked after too many wrong passcodes',
  token_disabled: 'The token is disabled (by an administrator, or reported lost by its user): no passcode from it is accepted',
  token_expired: 'The token is outside its validity dates: no passcode from it is accepted',
  passcode_missing: 'A passcode is needed and none was sent',
  passcode_malformed: "The passcode is not the token's number of digits",
  passcode_wrong: "The passcode is not one of the token's next codes",
  passcode_replayed: 'The passcode was already used',
  enroll_required: 'A passcode is required here and the user has no token: asked to associate one',
  no_token_self_association_off: 'A passcode is required here, the user has no token and may not associate one',
  password_only: 'Signed in with the password (no token, and no rule requires a passcode)',
  passcode_accepted: 'Signed in with the password and passcode',
  token_associated: 'Signed in by associating a token',
  temp_code_accepted: 'Signed in with a temporary code from an administrator',
  temp_code_wrong: 'Not the user\'s live temporary code (wrong, used up, expired or revoked)',
};

/** Codes recorded outside the sign-in decision. */
const OTHER_REASON_TEXT: Record<string, string> = {
  directory_unavailable: 'The directory could not be reached: nothing was decided',
};

export interface ReasonText {
  /** A sentence a person reads. */
  text: string;
  /** The recorded code, shown beside the sentence; null when the reason was prose already. */
  code: string | null;
}

export function describeAuditReason(reason: string): ReasonText {
  const known = (SIGN_IN_REASON_TEXT as Record<string, string>)[reason] ?? OTHER_REASON_TEXT[reason];
  if (known !== undefined) return { text: known, code: reason };
  return { text: reason.charAt(0).toUpperCase() + reason.slice(1), code: null };
}

/** A sign-in's result (the audit event's outcome) in words, for the user's own list of sign-ins on /account. */
const SIGN_IN_RESULT_TEXT: Record<string, string> = {
  accept: 'Signed in',
  otp_required: 'Password accepted; passcode asked',
  enroll_required: 'Password accepted; asked to associate a token',
  locked: 'Refused: token locked',
  reject: 'Refused',
};

/**
 * A sign-in event for its user: the result in words and, where it says more than the result, the reason's
 * sentence (null after the password step, whose reason only repeats that a passcode was asked).
 */
export function describeSignIn(outcome: string, reason: string | null): { result: string; detail: string | null } {
  const result = SIGN_IN_RESULT_TEXT[outcome] ?? describeAuditReason(outcome).text;
  if (reason === null || outcome === 'otp_required' || outcome === 'enroll_required') return { result, detail: null };
  return { result, detail: describeAuditReason(reason).text };
}

/** Where a sign-in came through, from the audit actor `channel:name` (web/principal.ts): words, not the engine's name. */
export function describeSignInChannel(actor: string): string {
  const colon = actor.indexOf(':');
  const channel = colon < 0 ? actor : actor.slice(0, colon);
  const name = colon < 0 ? '' : actor.slice(colon + 1);
  switch (channel) {
    case 'console':
      return 'This sign-in page';
    case 'radius':
      return `RADIUS client ${name} (VPN, Wi-Fi)`;
    case 'apikey':
      return `Application ${name}`;
    case 'oidc':
      return `Single sign-on for ${name}`;
    case 'cli':
      return 'Command line on the server';
    default:
      return actor;
  }
}

/** What an audit event's action did, in words (the console's audit log shows the code beside them). */
const AUDIT_ACTION_TEXT: Record<string, string> = {
  signin: 'Sign-in',
  'oidc.signin': 'Single sign-on',
  'oidc.token': 'Single sign-on token',
  'token.import': 'Tokens imported',
  'token.import_dry_run': 'Import tried (dry run)',
  'token.associate': 'Token associated',
  'token.disassociate': 'Token disassociated',
  'token.resync': 'Token re-synced',
  'token.lock': 'Token locked',
  'token.unlock': 'Token unlocked',
  'token.disable': 'Token disabled',
  'token.enable': 'Token enabled',
  'token.retire': 'Token retired',
  'token.report_lost': 'Token reported lost',
  'token.set_validity': 'Token validity set',
  'token.enrol_start': 'App enrolment started',
  'token.enrol_cancel': 'App enrolment cancelled',
  'token.enrol': 'Authenticator app added',
  'temp_code.issue': 'Temporary code issued',
  'temp_code.revoke': 'Temporary code ended',
  'user.create': 'User created',
  'user.update': 'User changed',
  'user.directory_update': 'User updated from the directory',
  'user.disable': 'User disabled',
  'user.enable': 'User enabled',
  'user.delete': 'User deleted',
  'restriction.set': "User's restriction set",
  'restriction.set_group': "Group's restriction set",
  'restriction.clear_group': "Group's restriction removed",
  'restriction.set_account': 'Account restriction set',
  'account.create': 'Account created',
  'account.settings': 'Settings changed',
  'apikey.create': 'API key created',
  'apikey.remove': 'API key removed',
  'directory.set': 'Directory set',
  'directory.remove': 'Directory removed',
  'directory.test': 'Directory tested',
  'directory.sync': 'Directory synced',
  'webhook.add': 'Webhook added',
  'webhook.remove': 'Webhook removed',
  'radius_client.add': 'RADIUS client added',
  'radius_client.remove': 'RADIUS client removed',
  'oidc_client.add': 'OpenID client added',
  'oidc_client.update': 'OpenID client changed',
  'oidc_client.remove': 'OpenID client removed',
  'oidc_key.rotate': 'OpenID signing key rotated',
  'audit.chain': 'Audit chain opened',
};

/** The actions with words, in the order a filter lists them. */
export const AUDIT_ACTIONS: readonly string[] = Object.keys(AUDIT_ACTION_TEXT);

/** An audit event's action in words, with its code; an action with no words yet is shown as its code alone. */
export function describeAuditAction(action: string): ReasonText {
  const text = AUDIT_ACTION_TEXT[action];
  return text === undefined ? { text: action, code: null } : { text, code: action };
}

const OPERATION_OUTCOME_TEXT: Record<string, string> = { success: 'Done', failure: 'Failed', refused: 'Refused' };

/** An audit event's outcome in words: a sign-in's result as its user reads it, an operation's done or failed. */
export function describeAuditOutcome(action: string, outcome: string): string {
  if (action === 'signin') return describeSignIn(outcome, null).result;
  return OPERATION_OUTCOME_TEXT[outcome] ?? describeAuditReason(outcome).text;
}
