// IP access restrictions: which action applies to a client address. Longest prefix wins; an address
// that matches no rule gets the restriction's default action.
import ipaddr from 'ipaddr.js';

export const ACCESS_ACTIONS = ['allow', 'require_otp', 'deny'] as const;
export type AccessAction = (typeof ACCESS_ACTIONS)[number];

export interface AccessRule {
  /** Canonical CIDR text, e.g. `10.0.0.0/8` or `2001:db8::/32`. */
  cidr: string;
  action: AccessAction;
  note?: string;
}

export interface AccessRestriction {
  rules: AccessRule[];
  default: AccessAction;
}

/** With no restriction at all, every address is allowed (a password alone signs in). */
export const UNRESTRICTED: AccessRestriction = { rules: [], default: 'allow' };

export function isAccessAction(value: unknown): value is AccessAction {
  return typeof value === 'string' && (ACCESS_ACTIONS as readonly string[]).includes(value);
}

type Address = ipaddr.IPv4 | ipaddr.IPv6;

/** IPv4-mapped IPv6 (`::ffff:192.0.2.1`) is treated as the IPv4 address it carries. */
function unmap(address: Address): Address {
  return address.kind() === 'ipv6' && (address as ipaddr.IPv6).isIPv4MappedAddress()
    ? (address as ipaddr.IPv6).toIPv4Address()
    : address;
}

/** Parses a client address; returns null for anything that is not one IPv4 or IPv6 address. */
export function parseAddress(text: string): Address | null {
  const trimmed = text.trim();
  if (!ipaddr.isValid(trimmed)) return null;
  // ipaddr.js also accepts legacy IPv4 forms such as `10.1` or octal; only dotted quads count here.
  if (ipaddr.IPv4.isValid(trimmed) && !ipaddr.IPv4.isValidFourPartDecimal(trimmed)) return null;
  return unmap(ipaddr.parse(trimmed.replace(/%.*$/, '')));
}

export interface ParsedCidr {
  network: Address;
  prefixLength: number;
  /** The canonical text stored and shown: the network address (host bits cleared) and its prefix. */
  cidr: string;
}

/**
 * Parses a rule's network. A single address is a /32 or /128; host bits are cleared
 * (`10.1.2.3/8` becomes `10.0.0.0/8`); IPv4-mapped IPv6 networks become IPv4 ones.
 * Returns an error message instead of throwing, since a bad CIDR is ordinary user input.
 */
export function parseCidr(text: string): ParsedCidr | { error: string } {
  const trimmed = text.trim();
  const slash = trimmed.indexOf('/');
  const addressText = slash === -1 ? trimmed : trimmed.slice(0, slash);
  const prefixText = slash === -1 ? null : trimmed.slice(slash + 1);
  const address = addressText === '' ? null : parseAddressStrict(addressText);
  if (!address) return { error: `"${text}" is not an IPv4 or IPv6 address or network` };
  const wasMapped = address.kind() === 'ipv6' && (address as ipaddr.IPv6).isIPv4MappedAddress();
  const maxBits = address.kind() === 'ipv4' ? 32 : 128;
  let prefixLength = maxBits;
  if (prefixText !== null) {
    if (!/^[0-9]{1,3}$/.test(prefixText) || Number(prefixText) > maxBits) {
      return { error: `"${text}" has an invalid prefix length (0-${maxBits})` };
    }
    prefixLength = Number(prefixText);
  }
  let network: Address = address;
  if (wasMapped) {
    if (prefixLength < 96) return { error: `"${text}" spans beyond the IPv4-mapped range (prefix must be at least 96)` };
    network = (address as ipaddr.IPv6).toIPv4Address();
    prefixLength -= 96;
  }
  const cleared = clearHostBits(network, prefixLength);
  return { network: cleared, prefixLength, cidr: `${cleared.toString()}/${prefixLength}` };
}

function parseAddressStrict(text: string): Address | null {
  if (ipaddr.IPv4.isValidFourPartDecimal(text)) return ipaddr.IPv4.parse(text);
  if (ipaddr.IPv6.isValid(text) && !text.includes('%')) return ipaddr.IPv6.parse(text);
  return null;
}

function clearHostBits(address: Address, prefixLength: number): Address {
  const bytes = address.toByteArray();
  for (let bit = prefixLength; bit < bytes.length * 8; bit++) {
    bytes[bit >> 3]! &= ~(0x80 >> (bit & 7));
  }
  return ipaddr.fromByteArray(bytes);
}

export interface RuleValidation {
  restriction: AccessRestriction;
  /** Field-level errors keyed like `rules[2].cidr`; empty when the restriction is valid. */
  errors: Record<string, string>;
}

/**
 * Validates and canonicalises a restriction before it is saved: every CIDR parses, every action is known,
 * and no network appears twice (two rules for one network would make "longest prefix wins" ambiguous).
 */
