// The end user's address as the IP rules see it.
import { parseAddress } from '../core/access-rule.js';

/** Canonical text of an address (IPv4-mapped IPv6 as plain IPv4), or null when it is not one. */
export function canonicalIp(text: string | undefined | null): string | null {
  if (!text) return null;
  const address = parseAddress(text);
  return address ? address.toString() : null;
}
