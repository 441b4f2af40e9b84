// Who can still sign in after a change, computed before it is saved, in one place for the console's warning
// (README, "Check before saving") and the administrators' lockout guard (SPEC, "Administrators keep a way
// in"): both read the account's users as they are and apply the pending change to them, and the core
// decides (core/restriction-impact.ts).
import type { AccessRestriction } from '../core/access-rule.js';
import { applicableRestriction, type GroupRestriction } from '../core/restriction-precedence.js';
import { adminLockout, madeHarder, requireOtpWhereAllowed, wayIn, type AdminWayIn, type WayInFacts } from '../core/restriction-impact.js';
import { combineTokenFacts, type SignInFacts } from '../core/sign-in-decision.js';
import type { Role } from '../core/values.js';
import { groupsOf } from '../store/directory-store.js';
import { groupKey, groupRestrictionsFor } from '../store/group-restriction-store.js';
import { listAssociatedTokens } from '../store/token-store.js';
import { findUserByName, listUsers, usernameKey } from '../store/user-store.js';
import type { AccountRow, UserRow } from '../store/schema.js';
import { settingsOf } from './account-settings.js';
import type { ServiceContext } from './context.js';
import { ServiceError } from './errors.js';
import { tokenFact } from './token-service.js';

/** A change whose effect on users' way in is computed before it is saved. */
export interface PendingChange {
  /** The account-wide restriction after the change (null: removed). */
  account?: AccessRestriction | null;
  /** One group's restriction after the change (null: removed). */
  group?: { name: string; restriction: AccessRestriction | null };
  /** Several users' own restriction after the change (null: removed). */
  users?: { names: string[]; restriction: AccessRestriction | null };
  /** The account's self-association setting after the change. */
  selfAssociation?: boolean;
  /** The account's adminsRequireOtp setting after the change. */
  adminsRequireOtp?: boolean;
  /** One user's role after the change. */
  role?: { username: string; role: Role };
  /** One user deleted. */
  deleted?: string;
  /** One user disabled. */
  disabled?: string;
  /**
   * One of a user's tokens after the change, as the sign-in decision would see it (`none`: disassociated or
   * retired); the user's other tokens stay as they are, so an administrator's last usable token is the one
   * the guard protects.
   */
  token?: { username: string; serial: string; state: SignInFacts['token'] };
}

/** The users whose way in the change makes harder, by what it becomes; administrators named apart. */
export interface ChangeImpact {
  askedToAssociate: string[];
  lockedOut: string[];
  adminsLockedOut: string[];
  /** Set when the change would leave no administrator able to sign in: it will be refused, and why. */
  refusal: string | null;
}

/** The most users an impact is computed over (beyond, the console says it could not tell). */
const IMPACT_LIMIT = 10_000;

function parseStored(json: string | null): AccessRestriction | null {
  return json === null ? null : (JSON.parse(json) as AccessRestriction);
}

/** One user before and after the change; `after` null when they are deleted. */
interface UserStates {
  user: UserRow;
  before: { role: Role; facts: WayInFacts };
  after: { role: Role; facts: WayInFacts } | null;
}

export class WayInService {
  constructor(private readonly ctx: ServiceContext) {}

