// IP access restrictions per user, per directory group and per account. Validation and precedence live in
// the core (access-rule.ts, restriction-precedence.ts); this stores, reads and gathers the facts.
import { restrictionFieldLabel, validateRestriction, type AccessRestriction } from '../core/access-rule.js';
import { applicableRestriction, type ApplicableRestriction, type RestrictionSource } from '../core/restriction-precedence.js';
import { updateAccount } from '../store/account-store.js';
import { groupsOf } from '../store/directory-store.js';
import { deleteGroupRestriction, findGroupRestriction, groupKey, groupMemberCounts, groupRestrictionsFor, listGroupRestrictions, saveGroupRestriction } from '../store/group-restriction-store.js';
import { listUsers, updateUser } from '../store/user-store.js';
import { listAssociatedTokens } from '../store/token-store.js';
import { madeHarder, wayIn, type WayIn } from '../core/restriction-impact.js';
import { settingsOf } from './account-settings.js';
import type { AccountRow, GroupRestrictionRow, UserRow } from '../store/schema.js';
import type { Executor } from '../store/transaction.js';
import type { AuditService } from './audit-service.js';
import type { Actor, ServiceContext } from './context.js';
import { ServiceError } from './errors.js';
import type { UserService } from './user-service.js';
import { isoTime } from './views.js';

export interface RestrictionInput {
  rules: { cidr: string; action: string; note?: string }[];
  default: string;
}

export interface RestrictionView extends AccessRestriction {
  /** Where it comes from: the user's own, their groups', the account's, or none at all. */
  source: RestrictionSource;
  /** With source `group`: the user's groups whose restrictions apply (combined: strictest action per address). */
  groups: string[];
}

/** A directory group's restriction. */
export interface GroupRestrictionView extends AccessRestriction {
  group: string;
  /** Users of the account that carry the group now. */
  members: number;
  updatedAt: string;
}

/** A group the account's users carry, or one with a restriction (perhaps nobody carries it yet). */
export interface GroupView {
  group: string;
  members: number;
  restriction: AccessRestriction | null;
}

function parseStored(json: string | null): AccessRestriction | null {
  return json === null ? null : (JSON.parse(json) as AccessRestriction);
}

function toView(applicable: ApplicableRestriction): RestrictionView {
  return { ...applicable.restriction, source: applicable.source, groups: applicable.groups };
}

/**
 * The restriction in force for a user, and why: their own, else their groups', else the account's, else
 * none. `readGroups` false skips reading the user's groups (the account has no group restriction at all).
 */
export async function restrictionOfUser(db: Executor, account: AccountRow, user: UserRow, readGroups = true): Promise<ApplicableRestriction> {
  const own = parseStored(user.restriction);
  let groups: GroupRestrictionRow[] = [];
  if (!own && readGroups) groups = await groupRestrictionsFor(db, account.id, await groupsOf(db, user.id));
  return applicableRestriction({ own, groups: groups.map((g) => ({ group: g.group_name, restriction: parseStored(g.restriction)! })), account: parseStored(account.restriction) });
}

const MAX_RULES = 200;
const MAX_GROUP_LENGTH = 200;

/** A group name as given: trimmed, 1-200 characters, no control characters. */
function checkGroupName(name: string): string {
  const trimmed = name.trim();
  if (trimmed === '' || trimmed.length > MAX_GROUP_LENGTH || [...trimmed].some((c) => c.charCodeAt(0) < 0x20 || c.charCodeAt(0) === 0x7f)) {
    throw new ServiceError('invalid_request', `group "${name}" must be 1-${MAX_GROUP_LENGTH} characters without control characters (the name the directory gives, e.g. vpn-users)`, { field: 'group' });
  }
  return trimmed;
}

/** A change whose effect on users' way in is shown before it is saved. */
export interface PendingChange {
  /** The account-wide restriction after the change (null: removed). */
  account?: AccessRestriction | null;
  /** One group's restriction after the change (null: removed). */
  group?: { name: string; restriction: AccessRestriction | null };
  /** Several users' own restriction after the change. */
  users?: { names: string[]; restriction: AccessRestriction | null };
  /** The account's self-association setting after the change. */
  selfAssociation?: boolean;
}

