// Accounts (tenants) and their settings and account-wide restriction.
import { findAccountById, findAccountByName, insertAccount, listAccounts, updateAccount } from '../store/account-store.js';
import { isUniqueViolation } from '../store/database-errors.js';
import type { AccountRow } from '../store/schema.js';
import { DEFAULT_SETTINGS, SETTING_LIMITS, settingsOf, type AccountSettings } from './account-settings.js';
import type { AuditService } from './audit-service.js';
import type { Actor, ServiceContext } from './context.js';
import { ServiceError } from './errors.js';
import { isoTime } from './views.js';
import type { WayInService } from './way-in-service.js';

export const DEFAULT_ACCOUNT = 'default';
const ACCOUNT_NAME = /^[a-z0-9][a-z0-9_-]{0,63}$/;

export interface AccountView {
  name: string;
  settings: AccountSettings;
  createdAt: string;
}

export function toAccountView(row: AccountRow): AccountView {
  return { name: row.name, settings: settingsOf(row), createdAt: isoTime(row.created_at) };
}

export class AccountService {
  constructor(
    private readonly ctx: ServiceContext,
    private readonly audit: AuditService,
    private readonly wayIn: WayInService,
  ) {}

  async create(actor: Actor, name: string): Promise<AccountRow> {
    if (!ACCOUNT_NAME.test(name)) throw new ServiceError('invalid_request', `account name "${name}" must be 1-64 of a-z 0-9 _ - (starting with a letter or digit)`);
    const row = {
      name,
      look_ahead_window: DEFAULT_SETTINGS.lookAheadWindow,
      associate_window: DEFAULT_SETTINGS.associateWindow,
      sync_window: DEFAULT_SETTINGS.syncWindow,
      max_failures: DEFAULT_SETTINGS.maxFailures,
      self_association: DEFAULT_SETTINGS.selfAssociation ? 1 : 0,
      restriction: null,
      created_at: this.ctx.now(),
    };
    let id: number;
    try {
      id = await insertAccount(this.ctx.db, row);
    } catch (error) {
      if (isUniqueViolation(error)) throw new ServiceError('account_exists', `account "${name}" already exists`);
      throw error;
    }
    await this.audit.record(actor, { action: 'account.create', outcome: 'success', accountId: id, reason: name });
    // adminsRequireOtp, maxTokensPerUser and the TOTP windows start at their column defaults (DEFAULT_SETTINGS).
    return {
      id,
      ...row,
      admins_require_otp: DEFAULT_SETTINGS.adminsRequireOtp ? 1 : 0,
      max_tokens_per_user: DEFAULT_SETTINGS.maxTokensPerUser,
      totp_window: DEFAULT_SETTINGS.totpWindow,
      totp_sync_steps: DEFAULT_SETTINGS.totpSyncSteps,
      app_enrolment: DEFAULT_SETTINGS.appEnrolment ? 1 : 0,
      totp_issuer: DEFAULT_SETTINGS.totpIssuer,
      help_contact: DEFAULT_SETTINGS.helpContact,
    };
  }

  list(): Promise<AccountRow[]> {
    return listAccounts(this.ctx.db);
  }

  /** The account an actor may use: its own, or (the operator) the one named, `default` when none is. */
  async resolve(actor: Actor, name?: string): Promise<AccountRow> {
    if (actor.accountId !== null) {
      const own = await findAccountById(this.ctx.db, actor.accountId);
      if (!own || (name !== undefined && own.name !== name)) throw new ServiceError('account_not_found', `no account "${name ?? actor.accountId}"`);
      return own;
    }
    const wanted = name ?? DEFAULT_ACCOUNT;
    const row = await findAccountByName(this.ctx.db, wanted);
    if (!row) throw new ServiceError('account_not_found', `no account "${wanted}"`);
    return row;
  }

  /**
   * The help contact the sign-in pages show (issue 29): the account's when the sign-in is for one (an OpenID
   * client's), else the default account's; null when none is set. The same for every visitor, whoever they
   * claim to be, so it tells nothing about a username.
   */
  async helpContactFor(accountId: number | null): Promise<string | null> {
    const row = accountId === null ? await findAccountByName(this.ctx.db, DEFAULT_ACCOUNT) : await findAccountById(this.ctx.db, accountId);
    return row ? settingsOf(row).helpContact : null;
  }

