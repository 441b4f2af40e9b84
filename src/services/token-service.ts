// The token operations within one account (docs/architecture.md): the inventory and a user's tokens as
// views, associate (one by one, in bulk from a CSV, or by the user at sign-in), re-sync, disassociate, a
// token's history, and re-sealing legacy secrets at start-up. The token's states (disable, enable, retire,
// reported lost, validity dates, unlock) are token-state-service.ts; what other services share about a
// token is token-facts.ts.
import { SecretBoxError } from '../crypto/secret-box.js';
import { normalizeSerial } from '../core/serial.js';
import type { SignInReason } from '../core/sign-in-decision.js';
import { NO_FAILURES, USER_THROTTLE, retryAfterSeconds } from '../core/throttle.js';
import { clearThrottles, readThrottles, recordThrottleFailure } from '../store/throttle-store.js';
import { bindToken, countTokens, findTokenBySerial, findTokensOfUser, listTokens, listTokensSealedAs, recordUserFailure, resealTokenSecret, resyncCounter, unbindToken, unlockUser } from '../store/token-store.js';
import { inTransaction } from '../store/transaction.js';
import { listTokenEvents } from '../store/audit-log.js';
import { findUserById } from '../store/user-store.js';
import { isUniqueViolation } from '../store/database-errors.js';
import type { AccountRow, TokenRow } from '../store/schema.js';
import { settingsOf } from './account-settings.js';
import { associateBulk, type BulkReport } from './bulk-associate.js';
import type { Actor, ServiceContext } from './context.js';
import { ServiceError } from './errors.js';
import { matchConsecutivePasscodes, matchPasscode, type ResyncMatch } from './passcode-match.js';
import { userThrottleKey } from './throttle-keys.js';
import { LEGACY_TOKEN_SEAL_VERSION, openTokenSecret, sealTokenSecret, TOKEN_SEAL_VERSION } from './sealed-secrets.js';
import { endSessionsOf, isTokenOutsideValidity, requireLabel, requirePasscode, requireSerial, requireToken, requireTokenOf } from './token-facts.js';
import type { UserService } from './user-service.js';
import { isoTime, toTokenView, type TokenView } from './views.js';
import { toAuditView, type AuditService } from './audit-service.js';
import type { TokenHistory } from './audit-view.js';
import type { WayInService } from './way-in-service.js';
import { count } from '../core/count.js';

export type { TokenHistory };

/** Refusals of a self-association that count as a failed attempt (a wrong guess of serial or code). */
const SELF_ASSOCIATION_GUESSES = new Set<string>(['passcode_not_accepted', 'token_not_found', 'token_not_available', 'invalid_passcode', 'invalid_serial']);

export interface TokenQuery {
  status?: TokenRow['status'];
  /** The serial's start. */
  q?: string;
  /** Only tokens in users' hands that signed no one in for this many days. */
  unusedDays?: number;
  /** Only disabled tokens their user reported lost. */
  reportedLost?: boolean;
  /** Only available or associated tokens past their valid-until (shown as Expired). */
  expired?: boolean;
  limit?: number;
  offset?: number;
}

const DAY_MS = 24 * 60 * 60 * 1000;

function tokenFilter(account: AccountRow, query: TokenQuery, now: number): { accountId: number; status?: TokenRow['status']; serialPrefix?: string; unusedSince?: number; reportedLost?: boolean; expiredAt?: number } {
  return {
    accountId: account.id,
    ...(query.reportedLost ? { reportedLost: true } : {}),
    ...(query.expired ? { expiredAt: now } : {}),
    ...(query.status ? { status: query.status } : {}),
    ...(query.q ? { serialPrefix: normalizeSerial(query.q) ?? query.q.trim() } : {}),
    ...(query.unusedDays !== undefined ? { unusedSince: now - query.unusedDays * DAY_MS } : {}),
  };
}

export class TokenService {
  constructor(
    private readonly ctx: ServiceContext,
    private readonly users: UserService,
    private readonly audit: AuditService,
    private readonly wayIn: WayInService,
  ) {}

