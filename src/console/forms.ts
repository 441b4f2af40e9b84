// Reading the console's form posts: urlencoded fields, the CSRF token, the IP rules editor's rows, and
// service errors turned into a message and per-field errors for the form they came from.
import type { FastifyRequest } from 'fastify';
import { ACCESS_ACTIONS, type AccessAction } from '../core/access-rule.js';
import { TOKEN_STATUSES, type TokenStatus } from '../core/token-status.js';
import { ROLES, type Role } from '../core/values.js';
import { ServiceError } from '../services/errors.js';
import type { RestrictionInput } from '../services/restriction-service.js';
import { csrfTokensEqual } from '../services/session-service.js';
import { sentence } from './render.js';

export type FormBody = Record<string, string | string[] | undefined>;

export function formOf(request: FastifyRequest): FormBody {
  const body = request.body;
  return body !== null && typeof body === 'object' ? (body as FormBody) : {};
}

/** One field's value: the first when a name repeats, '' when absent. */
export function field(body: FormBody, name: string): string {
  const value = body[name];
  return (Array.isArray(value) ? value[0] : value) ?? '';
}

export function fields(body: FormBody, name: string): string[] {
  const value = body[name];
  return value === undefined ? [] : Array.isArray(value) ? value : [value];
}

/** The form's `_csrf` field against the session's token (constant-time). */
export function hasSessionCsrf(body: FormBody, sessionToken: string): boolean {
  return csrfTokensEqual(sessionToken, field(body, '_csrf'));
}

/**
 * Each action named by what it does at sign-in. `allow` adds no requirement: a user with a token still
 * enters a passcode (SPEC: the passcode is needed when the user has a token or the rule requires one).
 */
export const ACTION_LABEL: Record<AccessAction, string> = {
  allow: 'Allow (passcode for token users)',
  require_otp: 'Passcode required',
  deny: 'Deny sign-in',
};
/** The rules editor's choices, in the order core/ lists the actions. */
export const ACTION_LABELS: [AccessAction, string][] = ACCESS_ACTIONS.map((action) => [action, ACTION_LABEL[action]]);

/** A restriction in one line, for the read-only summary above an editor: its default and its rules. */
export function summarizeRestriction(restriction: { rules: { cidr: string; action: AccessAction }[]; default: AccessAction }): string {
  const rules = restriction.rules.map((rule) => `${rule.cidr}: ${ACTION_LABEL[rule.action]}`);
  const others = `${rules.length === 0 ? 'every address' : 'any other address'}: ${ACTION_LABEL[restriction.default]}`;
  return [...rules, others].join('; ');
}

export interface RuleRow {
  cidr: string;
  action: string;
  note: string;
  /** A saved rule (it can be removed) rather than a blank row for a new one. */
  existing: boolean;
}

/** A restriction editor shown again after a refusal: the rows as sent, the default, and what was refused. */
export interface RestrictionForm {
  rows: RuleRow[];
  default: string;
  errors: Record<string, string>;
  error: string | null;
}

const MAX_ROWS = 250;
export const BLANK_ROWS = 2;

export function blankRows(count = BLANK_ROWS): RuleRow[] {
  return Array.from({ length: count }, () => ({ cidr: '', action: 'require_otp', note: '', existing: false }));
}

/**
 * The rules editor's rows (`rules[i].cidr`, `.action`, `.note`, `.remove`). Rows marked for removal and rows
 * with an empty network are dropped; the kept rows keep their order, so the service's error keys
 * (`rules[k].cidr`) name the k-th kept row, which is how the form is shown again.
 */
export function readRestriction(body: FormBody): { input: RestrictionInput; rows: RuleRow[] } {
  const rows: RuleRow[] = [];
  for (let i = 0; i < MAX_ROWS; i++) {
    if (body[`rules[${i}].cidr`] === undefined) continue;
    if (field(body, `rules[${i}].remove`) !== '') continue;
    const cidr = field(body, `rules[${i}].cidr`).trim();
    if (cidr === '') continue;
    rows.push({ cidr, action: field(body, `rules[${i}].action`), note: field(body, `rules[${i}].note`).slice(0, 200), existing: true });
  }
  const input: RestrictionInput = {
    rules: rows.map((row) => (row.note.trim() ? { cidr: row.cidr, action: row.action, note: row.note } : { cidr: row.cidr, action: row.action })),
    default: field(body, 'default'),
  };
  return { input, rows };
}

export function rowsOf(rules: { cidr: string; action: string; note?: string }[]): RuleRow[] {
  return rules.map((rule) => ({ cidr: rule.cidr, action: rule.action, note: rule.note ?? '', existing: true }));
}

