// Who can still sign in after a change, computed before it is saved, in one place for the console's warning
// (docs/console.md) and the administrators' lockout guard (SPEC, "Administrators keep a way
// in"): both read the account's users as they are and apply the pending change to them, and the core
// decides (core/restriction-impact.ts).
import type { AccessRestriction } from '../core/access-rule.js';
import type { DirectoryLoss } from '../core/restriction-impact.js';
import { applicableRestriction, type GroupRestriction } from '../core/restriction-precedence.js';
import { adminLockout, madeHarder, requireOtpWhereAllowed, wayIn, type AdminWayIn, type WayInFacts } from '../core/restriction-impact.js';
import { combineTokenFacts } from '../core/sign-in-decision.js';
import type { Role } from '../core/values.js';
import { withAccountLocked } from '../store/account-store.js';
import { findDirectory, groupsOf } from '../store/directory-store.js';
import { groupKey, groupRestrictionsFor } from '../store/group-restriction-store.js';
import { listAssociatedTokens } from '../store/token-store.js';
import { findUserByName, listUsers, usernameKey } from '../store/user-store.js';
import type { AccountRow, TokenRow, UserRow } from '../store/schema.js';
import type { Executor } from '../store/transaction.js';
import { settingsOf } from './account-settings.js';
import type { ServiceContext } from './context.js';
import { ServiceError } from './errors.js';
import { tokenFact } from './token-facts.js';

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
   * One of a user's tokens after the change: its status and validity dates (undefined: disassociated or
   * retired); the user's other tokens stay as they are, so an administrator's last usable token is the one
   * the guard protects.
   */
  token?: { username: string; serial: string; token: TokenFacts | undefined };
  /** The account's directory removed: its users' passwords can no longer be checked. */
  directoryRemoved?: boolean;
  /**
   * The account's directory settings changed (`directory set`): each directory administrator as the new
   * settings find them, by username key (null or absent: not found), or 'unusable' when the new settings
   * could not be used to look (connection, TLS, service bind). Their groups and the directory's own
   * "disabled" come from what was found, as their next sign-in would read them.
   */
  directoryChanged?: { found: ReadonlyMap<string, DirectoryFinding | null> | 'unusable' };
}

/** What the guard reads of a person the changed directory finds. */
export interface DirectoryFinding {
  groups: string[];
  disabled: boolean;
}

/** What the sign-in decision reads of a token (token-service.ts `tokenFact`). */
type TokenFacts = Pick<TokenRow, 'status' | 'valid_from' | 'valid_until'>;

/**
 * How long a way in must last for the guard to count it (docs/security.md, "Administrators keep a way in"):
 * a token is judged now and again this far ahead, so a validity that ends sooner is no lasting way in, and
 * a change after which no administrator could sign in a week from now is refused, as one after which none
 * could sign in now is. (A change does not have to make every way in last: an account whose only way in
 * already ends within the horizon is not made worse by an unrelated change.)
 */
