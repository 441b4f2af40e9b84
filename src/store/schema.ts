// The database's tables as Kysely sees them. Times are epoch milliseconds; booleans are 0/1 integers, so
// the same queries run on SQLite and PostgreSQL.
import type { Generated, Insertable, Selectable } from 'kysely';
import type { ChainedFields } from '../core/audit-chain.js';
import type { HashAlgorithm } from '../core/hotp.js';
import type { RetireReason, TokenStatus } from '../core/token-status.js';
import type { Role, TokenType } from '../core/values.js';

export interface AccountsTable {
  id: Generated<number>;
  name: string;
  look_ahead_window: number;
  associate_window: number;
  sync_window: number;
  max_failures: number;
  self_association: number;
  /**
   * 1: administrators need a passcode at every console sign-in, whatever their restriction allows. Left to
   * its column default (0) at insert, so that an installation still at an older schema can create accounts.
   */
  admins_require_otp: Generated<number>;
  /** How many tokens one user may hold (1-5, default 3; migration 0011). Left to its column default at insert. */
  max_tokens_per_user: Generated<number>;
  /** TOTP: steps accepted either side of a token's drifted step (0-10, default 1; migration 0013). Column default at insert. */
  totp_window: Generated<number>;
  /** TOTP: steps a re-sync searches either side of the server's step (default 2,880; migration 0013). Column default at insert. */
  totp_sync_steps: Generated<number>;
  /** 1: users may add an authenticator app on /account (default; migration 0014). Column default at insert. */
  app_enrolment: Generated<number>;
  /** The issuer an authenticator app shows (no colon); null: the account's name (migration 0014). */
  totp_issuer: Generated<string | null>;
  help_contact: Generated<string | null>;
  /** JSON `{"rules": [...], "default": "..."}`: the account-wide restriction, or null for none. */
  restriction: string | null;
  created_at: number;
}

export interface UsersTable {
  id: Generated<number>;
  account_id: number;
  /** As created (trimmed, NFKC: core/username.ts); uniqueness and look-ups use username_key, its canonical key. */
  username: string;
  username_key: string;
  display_name: string;
  role: Role;
  password_hash: string;
  /** JSON restriction for this user, or null to use the account's. */
  restriction: string | null;
  created_at: number;
  /** `local`: password_hash is theirs; `directory`: the account's directory checks the password (hash empty). */
  source: Generated<'local' | 'directory'>;
  /** A directory user's distinguished name, as the directory last gave it. */
  dn: string | null;
  email: string | null;
  /** Set while the user is disabled: every sign-in is refused (reason `user_disabled`). */
  disabled_at: number | null;
  disabled_reason: string | null;
  /**
   * Wrong passcodes in a row, counted once per attempt whatever the number of tokens the user holds; at the
   * account's maxFailures every usable token of the user is locked. A success, an unlock or a re-sync clears it.
   */
  otp_fail_count: Generated<number>;
}

/** An account's LDAP or Active Directory server. */
export interface DirectoriesTable {
  id: Generated<number>;
  account_id: number;
  /** `ldap` (OpenLDAP, FreeIPA, …) or `ad` (Active Directory: disabled accounts by userAccountControl). */
  kind: 'ldap' | 'ad';
  url: string;
  bind_dn: string;
  /** AES-256-GCM sealed service password, the account bound in as associated data. */
  bind_password_sealed: Uint8Array;
  base_dn: string;
  user_filter: string;
  username_attribute: string;
  display_name_attribute: string;
  email_attribute: string;
  group_attribute: string;
  start_tls: number;
  ca_pem: string | null;
  created_at: number;
  updated_at: number;
  /**
   * 1 for the one directory the operator shares with sign-ins that name no account (the console, `otpgate
   * check`): a name no user has yet is looked up there, and nowhere else. Set only by the CLI.
   */
  shared: Generated<number>;
}

/** The group names a directory gives a user. */
export interface UserGroupsTable {
  user_id: number;
  group_name: string;
}

/** An IP restriction for the users of one directory group (their own restriction still comes first). */
export interface GroupRestrictionsTable {
  id: Generated<number>;
  account_id: number;
  /** As the administrator gave it; matched against users' groups in lower case (group_key). */
  group_name: string;
  group_key: string;
  /** JSON `{"rules": [...], "default": "..."}`. */
  restriction: string;
  created_at: number;
  updated_at: number;
}

/** A webhook: where an account's notifications are POSTed, signed with its sealed secret. */
export interface WebhooksTable {
  id: Generated<number>;
  account_id: number;
  name: string;
  url: string;
  /** '*' or the types between commas (core/notifications.ts storedEventFilter). */
  events: string;
  secret_sealed: Uint8Array;
  created_at: number;
}

