// Escaping values put into LDAP search filters (RFC 4515) and distinguished names (RFC 4514). A username is
// typed by whoever signs in: unescaped, `*)(uid=*` would turn "find this user" into "find anyone".

/**
 * RFC 4515 §3: in an assertion value, `*`, `(`, `)`, `\` and NUL are written as `\` and two hex digits.
 * Every other character may stay as it is; non-ASCII text is sent as UTF-8, which the filter carries as is.
 */
export function escapeFilterValue(value: string): string {
  return value.replace(/[*()\\\0]/g, (char) => `\\${char.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

/**
 * RFC 4514 §2.4: in an attribute value of a DN, `"`, `+`, `,`, `;`, `<`, `>`, `\` are escaped with a
 * backslash, as are a leading space or `#` and a trailing space; NUL is written as `\00`.
 */
export function escapeDnValue(value: string): string {
  let escaped = value.replace(/["+,;<>\\]/g, (char) => `\\${char}`).replace(/\0/g, '\\00');
  if (escaped.startsWith(' ') || escaped.startsWith('#')) escaped = `\\${escaped}`;
  if (escaped.endsWith(' ') && !escaped.endsWith('\\ ')) escaped = `${escaped.slice(0, -1)}\\ `;
  return escaped;
}

/** An equality assertion `(attribute=value)` with the value escaped; the attribute is configuration, checked elsewhere. */
export function equalityFilter(attribute: string, value: string): string {
  return `(${attribute}=${escapeFilterValue(value)})`;
}

/** An LDAP attribute description as configured: a name (letters, digits, hyphens) or a numeric OID. */
export function isAttributeName(text: string): boolean {
  return /^[A-Za-z][A-Za-z0-9-]{0,99}$/.test(text) || /^[0-9]+(\.[0-9]+)+$/.test(text);
}

/** The first RDN's value of a DN, unescaped: `cn=VPN users,ou=groups,…` names the group "VPN users". */
export function firstRdnValue(dn: string): string {
  const equals = dn.indexOf('=');
  if (equals === -1) return dn;
  // `\XX` escapes are UTF-8 bytes (RFC 4514 §3), so the value is gathered as bytes and decoded once.
  const bytes: number[] = [];
  const text = (chars: string) => bytes.push(...new TextEncoder().encode(chars));
  for (let i = equals + 1; i < dn.length; i++) {
    const char = dn[i]!;
    if (char === '\\') {
      const hex = dn.slice(i + 1, i + 3);
      if (/^[0-9A-Fa-f]{2}$/.test(hex)) {
        bytes.push(parseInt(hex, 16));
        i += 2;
      } else if (i + 1 < dn.length) {
        text(dn[i + 1]!);
        i += 1;
      }
      continue;
    }
    if (char === ',' || char === '+') break;
    text(char);
  }
  return new TextDecoder().decode(new Uint8Array(bytes)).trim();
}