/** The users whose way in the change makes harder, by what it becomes; administrators named apart. */
export interface ChangeImpact {
  askedToAssociate: string[];
  lockedOut: string[];
  adminsLockedOut: string[];
}

/** The most users an impact is computed over (beyond, the console says it could not tell). */
const IMPACT_LIMIT = 10_000;

export class RestrictionService {
  constructor(
    private readonly ctx: ServiceContext,
    private readonly users: UserService,
    private readonly audit: AuditService,
  ) {}

  /**
   * Whom a change would make it harder to sign in, before it is saved: users who would need a passcode and
   * have no token (asked to associate one, or locked out when self-association is off). Disabled users
   * are left out. Computed over the account's users (at most IMPACT_LIMIT).
   */
  async impactOf(account: AccountRow, change: PendingChange): Promise<ChangeImpact> {
    const users = await listUsers(this.ctx.db, { accountId: account.id, limit: IMPACT_LIMIT });
    const withToken = new Set((await listAssociatedTokens(this.ctx.db, account.id)).map((t) => Number(t.user_id)));
    const selfBefore = settingsOf(account).selfAssociation;
    const selfAfter = change.selfAssociation ?? selfBefore;
    const accountAfter = change.account !== undefined ? change.account : parseStored(account.restriction);
    const changedUsers = new Set((change.users?.names ?? []).map((n) => n.toLowerCase()));
    const impact: ChangeImpact = { askedToAssociate: [], lockedOut: [], adminsLockedOut: [] };
    for (const user of users) {
      if (user.disabled_at !== null) continue;
      const own = parseStored(user.restriction);
      const memberOf = await groupsOf(this.ctx.db, user.id);
      const groups = (await groupRestrictionsFor(this.ctx.db, account.id, memberOf)).map((g) => ({ group: g.group_name, restriction: parseStored(g.restriction)! }));
      const before = applicableRestriction({ own, groups, account: parseStored(account.restriction) }).restriction;
      const ownAfter = changedUsers.has(user.username_key) ? (change.users!.restriction) : own;
      let groupsAfter = groups;
      if (change.group && memberOf.some((g) => groupKey(g) === groupKey(change.group!.name))) {
        groupsAfter = groups.filter((g) => groupKey(g.group) !== groupKey(change.group!.name));
        if (change.group.restriction) groupsAfter.push({ group: change.group.name, restriction: change.group.restriction });
      }
      const after = applicableRestriction({ own: ownAfter, groups: groupsAfter, account: accountAfter }).restriction;
      const hasToken = withToken.has(Number(user.id));
      const wayBefore: WayIn = wayIn(before, hasToken, selfBefore);
      const wayAfter: WayIn = wayIn(after, hasToken, selfAfter);
      if (!madeHarder(wayBefore, wayAfter)) continue;
      if (wayAfter === 'asked_to_associate') impact.askedToAssociate.push(user.username);
      else {
        impact.lockedOut.push(user.username);
        if (user.role === 'admin') impact.adminsLockedOut.push(user.username);
      }
    }
    return impact;
  }

  validate(input: RestrictionInput): AccessRestriction {
    if (input.rules.length > MAX_RULES) throw new ServiceError('invalid_restriction', `at most ${MAX_RULES} rules`, { fields: {} });
    const { restriction, errors } = validateRestriction(input);
    const fields = Object.keys(errors);
    if (fields.length > 0) {
      throw new ServiceError('invalid_restriction', fields.map((f) => `${restrictionFieldLabel(f)}: ${errors[f]}`).join('; '), { fields: errors });
    }
    return restriction;
  }

  async showForUser(account: AccountRow, username: string): Promise<RestrictionView> {
    return toView(await restrictionOfUser(this.ctx.db, account, await this.users.require(account, username)));
  }

  /** Sets one user's restriction (null removes it: their groups' or the account's applies again). */
  async setForUser(actor: Actor, account: AccountRow, username: string, input: RestrictionInput | null): Promise<RestrictionView> {
    const user = await this.users.require(account, username);
    const restriction = input === null ? null : this.validate(input);
    await updateUser(this.ctx.db, user.id, { restriction: restriction === null ? null : JSON.stringify(restriction) });
    await this.audit.record(actor, {
      action: 'restriction.set',
      outcome: 'success',
      accountId: account.id,
      targetUser: user.username,
      reason: restriction === null ? 'removed' : `${restriction.rules.length} rules, default ${restriction.default}`,
    });
    return this.showForUser({ ...account }, username);
  }

