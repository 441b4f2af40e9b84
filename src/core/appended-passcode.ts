// RADIUS PAP carries one secret: the password with the passcode appended (docs/architecture.md, "radius/").
// Where the password ends and the passcode starts depends on the user's tokens, so the split is decided
// here, without I/O: whether a trailing code is one of a token's next codes is the caller's question
// (`matches`), asked only when the user's tokens have different digit counts.
import { isWellFormedPasscode } from './passcode.js';
import { isTempCodeShaped, TEMP_CODE_DIGITS } from './temp-code.js';

export interface AppendedPasscodeInput {
  /** The one PAP field: the password followed by the passcode. */
  field: string;
  /** The digit count of each token the user holds (usable or not). */
  tokenDigits: readonly number[];
  /** Whether the user has a live temporary code: 10 trailing digits are then that code. */
  tempCodeLive: boolean;
  /** Whether `passcode` (`digits` long) is a next code of a usable token of that length. */
  matches: (passcode: string, digits: number) => boolean;
}

export interface SplitCredentials {
  password: string;
  /** Null when no passcode can be cut off: no token, or a field no longer than the passcode. */
  passcode: string | null;
}

/**
 * Splits the field. Without a token the whole field is the password. With tokens of one digit count, the
 * last that many characters are the passcode. With tokens of several (6 and 8), the count whose trailing
 * digits are a next code of a token of that length (`matches`), else the largest: the password is checked
 * once whatever the tokens (one directory bind per sign-in). While the user has a live temporary code, 10
 * trailing digits are taken as that code. A field no longer than the passcode keeps no passcode.
 */
export function splitAppendedPasscode(input: AppendedPasscodeInput): SplitCredentials {
  const { field } = input;
  const digits = field.length > TEMP_CODE_DIGITS && input.tempCodeLive && isTempCodeShaped(field.slice(-TEMP_CODE_DIGITS)) ? TEMP_CODE_DIGITS : tokenDigitsOf(input);
  if (digits > 0 && field.length > digits) return { password: field.slice(0, -digits), passcode: field.slice(-digits) };
  return { password: field, passcode: null };
}

/** How many trailing characters are a token's passcode (0: the user has no token). */
function tokenDigitsOf({ field, tokenDigits, matches }: AppendedPasscodeInput): number {
  const counts = [...new Set(tokenDigits)].sort((a, b) => b - a);
  if (counts.length <= 1) return counts[0] ?? 0;
  const found = counts.find((digits) => field.length > digits && isWellFormedPasscode(field.slice(-digits), digits) && matches(field.slice(-digits), digits));
  return found ?? counts[0]!;
}