/** A notification, written in the transaction of the audit event it tells of. */
export interface NotificationsTable {
  id: Generated<number>;
  account_id: number;
  audit_event_id: number;
  type: string;
  at: number;
  account_name: string;
  username: string | null;
  serial: string | null;
  actor: string;
  client_ip: string | null;
}

export type DeliveryStatus = 'pending' | 'delivered' | 'failed';

/** One notification to one webhook. */
export interface WebhookDeliveriesTable {
  id: Generated<number>;
  notification_id: number;
  webhook_id: number;
  status: DeliveryStatus;
  attempts: number;
  next_attempt_at: number;
  claimed_until: number | null;
  last_status: number | null;
  last_error: string | null;
  created_at: number;
  delivered_at: number | null;
}

/** One notification mailed to one recipient. */
export interface EmailDeliveriesTable {
  id: Generated<number>;
  notification_id: number;
  recipient: string;
  status: DeliveryStatus;
  attempts: number;
  next_attempt_at: number;
  claimed_until: number | null;
  last_error: string | null;
  created_at: number;
  delivered_at: number | null;
}

/** A named lease: the instance that holds it until expires_at does the work it names. */
export interface LeasesTable {
  name: string;
  holder: string;
  expires_at: number;
}

export interface TokensTable {
  id: Generated<number>;
  account_id: number;
  serial: string;
  type: TokenType;
  algorithm: HashAlgorithm;
  digits: number;
  /** HOTP: the next expected counter. TOTP: the last accepted time step + 1. Moves only by compare-and-set. */
  counter: number;
  period_in_seconds: number | null;
  time_offset_in_seconds: number;
  /**
   * TOTP: how many steps the token's clock runs ahead of the server's (negative: behind), recorded by a re-sync
   * and an association; sign-in accepts the steps around the server's step plus this. 0 for HOTP (migration 0013).
   */
  drift_steps: Generated<number>;
  /** AES-256-GCM sealed secret, its owner bound in as associated data (see seal_version). */
  secret_sealed: Uint8Array;
  /**
   * What secret_sealed's associated data names: 1, the serial alone (rows from before migration 0003, re-sealed
   * when an instance opens); 2, the account and the serial (services/sealed-secrets.ts).
   */
  seal_version: number;
  status: TokenStatus;
  user_id: number | null;
  fail_count: number;
  locked_at: number | null;
  last_used_at: number | null;
  associated_at: number | null;
  manufacturer: string | null;
  model: string | null;
  issuer: string | null;
  friendly_name: string | null;
  created_at: number;
  /** Validity dates (the seed file's, or set by an administrator): outside them the token is treated as disabled. */
  valid_from: number | null;
  valid_until: number | null;
  retired_at: number | null;
  /** lost | broken | returned | other (core/token-status.ts RETIRE_REASONS). */
  retired_reason: RetireReason | null;
  /** The holder's name for it ("desk", "spare"), unique per user; null for none. */
  label: string | null;
  /** When its user reported it lost (migration 0012); cleared when it is enabled again or leaves the user. */
  lost_reported_at: number | null;
}

/**
 * A user's pending authenticator-app enrolment (at most one): the secret sealed with the user as associated
 * data, bound to the session that started it (`binding`: the session's id hash, or `cli`), until `expires_at`.
 * Never a token: it counts nowhere until activated.
 */
export interface AppEnrolmentsTable {
  user_id: number;
  account_id: number;
  binding: string;
  secret_sealed: Uint8Array;
  expires_at: number;
  created_at: number;
}

/**
 * A console import's result (migration 0016): the report (JSON), and for a dry run its upload sealed for
 * "Import now", under the SHA-256 of the id in the result page's URL, bound to the uploading session's id
 * hash, until `expires_at`.
 */
export interface ImportResultsTable {
  id_hash: string;
  account_id: number;
  binding: string;
  report: string;
  upload_sealed: Uint8Array | null;
  expires_at: number;
  created_at: number;
}

/** A user's temporary code (at most one): only its keyed hash, the uses left and when it ends. */
export interface TempCodesTable {
  user_id: number;
  account_id: number;
  code_hash: string;
  uses_left: number;
  expires_at: number;
  created_at: number;
}

/** An audit event's row: the fields its chain value covers (core/audit-chain.ts), its id and its chain value. */
export interface AuditEventsTable extends ChainedFields {
  id: Generated<number>;
  /** HMAC over the previous event's chain value and this event's fields (audit verify walks it). */
  chain: string;
  /** The chain the event belongs to (audit_chains.id); its chain value follows the previous event of that chain. */
  chain_id: number | null;
}

/** One chain's head: where it starts (its anchor), how many events follow, its last value, and their MAC. */
export interface AuditChainsTable {
  id: Generated<number>;
  name: string;
  account_id: number | null;
  anchor_id: number;
  anchor_chain: string;
  events: number;
  head: string;
  mac: string | null;
}

