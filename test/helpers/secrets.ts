// Token secrets for tests: random ones (RFC 4226 §4 recommends 160 bits) and the RFC's own test secret.
import { randomBytes, randomInt } from 'node:crypto';

/** The RFC 4226 App. D secret, "12345678901234567890". */
export const RFC_SECRET_HEX = Buffer.from('12345678901234567890').toString('hex');

/** A random 20-byte (160-bit) secret as hex. */
export function randomSecretHex(): string {
  return randomBytes(20).toString('hex');
}

/** RFC 4648 base32 of a hex secret (how authenticator apps and some seed files show it). */
export function base32(hex: string): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = '';
  for (const byte of Buffer.from(hex, 'hex')) bits += byte.toString(2).padStart(8, '0');
  let out = '';
  for (let i = 0; i < bits.length; i += 5) out += alphabet[parseInt(bits.slice(i, i + 5).padEnd(5, '0'), 2)];
  return out;
}

export interface SeedRow {
  serial: string;
  secretHex: string;
  counter: number;
}

/** Random 13-digit serials (all different), random 20-byte secrets and random counters. */
export function randomSeedRows(count: number): SeedRow[] {
  const seen = new Set<string>();
  const rows: SeedRow[] = [];
  while (rows.length < count) {
    const serial = `${randomInt(1, 10)}${String(randomInt(0, 1e12)).padStart(12, '0')}`;
    if (seen.has(serial)) continue;
    seen.add(serial);
    rows.push({ serial, secretHex: randomSecretHex(), counter: randomInt(0, 2 ** 40) });
  }
  return rows;
}