  async byId(id: number): Promise<AccountRow> {
    const row = await findAccountById(this.ctx.db, id);
    if (!row) throw new ServiceError('account_not_found', `no account ${id}`);
    return row;
  }

  async updateSettings(actor: Actor, account: AccountRow, changes: Partial<AccountSettings>): Promise<AccountSettings> {
    const next = { ...settingsOf(account), ...changes };
    for (const [field, [min, max]] of Object.entries(SETTING_LIMITS)) {
      const value = next[field as keyof typeof SETTING_LIMITS];
      if (!Number.isInteger(value) || value < min || value > max) {
        throw new ServiceError('invalid_request', `${field} must be a whole number from ${min} to ${max}`, { field });
      }
    }
    if (typeof next.selfAssociation !== 'boolean' || typeof next.adminsRequireOtp !== 'boolean' || typeof next.appEnrolment !== 'boolean') {
      throw new ServiceError('invalid_request', 'selfAssociation, adminsRequireOtp and appEnrolment are on or off');
    }
    if (next.totpIssuer !== null) {
      next.totpIssuer = String(next.totpIssuer).trim() || null;
      if (next.totpIssuer !== null && (next.totpIssuer.length > 64 || next.totpIssuer.includes(':') || /\p{Cc}/u.test(next.totpIssuer))) {
        throw new ServiceError('invalid_request', 'totpIssuer must be 1-64 printable characters without a colon (empty: the account name)', { field: 'totpIssuer' });
      }
    }
    if (next.helpContact !== null) {
      next.helpContact = String(next.helpContact).trim() || null;
      if (next.helpContact !== null && (next.helpContact.length > 200 || /\p{Cc}/u.test(next.helpContact))) {
        throw new ServiceError('invalid_request', 'helpContact must be at most 200 printable characters on one line (empty: none)', { field: 'helpContact' });
      }
    }
    // Only the settings this change names are written, and the guard judges the others as the locked row
    // holds them: a concurrent change of another setting is neither undone nor judged from a stale read.
    const columns: Parameters<typeof updateAccount>[2] = {};
    if (changes.lookAheadWindow !== undefined) columns.look_ahead_window = next.lookAheadWindow;
    if (changes.associateWindow !== undefined) columns.associate_window = next.associateWindow;
    if (changes.syncWindow !== undefined) columns.sync_window = next.syncWindow;
    if (changes.maxFailures !== undefined) columns.max_failures = next.maxFailures;
    if (changes.selfAssociation !== undefined) columns.self_association = next.selfAssociation ? 1 : 0;
    if (changes.adminsRequireOtp !== undefined) columns.admins_require_otp = next.adminsRequireOtp ? 1 : 0;
    if (changes.maxTokensPerUser !== undefined) columns.max_tokens_per_user = next.maxTokensPerUser;
    if (changes.totpWindow !== undefined) columns.totp_window = next.totpWindow;
    if (changes.totpSyncSteps !== undefined) columns.totp_sync_steps = next.totpSyncSteps;
    if (changes.appEnrolment !== undefined) columns.app_enrolment = next.appEnrolment ? 1 : 0;
    if (changes.totpIssuer !== undefined) columns.totp_issuer = next.totpIssuer;
    if (changes.helpContact !== undefined) columns.help_contact = next.helpContact;
    const pending = { selfAssociation: changes.selfAssociation, adminsRequireOtp: changes.adminsRequireOtp };
    const written = await this.wayIn.guardAdminWayIn(account, pending, async (trx, current) => {
      if (Object.keys(columns).length > 0) await updateAccount(trx, account.id, columns);
      return { ...settingsOf(current), ...changes, ...(changes.totpIssuer !== undefined ? { totpIssuer: next.totpIssuer } : {}), ...(changes.helpContact !== undefined ? { helpContact: next.helpContact } : {}) };
    });
    await this.audit.record(actor, { action: 'account.settings', outcome: 'success', accountId: account.id, reason: JSON.stringify(changes) });
    return written;
  }
}