export interface ThrottlesTable {
  key: string;
  consecutive_failures: number;
  blocked_until: number;
  updated_at: number;
}

export interface ApiKeysTable {
  id: Generated<number>;
  account_id: number;
  name: string;
  /** SHA-256 of the key: keys are 256-bit random values, so a fast hash is enough. */
  key_hash: string;
  /** Comma-separated: admin, check, otp-only. */
  scopes: string;
  allow_client_ip: number;
  created_at: number;
  last_used_at: number | null;
}

export interface SessionsTable {
  /** SHA-256 of the cookie value: a database leak does not hand out live sessions. */
  id_hash: string;
  account_id: number;
  user_id: number;
  /** password: password checked, passcode or association still due; full: signed in. */
  stage: 'password' | 'full';
  csrf_token: string;
  created_at: number;
  last_seen_at: number;
  /** When the passcode (or association) step was passed; null when a password alone signed the user in. */
  otp_at: number | null;
}

/** One oidc-provider model instance (code, token, session, grant, interaction, ...): its JSON payload. */
export interface OidcModelsTable {
  model: string;
  id: string;
  payload: string;
  grant_id: string | null;
  uid: string | null;
  /** The otpgate user it is about (the provider's accountId), for ending everything of a user. */
  user_id: number | null;
  expires_at: number | null;
  /** Set once, by the one conditional write that redeems a code or a refresh token. */
  consumed_at: number | null;
}

export interface OidcClientsTable {
  id: Generated<number>;
  account_id: number;
  client_id: string;
  name: string;
  public: number;
  secret_sealed: Uint8Array | null;
  /** JSON arrays of strings. */
  redirect_uris: string;
  post_logout_redirect_uris: string;
  allowed_groups: string;
  created_at: number;
}

export interface OidcKeysTable {
  kid: string;
  private_sealed: Uint8Array;
  status: 'next' | 'current' | 'retired';
  created_at: number;
  retire_at: number | null;
}

export interface RadiusClientsTable {
  id: Generated<number>;
  account_id: number;
  name: string;
  cidr: string;
  secret_sealed: Uint8Array;
  challenge: number;
  require_message_authenticator: number;
  trust_calling_station_id: number;
  created_at: number;
  /** 1: the device checked the password itself; User-Password is the passcode alone. */
  otp_only: Generated<number>;
}

export interface RadiusChallengesTable {
  state_hash: string;
  client_id: number;
  username_key: string;
  expires_at: number;
}

export interface MetaTable {
  key: string;
  value: string;
}

export interface Database {
  accounts: AccountsTable;
  users: UsersTable;
  tokens: TokensTable;
  audit_events: AuditEventsTable;
  audit_chains: AuditChainsTable;
  throttles: ThrottlesTable;
  api_keys: ApiKeysTable;
  sessions: SessionsTable;
  oidc_models: OidcModelsTable;
  oidc_clients: OidcClientsTable;
  oidc_keys: OidcKeysTable;
  radius_clients: RadiusClientsTable;
  radius_challenges: RadiusChallengesTable;
  meta: MetaTable;
  directories: DirectoriesTable;
  user_groups: UserGroupsTable;
  leases: LeasesTable;
  group_restrictions: GroupRestrictionsTable;
  webhooks: WebhooksTable;
  notifications: NotificationsTable;
  webhook_deliveries: WebhookDeliveriesTable;
  email_deliveries: EmailDeliveriesTable;
  temp_codes: TempCodesTable;
  app_enrolments: AppEnrolmentsTable;
  import_results: ImportResultsTable;
}

export type AccountRow = Selectable<AccountsTable>;
export type UserRow = Selectable<UsersTable>;
export type NewUser = Insertable<UsersTable>;
export type TokenRow = Selectable<TokensTable>;
export type NewToken = Insertable<TokensTable>;
export type AuditEventRow = Selectable<AuditEventsTable>;
export type ApiKeyRow = Selectable<ApiKeysTable>;
export type SessionRow = Selectable<SessionsTable>;
export type RadiusClientRow = Selectable<RadiusClientsTable>;
export type DirectoryRow = Selectable<DirectoriesTable>;
export type GroupRestrictionRow = Selectable<GroupRestrictionsTable>;
export type WebhookRow = Selectable<WebhooksTable>;
export type TempCodeRow = Selectable<TempCodesTable>;
export type AppEnrolmentRow = Selectable<AppEnrolmentsTable>;
export type ImportResultRow = Selectable<ImportResultsTable>;
export type OidcModelRow = Selectable<OidcModelsTable>;
export type OidcClientRow = Selectable<OidcClientsTable>;
export type OidcKeyRow = Selectable<OidcKeysTable>;
