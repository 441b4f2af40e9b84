// Users: creation, listing, changes and deletion, always within one account.
import type { Role } from '../core/values.js';
import { hashPassword, verifyPassword } from '../crypto/password-hash.js';
import { deleteSessionsOfUser } from '../store/session-store.js';
import { findTokensOfUser, listAssociatedTokens, unbindToken } from '../store/token-store.js';
import { groupsOf } from '../store/directory-store.js';
import { isEmailAddress } from '../core/text.js';
import { usernameShown } from '../core/username.js';
import { countUsers, deleteUser, findUserByName, insertUser, listUsers, updateUser, usernameKey } from '../store/user-store.js';
import { isUniqueViolation } from '../store/database-errors.js';
import type { AccountRow, UserRow } from '../store/schema.js';
import type { AuditService } from './audit-service.js';
import type { Actor, ServiceContext } from './context.js';
import { ServiceError } from './errors.js';
import { toUserView, type UserView } from './views.js';
import type { WayInService } from './way-in-service.js';

const USERNAME = /^[A-Za-z0-9._@+-]{1,64}$/;
export const MIN_PASSWORD_LENGTH = 8;
export type { Role };

export function validatePassword(password: string): void {
  if (password.length < MIN_PASSWORD_LENGTH) throw new ServiceError('weak_password', `the password must have at least ${MIN_PASSWORD_LENGTH} characters`);
  if (password.length > 1024) throw new ServiceError('invalid_request', 'the password is over 1024 characters');
}

export interface NewUserInput {
  username: string;
  password: string;
  role?: Role;
  displayName?: string;
  /** Where notifications for this user are mailed (docs/webhooks.md). */
  email?: string | null;
}

export interface UserChanges {
  displayName?: string;
  role?: Role;
  password?: string;
  /** null removes it. A directory user's address is the directory's. */
  email?: string | null;
  /** Disabled: every sign-in is refused (reason `user_disabled`) and the user's sessions end. */
  disabled?: boolean;
}

/** An e-mail address as stored: trimmed, one @, no spaces or angle brackets, at most 320 characters. */
function checkedEmail(email: string | null | undefined): string | null {
  if (email === undefined || email === null || email.trim() === '') return null;
  const trimmed = email.trim();
  if (!isEmailAddress(trimmed)) throw new ServiceError('invalid_request', `"${trimmed.slice(0, 100)}" is not an e-mail address`, { field: 'email' });
  return trimmed;
}

/** Every refusal a new user's fields earn, one per field (a form shows them all at once; create throws the first). */
export function newUserProblems(input: Pick<NewUserInput, 'username' | 'password'>): ServiceError[] {
  const problems: ServiceError[] = [];
  if (!USERNAME.test(input.username)) problems.push(new ServiceError('invalid_username', `username "${input.username}" must be 1-64 of letters, digits and . _ @ + -`));
  try {
    validatePassword(input.password);
  } catch (error) {
    if (!(error instanceof ServiceError)) throw error;
    problems.push(error);
  }
  return problems;
}

export class UserService {
  constructor(
    private readonly ctx: ServiceContext,
    private readonly audit: AuditService,
    private readonly wayIn: WayInService,
  ) {}

  /** The user of this account, or user_not_found (also for users of other accounts: they do not exist here). */
  async require(account: AccountRow, username: string): Promise<UserRow> {
    const user = await findUserByName(this.ctx.db, username);
    if (!user || user.account_id !== account.id) throw new ServiceError('user_not_found', `no user "${username}" in account "${account.name}"`);
    return user;
  }

  async create(actor: Actor, account: AccountRow, given: NewUserInput): Promise<UserView> {
    // The name as every entry reads it (trimmed, NFKC): " ｌｉｎａ" is created as "lina".
    const input = { ...given, username: usernameShown(given.username) };
    const problem = newUserProblems(input)[0];
    if (problem) throw problem;
    const displayName = (input.displayName ?? input.username).trim().slice(0, 200);
    const row = {
      account_id: account.id,
      username: input.username,
      username_key: usernameKey(input.username),
      display_name: displayName,
      role: input.role ?? 'user',
      password_hash: await hashPassword(input.password, this.ctx.passwordCost),
      restriction: null,
      created_at: this.ctx.now(),
      email: checkedEmail(input.email),
      dn: null,
      disabled_at: null,
      disabled_reason: null,
    };
    try {
      await insertUser(this.ctx.db, row);
    } catch (error) {
      if (isUniqueViolation(error)) throw new ServiceError('user_exists', `a user "${input.username}" already exists`);
      throw error;
    }
    await this.audit.record(actor, { action: 'user.create', outcome: 'success', accountId: account.id, targetUser: input.username, reason: `role ${row.role}` });
    return toUserView(row, []);
  }

