// The token's states, within one account: disable and enable, retire, a user's report of a lost token, the
// validity dates, and unlocking the user who holds it. Each change is audited; one that may take the last
// administrator's way in is written through the way-in guard; one that stops a token proving its user ends
// their sessions. The token operations (associate, re-sync, disassociate) are token-service.ts.
import { isRetireReason, RETIRE_REASONS } from '../core/token-status.js';
import { deleteSessionsOfUser } from '../store/session-store.js';
import { clearThrottles } from '../store/throttle-store.js';
import { disableToken, enableToken, findTokensOfUser, retireToken, setTokenValidity, unlockUser } from '../store/token-store.js';
import type { Executor } from '../store/transaction.js';
import { findUserById, findUserByName } from '../store/user-store.js';
import type { AccountRow, TokenRow } from '../store/schema.js';
import type { AuditService } from './audit-service.js';
import type { Actor, ServiceContext } from './context.js';
import { ServiceError } from './errors.js';
import { hashId } from './session-service.js';
import { userThrottleKey } from './throttle-keys.js';
import { endSessionsOf, requireToken, requireTokenOf } from './token-facts.js';
import type { TokenService } from './token-service.js';
import type { UserService } from './user-service.js';
import type { TokenView } from './views.js';
import type { WayInService } from './way-in-service.js';

export class TokenStateService {
  constructor(
    private readonly ctx: ServiceContext,
    private readonly tokens: TokenService,
    private readonly users: UserService,
    private readonly audit: AuditService,
    private readonly wayIn: WayInService,
  ) {}

  /** Disable: the token stays the user's (OTP is still required) but accepts no passcode until enabled. */
  async disable(actor: Actor, account: AccountRow, serialInput: string): Promise<TokenView> {
    return this.changeState(actor, account, serialInput, 'token.disable', disableToken, (token) => `token ${token.serial} is not associated with a user (it is ${token.status})`);
  }

  /**
   * Enable: a disabled token accepts passcodes again. A token that was locked by wrong passcodes when it was
   * disabled is unlocked too, as `unlock` does it (the user's lock and back-off cleared; audited as
   * `unlocked too`): `wasLocked` says so, and every adapter tells the operator.
   */
  async enable(actor: Actor, account: AccountRow, serialInput: string): Promise<TokenView & { wasLocked: boolean }> {
    const before = await requireToken(this.ctx, account, serialInput);
    const wasLocked = before.status === 'disabled' && before.locked_at !== null && before.user_id !== null;
    const view = await this.changeState(actor, account, serialInput, 'token.enable', enableToken, (token) => `token ${token.serial} is not disabled (it is ${token.status})`, wasLocked ? 'was locked: unlocked too' : undefined);
    if (wasLocked) {
      await unlockUser(this.ctx.db, before.user_id!);
      if (view.username !== null) await clearThrottles(this.ctx.db, [userThrottleKey(account.id, view.username)]);
    }
    return { ...view, wasLocked };
  }

  /**
   * Retire: disassociates the token and takes it out of service for good (lost, broken, returned); it is
   * never associated again and stays listed. The user's sessions end.
   */
  async retire(actor: Actor, account: AccountRow, serialInput: string, reasonInput: string): Promise<TokenView> {
    if (!isRetireReason(reasonInput)) throw new ServiceError('invalid_request', `reason must be one of ${RETIRE_REASONS.join(', ')}`, { field: 'reason' });
    const reason = reasonInput;
    return this.changeState(actor, account, serialInput, 'token.retire', (db, id) => retireToken(db, id, reason, this.ctx.now()), (token) => `token ${token.serial} is already retired`, reason);
  }

  /**
   * A user reports their own token lost: it is disabled at once (no passcode from it is accepted; a
   * temporary code from an administrator still signs them in) and the administrators are notified
   * (`token.lost_reported`). Every other session of theirs ends, as an administrator's disable ends them:
   * whoever holds the token may be signed in with it already. The session the report came from
   * (`fromSessionId`) stays: it is theirs. A user who holds several tokens names the one (`serial`; without
   * it, several_tokens); without a serial a user's one token is reported.
   */
  async reportLost(actor: Actor, account: AccountRow, username: string, fromSessionId?: string, serial?: string): Promise<TokenView> {
    const user = await this.users.require(account, username);
    const token = await requireTokenOf(this.ctx, user, serial);
    const event = { action: 'token.report_lost', accountId: account.id, targetUser: user.username, targetSerial: token.serial };
    if (!(await disableToken(this.ctx.db, token.id, this.ctx.now()))) {
      await this.audit.record(actor, { ...event, outcome: 'failure', reason: `token ${token.status}` });
      throw new ServiceError('token_not_available', `token ${token.serial} is ${token.status} already`);
    }
    await deleteSessionsOfUser(this.ctx.db, user.id, fromSessionId === undefined ? undefined : hashId(fromSessionId));
    await this.audit.record(actor, { ...event, outcome: 'success', reason: 'reported lost by its user' });
    return this.tokens.show(account, token.serial);
  }

