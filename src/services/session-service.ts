// Console sessions: 256-bit random ids (only their SHA-256 is stored), rotated at each step up,
// 30 minutes idle and 12 hours absolute.
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { deleteExpiredSessions, deleteSession, findSession, insertSession, touchSession } from '../store/session-store.js';
import { findUserById } from '../store/user-store.js';
import type { SessionRow, UserRow } from '../store/schema.js';
import type { ServiceContext } from './context.js';

export const IDLE_TIMEOUT_MS = 30 * 60 * 1000;
export const ABSOLUTE_TIMEOUT_MS = 12 * 60 * 60 * 1000;
/** Touching last_seen_at on every request would be a write per page view; once a minute is enough. */
const TOUCH_INTERVAL_MS = 60 * 1000;

export interface Session {
  /** The cookie value. */
  id: string;
  stage: SessionRow['stage'];
  csrfToken: string;
  user: UserRow;
  createdAt: number;
  /** When this sign-in passed the passcode (or association) step; null for a password alone (OIDC's amr). */
  otpAt: number | null;
}

/** How a session id is stored (its SHA-256): the cookie's value never is. */
export function hashId(id: string): string {
  return createHash('sha256').update(id).digest('hex');
}

export function csrfTokensEqual(expected: string, given: string | undefined): boolean {
  if (typeof given !== 'string') return false;
  const a = Buffer.from(expected);
  const b = Buffer.from(given);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** A pre-session nonce as issued: 32 random octets in base64url (a cookie value of another shape is ignored). */
function isPreSessionNonce(nonce: string | undefined): nonce is string {
  return typeof nonce === 'string' && nonce.length >= 32 && nonce.length <= 100;
}

export class SessionService {
  constructor(private readonly ctx: ServiceContext) {}

  /**
   * A new session for a user at a stage; a fresh id every time (rotation after each step). `otp`: the step
   * that starts it proved the token (a passcode or an association), which the session then records.
   */
  async start(user: UserRow, stage: SessionRow['stage'], replacing?: string, otp = false): Promise<Session> {
    if (replacing) await deleteSession(this.ctx.db, hashId(replacing));
    const id = randomBytes(32).toString('base64url');
    const now = this.ctx.now();
    const csrfToken = randomBytes(32).toString('base64url');
    const otpAt = otp ? now : null;
    await insertSession(this.ctx.db, { id_hash: hashId(id), account_id: user.account_id, user_id: user.id, stage, csrf_token: csrfToken, created_at: now, last_seen_at: now, otp_at: otpAt });
    return { id, stage, csrfToken, user, createdAt: now, otpAt };
  }

  /** The live session for a cookie value, or null (unknown, expired idle or absolute, user gone). */
  async resume(id: string | undefined): Promise<Session | null> {
    if (!id || id.length > 100) return null;
    const idHash = hashId(id);
    const row = await findSession(this.ctx.db, idHash);
    if (!row) return null;
    const now = this.ctx.now();
    if (now - Number(row.last_seen_at) > IDLE_TIMEOUT_MS || now - Number(row.created_at) > ABSOLUTE_TIMEOUT_MS) {
      await deleteSession(this.ctx.db, idHash);
      return null;
    }
    const user = await findUserById(this.ctx.db, row.user_id);
    if (!user) return null;
    if (now - Number(row.last_seen_at) > TOUCH_INTERVAL_MS) await touchSession(this.ctx.db, idHash, now);
    return { id, stage: row.stage, csrfToken: row.csrf_token, user, createdAt: Number(row.created_at), otpAt: row.otp_at === null ? null : Number(row.otp_at) };
  }

  /**
   * The sign-in form's CSRF pair: the browser's nonce (from its cookie) when it sent a well-formed one, else a
   * new nonce to set (issued: true). CSRF protection before there is a session (the sign-in form): a signed double-submit pair. The random
   * nonce goes in an HttpOnly cookie, the form carries HMAC(console-csrf key, nonce). A cross-site page can
   * neither read the cookie nor compute the HMAC, and needs no server-side row per visitor.
   */
  preSessionCsrf(nonce: string | undefined): { nonce: string; token: string; issued: boolean } {
    if (isPreSessionNonce(nonce)) return { nonce, token: this.#preSessionToken(nonce), issued: false };
    const fresh = randomBytes(32).toString('base64url');
    return { nonce: fresh, token: this.#preSessionToken(fresh), issued: true };
  }

  /** The sign-in form's `_csrf` (given) against the token its cookie's nonce stands for. */
  checkPreSessionCsrf(nonce: string | undefined, given: string | undefined): boolean {
    if (!isPreSessionNonce(nonce)) return false;
    return csrfTokensEqual(this.#preSessionToken(nonce), given);
  }

  #preSessionToken(nonce: string): string {
    return createHmac('sha256', this.ctx.masterKey.keyFor('console-csrf')).update(`pre-session ${nonce}`).digest('base64url');
  }

  async end(id: string): Promise<void> {
    await deleteSession(this.ctx.db, hashId(id));
  }

  async sweep(): Promise<void> {
    const now = this.ctx.now();
    await deleteExpiredSessions(this.ctx.db, now - IDLE_TIMEOUT_MS, now - ABSOLUTE_TIMEOUT_MS);
  }
}
