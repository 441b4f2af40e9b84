// Reading the console's form posts: urlencoded fields, the CSRF token, the IP rules editor's rows, and
// service errors turned into a message and per-field errors for the form they came from.
import type { FastifyRequest } from 'fastify';
import { ACCESS_ACTIONS, type AccessAction } from '../core/access-rule.js';
import type { TokenStatus } from '../core/token-status.js';
import { ServiceError } from '../services/errors.js';
import type { RestrictionInput } from '../services/restriction-service.js';
import { csrfTokensEqual } from '../services/session-service.js';

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

const ACTION_LABEL: Record<AccessAction, string> = {
  allow: 'Allow (password only)',
  require_otp: 'Require OTP token',
  deny: 'Deny',
};
/** The rules editor's choices, in the order core/ lists the actions. */
export const ACTION_LABELS: [AccessAction, string][] = ACCESS_ACTIONS.map((action) => [action, ACTION_LABEL[action]]);

export interface RuleRow {
  cidr: string;
  action: string;
  note: string;
  /** A saved rule (it can be removed) rather than a blank row for a new one. */
  existing: boolean;
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
  if (details.fields && typeof details.fields === 'object') Object.assign(fieldErrors, details.fields as Record<string, string>);
  if (typeof details.field === 'string') fieldErrors[details.field] = error.message;
  switch (error.code) {
    case 'invalid_serial':
    case 'token_not_found':
    case 'token_not_available':
      fieldErrors.serial ??= error.message;
      break;
    case 'passcode_not_accepted':
      fieldErrors.otp ??= error.message;
      break;
    case 'invalid_username':
    case 'user_exists':
      fieldErrors.username ??= error.message;
      break;
    case 'weak_password':
      fieldErrors.password ??= error.message;
      break;
    default:
      break;
  }
  // When the message is already shown beside its field, the box at the top only says where to look.
  const message =
    error.code === 'invalid_restriction'
      ? 'The access restriction was not saved: correct the fields marked below.'
      : Object.values(fieldErrors).includes(error.message)
        ? 'Nothing was changed: correct the field marked below.'
        : error.message;
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

export function statusLabel(status: TokenStatus): string {
  return STATUS_LABELS[status];
}