  /** The account's users matching the search (and, with `withoutToken`, only those without a token), by name. */
  async list(account: AccountRow, search?: string, page: { limit?: number; offset?: number; withoutToken?: boolean } = {}): Promise<UserView[]> {
    const users = await listUsers(this.ctx.db, { accountId: account.id, ...(search ? { search } : {}), ...page });
    const tokens = await listAssociatedTokens(this.ctx.db, account.id);
    const byUser = new Map<number, typeof tokens>();
    for (const t of tokens) byUser.set(Number(t.user_id), [...(byUser.get(Number(t.user_id)) ?? []), t]);
    return users.map((u) => toUserView(u, byUser.get(Number(u.id)) ?? []));
  }

  /** How many users of the account match the search (all of them without one). */
  count(account: AccountRow, search?: string, filter: { withoutToken?: boolean } = {}): Promise<number> {
    return countUsers(this.ctx.db, { accountId: account.id, ...(search ? { search } : {}), ...filter });
  }

  async show(account: AccountRow, username: string): Promise<UserView> {
    const user = await this.require(account, username);
    return { ...toUserView(user, await findTokensOfUser(this.ctx.db, user.id)), groups: await groupsOf(this.ctx.db, user.id) };
  }

  async update(actor: Actor, account: AccountRow, username: string, changes: UserChanges): Promise<UserView> {
    const user = await this.require(account, username);
    const set: Parameters<typeof updateUser>[2] = {};
    if (changes.displayName !== undefined) set.display_name = changes.displayName.trim().slice(0, 200);
    if (changes.role !== undefined) set.role = changes.role;
    if (changes.email !== undefined) {
      if (user.source === 'directory') throw new ServiceError('invalid_request', `${user.username} is a directory user: their e-mail address is the directory's`, { field: 'email' });
      set.email = checkedEmail(changes.email);
    }
    if (changes.password !== undefined) {
      if (user.source === 'directory') throw new ServiceError('invalid_request', `${user.username} is a directory user: their password is the directory's`, { field: 'password' });
      validatePassword(changes.password);
      set.password_hash = await hashPassword(changes.password, this.ctx.passwordCost);
    }
    if (changes.disabled !== undefined && changes.disabled !== (user.disabled_at !== null)) {
      set.disabled_at = changes.disabled ? this.ctx.now() : null;
      set.disabled_reason = changes.disabled ? `by ${actor.name}` : null;
    }
    // Nothing to change (an empty PATCH): the user as they are, nothing written.
    if (Object.keys(set).length === 0) return this.show(account, username);
    if ((set.role !== undefined && set.role !== user.role) || set.disabled_at) {
      const change = {
        ...(set.role !== undefined ? { role: { username: user.username, role: set.role } } : {}),
        ...(set.disabled_at ? { disabled: user.username } : {}),
      };
      await this.wayIn.guardAdminWayIn(account, change, (trx) => updateUser(trx, user.id, set));
    } else {
      await updateUser(this.ctx.db, user.id, set);
    }
    if (set.password_hash || set.disabled_at) await deleteSessionsOfUser(this.ctx.db, user.id);
    const fields = Object.keys(changes).filter((k) => k !== 'disabled' && changes[k as keyof UserChanges] !== undefined);
    if (fields.length > 0) await this.audit.record(actor, { action: 'user.update', outcome: 'success', accountId: account.id, targetUser: user.username, reason: fields.join(',') });
    if (set.disabled_at !== undefined) await this.audit.record(actor, { action: set.disabled_at ? 'user.disable' : 'user.enable', outcome: 'success', accountId: account.id, targetUser: user.username });
    return this.show(account, username);
  }

  /**
   * A local user changing their own password: the current one first (a stolen open session alone cannot
   * change it). A wrong current password is recorded as a failed update.
   */
  async changeOwnPassword(actor: Actor, account: AccountRow, username: string, current: string, next: string): Promise<UserView> {
    const user = await this.require(account, username);
    if (user.source === 'directory') throw new ServiceError('invalid_request', 'your password is the directory\'s: change it there', { field: 'password' });
    if (!(await verifyPassword(current, user.password_hash))) {
      await this.audit.record(actor, { action: 'user.update', outcome: 'failure', accountId: account.id, targetUser: user.username, reason: 'current password wrong' });
      throw new ServiceError('invalid_request', 'the current password is not right', { field: 'current' });
    }
    return this.update(actor, account, username, { password: next });
  }

  /** Deleting a user returns their token to the inventory and ends their sessions. */
  async delete(actor: Actor, account: AccountRow, username: string): Promise<void> {
    const user = await this.require(account, username);
    await this.wayIn.guardAdminWayIn(account, { deleted: user.username }, async (trx) => {
      for (const token of await findTokensOfUser(trx, user.id)) await unbindToken(trx, token.id);
      await deleteSessionsOfUser(trx, user.id);
      await deleteUser(trx, user.id);
    });
    await this.audit.record(actor, { action: 'user.delete', outcome: 'success', accountId: account.id, targetUser: user.username });
  }
}
