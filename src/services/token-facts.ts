// The facts about a token that other services share: how a serial, a label and a passcode are read, how a
// token stands for the sign-in decision (usable, outside its validity dates, the user's tokens combined),
// finding a token of the account or of a user, and ending a user's sessions when a token stops proving them.
// It imports no service: the token operations (token-service.ts), the token's states
// (token-state-service.ts), the sign-in, the way-in guard and the bulk association all build on it.
import { isWellFormedPasscode } from '../core/passcode.js';
import { normalizeSerial } from '../core/serial.js';
import { combineTokenFacts, type SignInFacts } from '../core/sign-in-decision.js';
import { textProblem } from '../core/text.js';
import { isOutsideValidity } from '../core/token-status.js';
import { deleteSessionsOfUser } from '../store/session-store.js';
import { findTokenBySerial, findTokensOfUser } from '../store/token-store.js';
import type { AccountRow, TokenRow, UserRow } from '../store/schema.js';
import type { ServiceContext } from './context.js';
import { ServiceError } from './errors.js';

export function requireSerial(input: string): string {
  const serial = normalizeSerial(input);
  if (!serial) throw new ServiceError('invalid_serial', `"${input}" is not a serial number (1-64 of A-Z a-z 0-9 - _)`);
  return serial;
}

/** A token's label: 1-64 printable characters, trimmed (a label unique per user names a token to its holder). */
export function requireLabel(input: string): string {
  const label = input.trim();
  if (label.length === 0 || label.length > 64 || /\p{Cc}/u.test(label) || textProblem(label) !== null) {
    throw new ServiceError('invalid_request', 'label must be 1-64 printable characters', { field: 'label' });
  }
  return label;
}

/** The refusal of a command or route that names no serial, for a user who holds several tokens. */
export function severalTokens(user: Pick<UserRow, 'username'>, held: readonly Pick<TokenRow, 'serial'>[]): ServiceError {
  const serials = held.map((t) => t.serial);
  return new ServiceError('several_tokens', `user "${user.username}" holds ${serials.length} tokens (${serials.join(', ')}); name one by its serial`, { serials });
}

export function requirePasscode(passcode: string, digits: number, field = 'otp'): void {
  if (!isWellFormedPasscode(passcode, digits)) {
    throw new ServiceError('invalid_passcode', `${field} must be exactly ${digits} digits`, { field });
  }
}

/** Whether `now` is outside the token's validity dates (PostgreSQL gives the bigint columns as text). */
export function isTokenOutsideValidity(token: Pick<TokenRow, 'valid_from' | 'valid_until'>, now: number): boolean {
  const time = (value: number | null) => (value === null ? null : Number(value));
  return isOutsideValidity(time(token.valid_from), time(token.valid_until), now);
}

/** A token that accepts passcodes: associated (not locked or disabled) and within its validity dates. */
export function isTokenUsable(token: Pick<TokenRow, 'status' | 'valid_from' | 'valid_until'>, now: number): boolean {
  return token.status === 'associated' && !isTokenOutsideValidity(token, now);
}

/** Every token a user holds as the decision sees them (core combineTokenFacts). */
export function tokensFact(tokens: readonly Pick<TokenRow, 'status' | 'valid_from' | 'valid_until'>[], now: number): SignInFacts['token'] {
  return combineTokenFacts(tokens.map((token) => tokenFact(token, now)));
}

/** The user's token as the decision sees it: disabled, then outside its validity dates, then locked. */
export function tokenFact(token: Pick<TokenRow, 'status' | 'valid_from' | 'valid_until'> | undefined, now: number): SignInFacts['token'] {
  if (!token) return 'none';
  switch (token.status) {
    case 'disabled':
      return 'disabled';
    case 'associated':
    case 'locked':
      if (isTokenOutsideValidity(token, now)) return 'expired';
      return token.status === 'locked' ? 'locked' : 'active';
    case 'available':
    case 'retired':
      return 'none';
  }
}

/** Ends a user's console sessions: after a disassociation or a lock, they must sign in again. */
export async function endSessionsOf(ctx: ServiceContext, userId: number): Promise<void> {
  await deleteSessionsOfUser(ctx.db, userId);
}

/** A token of this account by serial; tokens of other accounts do not exist here (404, never 403). */
export async function requireToken(ctx: ServiceContext, account: AccountRow, serialInput: string): Promise<TokenRow> {
  const serial = requireSerial(serialInput);
  const token = await findTokenBySerial(ctx.db, account.id, serial);
  if (!token) throw new ServiceError('token_not_found', `no token ${serial} in account "${account.name}"`);
  return token;
}

/**
 * The user's token of this serial; without a serial, their one token (409 several_tokens, naming the
 * serials, when they hold several: the milestone-1 routes and commands that name no serial).
 */
export async function requireTokenOf(ctx: ServiceContext, user: UserRow, serialInput?: string): Promise<TokenRow> {
  const held = await findTokensOfUser(ctx.db, user.id);
  if (serialInput !== undefined) {
    const serial = requireSerial(serialInput);
    const token = held.find((t) => t.serial === serial);
    if (!token) throw new ServiceError('token_not_found', `user "${user.username}" holds no token ${serial}`);
    return token;
  }
  if (held.length === 0) throw new ServiceError('token_not_found', `user "${user.username}" has no token`);
  if (held.length > 1) throw severalTokens(user, held);
  return held[0]!;
}
