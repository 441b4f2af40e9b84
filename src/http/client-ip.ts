// The end user's address as the IP rules see it.
import { parseAddress } from '../core/access-rule.js';

/** Addresses already made canonical: every request asks, and clients come back on their addresses. */
const known = new Map<string, string | null>();
const KNOWN_MAX = 10_000;

/** Canonical text of an address (IPv4-mapped IPv6 as plain IPv4), or null when it is not one. */
export function canonicalIp(text: string | undefined | null): string | null {
  if (!text) return null;
  let canonical = known.get(text);
  if (canonical === undefined) {
    const address = parseAddress(text);
    canonical = address ? address.toString() : null;
    // Bounded: a flood of new addresses starts the memo over rather than growing it.
    if (known.size >= KNOWN_MAX) known.clear();
    known.set(text, canonical);
  }
  return canonical;
}