  private secretOf(token: TokenRow): Buffer {
    return openTokenSecret(this.ctx.masterKey, token);
  }

  /**
   * Re-seals the secrets still sealed with the serial alone (seal version 1: rows from before serials became
   * unique per account, migration 0003) with their account and serial; opening an instance runs it. A row
   * that does not open is left as it is (its sign-ins fail loudly, naming it), so one altered row cannot
   * keep the installation from starting. Returns how many it re-sealed.
   */
  async resealLegacySecrets(): Promise<number> {
    let resealed = 0;
    for (let afterId = 0; ; ) {
      const rows = await listTokensSealedAs(this.ctx.db, LEGACY_TOKEN_SEAL_VERSION, afterId, 500);
      if (rows.length === 0) return resealed;
      afterId = rows.at(-1)!.id;
      const sealed = rows.flatMap((row) => {
        let secret: Buffer;
        try {
          secret = openTokenSecret(this.ctx.masterKey, row);
        } catch (error) {
          if (error instanceof SecretBoxError) return [];
          throw error;
        }
        const box = sealTokenSecret(this.ctx.masterKey, row.account_id, row.serial, secret);
        secret.fill(0);
        return [{ id: row.id, box }];
      });
      // Compare-and-set on the version: instances opening together each re-seal a row at most once.
      resealed += await inTransaction(this.ctx.db, async (trx) => {
        let count = 0;
        for (const { id, box } of sealed) if (await resealTokenSecret(trx, id, LEGACY_TOKEN_SEAL_VERSION, box, TOKEN_SEAL_VERSION)) count++;
        return count;
      });
    }
  }

  /** Every token the user holds, oldest association first. */
  async listOfUser(account: AccountRow, username: string): Promise<TokenView[]> {
    const user = await this.users.require(account, username);
    return (await findTokensOfUser(this.ctx.db, user.id)).map((token) => toTokenView(token, user.username));
  }

  async list(account: AccountRow, query: TokenQuery = {}): Promise<TokenView[]> {
    const rows = await listTokens(this.ctx.db, {
      ...tokenFilter(account, query, this.ctx.now()),
      ...(query.limit !== undefined ? { limit: query.limit } : {}),
      ...(query.offset !== undefined ? { offset: query.offset } : {}),
    });
    return rows.map((row) => toTokenView(row, row.username));
  }

  /** How many tokens of the account match the filter (the list's total). */
  count(account: AccountRow, query: Omit<TokenQuery, 'limit' | 'offset'> = {}): Promise<number> {
    return countTokens(this.ctx.db, tokenFilter(account, query, this.ctx.now()));
  }

  async show(account: AccountRow, serialInput: string): Promise<TokenView> {
    const token = await requireToken(this.ctx, account, serialInput);
    const user = token.user_id === null ? undefined : await findUserById(this.ctx.db, token.user_id);
    return toTokenView(token, user?.username ?? null);
  }

  /** The user's token (of this serial, or their one token: several_tokens when they hold several). */
  async ofUser(account: AccountRow, username: string, serial?: string): Promise<TokenView> {
    const user = await this.users.require(account, username);
    return toTokenView(await requireTokenOf(this.ctx, user, serial), user.username);
  }