/** A refused operation's message and the fields it names; anything else is not a form error (rethrown). */
export function formError(error: unknown): { message: string; fieldErrors: Record<string, string> } {
  if (!(error instanceof ServiceError)) throw error;
  const details = error.details ?? {};
  const fieldErrors: Record<string, string> = {};
  const text = sentence(error.message);
  if (details.fields && typeof details.fields === 'object') {
    for (const [name, message] of Object.entries(details.fields as Record<string, string>)) fieldErrors[name] = sentence(message);
  }
  if (typeof details.field === 'string') fieldErrors[details.field] = text;
  switch (error.code) {
    case 'invalid_serial':
    case 'token_not_found':
    case 'token_not_available':
      fieldErrors.serial ??= text;
      break;
    case 'passcode_not_accepted':
      fieldErrors.otp ??= text;
      break;
    case 'invalid_username':
    case 'user_exists':
      fieldErrors.username ??= text;
      break;
    case 'weak_password':
      fieldErrors.password ??= text;
      break;
    default:
      break;
  }
  // When the message is already shown beside its field, the box at the top only says where to look.
  const message =
    error.code === 'invalid_restriction'
      ? 'The access restriction was not saved: correct the fields marked below.'
      : Object.values(fieldErrors).includes(text)
        ? 'Nothing was changed: correct the field marked below.'
        : text;
  return { message, fieldErrors };
}

/** Every status needs a label: the compiler says so when core/token-status.ts gains one. */
const STATUS_LABELS: Record<TokenStatus, string> = {
  available: 'Available',
  associated: 'Assigned',
  locked: 'Locked',
  disabled: 'Disabled',
  retired: 'Retired',
};

/**
 * A token's state as shown: its status, except a disabled token its user reported lost, which is its own
 * state (issue #29) — "Reported lost", not "Disabled" as if an administrator had disabled it.
 */
export type ShownTokenState = TokenStatus | 'reported_lost' | 'expired';

/** …and an available or assigned token past its valid-until is "Expired": no passcode of it is accepted (reason token_expired). */
export function shownState(token: { status: TokenStatus; lostReportedAt?: string | null; validUntil?: string | null }, now = Date.now()): ShownTokenState {
  if (token.status === 'disabled' && token.lostReportedAt) return 'reported_lost';
  if ((token.status === 'available' || token.status === 'associated') && token.validUntil && Date.parse(token.validUntil) <= now) return 'expired';
  return token.status;
}

export function statusLabel(status: ShownTokenState): string {
  if (status === 'reported_lost') return 'Reported lost';
  if (status === 'expired') return 'Expired';
  return STATUS_LABELS[status];
}

/** An authenticator app a user added on /account (or `token enrol-app`): otpgate made it, with this model. */
export function isAppToken(token: { model: string | null }): boolean {
  return token.model === 'authenticator app';
}

/** A token's kind as its holder reads it: "HOTP, 6 digits", "TOTP, 6 digits, every 30 s", or an app. */
export function tokenKind(token: { type: string; digits: number; periodInSeconds: number | null; model: string | null }): string {
  if (isAppToken(token)) return 'Authenticator app (TOTP)';
  const kind = `${token.type.toUpperCase()}, ${token.digits} digits`;
  return token.type === 'totp' && token.periodInSeconds !== null ? `${kind}, every ${token.periodInSeconds} s` : kind;
}

/** The inventory's status filter: every status, "Reported lost" after "Disabled", and "Expired". */
export const SHOWN_TOKEN_STATES: readonly ShownTokenState[] = [...TOKEN_STATUSES.flatMap((s): ShownTokenState[] => (s === 'disabled' ? [s, 'reported_lost'] : [s])), 'expired'];

/** Every role needs a label: the compiler says so when core/values.ts gains one. */
const ROLE_LABEL: Record<Role, string> = {
  admin: 'Administrator',
  helpdesk: 'Help desk',
  user: 'User',
};
export const ROLE_LABELS: [Role, string][] = ROLES.map((role) => [role, ROLE_LABEL[role]]);

export function roleLabel(role: Role): string {
  return ROLE_LABEL[role];
}

export function roleOf(text: string): Role | null {
  return (ROLES as readonly string[]).includes(text) ? (text as Role) : null;
}

/** Several refusals of one form (each field checked on its own) as one message and the fields they name. */
export function formErrors(errors: unknown[]): { message: string; fieldErrors: Record<string, string> } {
  if (errors.length === 1) return formError(errors[0]);
  const fieldErrors: Record<string, string> = {};
  for (const error of errors) Object.assign(fieldErrors, formError(error).fieldErrors);
  return { message: 'Nothing was changed: correct the fields marked below.', fieldErrors };
}

/**
 * The token a user's page acts on: `serial` in the query (a page) or in the form (its POST); '' names the
 * user's one token (the seed's pages, for a user who holds one).
 */
export function chosenSerial(request: FastifyRequest): string {
  const query = request.query as Record<string, unknown> | undefined;
  const value = request.method === 'POST' ? field(formOf(request), 'serial') : typeof query?.serial === 'string' ? query.serial : '';
  return value.slice(0, 80);
}

/** The query string that names a token on a user's page: empty for a user who holds one token. */
export function serialQuery(serial: string): string {
  return serial ? `?serial=${encodeURIComponent(serial)}` : '';
}