export const WAY_IN_HORIZON_MS = 7 * 24 * 60 * 60 * 1000;

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

  /**
   * The users (all, or only administrators before or after the change) as they are and as the change leaves
   * them, their tokens judged at time `at`; read through `db` (the guard's locked transaction).
   */
  private async states(db: Executor, account: AccountRow, change: PendingChange, adminsOnly: boolean, at: number): Promise<UserStates[]> {
    let users = await listUsers(db, { accountId: account.id, limit: IMPACT_LIMIT, ...(adminsOnly ? { role: 'admin' as const } : {}) });
    // A user promoted by the change is an administrator after it.
    if (adminsOnly && change.role?.role === 'admin' && !users.some((u) => u.username_key === usernameKey(change.role!.username))) {
      const promoted = await findUserByName(db, change.role.username);
      if (promoted && promoted.account_id === account.id) users = [...users, promoted];
    }
    // Every token each user holds, by serial, judged at `at` as the decision would.
    const tokens = new Map<number, Map<string, TokenFacts>>();
    for (const t of await listAssociatedTokens(db, account.id)) {
      const held = tokens.get(Number(t.user_id)) ?? new Map<string, TokenFacts>();
      held.set(t.serial, t);
      tokens.set(Number(t.user_id), held);
    }
    const factOf = (held: Map<string, TokenFacts>) => combineTokenFacts([...held.values()].map((t) => tokenFact(t, at)));
    const directoryBefore = (await findDirectory(db, account.id)) !== undefined;
    const directoryAfter = directoryBefore && change.directoryRemoved !== true;
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
      const memberOf = await groupsOf(db, user.id);
      const restrictionsOf = async (names: string[]): Promise<GroupRestriction[]> => (await groupRestrictionsFor(db, account.id, names)).map((g) => ({ group: g.group_name, restriction: parseStored(g.restriction)! }));
      const groups = await restrictionsOf(memberOf);
      const ownAfter = changedUsers.has(user.username_key) ? change.users!.restriction : own;
      // A directory user under changed directory settings: found (with the groups the directory gives them
      // now), not found, or not to be looked up at all.
      const finding = user.source !== 'directory' || change.directoryChanged === undefined ? undefined : change.directoryChanged.found === 'unusable' ? 'unusable' : (change.directoryChanged.found.get(user.username_key) ?? null);
      const memberOfAfter = typeof finding === 'object' && finding !== null ? finding.groups : memberOf;
      let groupsAfter = typeof finding === 'object' && finding !== null ? await restrictionsOf(memberOfAfter) : groups;
      if (change.group && memberOfAfter.some((g) => groupKey(g) === groupKey(change.group!.name))) {
        groupsAfter = groupsAfter.filter((g) => groupKey(g.group) !== groupKey(change.group!.name));
        if (change.group.restriction) groupsAfter.push({ group: change.group.name, restriction: change.group.restriction });
      }
      const held = tokens.get(Number(user.id)) ?? new Map<string, TokenFacts>();
      const token = factOf(held);
      let tokenAfter = token;
      if (key(change.token?.username) === user.username_key) {
        const changed = new Map(held);
        if (change.token!.token) changed.set(change.token!.serial, change.token!.token);
        else changed.delete(change.token!.serial);
        tokenAfter = factOf(changed);
      }
      const roleAfter = key(change.role?.username) === user.username_key ? change.role!.role : user.role;
      const before: WayInFacts = {
        disabled: user.disabled_at !== null,
        restriction: applicableRestriction({ own, groups, account: accountBefore }).restriction,
        token,
        selfAssociation: settings.selfAssociation,
        passcodeAlways: user.role === 'admin' && settings.adminsRequireOtp,
        directoryLoss: user.source === 'directory' && !directoryBefore ? 'no_directory' : null,
      };
      const lossAfter: DirectoryLoss | null = user.source !== 'directory' ? null : !directoryAfter ? 'no_directory' : finding === 'unusable' ? 'directory_unusable' : finding === null ? 'not_in_directory' : null;
      const after: WayInFacts = {
        disabled: before.disabled || key(change.disabled) === user.username_key || (typeof finding === 'object' && finding !== null && finding.disabled),
        restriction: applicableRestriction({ own: ownAfter, groups: groupsAfter, account: accountAfter }).restriction,
        token: tokenAfter,
        selfAssociation: selfAfter,
        passcodeAlways: roleAfter === 'admin' && raiseAfter,
        directoryLoss: lossAfter,
      };
      states.push({ user, before: { role: user.role, facts: before }, after: key(change.deleted) === user.username_key ? null : { role: roleAfter, facts: after } });
    }
    return states;
  }

  /** The refusal for a change that would leave no administrator able to sign in to the console, or null. */
  private lockoutOf(states: UserStates[], when = ''): string | null {
    const before: AdminWayIn[] = states.filter((s) => s.before.role === 'admin').map((s) => ({ username: s.user.username, facts: s.before.facts }));
    const after: AdminWayIn[] = states
      .filter((s) => s.before.role === 'admin' || s.after?.role === 'admin')
      .map((s) => (s.after === null ? { username: s.user.username, facts: null, gone: 'deleted' } : s.after.role !== 'admin' ? { username: s.user.username, facts: null, gone: `no longer an administrator (${s.after.role})` } : { username: s.user.username, facts: s.after.facts }));
    return adminLockout(before, after, when);
  }

  /**
   * SPEC, "Administrators keep a way in": runs `write` (the change itself) unless it would leave no
   * administrator able to sign in to the console when one can before it, now or WAY_IN_HORIZON_MS from now;
   * then it throws 409 would_lock_out_admins and nothing is written. The check and the write are one
   * transaction holding the account's row (account-store.ts `withAccountLocked`), so two changes that are
   * each allowed alone but not together (deny one admin, deny the other) never both pass, whichever
   * instance makes them. `write` must do its reading and writing through the transaction it is given;
   * audit events and other work after the commit go after this returns. Every operation that can take the
   * last administrator's way in writes through here.
   */
  async guardAdminWayIn<T>(account: AccountRow, change: PendingChange, write: (trx: Executor, current: AccountRow) => Promise<T>): Promise<T> {
    return withAccountLocked(this.ctx.db, account.id, async (trx, current) => {
      const now = this.ctx.now();
      const refusal =
        this.lockoutOf(await this.states(trx, current, change, true, now)) ??
        this.lockoutOf(await this.states(trx, current, change, true, now + WAY_IN_HORIZON_MS), `${WAY_IN_HORIZON_MS / 86_400_000} days from now`);
      if (refusal !== null) throw new ServiceError('would_lock_out_admins', `${refusal}. Nothing was changed.`);
      return write(trx, current);
    });
  }

  /**
   * Whom a change would make it harder to sign in, before it is saved: users who would need a passcode and
   * have no token (asked to associate one, or locked out when self-association is off; administrators as
   * the console asks them, with adminsRequireOtp). Disabled and deleted users are left out. Computed over
   * the account's users (at most IMPACT_LIMIT). `refusal` says when the change would be refused outright.
   */
  async impactOf(account: AccountRow, change: PendingChange): Promise<ChangeImpact> {
    const states = await this.states(this.ctx.db, account, change, false, this.ctx.now());
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
