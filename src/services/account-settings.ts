// Account settings: windows and limits, with the defaults docs/sign-in.md lists.
import type { AccountRow } from '../store/schema.js';

export interface AccountSettings {
  lookAheadWindow: number;
  associateWindow: number;
  syncWindow: number;
  maxFailures: number;
  selfAssociation: boolean;
  /**
   * Administrators (role admin) need a passcode at every console sign-in: where their restriction allows a
   * password alone, the console asks for a passcode (or an association) instead. Not the API's or RADIUS's
   * sign-in check, nor the help desk.
   */
  adminsRequireOtp: boolean;
  /** How many tokens one user may hold (SPEC, "Several tokens per user"). */
  maxTokensPerUser: number;
  /** TOTP: time steps accepted either side of a token's step, around its recorded drift (SPEC, "Time-based tokens"). */
  totpWindow: number;
  /** TOTP: time steps a re-sync searches either side of the server's step for the two passcodes (2,880: a day at 30 s). */
  totpSyncSteps: number;
  /** Users may add an authenticator app on /account (and `token enrol-app`). */
  appEnrolment: boolean;
  /** The issuer an authenticator app shows (1-64 characters, no colon); null: the account's name. */
  totpIssuer: string | null;
  /** Whom users ask for help (free text, at most 200 characters), shown on the sign-in page's refusal and its "Lost your token?" page; null: nothing shown. */
  helpContact: string | null;
}

export const DEFAULT_SETTINGS: AccountSettings = {
  lookAheadWindow: 10,
  associateWindow: 20,
  syncWindow: 1000,
  maxFailures: 10,
  selfAssociation: true,
  adminsRequireOtp: false,
  maxTokensPerUser: 3,
  totpWindow: 1,
  totpSyncSteps: 2880,
  appEnrolment: true,
  totpIssuer: null,
  helpContact: null,
};

/** Bounds that keep a window useful without making a brute-force search cheap. */
export const SETTING_LIMITS: Record<Exclude<keyof AccountSettings, 'selfAssociation' | 'adminsRequireOtp' | 'appEnrolment' | 'totpIssuer' | 'helpContact'>, [number, number]> = {
  lookAheadWindow: [1, 100],
  associateWindow: [1, 1000],
  syncWindow: [2, 100_000],
  maxFailures: [1, 100],
  maxTokensPerUser: [1, 5],
  totpWindow: [0, 10],
  totpSyncSteps: [1, 50_000],
};

/** The account columns the settings are read from. */
export type SettingsColumns = Pick<
  AccountRow,
  'look_ahead_window' | 'associate_window' | 'sync_window' | 'max_failures' | 'self_association' | 'admins_require_otp' | 'max_tokens_per_user' | 'totp_window' | 'totp_sync_steps' | 'app_enrolment' | 'totp_issuer' | 'help_contact'
>;

export function settingsOf(account: SettingsColumns): AccountSettings {
  return {
    lookAheadWindow: account.look_ahead_window,
    associateWindow: account.associate_window,
    syncWindow: account.sync_window,
    maxFailures: account.max_failures,
    selfAssociation: account.self_association === 1,
    adminsRequireOtp: account.admins_require_otp === 1,
    maxTokensPerUser: account.max_tokens_per_user,
    totpWindow: account.totp_window,
    totpSyncSteps: account.totp_sync_steps,
    appEnrolment: account.app_enrolment === 1,
    totpIssuer: account.totp_issuer,
    helpContact: account.help_contact,
  };
}
