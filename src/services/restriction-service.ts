// IP access restrictions per user and per account. Validation lives in the core; this stores and reads.
import { restrictionFieldLabel, UNRESTRICTED, validateRestriction, type AccessRestriction } from '../core/access-rule.js';
import { updateAccount } from '../store/account-store.js';
import { updateUser } from '../store/user-store.js';
import type { AccountRow, UserRow } from '../store/schema.js';
import type { AuditService } from './audit-service.js';
import type { Actor, ServiceContext } from './context.js';
import { ServiceError } from './errors.js';
import type { UserService } from './user-service.js';

export interface RestrictionInput {
  rules: { cidr: string; action: string; note?: string }[];
  default: string;
}

export interface RestrictionView extends AccessRestriction {
  /** Where it comes from: the user's own, the account's (the user has none), or none at all. */
  source: 'user' | 'account' | 'none';
}

function parseStored(json: string | null): AccessRestriction | null {
  return json === null ? null : (JSON.parse(json) as AccessRestriction);
}

/** The restriction in force for a user: their own, else the account's, else none (allow). */
export function effectiveRestriction(account: AccountRow, user: UserRow): RestrictionView {
  const own = parseStored(user.restriction);
  if (own) return { ...own, source: 'user' };
  const accountWide = parseStored(account.restriction);
  if (accountWide) return { ...accountWide, source: 'account' };
  return { ...UNRESTRICTED, source: 'none' };
}

const MAX_RULES = 200;

export class RestrictionService {
  constructor(
    private readonly ctx: ServiceContext,
    private readonly users: UserService,
    private readonly audit: AuditService,
  ) {}

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
    return effectiveRestriction(account, await this.users.require(account, username));
  }

  /** Sets one user's restriction (null removes it: the account's applies again). */
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
    return own ? { ...own, source: 'account' } : { ...UNRESTRICTED, source: 'none' };
  }

  async setForAccount(actor: Actor, account: AccountRow, input: RestrictionInput | null): Promise<RestrictionView> {
    const restriction = input === null ? null : this.validate(input);
    await updateAccount(this.ctx.db, account.id, { restriction: restriction === null ? null : JSON.stringify(restriction) });
    await this.audit.record(actor, { action: 'restriction.set_account', outcome: 'success', accountId: account.id, reason: restriction === null ? 'removed' : `${restriction.rules.length} rules, default ${restriction.default}` });
    return restriction ? { ...restriction, source: 'account' } : { ...UNRESTRICTED, source: 'none' };
  }
}