  /** The users (all, or only administrators before or after the change) as they are and as the change leaves them. */
  private async states(account: AccountRow, change: PendingChange, adminsOnly: boolean): Promise<UserStates[]> {
    let users = await listUsers(this.ctx.db, { accountId: account.id, limit: IMPACT_LIMIT, ...(adminsOnly ? { role: 'admin' as const } : {}) });
    // A user promoted by the change is an administrator after it.
    if (adminsOnly && change.role?.role === 'admin' && !users.some((u) => u.username_key === usernameKey(change.role!.username))) {
      const promoted = await findUserByName(this.ctx.db, change.role.username);
      if (promoted && promoted.account_id === account.id) users = [...users, promoted];
    }
    const now = this.ctx.now();
    // Every token each user holds, by serial, as the decision sees it.
    const tokens = new Map<number, Map<string, SignInFacts['token']>>();
    for (const t of await listAssociatedTokens(this.ctx.db, account.id)) {
      const held = tokens.get(Number(t.user_id)) ?? new Map<string, SignInFacts['token']>();
      held.set(t.serial, tokenFact(t, now));
      tokens.set(Number(t.user_id), held);
    }
    const factOf = (held: Map<string, SignInFacts['token']>) => combineTokenFacts([...held.values()]);
    const settings = settingsOf(account);
    const selfAfter = change.selfAssociation ?? settings.selfAssociation;
    const raiseAfter = change.adminsRequireOtp ?? settings.adminsRequireOtp;
    const accountBefore = parseStored(account.restriction);
    const accountAfter = change.account !== undefined ? change.account : accountBefore;
    const changedUsers = new Set((change.users?.names ?? []).map(usernameKey));
    const key = (name: string | undefined) => (name === undefined ? undefined : usernameKey(name));
    const states: UserStates[] = [];
    for (const user of users) {
      const own = parseStored(user.restriction);
      const memberOf = await groupsOf(this.ctx.db, user.id);
      const groups: GroupRestriction[] = (await groupRestrictionsFor(this.ctx.db, account.id, memberOf)).map((g) => ({ group: g.group_name, restriction: parseStored(g.restriction)! }));
      const ownAfter = changedUsers.has(user.username_key) ? change.users!.restriction : own;
      let groupsAfter = groups;
      if (change.group && memberOf.some((g) => groupKey(g) === groupKey(change.group!.name))) {
        groupsAfter = groups.filter((g) => groupKey(g.group) !== groupKey(change.group!.name));
        if (change.group.restriction) groupsAfter.push({ group: change.group.name, restriction: change.group.restriction });
      }
      const held = tokens.get(Number(user.id)) ?? new Map<string, SignInFacts['token']>();
      const token = factOf(held);
      let tokenAfter = token;
      if (key(change.token?.username) === user.username_key) {
        const changed = new Map(held).set(change.token!.serial, change.token!.state);
        tokenAfter = factOf(changed);
      }
      const roleAfter = key(change.role?.username) === user.username_key ? change.role!.role : user.role;
      const before: WayInFacts = {
        disabled: user.disabled_at !== null,
        restriction: applicableRestriction({ own, groups, account: accountBefore }).restriction,
        token,
        selfAssociation: settings.selfAssociation,
        passcodeAlways: user.role === 'admin' && settings.adminsRequireOtp,
      };
      const after: WayInFacts = {
        disabled: before.disabled || key(change.disabled) === user.username_key,
        restriction: applicableRestriction({ own: ownAfter, groups: groupsAfter, account: accountAfter }).restriction,
        token: tokenAfter,
        selfAssociation: selfAfter,
        passcodeAlways: roleAfter === 'admin' && raiseAfter,
      };
      states.push({ user, before: { role: user.role, facts: before }, after: key(change.deleted) === user.username_key ? null : { role: roleAfter, facts: after } });
    }
    return states;
  }

  /** The refusal for a change that would leave no administrator able to sign in to the console, or null. */
  private lockoutOf(states: UserStates[]): string | null {
    const before: AdminWayIn[] = states.filter((s) => s.before.role === 'admin').map((s) => ({ username: s.user.username, facts: s.before.facts }));
    const after: AdminWayIn[] = states
      .filter((s) => s.before.role === 'admin' || s.after?.role === 'admin')
      .map((s) => (s.after === null ? { username: s.user.username, facts: null, gone: 'deleted' } : s.after.role !== 'admin' ? { username: s.user.username, facts: null, gone: `no longer an administrator (${s.after.role})` } : { username: s.user.username, facts: s.after.facts }));
    return adminLockout(before, after);
  }

  /**
   * SPEC, "Administrators keep a way in": refuses (409 would_lock_out_admins) a change after which no
   * administrator could sign in to the console, when one can before it. Called by every operation that can
   * take the last administrator's way in, right before it writes.
   */
  async refuseAdminLockout(account: AccountRow, change: PendingChange): Promise<void> {
    const refusal = this.lockoutOf(await this.states(account, change, true));
    if (refusal !== null) throw new ServiceError('would_lock_out_admins', `${refusal}. Nothing was changed.`);
  }

  /**
   * Whom a change would make it harder to sign in, before it is saved: users who would need a passcode and
   * have no token (asked to associate one, or locked out when self-association is off; administrators as
   * the console asks them, with adminsRequireOtp). Disabled and deleted users are left out. Computed over
   * the account's users (at most IMPACT_LIMIT). `refusal` says when the change would be refused outright.
   */
  async impactOf(account: AccountRow, change: PendingChange): Promise<ChangeImpact> {
    const states = await this.states(account, change, false);
    const impact: ChangeImpact = { askedToAssociate: [], lockedOut: [], adminsLockedOut: [], refusal: this.lockoutOf(states) };
    for (const { user, before, after } of states) {
      if (after === null || after.facts.disabled) continue;
      const way = ({ facts }: { facts: WayInFacts }) =>
        wayIn(facts.passcodeAlways ? requireOtpWhereAllowed(facts.restriction) : facts.restriction, facts.token !== 'none', facts.selfAssociation);
      const wayBefore = way(before);
      const wayAfter = way(after);
      if (!madeHarder(wayBefore, wayAfter)) continue;
      if (wayAfter === 'asked_to_associate') impact.askedToAssociate.push(user.username);
      else {
        impact.lockedOut.push(user.username);
        if (after.role === 'admin') impact.adminsLockedOut.push(user.username);
      }
    }
    return impact;
  }
}
