// What every service needs: the database, the master key, the time, and who is acting.
import type { Kysely } from 'kysely';
import type { MasterKey } from '../crypto/master-key.js';
import type { ScryptCost } from '../crypto/password-hash.js';
import type { AccountRow, Database } from '../store/schema.js';

/** An account as services hand it to adapters (they pass it back; they never read rows themselves). */
export type Account = AccountRow;

export interface ServiceContext {
  db: Kysely<Database>;
  masterKey: MasterKey;
  /** The audit chain's HMAC key (derived from the master key, or kept sealed since a key rotation). */
  auditChainKey: Buffer;
  /** Epoch milliseconds. Tests pass a clock they control. */
  now: () => number;
  passwordCost: ScryptCost;
  /** Where webhooks may connect and how failed deliveries are retried (the operator's settings). */
  notify: NotificationSettings;
}

export interface NotificationSettings {
  /** OTPGATE_WEBHOOK_ALLOW_PRIVATE: an operator's setting, never an account's. */
  allowPrivate: boolean;
  /** The first wait after a failed attempt; each next one doubles (OTPGATE_WEBHOOK_RETRY_SECONDS). */
  firstRetryMs: number;
  /** OTPGATE_SMTP_URL and OTPGATE_MAIL_FROM; without them no e-mail is sent. */
  mail?: { url: string; from: string; caFile?: string };
}

/**
 * Who asks. `accountId` null means the operator at the command line, who may act in any account
 * (commands still name one with --account); every other actor is confined to its own account.
 */
export interface Actor {
  name: string;
  accountId: number | null;
  clientIp: string | null;
}

export const OPERATOR: Actor = { name: 'cli', accountId: null, clientIp: null };