  /**
   * Associate (README: a serial number and one passcode): the token must be available in this account and
   * the passcode one of its next codes; the counter moves past it, so the same code cannot sign in later.
   * `revealHolder`: a refusal for a token already associated names its user (false for self-association).
   */
  async associate(actor: Actor, account: AccountRow, username: string, serialInput: string, passcode: string, revealHolder = true, labelInput?: string): Promise<TokenView> {
    const user = await this.users.require(account, username);
    const serial = requireSerial(serialInput);
    const label = labelInput === undefined ? null : requireLabel(labelInput);
    const refuse = async (error: ServiceError, reason: string): Promise<never> => {
      await this.audit.record(actor, { action: 'token.associate', outcome: 'failure', reason, accountId: account.id, targetUser: user.username, targetSerial: serial });
      throw error;
    };
    // A user holds up to maxTokensPerUser tokens: an association adds one while under the limit.
    const held = await findTokensOfUser(this.ctx.db, user.id);
    const limit = settingsOf(account).maxTokensPerUser;
    if (held.length >= limit) {
      return refuse(new ServiceError('token_limit', `user "${user.username}" already holds ${count(held.length, 'token')} (${held.map((t) => t.serial).join(', ')}), the account's limit of ${limit}`), 'token limit reached');
    }
    if (label !== null && held.some((t) => t.label === label)) {
      return refuse(new ServiceError('invalid_request', `user "${user.username}" already has a token labelled "${label}"`, { field: 'label' }), 'label taken');
    }
    const token = await findTokenBySerial(this.ctx.db, account.id, serial);
    if (!token) return refuse(new ServiceError('token_not_found', `no token ${serial} in account "${account.name}"`), 'unknown serial');
    if (token.status !== 'available') {
      // An administrator is told whom the token is with (a user of this account only); a user associating
      // their own token is not told who holds the serial they typed.
      const holder = token.user_id === null || !revealHolder ? undefined : await findUserById(this.ctx.db, token.user_id);
      const withWhom = holder && holder.account_id === account.id ? `"${holder.username}"${token.status === 'locked' ? ' (locked)' : ''}` : 'a user';
      return refuse(new ServiceError('token_not_available', `token ${serial} is ${token.status === 'retired' ? 'retired' : `already associated with ${withWhom}`}`), `token ${token.status}`);
    }
    if (isTokenOutsideValidity(token, this.ctx.now())) {
      return refuse(new ServiceError('token_not_available', `token ${serial} is outside its validity dates`), 'token outside its validity dates');
    }
    requirePasscode(passcode, token.digits);
    const { associateWindow, totpWindow } = settingsOf(account);
    // A time-based token proves a code of its step now ± totpWindow around its drift, as at sign-in.
    const matched = matchPasscode(token, this.secretOf(token), passcode, { hotp: associateWindow, totp: totpWindow }, this.ctx.now());
    if (matched === null) {
      return refuse(new ServiceError('passcode_not_accepted', `the OTP code is not one of token ${serial}'s next codes; press the token again and enter the new code`), 'passcode not in window');
    }
    let bound: boolean;
    try {
      bound = await inTransaction(this.ctx.db, (trx) => bindToken(trx, { tokenId: token.id, userId: user.id, label, maxTokens: limit }, Number(token.counter), matched + 1, this.ctx.now()));
    } catch (error) {
      // Another association gave the same label to another of the user's tokens meanwhile.
      if (isUniqueViolation(error)) return refuse(new ServiceError('invalid_request', `user "${user.username}" already has a token labelled "${label}"`, { field: 'label' }), 'label taken');
      throw error;
    }
    if (!bound) return refuse(new ServiceError('conflict', `token ${serial} changed meanwhile (or the user reached the limit of ${count(limit, 'token')}); try again`), 'lost race');
    await this.audit.record(actor, { action: 'token.associate', outcome: 'success', accountId: account.id, targetUser: user.username, targetSerial: serial });
    return this.ofUser(account, user.username, serial);
  }

  /** Many associations from one CSV file (`username,serial[,otp]`): all or none (bulk-associate.ts). */
  async associateBulk(actor: Actor, account: AccountRow, csv: string, options: { dryRun: boolean }): Promise<BulkReport> {
    return associateBulk(this.ctx, this.audit, actor, account, csv, options);
  }

