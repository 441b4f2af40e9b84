// Authenticator apps (SPEC, "Time-based tokens"): a user starts an enrolment (a new random secret, sealed on
// the server and bound to their session, pending for 15 minutes), adds it to their app from a QR code or the
// grouped base32 text, and activates it with a current code, which makes it a TOTP token of theirs (SHA-1,
// 6 digits, 30 s) with a serial otpgate makes. A pending enrolment is no token: it counts nowhere at sign-in.
// Starting again in the same session shows the same secret; a wrong code keeps it.
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { base32Encode, groupedSecret, otpauthUri } from '../core/otpauth.js';
import { findTotpStep } from '../core/otp-window.js';
import { isWellFormedPasscode } from '../core/passcode.js';
import { NO_FAILURES, USER_THROTTLE, retryAfterSeconds } from '../core/throttle.js';
import { SecretBoxError } from '../crypto/secret-box.js';
import { activateAppEnrolment, deleteAppEnrolment, findAppEnrolment, putAppEnrolment } from '../store/app-enrolment-store.js';
import { findTokenBySerial, findTokensOfUser } from '../store/token-store.js';
import { clearThrottles, readThrottles, recordThrottleFailure } from '../store/throttle-store.js';
import type { AccountRow, AppEnrolmentRow, UserRow } from '../store/schema.js';
import { settingsOf } from './account-settings.js';
import type { AuditService } from './audit-service.js';
import type { Actor, ServiceContext } from './context.js';
import { ServiceError } from './errors.js';
import { openAppEnrolmentSecret, sealAppEnrolmentSecret, sealTokenSecret, TOKEN_SEAL_VERSION } from './sealed-secrets.js';
import { userThrottleKey } from './throttle-keys.js';
import type { UserService } from './user-service.js';
import { toTokenView, type TokenView } from './views.js';
import { count } from '../core/count.js';

/** How long a pending enrolment lasts. */
export const APP_ENROLMENT_MS = 15 * 60 * 1000;
/** What an app is given: SPEC's fixed parameters (the apps' defaults). */
const APP_PARAMS = { algorithm: 'SHA1', digits: 6, periodInSeconds: 30 } as const;
const SECRET_BYTES = 20;
/** What binds an enrolment started from the command line (no session). */
export const CLI_BINDING = 'cli';

