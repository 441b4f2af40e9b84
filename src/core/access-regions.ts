// Which actions a restriction can give at all, and an address that gets each. Longest prefix wins
// (access-rule.ts), so a rule only decides where no more specific rule inside it does: its region is its
// network minus the networks of the rules nested in it, and it may be empty ("allow 10.0.0.0/8" under
// "deny 10.0.0.0/9" and "deny 10.128.0.0/9" allows nobody). The default decides every address no rule
// matches, in either family. IPv4-mapped IPv6 addresses (::ffff:0:0/96) are matched as IPv4 (parseAddress),
// so no IPv6 rule ever decides them: they are left out of every IPv6 region, the default's included.
import ipaddr from 'ipaddr.js';
import { parseCidr, type AccessAction, type AccessRestriction } from './access-rule.js';

type Family = 'ipv4' | 'ipv6';

const BITS: Record<Family, number> = { ipv4: 32, ipv6: 128 };

/** A closed range of addresses of one family, as integers. */
interface Span {
  family: Family;
  first: bigint;
  last: bigint;
}

function spanOf(family: Family, network: ipaddr.IPv4 | ipaddr.IPv6, prefixLength: number): Span {
  const first = network.toByteArray().reduce((value, byte) => (value << 8n) | BigInt(byte), 0n);
  return { family, first, last: first + (1n << BigInt(BITS[family] - prefixLength)) - 1n };
}

/** The whole of a family's address space. */
function wholeFamily(family: Family): Span {
  return { family, first: 0n, last: (1n << BigInt(BITS[family])) - 1n };
}

/** ::ffff:0:0/96, which is matched as IPv4 and so never by an IPv6 rule or the IPv6 default. */
const IPV4_MAPPED: Span = { family: 'ipv6', first: 0xffffn << 32n, last: (0xffffn << 32n) | 0xffffffffn };

/** The lowest address of `target` that none of `covers` contains, or null when they cover it all. */
function firstUncovered(target: Span, covers: Span[]): bigint | null {
  const inside = covers
    .filter((c) => c.family === target.family && c.last >= target.first && c.first <= target.last)
    .sort((a, b) => (a.first < b.first ? -1 : a.first > b.first ? 1 : 0));
  let next = target.first;
  for (const cover of inside) {
    if (cover.first > next) return next;
    if (cover.last >= next) next = cover.last + 1n;
    if (next > target.last) return null;
  }
  return next <= target.last ? next : null;
}

function addressText(family: Family, value: bigint): string {
  const bytes: number[] = [];
  for (let i = BITS[family] / 8 - 1; i >= 0; i--) bytes.push(Number((value >> BigInt(i * 8)) & 0xffn));
  return ipaddr.fromByteArray(bytes).toString();
}

/**
 * Every action the restriction gives some client address, each with the lowest such address (IPv4 before
 * IPv6). A rule whose network the more specific rules inside it cover entirely gives its action nowhere; the
 * default gives its action unless the rules cover both the whole of IPv4 and the whole of IPv6 (outside the
 * IPv4-mapped range). Of two rules for one network (which validation refuses) the first decides, as in
 * evaluateRestriction.
 */
export function reachableActions(restriction: AccessRestriction): Map<AccessAction, string> {
  const rules: { span: Span; action: AccessAction }[] = [];
  const seen = new Set<string>();
  for (const rule of restriction.rules) {
    const parsed = parseCidr(rule.cidr);
    if ('error' in parsed || seen.has(parsed.cidr)) continue;
    seen.add(parsed.cidr);
    const family = parsed.network.kind();
    rules.push({ span: spanOf(family, parsed.network, parsed.prefixLength), action: rule.action });
  }
  const found: { family: Family; at: bigint; action: AccessAction }[] = [];
  for (const rule of rules) {
    // The rules strictly inside this one (longer prefixes) decide their networks; the mapped range is IPv4's.
    const nested = rules.filter((r) => r !== rule && r.span.family === rule.span.family && r.span.first >= rule.span.first && r.span.last <= rule.span.last).map((r) => r.span);
    const at = firstUncovered(rule.span, [...nested, IPV4_MAPPED]);
    if (at !== null) found.push({ family: rule.span.family, at, action: rule.action });
  }
  for (const family of ['ipv4', 'ipv6'] as const) {
    const at = firstUncovered(wholeFamily(family), [...rules.map((r) => r.span), IPV4_MAPPED]);
    if (at !== null) found.push({ family, at, action: restriction.default });
  }
  found.sort((a, b) => (a.family !== b.family ? (a.family === 'ipv4' ? -1 : 1) : a.at < b.at ? -1 : a.at > b.at ? 1 : 0));
  const reachable = new Map<AccessAction, string>();
  for (const { family, at, action } of found) if (!reachable.has(action)) reachable.set(action, addressText(family, at));
  return reachable;
}
