// IP access restrictions per user, per directory group and per account. Validation and precedence live in
// the core (access-rule.ts, restriction-precedence.ts); this stores, reads and gathers the facts.
import { restrictionFieldLabel, validateRestriction, type AccessRestriction } from '../core/access-rule.js';
import { applicableRestriction, type ApplicableRestriction } from '../core/restriction-precedence.js';
import { updateAccount } from '../store/account-store.js';
import { groupsOf } from '../store/directory-store.js';
import { deleteGroupRestriction, findGroupRestriction, groupKey, groupMemberCounts, groupRestrictionsFor, listGroupRestrictions, saveGroupRestriction } from '../store/group-restriction-store.js';
import { updateUser } from '../store/user-store.js';
import type { AccountRow, GroupRestrictionRow, UserRow } from '../store/schema.js';
import type { Executor } from '../store/transaction.js';
import type { AuditService } from './audit-service.js';
import type { Actor, ServiceContext } from './context.js';
import { ServiceError } from './errors.js';
import type { UserService } from './user-service.js';
import { isoTime } from './views.js';
import type { GroupRestrictionView, GroupView, RestrictionView } from './restriction-view.js';
import type { ChangeImpact, PendingChange, WayInService } from './way-in-service.js';

export interface RestrictionInput {
  rules: { cidr: string; action: string; note?: string }[];
  default: string;
}

export type { GroupRestrictionView, GroupView, RestrictionView };

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
export async function restrictionOfUser(db: Executor, account: Pick<AccountRow, 'id' | 'restriction'>, user: Pick<UserRow, 'id' | 'restriction'>, readGroups = true): Promise<ApplicableRestriction> {
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

export type { ChangeImpact, PendingChange } from './way-in-service.js';

export class RestrictionService {
  constructor(
    private readonly ctx: ServiceContext,
    private readonly users: UserService,
    private readonly audit: AuditService,
    private readonly wayIn: WayInService,
  ) {}

  /** Whom a change would make it harder to sign in, before it is saved (way-in-service.ts). */
  impactOf(account: AccountRow, change: PendingChange): Promise<ChangeImpact> {
    return this.wayIn.impactOf(account, change);
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
    await this.wayIn.guardAdminWayIn(account, { users: { names: [user.username], restriction } }, (trx) => updateUser(trx, user.id, { restriction: restriction === null ? null : JSON.stringify(restriction) }));
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
    await this.wayIn.guardAdminWayIn(account, { users: { names: users.map((u) => u.username), restriction } }, async (trx) => {
      for (const user of users) await updateUser(trx, user.id, { restriction: JSON.stringify(restriction) });
    });
    for (const user of users) {
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
    await this.wayIn.guardAdminWayIn(account, { account: restriction }, (trx) => updateAccount(trx, account.id, { restriction: restriction === null ? null : JSON.stringify(restriction) }));
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
    await this.wayIn.guardAdminWayIn(account, { group: { name, restriction } }, (trx) => saveGroupRestriction(trx, { account_id: account.id, group_name: name, restriction: JSON.stringify(restriction), created_at: now, updated_at: now }));
    await this.audit.record(actor, { action: 'restriction.set_group', outcome: 'success', accountId: account.id, reason: `group ${name}: ${restriction.rules.length} rules, default ${restriction.default}`.slice(0, 200) });
    return this.showForGroup(account, name);
  }

  async clearForGroup(actor: Actor, account: AccountRow, group: string): Promise<void> {
    const name = checkGroupName(group);
    const deleted = await this.wayIn.guardAdminWayIn(account, { group: { name, restriction: null } }, (trx) => deleteGroupRestriction(trx, account.id, name));
    if (!deleted) throw new ServiceError('group_restriction_not_found', `group "${name}" has no restriction in account "${account.name}"`);
    await this.audit.record(actor, { action: 'restriction.clear_group', outcome: 'success', accountId: account.id, reason: `group ${name}`.slice(0, 200) });
  }
}
