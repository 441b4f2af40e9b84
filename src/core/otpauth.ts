// What an authenticator app is given (SPEC, "Time-based tokens"): the secret as RFC 4648 base32, grouped
// for reading aloud or typing, and the otpauth:// URI its QR code holds. Pure: the secret comes in.

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

/** RFC 4648 §6 base32, without padding (authenticator apps take it so; 20 bytes are 32 characters). */
export function base32Encode(bytes: Uint8Array): string {
  let out = '';
  let buffer = 0;
  let bits = 0;
  for (const byte of bytes) {
    buffer = (buffer << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += ALPHABET[(buffer >>> (bits - 5)) & 31];
      bits -= 5;
    }
    buffer &= (1 << bits) - 1;
  }
  if (bits > 0) out += ALPHABET[(buffer << (5 - bits)) & 31];
  return out;
}

/** The base32 secret in groups of four ("JBSW Y3DP …"), as the enrolment page shows it. */
export function groupedSecret(base32: string): string {
  return (base32.match(/.{1,4}/g) ?? []).join(' ');
}

/** An issuer or account name as the URI's label part may hold it: no colon (the label's separator). */
export function withoutColons(text: string): string {
  return text.replace(/:/g, '');
}

/**
 * `otpauth://totp/ISSUER:USERNAME?secret=BASE32&issuer=ISSUER` (SHA-1, 6 digits, 30 s: the apps' defaults,
 * so the URI names none of them). Issuer and username are percent-encoded; colons are dropped from both.
 */
export function otpauthUri(issuer: string, username: string, secretBase32: string): string {
  const cleanIssuer = encodeURIComponent(withoutColons(issuer));
  return `otpauth://totp/${cleanIssuer}:${encodeURIComponent(withoutColons(username))}?secret=${secretBase32}&issuer=${cleanIssuer}`;
}