  /**
   * A user associating a token themselves at sign-in (README, "How sign-in is decided": an OTP is required and the user has no token), or
   * from /account after a step-up (`where: 'account'`): allowed only while the account's self-association
   * setting is on. At sign-in the association proves possession, so it also completes the sign-in; the audit
   * log records that sign-in too. Either way the association itself is audited as token.associate.
   */
  async selfAssociate(actor: Actor, account: AccountRow, username: string, serialInput: string, passcode: string, where: 'sign_in' | 'account' = 'sign_in'): Promise<TokenView> {
    if (!settingsOf(account).selfAssociation) {
      await this.audit.record(actor, { action: 'token.associate', outcome: 'failure', reason: 'self-association is off', accountId: account.id, targetUser: username });
      throw new ServiceError('self_association_disabled', 'this account does not let users associate a token themselves; ask your administrator');
    }
    // A user associating their own token at sign-in is guessing a code of some available token: the attempts
    // share the user's sign-in back-off, so the association step is no way around it.
    const key = userThrottleKey(account.id, username);
    const now = this.ctx.now();
    const wait = retryAfterSeconds((await readThrottles(this.ctx.db, [key], now)).get(key) ?? NO_FAILURES, now);
    if (wait > 0) throw new ServiceError('too_many_attempts', `too many failed attempts; try again in ${wait} s`, { retryAfterSeconds: wait });
    let view: TokenView;
    try {
      view = await this.associate(actor, account, username, serialInput, passcode, false);
    } catch (error) {
      if (error instanceof ServiceError && SELF_ASSOCIATION_GUESSES.has(error.code)) await recordThrottleFailure(this.ctx.db, key, USER_THROTTLE, now);
      throw error;
    }
    // From /account the user was signed in already (and stepped up): no sign-in to record.
    if (where === 'sign_in') await this.audit.record(actor, { action: 'signin', outcome: 'accept', reason: 'token_associated' satisfies SignInReason, accountId: account.id, targetUser: username, targetSerial: view.serial });
    return view;
  }

  /**
   * Whether a signed-in user may associate a token of theirs from /account (the same proof as the sign-in's
   * association prompt, after a step-up): `allowed` while self-association is on and they hold fewer than
   * maxTokensPerUser tokens; `limit` at the limit; `off` where the account's self-association is off.
   */
  async ownAssociation(account: AccountRow, username: string): Promise<'allowed' | 'limit' | 'off'> {
    const user = await this.users.require(account, username);
    if ((await findTokensOfUser(this.ctx.db, user.id)).length >= settingsOf(account).maxTokensPerUser) return 'limit';
    return settingsOf(account).selfAssociation ? 'allowed' : 'off';
  }

  /**
   * Whether a sign-in that passed with the password alone should suggest associating a token (issue: the
   * first administrator): an administrator who holds none. Suggested on every such sign-in until they hold
   * one; a user's sign-in is what their restriction asks for, and suggests nothing.
   */
  async suggestsOwnToken(account: AccountRow, username: string): Promise<boolean> {
    const user = await this.users.require(account, username);
    return user.role === 'admin' && (await findTokensOfUser(this.ctx.db, user.id)).length === 0;
  }

