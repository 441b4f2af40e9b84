// The end user's address as the IP rules see it.
import { canonicalAddress } from '../core/access-rule.js';

/** Canonical text of an address (IPv4-mapped IPv6 as plain IPv4), or null when it is not one (parsed once per address: core/access-rule.ts). */
export function canonicalIp(text: string | undefined | null): string | null {
  return text ? canonicalAddress(text) : null;
}