function sameBinding(stored: string, given: string): boolean {
  const a = Buffer.from(stored);
  const b = Buffer.from(given);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** A pending enrolment as the page (or the command) shows it. Holds the secret: never logged. */
export interface PendingAppEnrolment {
  uri: string;
  /** The base32 secret in groups of four. */
  secretText: string;
  issuer: string;
  expiresAt: string;
}

export class AppEnrolmentService {
  constructor(
    private readonly ctx: ServiceContext,
    private readonly users: UserService,
    private readonly audit: AuditService,
  ) {}

  private requireEnabled(account: AccountRow): void {
    if (!settingsOf(account).appEnrolment) throw new ServiceError('app_enrolment_disabled', 'this account does not let users add an authenticator app; ask your administrator');
  }

  /** The user's live enrolment bound to `binding` (an expired one, or one that does not open, is deleted). */
  private async liveEnrolment(user: UserRow, binding: string, now: number): Promise<{ row: AppEnrolmentRow; secret: Buffer } | null> {
    const row = await findAppEnrolment(this.ctx.db, user.id);
    if (!row) return null;
    if (Number(row.expires_at) <= now) {
      await deleteAppEnrolment(this.ctx.db, user.id);
      return null;
    }
    // The binding is a session's id hash: compared in constant time, as the session itself is.
    if (!sameBinding(row.binding, binding)) return null;
    try {
      return { row, secret: openAppEnrolmentSecret(this.ctx.masterKey, user.id, row.binding, Number(row.created_at), row.secret_sealed) };
    } catch (error) {
      if (!(error instanceof SecretBoxError)) throw error;
      return null;
    }
  }

  private view(account: AccountRow, user: UserRow, row: AppEnrolmentRow, secret: Buffer): PendingAppEnrolment {
    const issuer = settingsOf(account).totpIssuer ?? account.name;
    const base32 = base32Encode(secret);
    return { uri: otpauthUri(issuer, user.username, base32), secretText: groupedSecret(base32), issuer, expiresAt: new Date(Number(row.expires_at)).toISOString() };
  }

  /**
   * Starts (or shows again) the user's enrolment bound to `binding` (the session's id hash, or CLI_BINDING).
   * An enrolment of theirs bound elsewhere, or expired, is replaced: one per user. The caller has checked
   * who they are (step-up) and that they are under their token limit is checked here.
   */
  /**
   * Whether the sign-in's association prompt may offer an app: only where that prompt is (self-association on,
   * no token held). A user at the passcode step holds a token and has passed the password alone: they must not
   * add a way in without it.
   */
  async mayEnrolAtSignIn(account: AccountRow, username: string): Promise<boolean> {
    if (!settingsOf(account).selfAssociation) return false;
    const user = await this.users.require(account, username);
    return (await findTokensOfUser(this.ctx.db, user.id)).length === 0;
  }

  async start(actor: Actor, account: AccountRow, username: string, binding: string): Promise<PendingAppEnrolment> {
    this.requireEnabled(account);
    const user = await this.users.require(account, username);
    const now = this.ctx.now();
    const live = await this.liveEnrolment(user, binding, now);
    if (live) return this.view(account, user, live.row, live.secret);
    const held = await findTokensOfUser(this.ctx.db, user.id);
    const limit = settingsOf(account).maxTokensPerUser;
    if (held.length >= limit) throw new ServiceError('token_limit', `you already hold ${count(held.length, 'token')}, the account's limit of ${limit}`);
    const secret = randomBytes(SECRET_BYTES);
    const row: AppEnrolmentRow = {
      user_id: user.id,
      account_id: account.id,
      binding,
      secret_sealed: sealAppEnrolmentSecret(this.ctx.masterKey, user.id, binding, now, secret),
      expires_at: now + APP_ENROLMENT_MS,
      created_at: now,
    };
    await putAppEnrolment(this.ctx.db, row);
    await this.audit.record(actor, { action: 'token.enrol_start', outcome: 'success', accountId: account.id, targetUser: user.username, reason: 'authenticator app, pending 15 minutes' });
    return this.view(account, user, row, secret);
  }

  /** The user's pending enrolment in this binding, or null (none, expired, or another session's). */
  async pending(account: AccountRow, username: string, binding: string): Promise<PendingAppEnrolment | null> {
    const user = await this.users.require(account, username);
    const live = await this.liveEnrolment(user, binding, this.ctx.now());
    return live ? this.view(account, user, live.row, live.secret) : null;
  }

  /** Abandons the user's pending enrolment (nothing changes at sign-in: it never counted). */
  async cancel(actor: Actor, account: AccountRow, username: string): Promise<boolean> {
    const user = await this.users.require(account, username);
    const deleted = await deleteAppEnrolment(this.ctx.db, user.id);
    if (deleted) await this.audit.record(actor, { action: 'token.enrol_cancel', outcome: 'success', accountId: account.id, targetUser: user.username });
    return deleted;
  }

  /**
   * Activates the pending enrolment with a current code from the app: the code's step (now ± totpWindow) is
   * spent, and the token is created holding it in the transaction that deletes the still-live enrolment. A
   * wrong code keeps the enrolment and counts toward the user's sign-in back-off.
   */
  async activate(actor: Actor, account: AccountRow, username: string, binding: string, code: string): Promise<TokenView> {
    this.requireEnabled(account);
    const user = await this.users.require(account, username);
    const now = this.ctx.now();
    const key = userThrottleKey(account.id, user.username);
    const wait = retryAfterSeconds((await readThrottles(this.ctx.db, [key], now)).get(key) ?? NO_FAILURES, now);
    if (wait > 0) throw new ServiceError('too_many_attempts', `too many failed attempts; try again in ${wait} s`, { retryAfterSeconds: wait });
    const live = await this.liveEnrolment(user, binding, now);
    if (!live) throw new ServiceError('enrolment_not_found', 'no pending authenticator app to activate: it expired or was never started; start again');
    const refuse = async (error: ServiceError, reason: string): Promise<never> => {
      await this.audit.record(actor, { action: 'token.enrol', outcome: 'failure', reason, accountId: account.id, targetUser: user.username });
      throw error;
    };
    const passcode = code.replace(/\s+/g, '');
    const step = isWellFormedPasscode(passcode, APP_PARAMS.digits) ? findTotpStep(live.secret, passcode, now / 1000, settingsOf(account).totpWindow, APP_PARAMS) : null;
    if (step === null) {
      await recordThrottleFailure(this.ctx.db, key, USER_THROTTLE, now);
      return refuse(new ServiceError('passcode_not_accepted', "that is not the app's current code; enter the code the app shows now"), 'wrong code');
    }
    const limit = settingsOf(account).maxTokensPerUser;
    const serial = `APP-${randomBytes(5).toString('hex').toUpperCase()}`;
    const token = {
      account_id: account.id,
      serial,
      type: 'totp' as const,
      algorithm: APP_PARAMS.algorithm,
      digits: APP_PARAMS.digits,
      counter: step + 1,
      period_in_seconds: APP_PARAMS.periodInSeconds,
      time_offset_in_seconds: 0,
      secret_sealed: sealTokenSecret(this.ctx.masterKey, account.id, serial, live.secret),
      seal_version: TOKEN_SEAL_VERSION,
      status: 'associated' as const,
      user_id: user.id,
      fail_count: 0,
      locked_at: null,
      last_used_at: now,
      associated_at: now,
      manufacturer: null,
      model: 'authenticator app',
      issuer: settingsOf(account).totpIssuer ?? account.name,
      friendly_name: null,
      created_at: now,
      valid_from: null,
      valid_until: null,
      retired_at: null,
      retired_reason: null,
      label: null,
    };
    const result = await activateAppEnrolment(this.ctx.db, live.row, token, limit, now);
    if (result === 'gone') return refuse(new ServiceError('enrolment_not_found', 'the pending authenticator app expired or was completed meanwhile; start again'), 'enrolment gone');
    if (result === 'token_limit') return refuse(new ServiceError('token_limit', `you already hold the account's limit of ${count(limit, 'token')}`), 'token limit reached');
    live.secret.fill(0);
    await clearThrottles(this.ctx.db, [key]);
    await this.audit.record(actor, { action: 'token.enrol', outcome: 'success', reason: 'authenticator app', accountId: account.id, targetUser: user.username, targetSerial: serial });
    const created = await findTokenBySerial(this.ctx.db, account.id, serial);
    return toTokenView(created!, user.username);
  }
}
