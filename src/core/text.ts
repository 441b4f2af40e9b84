// Text that can be stored as it was given. A JavaScript string may hold a lone UTF-16 surrogate (JSON's
// "\ud800" escape makes one), which no UTF-8 column can hold: the driver writes U+FFFD in its place, so what
// was compared or hashed is not what was stored. PostgreSQL's text cannot hold a NUL character at all.
// Every entry refuses such text before anything uses it.

/** A lone surrogate: with the `u` flag a well-formed pair is one code point and does not match. */
const LONE_SURROGATE = /\p{Cs}/u;

/** True when the string is well-formed Unicode (String.prototype.isWellFormed, which ES2022 typings lack). */
export function isWellFormedText(text: string): boolean {
  return !LONE_SURROGATE.test(text);
}

/** Why the text cannot be stored as given, or null when it can. */
export function textProblem(text: string): string | null {
  if (!isWellFormedText(text)) return 'is not well-formed Unicode (it holds a lone UTF-16 surrogate)';
  if (text.includes('\u0000')) return 'holds a NUL character';
  return null;
}

/**
 * The first string in a parsed value (JSON body, form, query) that cannot be stored as given, object keys
 * included: its path as `where.field[0].name` and the problem; null when there is none.
 */
export function findTextProblem(value: unknown, where: string): { path: string; problem: string } | null {
  if (typeof value === 'string') {
    const problem = textProblem(value);
    return problem === null ? null : { path: where, problem };
  }
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const found = findTextProblem(value[i], `${where}[${i}]`);
      if (found !== null) return found;
    }
    return null;
  }
  if (value !== null && typeof value === 'object') {
    for (const [key, item] of Object.entries(value)) {
      const keyProblem = textProblem(key);
      if (keyProblem !== null) return { path: `a field name in ${where}`, problem: keyProblem };
      const found = findTextProblem(item, `${where}.${key}`);
      if (found !== null) return found;
    }
  }
  return null;
}

/**
 * One e-mail address as otpgate stores it (already trimmed): one @, a dot in the domain, no spaces, commas,
 * semicolons, quotes or angle brackets (so never a list such as `a@x, b@y`), at most 320 characters. The
 * API's and the directory's addresses are held to the same rule.
 */
export function isEmailAddress(text: string): boolean {
  return text.length <= 320 && /^[^\s@<>",;]+@[^\s@<>",;]+\.[^\s@<>",;]+$/.test(text);
}
