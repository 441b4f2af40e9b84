// One form of a username for the whole installation: every entry (API, console, RADIUS, the CLI, user
// creation, directory provisioning and sync) reads a name through these two functions, and the unique index
// holds the canonical key, so that "lina", " lina ", "LINA" and the fullwidth "ｌｉｎａ" are one user.

/** The longest canonical key a user may have (the column's width). */
export const USERNAME_KEY_LENGTH = 64;

/**
 * A name as it is stored and shown: surrounding white space removed, Unicode NFKC (compatibility forms such
 * as fullwidth letters or ligatures become their plain letters). Case is kept for display.
 */
export function usernameShown(username: string): string {
  return username.trim().normalize('NFKC');
}

/**
 * The canonical key: the shown form case-folded and normalised again (NFKC ∘ full case folding ∘ NFKC).
 * Folding goes through upper case and back to lower case so that the full mappings apply ("ß" and "ss",
 * final "ς" and "σ" are one name), as LDAP's string preparation (RFC 4518 §2.4, RFC 3454 table B.2) folds
 * them: otherwise a directory would match a name that otpgate reads as another user.
 */
export function usernameKey(username: string): string {
  return usernameShown(username).toUpperCase().toLowerCase().normalize('NFKC');
}

/** Whether two names are the same user's. */
export function sameUsername(a: string, b: string): boolean {
  return usernameKey(a) === usernameKey(b);
}
