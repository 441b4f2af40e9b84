// Temporary codes (docs/token-life.md, "Temporary codes"): issued by an administrator for a user who
// forgot or lost their token, shown once, stored only as a keyed hash; they sign in wherever a passcode is
// asked for (the sign-in service checks them) until their uses or hours run out, they are revoked, or the
// user's real token signs in again.
import { randomInt } from 'node:crypto';
import { isTempCodeLive, tempCodeHash, TEMP_CODE_DIGITS, TEMP_CODE_LIMITS } from '../core/temp-code.js';
import { deleteTempCode, findTempCode, putTempCode } from '../store/temp-code-store.js';
import { findTokensOfUser } from '../store/token-store.js';
import type { AccountRow } from '../store/schema.js';
import type { AuditService } from './audit-service.js';
import type { Actor, ServiceContext } from './context.js';
import { ServiceError } from './errors.js';
import type { UserService } from './user-service.js';
import { isoTime } from './views.js';
import type { IssuedTempCode, TempCodeView } from './temp-code-view.js';
import { count } from '../core/count.js';

export type { IssuedTempCode, TempCodeView };

function limit(value: number | undefined, fallback: number, max: number, field: string): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value < 1 || value > max) throw new ServiceError('invalid_request', `${field} must be a whole number from 1 to ${max}`, { field });
  return value;
}

export class TempCodeService {
  constructor(
    private readonly ctx: ServiceContext,
    private readonly users: UserService,
    private readonly audit: AuditService,
  ) {}

  /** Issues a code for the user (replacing the one they had): 1 use and 8 hours unless told, at most 10 and 72. */
  async issue(actor: Actor, account: AccountRow, username: string, options: { uses?: number; hours?: number } = {}): Promise<IssuedTempCode> {
    const uses = limit(options.uses, TEMP_CODE_LIMITS.defaultUses, TEMP_CODE_LIMITS.maxUses, 'uses');
    const hours = limit(options.hours, TEMP_CODE_LIMITS.defaultHours, TEMP_CODE_LIMITS.maxHours, 'hours');
    const user = await this.users.require(account, username);
    const code = String(randomInt(0, 10 ** TEMP_CODE_DIGITS)).padStart(TEMP_CODE_DIGITS, '0');
    const now = this.ctx.now();
    const expiresAt = now + hours * 3_600_000;
    const previous = await findTempCode(this.ctx.db, user.id);
    const replacedLive = previous !== undefined && isTempCodeLive(previous, now);
    const tokensLocked = (await findTokensOfUser(this.ctx.db, user.id)).some((token) => token.status === 'locked');
    await putTempCode(this.ctx.db, {
      user_id: user.id,
      account_id: account.id,
      code_hash: tempCodeHash(this.ctx.masterKey.keyFor('temp-codes'), user.id, code),
      uses_left: uses,
      expires_at: expiresAt,
      created_at: now,
    });
    const reason = `${count(uses, 'use')}, ${hours} h${replacedLive ? ', replaces the live code' : ''}`;
    await this.audit.record(actor, { action: 'temp_code.issue', outcome: 'success', reason, accountId: account.id, targetUser: user.username });
    return { code, usesLeft: uses, expiresAt: isoTime(expiresAt), replacedLive, tokensLocked };
  }

  /** The user's code (uses left, expiry), or null when they have none. */
  async show(account: AccountRow, username: string): Promise<TempCodeView | null> {
    const user = await this.users.require(account, username);
    const row = await findTempCode(this.ctx.db, user.id);
    if (!row) return null;
    return { usesLeft: row.uses_left, expiresAt: isoTime(row.expires_at), createdAt: isoTime(row.created_at), live: isTempCodeLive(row, this.ctx.now()) };
  }

  /** Revokes the user's code. */
  async revoke(actor: Actor, account: AccountRow, username: string): Promise<void> {
    const user = await this.users.require(account, username);
    if (!(await deleteTempCode(this.ctx.db, user.id))) throw new ServiceError('temp_code_not_found', `user "${user.username}" has no temporary code`);
    await this.audit.record(actor, { action: 'temp_code.revoke', outcome: 'success', accountId: account.id, targetUser: user.username });
  }
}