  /**
   * Re-sync (README: two passcodes from the out-of-sync token). RFC 4226 §7.4: two consecutive codes,
   * so that one guess cannot move the counter. A time-based token (RFC 6238 §6) the same way: two codes of
   * consecutive steps within ± totpSyncSteps of the server's step; the token's clock drift is recorded, and
   * sign-in then accepts the steps around it. A failed pair counts as a failed passcode (once, for the
   * user). Without a serial: the one token of the user whose sync window holds both (ambiguous_token when
   * more than one does). A re-sync lifts the user's lock.
   */
  async resync(actor: Actor, account: AccountRow, username: string, first: string, second: string, serialInput?: string): Promise<TokenView> {
    const user = await this.users.require(account, username);
    const held = serialInput === undefined ? await findTokensOfUser(this.ctx.db, user.id) : [await requireTokenOf(this.ctx, user, serialInput)];
    if (held.length === 0) throw new ServiceError('token_not_found', `user "${user.username}" has no token`);
    const candidates = held.length === 1 ? held : held.filter((t) => t.status !== 'disabled' && t.digits === first.length);
    const only = candidates.length === 1 ? candidates[0]! : undefined;
    if (only?.status === 'disabled') throw new ServiceError('token_not_available', `token ${only.serial} is disabled; enable it first`);
    requirePasscode(first, (candidates[0] ?? held[0]!).digits, 'otp1');
    requirePasscode(second, first.length, 'otp2');
    const settings = settingsOf(account);
    const now = this.ctx.now();
    const found: { token: TokenRow; match: ResyncMatch }[] = [];
    for (const token of candidates) {
      const match = await matchConsecutivePasscodes(token, this.secretOf(token), first, second, { hotp: settings.syncWindow, totpSync: settings.totpSyncSteps }, now);
      if (match !== null) found.push({ token, match });
    }
    if (found.length > 1) {
      throw new ServiceError('ambiguous_token', `both passcodes fit more than one of ${user.username}'s tokens (${found.map((f) => f.token.serial).join(', ')}); name one with its serial`, {
        serials: found.map((f) => f.token.serial),
      });
    }
    const hit = found[0];
    const target = hit?.token ?? only;
    // The counter (TOTP: the next allowed step) moves by the same compare-and-set as a sign-in's: a sign-in
    // or another re-sync that moved it meanwhile wins, and this one fails.
    if (!hit || !(await resyncCounter(this.ctx.db, hit.token.id, Number(hit.token.counter), hit.match.nextCounter, now, hit.match.driftSteps))) {
      const failure = await recordUserFailure(this.ctx.db, user.id, settings.maxFailures, now);
      if (failure.locked) await endSessionsOf(this.ctx, user.id);
      await this.audit.record(actor, {
        action: 'token.resync',
        outcome: 'failure',
        reason: !hit ? 'passcodes not consecutive within the sync window' : 'lost race',
        accountId: account.id,
        targetUser: user.username,
        targetSerial: target?.serial ?? null,
      });
      throw new ServiceError('resync_failed', 'the two passcodes are not consecutive codes of this token; enter two codes of the token in order (for a time-based token, wait for the next code)');
    }
    // The lock is the user's: a re-sync of any of their tokens lifts it.
    await unlockUser(this.ctx.db, user.id);
    await clearThrottles(this.ctx.db, [userThrottleKey(account.id, user.username)]);
    const drift = hit.match.driftSteps === null ? null : `clock drift ${hit.match.driftSteps} time steps`;
    await this.audit.record(actor, { action: 'token.resync', outcome: 'success', reason: drift, accountId: account.id, targetUser: user.username, targetSerial: hit.token.serial });
    return this.ofUser(account, user.username, hit.token.serial);
  }

  /** Disassociate: the token returns to the inventory with its counter; the user's sessions end. */
  async disassociate(actor: Actor, account: AccountRow, username: string, serial?: string): Promise<TokenView> {
    const user = await this.users.require(account, username);
    const token = await requireTokenOf(this.ctx, user, serial);
    const unbound = await this.wayIn.guardAdminWayIn(account, { token: { username: user.username, serial: token.serial, token: undefined } }, (trx) => unbindToken(trx, token.id));
    if (!unbound) throw new ServiceError('conflict', `token ${token.serial} changed meanwhile; try again`);
    await endSessionsOf(this.ctx, user.id);
    await this.audit.record(actor, { action: 'token.disassociate', outcome: 'success', accountId: account.id, targetUser: user.username, targetSerial: token.serial });
    return this.show(account, token.serial);
  }

  /**
   * A token's history from the audit log, newest first: association, re-sync, lock, unlock, disable, enable,
   * retire, validity, disassociation (and, with `signIns`, every sign-in that named it); the import is the
   * token's own creation time, last in the list once the events before it have all been read.
   */
  async history(account: AccountRow, serialInput: string, options: { signIns?: boolean; limit?: number; before?: number } = {}): Promise<TokenHistory> {
    const token = await requireToken(this.ctx, account, serialInput);
    const limit = options.limit ?? 100;
    const rows = await listTokenEvents(this.ctx.db, account.id, token.serial, { signIns: options.signIns ?? false, limit: limit + 1, ...(options.before !== undefined ? { before: options.before } : {}) });
    const events = rows.slice(0, limit).map(toAuditView);
    const complete = rows.length <= limit;
    return {
      serial: token.serial,
      importedAt: isoTime(token.created_at),
      events,
      nextBefore: complete ? null : (events.at(-1)?.id ?? null),
    };
  }
}