export function validateRestriction(input: { rules: { cidr: string; action: string; note?: string }[]; default: string }): RuleValidation {
  const errors: Record<string, string> = {};
  const rules: AccessRule[] = [];
  const seen = new Map<string, number>();
  input.rules.forEach((rule, index) => {
    const parsed = parseCidr(rule.cidr);
    if ('error' in parsed) errors[`rules[${index}].cidr`] = parsed.error;
    if (!isAccessAction(rule.action)) errors[`rules[${index}].action`] = `unknown action "${rule.action}" (allow, require_otp or deny)`;
    if ('error' in parsed || !isAccessAction(rule.action)) return;
    const earlier = seen.get(parsed.cidr);
    if (earlier !== undefined) {
      errors[`rules[${index}].cidr`] = `${parsed.cidr} is already used by rule ${earlier + 1}`;
      return;
    }
    seen.set(parsed.cidr, index);
    const note = rule.note?.trim();
    rules.push(note ? { cidr: parsed.cidr, action: rule.action, note } : { cidr: parsed.cidr, action: rule.action });
  });
  if (!isAccessAction(input.default)) errors['default'] = `unknown default action "${input.default}" (allow, require_otp or deny)`;
  const defaultAction = isAccessAction(input.default) ? input.default : 'allow';
  return { restriction: { rules, default: defaultAction }, errors };
}

/**
 * A field key of `validateRestriction`'s errors as people count rules, from 1: `rules[1].cidr` is "rule 2
 * (network)". The keys stay as they are (the API's `details.fields`, the console's form fields).
 */
export function restrictionFieldLabel(key: string): string {
  const match = /^rules\[(\d+)\]\.(cidr|action)$/.exec(key);
  if (!match) return key === 'default' ? 'default action' : key;
  return `rule ${Number(match[1]) + 1} (${match[2] === 'cidr' ? 'network' : 'action'})`;
}

export interface AccessDecision {
  action: AccessAction;
  /** The rule that decided, or null when the default action applied. */
  matchedRule: AccessRule | null;
}

/**
 * Of the entries whose network (CIDR text) contains the address, the one with the longest prefix; null when
 * none does or the address is not one. Entries whose CIDR does not parse match nothing.
 */
/** Networks already parsed: the same rules are read at every sign-in. Bounded; a value, not state that matters. */
const parsedNetworks = new Map<string, ParsedCidr | { error: string }>();

function parseCidrOnce(text: string): ParsedCidr | { error: string } {
  let parsed = parsedNetworks.get(text);
  if (parsed === undefined) {
    parsed = parseCidr(text);
    if (parsedNetworks.size >= 10_000) parsedNetworks.clear();
    parsedNetworks.set(text, parsed);
  }
  return parsed;
}

/**
 * Client addresses already parsed, with their canonical text: a sign-in's address is needed as text (its
 * back-off key, the audit event) and, under IP rules, as an address, and clients come back on their
 * addresses. Bounded: a flood of new addresses starts the memo over rather than growing it.
 */
const knownAddresses = new Map<string, { address: Address; canonical: string } | null>();

function knownAddress(text: string): { address: Address; canonical: string } | null {
  let known = knownAddresses.get(text);
  if (known === undefined) {
    const address = parseAddress(text);
    known = address ? { address, canonical: address.toString() } : null;
    if (knownAddresses.size >= 10_000) knownAddresses.clear();
    knownAddresses.set(text, known);
  }
  return known;
}

/** An address's canonical text (IPv4-mapped IPv6 as plain IPv4, IPv6 compressed and lower case), or null when it is not one. */
export function canonicalAddress(text: string): string | null {
  return knownAddress(text)?.canonical ?? null;
}

export function longestPrefixMatch<T>(entries: Iterable<T>, cidrOf: (entry: T) => string, ip: string): T | null {
  const address = knownAddress(ip)?.address ?? null;
  if (address === null) return null;
  let best: { entry: T; prefixLength: number } | null = null;
  for (const entry of entries) {
    const parsed = parseCidrOnce(cidrOf(entry));
    if ('error' in parsed || parsed.network.kind() !== address.kind()) continue;
    if (!address.match(parsed.network, parsed.prefixLength)) continue;
    if (!best || parsed.prefixLength > best.prefixLength) best = { entry, prefixLength: parsed.prefixLength };
  }
  return best?.entry ?? null;
}

/**
 * The action for a client address: the matching rule with the longest prefix, else the default.
 * A null address (unknown, e.g. the CLI without --ip) matches no rule.
 */
export function evaluateRestriction(restriction: AccessRestriction, clientIp: string | null): AccessDecision {
  const rule = clientIp === null || restriction.rules.length === 0 ? null : longestPrefixMatch(restriction.rules, (r) => r.cidr, clientIp);
  return rule ? { action: rule.action, matchedRule: rule } : { action: restriction.default, matchedRule: null };
}