  /** One audited change of a token's state by compare-and-set; `refusal` says why it did not apply. */
  private async changeState(
    actor: Actor,
    account: AccountRow,
    serialInput: string,
    action: 'token.disable' | 'token.enable' | 'token.retire',
    change: (db: Executor, tokenId: number) => Promise<boolean>,
    refusal: (token: TokenRow) => string,
    reason?: string,
  ): Promise<TokenView> {
    const token = await requireToken(this.ctx, account, serialInput);
    const user = token.user_id === null ? undefined : await findUserById(this.ctx.db, token.user_id);
    const event = { action, accountId: account.id, targetUser: user?.username ?? null, targetSerial: token.serial };
    // Disabling or retiring an administrator's token may leave no administrator a way in.
    const changed =
      user && action !== 'token.enable' && token.status !== 'retired'
        ? await this.wayIn.guardAdminWayIn(account, { token: { username: user.username, serial: token.serial, token: action === 'token.disable' ? { ...token, status: 'disabled' } : undefined } }, (trx) => change(trx, token.id))
        : await change(this.ctx.db, token.id);
    if (!changed) {
      await this.audit.record(actor, { ...event, outcome: 'failure', reason: `token ${token.status}` });
      throw new ServiceError('token_not_available', refusal(token));
    }
    if (user && action !== 'token.enable') await endSessionsOf(this.ctx, user.id);
    await this.audit.record(actor, { ...event, outcome: 'success', reason: reason ?? null });
    return this.tokens.show(account, token.serial);
  }

  /** Sets a token's validity dates (null: open-ended); outside them it is treated as disabled (token_expired). */
  async setValidity(actor: Actor, account: AccountRow, serialInput: string, dates: { validFrom?: string | null; validUntil?: string | null }): Promise<TokenView> {
    const token = await requireToken(this.ctx, account, serialInput);
    const time = (field: 'validFrom' | 'validUntil', current: number | null): number | null => {
      const value = dates[field];
      if (value === undefined) return current === null ? null : Number(current);
      if (value === null) return null;
      const ms = Date.parse(value);
      if (!Number.isFinite(ms)) throw new ServiceError('invalid_request', `${field} must be a date and time (ISO 8601), or null`, { field });
      return ms;
    };
    const validFrom = time('validFrom', token.valid_from);
    const validUntil = time('validUntil', token.valid_until);
    if (validFrom !== null && validUntil !== null && validUntil <= validFrom) throw new ServiceError('invalid_request', 'validUntil must be after validFrom', { field: 'validUntil' });
    // Dates that put an administrator's token out of use, now or soon, may leave no administrator a way in.
    const holder = token.user_id === null ? undefined : await findUserById(this.ctx.db, token.user_id);
    const write = (db: Executor) => setTokenValidity(db, token.id, validFrom, validUntil);
    if (holder) await this.wayIn.guardAdminWayIn(account, { token: { username: holder.username, serial: token.serial, token: { status: token.status, valid_from: validFrom, valid_until: validUntil } } }, write);
    else await write(this.ctx.db);
    const describe = (ms: number | null) => (ms === null ? 'open' : new Date(ms).toISOString());
    await this.audit.record(actor, {
      action: 'token.set_validity',
      outcome: 'success',
      reason: `valid from ${describe(validFrom)} until ${describe(validUntil)}`,
      accountId: account.id,
      targetSerial: token.serial,
    });
    return this.tokens.show(account, token.serial);
  }

  /**
   * `token unlock USER` (or a serial of theirs): the user's lock lifted; every token they hold, as it now is.
   * A name that is a user of the account is the user; otherwise it is read as a serial.
   */
  async unlockHolder(actor: Actor, account: AccountRow, name: string): Promise<TokenView[]> {
    const user = await findUserByName(this.ctx.db, name);
    if (!user || user.account_id !== account.id) return [await this.unlock(actor, account, name)];
    const held = await findTokensOfUser(this.ctx.db, user.id);
    const token = held.find((t) => t.status !== 'disabled') ?? held[0];
    if (!token) throw new ServiceError('token_not_found', `user "${user.username}" has no token`);
    await this.unlock(actor, account, token.serial);
    return this.tokens.listOfUser(account, user.username);
  }

  /**
   * Unlock: clears the lock, the fail count and the user's back-off. The lock is the user's: unlocking one
   * of their tokens unlocks every one (unlockUser names the user instead of a serial).
   */
  async unlock(actor: Actor, account: AccountRow, serialInput: string): Promise<TokenView> {
    const token = await requireToken(this.ctx, account, serialInput);
    if (token.user_id === null) throw new ServiceError('token_not_available', `token ${token.serial} is not associated with a user`);
    if (token.status === 'disabled') throw new ServiceError('token_not_available', `token ${token.serial} is disabled; enable it instead`);
    await unlockUser(this.ctx.db, token.user_id);
    const user = await findUserById(this.ctx.db, token.user_id);
    if (user) await clearThrottles(this.ctx.db, [userThrottleKey(account.id, user.username)]);
    await this.audit.record(actor, { action: 'token.unlock', outcome: 'success', accountId: account.id, targetUser: user?.username ?? null, targetSerial: token.serial });
    return this.tokens.show(account, token.serial);
  }
}
