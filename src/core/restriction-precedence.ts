// Which IP restriction applies to a user, and why (SPEC, "Groups"): the user's own restriction; else their
// groups' restrictions, where for every address the strictest action any of them gives wins
// (deny > require_otp > allow); else the account-wide one; else none (every address allowed).
import { parseCidr, UNRESTRICTED, type AccessAction, type AccessRestriction, type AccessRule, type ParsedCidr } from './access-rule.js';

/** How strict an action is: a higher number wins when several groups' restrictions apply. */
export const ACTION_STRICTNESS: Record<AccessAction, number> = { allow: 0, require_otp: 1, deny: 2 };

/** The stricter of two actions. */
export function stricterAction(a: AccessAction, b: AccessAction): AccessAction {
  return ACTION_STRICTNESS[b] > ACTION_STRICTNESS[a] ? b : a;
}

/** One group's restriction, under the group's name as the administrator gave it. */
export interface GroupRestriction {
  group: string;
  restriction: AccessRestriction;
}

/** Where the restriction in force comes from. */
export type RestrictionSource = 'user' | 'group' | 'account' | 'none';
export const RESTRICTION_SOURCES = ['user', 'group', 'account', 'none'] as const satisfies readonly RestrictionSource[];

export interface ApplicableRestriction {
  source: RestrictionSource;
  /** With source `group`: the user's groups whose restrictions were combined, sorted ignoring case; else empty. */
  groups: string[];
  /** The rules in force: for several groups, their combination (see combineStrictest). */
  restriction: AccessRestriction;
}

export interface RestrictionFacts {
  /** The user's own restriction, or null. */
  own: AccessRestriction | null;
  /** The restrictions of the user's groups that have one (any order; names are unique). */
  groups: GroupRestriction[];
  /** The account-wide restriction, or null. */
  account: AccessRestriction | null;
}

/** The precedence: own > groups (strictest per address) > account-wide > none. */
export function applicableRestriction(facts: RestrictionFacts): ApplicableRestriction {
  if (facts.own) return { source: 'user', groups: [], restriction: facts.own };
  if (facts.groups.length > 0) {
    const groups = [...facts.groups].sort((a, b) => byName(a.group, b.group));
    return { source: 'group', groups: groups.map((g) => g.group), restriction: combineStrictest(groups) };
  }
  if (facts.account) return { source: 'account', groups: [], restriction: facts.account };
  return { source: 'none', groups: [], restriction: UNRESTRICTED };
}

/** Names in order ignoring case (as groups are compared), then as written. */
function byName(a: string, b: string): number {
  const [x, y] = [a.toLowerCase(), b.toLowerCase()];
  return x < y ? -1 : x > y ? 1 : a < b ? -1 : a > b ? 1 : 0;
}

/** Whether the rule's network contains the whole of `target` (same family, prefix no longer). */
function contains(rule: ParsedCidr, target: ParsedCidr): boolean {
  return rule.network.kind() === target.network.kind() && rule.prefixLength <= target.prefixLength && target.network.match(rule.network, rule.prefixLength);
}

/** The action one restriction gives every address of `target`, a network no more specific rule of it splits. */
function actionOver(rules: { parsed: ParsedCidr; rule: AccessRule }[], defaultAction: AccessAction, target: ParsedCidr): AccessAction {
  let best: { parsed: ParsedCidr; rule: AccessRule } | null = null;
  for (const entry of rules) {
    if (contains(entry.parsed, target) && (!best || entry.parsed.prefixLength > best.parsed.prefixLength)) best = entry;
  }
  return best ? best.rule.action : defaultAction;
}

/**
 * Several groups' restrictions as one, which gives every address the strictest action any of them gives.
 * Its rules are the union of their networks; each network gets the strictest of what each group gives that
 * network (the group's longest rule containing it, else the group's default), and its default is the
 * strictest default. For an address, the longest network of the union that contains it is at least as
 * specific as each group's own longest match, and no group has a rule between the two (that rule would be
 * in the union and longer), so each group gives the whole network the action it gives the address.
 * One group's restriction is returned as it is (its notes kept).
 */
export function combineStrictest(groups: GroupRestriction[]): AccessRestriction {
  if (groups.length === 1) return groups[0]!.restriction;
  if (groups.length === 0) return UNRESTRICTED;
  const parsedGroups = groups.map((g) => ({
    group: g.group,
    defaultAction: g.restriction.default,
    rules: g.restriction.rules.flatMap((rule) => {
      const parsed = parseCidr(rule.cidr);
      return 'error' in parsed ? [] : [{ parsed, rule }];
    }),
  }));
  const networks = new Map<string, ParsedCidr>();
  for (const g of parsedGroups) for (const { parsed } of g.rules) if (!networks.has(parsed.cidr)) networks.set(parsed.cidr, parsed);
  const rules: AccessRule[] = [];
  for (const [cidr, network] of networks) {
    const given = parsedGroups.map((g) => ({ group: g.group, action: actionOver(g.rules, g.defaultAction, network) }));
    const action = given.reduce<AccessAction>((worst, g) => stricterAction(worst, g.action), 'allow');
    rules.push({ cidr, action, note: fromGroups(given.filter((g) => g.action === action).map((g) => g.group)) });
  }
  const defaultAction = parsedGroups.reduce<AccessAction>((worst, g) => stricterAction(worst, g.defaultAction), 'allow');
  return { rules, default: defaultAction };
}

function fromGroups(names: string[]): string {
  return `${names.length === 1 ? 'group' : 'groups'} ${names.join(', ')}`.slice(0, 200);
}

/** A short reason, for the console and the command line: why this restriction applies. */
export function describeSource(applicable: Pick<ApplicableRestriction, 'source' | 'groups'>): string {
  switch (applicable.source) {
    case 'user':
      return "the user's own restriction";
    case 'group':
      return applicable.groups.length === 1
        ? `the restriction of group ${applicable.groups[0]}`
        : `the restrictions of groups ${applicable.groups.join(', ')} (for each address the strictest action wins)`;
    case 'account':
      return 'the account-wide restriction (the user has none of their own and no group of theirs has one)';
    case 'none':
      return 'none: every address is allowed';
  }
}