  /** Applies one restriction to several users at once (all or none: every user must exist first). */
  async setForUsers(actor: Actor, account: AccountRow, usernames: string[], input: RestrictionInput): Promise<void> {
    const restriction = this.validate(input);
    const users = await Promise.all(usernames.map((name) => this.users.require(account, name)));
    for (const user of users) {
      await updateUser(this.ctx.db, user.id, { restriction: JSON.stringify(restriction) });
      await this.audit.record(actor, {
        action: 'restriction.set',
        outcome: 'success',
        accountId: account.id,
        targetUser: user.username,
        reason: `${restriction.rules.length} rules, default ${restriction.default}`,
      });
    }
  }

  showForAccount(account: AccountRow): RestrictionView {
    const own = parseStored(account.restriction);
    return toView(applicableRestriction({ own: null, groups: [], account: own }));
  }

  async setForAccount(actor: Actor, account: AccountRow, input: RestrictionInput | null): Promise<RestrictionView> {
    const restriction = input === null ? null : this.validate(input);
    await updateAccount(this.ctx.db, account.id, { restriction: restriction === null ? null : JSON.stringify(restriction) });
    await this.audit.record(actor, { action: 'restriction.set_account', outcome: 'success', accountId: account.id, reason: restriction === null ? 'removed' : `${restriction.rules.length} rules, default ${restriction.default}` });
    return this.showForAccount({ ...account, restriction: restriction === null ? null : JSON.stringify(restriction) });
  }

  /** Every group the account's users carry, and every group with a restriction, by name. */
  async listGroups(account: AccountRow): Promise<GroupView[]> {
    const counts = await groupMemberCounts(this.ctx.db, account.id);
    const byKey = new Map<string, GroupView>();
    for (const [key, { name, members }] of counts) byKey.set(key, { group: name, members, restriction: null });
    for (const row of await listGroupRestrictions(this.ctx.db, account.id)) {
      byKey.set(row.group_key, { group: row.group_name, members: counts.get(row.group_key)?.members ?? 0, restriction: parseStored(row.restriction) });
    }
    return [...byKey.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, view]) => view);
  }

  async showForGroup(account: AccountRow, group: string): Promise<GroupRestrictionView> {
    const name = checkGroupName(group);
    const row = await findGroupRestriction(this.ctx.db, account.id, name);
    if (!row) throw new ServiceError('group_restriction_not_found', `group "${name}" has no restriction in account "${account.name}"`);
    const members = (await groupMemberCounts(this.ctx.db, account.id)).get(groupKey(name))?.members ?? 0;
    return { group: row.group_name, ...parseStored(row.restriction)!, members, updatedAt: isoTime(row.updated_at) };
  }

  /** Sets a group's restriction. Users with a restriction of their own keep theirs (it comes first). */
  async setForGroup(actor: Actor, account: AccountRow, group: string, input: RestrictionInput): Promise<GroupRestrictionView> {
    const name = checkGroupName(group);
    const restriction = this.validate(input);
    const now = this.ctx.now();
    await saveGroupRestriction(this.ctx.db, { account_id: account.id, group_name: name, restriction: JSON.stringify(restriction), created_at: now, updated_at: now });
    await this.audit.record(actor, { action: 'restriction.set_group', outcome: 'success', accountId: account.id, reason: `group ${name}: ${restriction.rules.length} rules, default ${restriction.default}`.slice(0, 200) });
    return this.showForGroup(account, name);
  }

  async clearForGroup(actor: Actor, account: AccountRow, group: string): Promise<void> {
    const name = checkGroupName(group);
    if (!(await deleteGroupRestriction(this.ctx.db, account.id, name))) throw new ServiceError('group_restriction_not_found', `group "${name}" has no restriction in account "${account.name}"`);
    await this.audit.record(actor, { action: 'restriction.clear_group', outcome: 'success', accountId: account.id, reason: `group ${name}`.slice(0, 200) });
  }
}
