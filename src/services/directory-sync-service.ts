// `directory sync`: read everyone from the account's directory, plan (core), print, apply in one transaction.
// A failed or partial read applies nothing; so does a plan over the safety limit unless forced. Users are
// created, updated, disabled or enabled again; never deleted, and their tokens are never touched.
import { planDirectorySync, safetyRefusal, SYNC_DISABLE_PREFIX, type DisableReason, type SyncPlan, type SyncUser } from '../core/directory-sync-plan.js';
import { DirectoryUnavailableError } from '../directory/ldap-directory.js';
import { groupsOfAccount, listDirectoryUsers, replaceGroups, updateDirectoryFields, usersHoldingNames } from '../store/directory-store.js';
import { deleteSessionsOfUser } from '../store/session-store.js';
import type { AccountRow } from '../store/schema.js';
import { inTransaction } from '../store/transaction.js';
import { insertUser, usernameKey } from '../store/user-store.js';
import type { AuditService } from './audit-service.js';
import type { Actor, ServiceContext } from './context.js';
import { storedPerson, type DirectoryService } from './directory-service.js';
import { ServiceError } from './errors.js';

export interface SyncOptions {
  dryRun?: boolean;
  force?: boolean;
}

export interface SyncReport {
  plan: SyncPlan;
  /** True when the plan was applied (not a dry run, not refused, something to do or not). */
  applied: boolean;
  /** Why nothing was applied (the safety limit), or null. */
  refused: string | null;
}

const REASON_TEXT: Record<DisableReason, string> = {
  gone_from_directory: `${SYNC_DISABLE_PREFIX}gone from the directory`,
  disabled_in_directory: `${SYNC_DISABLE_PREFIX}disabled in the directory`,
};

export class DirectorySyncService {
  constructor(
    private readonly ctx: ServiceContext,
    private readonly directories: DirectoryService,
    private readonly audit: AuditService,
  ) {}

  /** The users the plan compares with: the account's directory users, plus whoever holds a person's name. */
  private async usersFor(account: AccountRow, usernames: string[]): Promise<SyncUser[]> {
    const own = await listDirectoryUsers(this.ctx.db, account.id);
    const groups = await groupsOfAccount(this.ctx.db, account.id);
    const others = await usersHoldingNames(this.ctx.db, account.id, [...new Set(usernames.map(usernameKey))]);
    return [...own, ...others].map((u) => ({
      id: Number(u.id),
      username: u.username,
      inAccount: Number(u.account_id) === account.id,
      source: u.source,
      dn: u.dn,
      displayName: u.display_name,
      email: u.email,
      groups: groups.get(Number(u.id)) ?? [],
      disabled: u.disabled_at !== null,
      disabledBySync: u.disabled_reason?.startsWith(SYNC_DISABLE_PREFIX) ?? false,
    }));
  }

  async sync(actor: Actor, account: AccountRow, options: SyncOptions = {}): Promise<SyncReport> {
    const directory = await this.directories.connection(account);
    let people;
    try {
      people = await directory.listPeople();
    } catch (error) {
      if (!(error instanceof DirectoryUnavailableError)) throw error;
      await this.audit.record(actor, { action: 'directory.sync', outcome: 'failure', accountId: account.id, reason: `nothing applied: ${error.message}` });
      throw new ServiceError('service_unavailable', `directory sync applied nothing: ${error.message}`, { directory: (await this.directories.show(account)).url });
    }
    // Each person as otpgate would store them; a name no user can hold (its key longer than 64) is skipped.
    const stored = people.map((p) => ({ given: p.username, person: storedPerson(p) }));
    const storable = stored.flatMap((s) => (s.person ? [s.person] : []));
    const plan = planDirectorySync(storable, await this.usersFor(account, storable.map((p) => p.username)));
    for (const s of stored) if (!s.person) plan.skipped.push({ username: s.given.slice(0, 64), reason: 'no user can hold this username (empty, or longer than 64 characters)' });
    plan.peopleFound = people.length;
    const refused = safetyRefusal(plan, options.force ?? false);
    const summary = `${plan.create.length} to create, ${plan.update.length} to update, ${plan.disable.length} to disable, ${plan.enable.length} to enable, ${plan.skipped.length} skipped`;
    if (options.dryRun || refused) {
      await this.audit.record(actor, { action: 'directory.sync', outcome: refused ? 'refused' : 'dry_run', accountId: account.id, reason: refused ? `${summary}; over the safety limit` : summary });
      return { plan, applied: false, refused };
    }
    await this.apply(account, plan);
    await this.audit.record(actor, { action: 'directory.sync', outcome: 'success', accountId: account.id, reason: `${summary}${options.force ? ' (forced)' : ''}` });
    for (const person of plan.create) await this.audit.record(actor, { action: 'user.create', outcome: 'success', accountId: account.id, targetUser: person.username, reason: 'directory sync' });
    for (const update of plan.update) await this.audit.record(actor, { action: 'user.directory_update', outcome: 'success', accountId: account.id, targetUser: update.username, reason: `directory sync: ${Object.keys(update.changes).join(', ')}` });
    for (const disable of plan.disable) await this.audit.record(actor, { action: 'user.disable', outcome: 'success', accountId: account.id, targetUser: disable.username, reason: REASON_TEXT[disable.reason] });
    for (const enable of plan.enable) await this.audit.record(actor, { action: 'user.enable', outcome: 'success', accountId: account.id, targetUser: enable.username, reason: 'directory sync: back in the directory' });
    return { plan, applied: true, refused: null };
  }

  /** All of the plan or none of it, in one transaction. */
  private async apply(account: AccountRow, plan: SyncPlan): Promise<void> {
    const now = this.ctx.now();
    await inTransaction(this.ctx.db, async (trx) => {
      for (const person of plan.create) {
        const id = await insertUser(trx, {
          account_id: account.id,
          username: person.username,
          username_key: usernameKey(person.username),
          display_name: (person.displayName ?? person.username).slice(0, 200),
          role: 'user',
          password_hash: '',
          restriction: null,
          created_at: now,
          source: 'directory',
          dn: person.dn.slice(0, 1000),
          email: person.email,
          disabled_at: null,
          disabled_reason: null,
        });
        await replaceGroups(trx, id, person.groups);
      }
      for (const { userId, changes } of plan.update) {
        const fields: Parameters<typeof updateDirectoryFields>[2] = {};
        if (changes.displayName !== undefined) fields.display_name = changes.displayName;
        if (changes.email !== undefined) fields.email = changes.email;
        if (changes.dn !== undefined) fields.dn = changes.dn.slice(0, 1000);
        if (Object.keys(fields).length > 0) await updateDirectoryFields(trx, userId, fields);
        if (changes.groups !== undefined) await replaceGroups(trx, userId, changes.groups);
      }
      for (const { userId, reason } of plan.disable) {
        await updateDirectoryFields(trx, userId, { disabled_at: now, disabled_reason: REASON_TEXT[reason] });
        await deleteSessionsOfUser(trx, userId);
      }
      for (const { userId } of plan.enable) await updateDirectoryFields(trx, userId, { disabled_at: null, disabled_reason: null });
    });
  }
}
