// What adapters show of users and tokens: camelCase, never a secret or a password hash.
import type { TokenRow, UserRow } from '../store/schema.js';

export interface TokenView {
  serial: string;
  type: TokenRow['type'];
  algorithm: TokenRow['algorithm'];
  digits: number;
  status: TokenRow['status'];
  username: string | null;
  failCount: number;
  /** HOTP: the next counter expected. Not secret: without the seed it predicts nothing. */
  counter: number;
  periodInSeconds: number | null;
  lockedAt: string | null;
  lastUsedAt: string | null;
  associatedAt: string | null;
  manufacturer: string | null;
  model: string | null;
  issuer: string | null;
  friendlyName: string | null;
  createdAt: string;
}

export interface UserView {
  username: string;
  displayName: string;
  role: UserRow['role'];
  createdAt: string;
  token: { serial: string; status: TokenRow['status'] } | null;
  /** `local` (a password of otpgate's own) or `directory` (the account's directory checks it). */
  source: 'local' | 'directory';
  email: string | null;
  disabled: boolean;
  disabledAt: string | null;
  disabledReason: string | null;
  /** The groups the directory gives the user (shown by `user show`, not in lists). */
  groups?: string[];
}

export function isoTime(ms: number | null): string | null {
  return ms === null ? null : new Date(Number(ms)).toISOString();
}

export function toTokenView(row: TokenRow, username: string | null): TokenView {
  return {
    serial: row.serial,
    type: row.type,
    algorithm: row.algorithm,
    digits: row.digits,
    status: row.status,
    username,
    failCount: row.fail_count,
    counter: Number(row.counter),
    periodInSeconds: row.period_in_seconds,
    lockedAt: isoTime(row.locked_at),
    lastUsedAt: isoTime(row.last_used_at),
    associatedAt: isoTime(row.associated_at),
    manufacturer: row.manufacturer,
    model: row.model,
    issuer: row.issuer,
    friendlyName: row.friendly_name,
    createdAt: new Date(Number(row.created_at)).toISOString(),
  };
}

export function toUserView(row: Omit<UserRow, 'id' | 'source'> & { source?: UserRow['source'] }, token: Pick<TokenRow, 'serial' | 'status'> | null | undefined): UserView {
  return {
    username: row.username,
    displayName: row.display_name,
    role: row.role,
    createdAt: new Date(Number(row.created_at)).toISOString(),
    token: token ? { serial: token.serial, status: token.status } : null,
    source: row.source ?? 'local',
    email: row.email ?? null,
    disabled: row.disabled_at != null,
    disabledAt: isoTime(row.disabled_at ?? null),
    disabledReason: row.disabled_reason ?? null,
  };
}
