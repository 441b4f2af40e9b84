// The OpenID Provider's operations (SPEC, "OpenID Connect provider"): clients per account, the signing
// keys (sealed, shared by every instance, rotated with overlap), the provider's stored models (with the one
// conditional write that redeems a code or a refresh token), who may sign in to which client, and ending
// everything the provider holds for a user.
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import {
  consumeOidcModel,
  deleteExpiredOidcModels,
  deleteOidcClient,
  deleteOidcGrant,
  deleteOidcModel,
  deleteRetiredOidcKeys,
  findOidcClientByClientId,
  findOidcClientByName,
  findOidcModel,
  findOidcModelByUid,
  insertOidcClient,
  insertOidcKey,
  listOidcClients,
  listOidcKeys,
  setOidcKeyStatus,
  updateOidcClient,
  upsertOidcModel,
} from '../store/oidc-store.js';
import { isUniqueViolation } from '../store/database-errors.js';
import { groupsOf } from '../store/directory-store.js';
import { findUserById } from '../store/user-store.js';
import type { AccountRow, OidcClientRow, UserRow } from '../store/schema.js';
import { inTransaction } from '../store/transaction.js';
import type { AuditService } from './audit-service.js';
import type { Actor, ServiceContext } from './context.js';
import { ServiceError } from './errors.js';
import type { Metrics } from './metrics.js';
import { openOidcClientSecret, openOidcKey, sealOidcClientSecret, sealOidcKey } from './sealed-secrets.js';
import { isoTime, type OidcClientView } from './views.js';

/** The acr a passcode (or an association) proves; a password alone gets none. */
export const ACR_OTP = 'urn:otpgate:acr:otp';
/** How long a retired signing key stays published: longer than any ID token or access token it signed lives. */
export const KEY_OVERLAP_MS = 24 * 60 * 60 * 1000;

/** Whether an authorization request asks for the passcode step whatever the IP rules say (SPEC: acr_values, max_age, prompt=login). */
export function asksForPasscode(params: Record<string, unknown>, promptReasons: string[]): boolean {
  const acr = typeof params.acr_values === 'string' ? params.acr_values.split(' ') : [];
  return acr.includes(ACR_OTP) || params.max_age !== undefined || promptReasons.includes('login_prompt');
}

/** Whether it asks for a sign-in made now, not an earlier one (prompt=login, max_age). */
export function asksForFreshSignIn(params: Record<string, unknown>, promptReasons: string[]): boolean {
  return params.max_age !== undefined || promptReasons.includes('login_prompt');
}

/** What the sign-in pages apply when they sign a user in for an OIDC client: its account only, and maybe the passcode. */
export interface OidcSignInTerms {
  accountId: number;
  requireOtp: boolean;
  /** The interaction's uid (its Cancel posts to /oidc/interaction/UID/abort). */
  interaction: string;
  clientId: string;
  /** The origins of the client's registered redirect URIs: where the sign-in's last redirect may lead. */
  redirectOrigins: string[];
}

const INTERACTION_PATH = /^\/oidc\/interaction\/([A-Za-z0-9_-]{1,64})$/;

const NAME = /^[A-Za-z0-9._-]{1,64}$/;
const MAX_URIS = 20;
const MAX_GROUPS = 50;
/** As for a group's restriction (restriction-service.ts): the name the directory gives. */
const MAX_GROUP_LENGTH = 200;

export interface OidcClientInput {
  name: string;
  redirectUris: string[];
  postLogoutRedirectUris?: string[];
  allowedGroups?: string[];
  public?: boolean;
}

export type { OidcClientView };

/** What an update may change (SPEC: redirect URIs, matched exactly, and allowed groups); a field left out stays. */
export interface OidcClientChanges {
  redirectUris?: string[];
  postLogoutRedirectUris?: string[];
  allowedGroups?: string[];
}

/** A client as added: a confidential client's secret, shown this once. */
export interface OidcClientAdded extends OidcClientView {
  clientSecret: string | null;
}

/** A client as oidc-provider reads it (its metadata; the secret in clear, never shown or logged). */
export interface OidcClientMetadata {
  client_id: string;
  client_secret?: string;
  token_endpoint_auth_method: 'client_secret_basic' | 'client_secret_post' | 'none';
  redirect_uris: string[];
  post_logout_redirect_uris: string[];
  grant_types: string[];
  response_types: string[];
  id_token_signed_response_alg: 'RS256';
}

export interface OidcSigningKey {
  kid: string;
  status: 'next' | 'current' | 'retired';
  createdAt: string;
  retireAt: string | null;
}

/** What the provider needs about a user: their claims, or nothing when they may not sign in (anymore). */
export interface OidcAccountClaims {
  sub: string;
  preferred_username: string;
  name: string;
  email?: string;
  email_verified?: boolean;
  groups: string[];
}

function parseList(text: string): string[] {
  return JSON.parse(text) as string[];
}

function toView(row: OidcClientRow): OidcClientView {
  return {
    name: row.name,
    clientId: row.client_id,
    public: row.public === 1,
    redirectUris: parseList(row.redirect_uris),
    postLogoutRedirectUris: parseList(row.post_logout_redirect_uris),
    allowedGroups: parseList(row.allowed_groups),
    createdAt: isoTime(row.created_at),
  };
}

/** A redirect URI is matched exactly, so it must be absolute, without a fragment; http only for loopback. */
function checkRedirectUris(uris: string[], field: string): string[] {
  if (uris.length > MAX_URIS) throw new ServiceError('invalid_request', `at most ${MAX_URIS} URIs in ${field}`, { field });
  for (const uri of uris) {
    let url: URL;
    try {
      url = new URL(uri);
    } catch {
      throw new ServiceError('invalid_request', `${field}: "${uri}" is not an absolute URI`, { field });
    }
    if (url.hash !== '' || uri.includes('#')) throw new ServiceError('invalid_request', `${field}: "${uri}" has a fragment`, { field });
    const loopback = url.hostname === '127.0.0.1' || url.hostname === '[::1]' || url.hostname === 'localhost';
    if (url.protocol !== 'https:' && !(url.protocol === 'http:' && loopback)) {
      throw new ServiceError('invalid_request', `${field}: "${uri}" must be https (http only on a loopback address)`, { field });
    }
  }
  return [...new Set(uris)];
}

/** Allowed groups: trimmed, blanks dropped, each once (groups are compared without case at sign-in). */
function checkGroups(groups: string[]): string[] {
  const seen = new Map<string, string>();
  for (const group of groups.map((g) => g.trim()).filter(Boolean)) {
    if (group.length > MAX_GROUP_LENGTH || [...group].some((c) => c.charCodeAt(0) < 0x20 || c.charCodeAt(0) === 0x7f)) throw new ServiceError('invalid_request', `allowedGroups: a group name is at most ${MAX_GROUP_LENGTH} characters, with no control characters`, { field: 'allowedGroups' });
    if (!seen.has(group.toLowerCase())) seen.set(group.toLowerCase(), group);
  }
  if (seen.size > MAX_GROUPS) throw new ServiceError('invalid_request', `at most ${MAX_GROUPS} groups in allowedGroups`, { field: 'allowedGroups' });
  return [...seen.values()];
}

/** The redirect URIs a client must have: at least one, each absolute and matched exactly. */
function checkClientRedirects(uris: string[]): string[] {
  if (uris.length === 0) throw new ServiceError('invalid_request', 'a client needs at least one redirect URI', { field: 'redirectUris' });
  return checkRedirectUris(uris, 'redirectUris');
}

function clientNotFound(account: AccountRow, name: string): ServiceError {
  return new ServiceError('oidc_client_not_found', `no OpenID client "${name}" in account "${account.name}"`);
}

export class OidcService {
  constructor(
    private readonly ctx: ServiceContext,
    private readonly audit: AuditService,
    private readonly metrics: Metrics,
  ) {}

  // --- Clients --------------------------------------------------------------------------------------------

  async addClient(actor: Actor, account: AccountRow, input: OidcClientInput): Promise<OidcClientAdded> {
    if (!NAME.test(input.name)) throw new ServiceError('invalid_request', `client name "${input.name}" must be 1-64 of letters, digits and . _ -`, { field: 'name' });
    const redirectUris = checkClientRedirects(input.redirectUris);
    const postLogout = checkRedirectUris(input.postLogoutRedirectUris ?? [], 'postLogoutRedirectUris');
    const groups = checkGroups(input.allowedGroups ?? []);
    const clientId = `${input.name}-${randomBytes(9).toString('base64url')}`;
    const secret = input.public ? null : randomBytes(32).toString('base64url');
    const row = {
      account_id: account.id,
      client_id: clientId,
      name: input.name,
      public: input.public ? 1 : 0,
      secret_sealed: secret === null ? null : sealOidcClientSecret(this.ctx.masterKey, clientId, Buffer.from(secret, 'utf8')),
      redirect_uris: JSON.stringify(redirectUris),
      post_logout_redirect_uris: JSON.stringify(postLogout),
      allowed_groups: JSON.stringify(groups),
      created_at: this.ctx.now(),
    };
    if (await findOidcClientByName(this.ctx.db, account.id, input.name)) throw new ServiceError('oidc_client_exists', `a client named "${input.name}" already exists`, { field: 'name' });
    try {
      await insertOidcClient(this.ctx.db, row);
    } catch (error) {
      if (isUniqueViolation(error)) throw new ServiceError('oidc_client_exists', `a client named "${input.name}" already exists`, { field: 'name' });
      throw error;
    }
    await this.audit.record(actor, { action: 'oidc_client.add', outcome: 'success', accountId: account.id, reason: `${input.name}: ${input.public ? 'public' : 'confidential'}, ${redirectUris.join(' ')}` });
    return { ...toView({ id: 0, ...row }), clientSecret: secret };
  }

  async listClients(account: AccountRow): Promise<OidcClientView[]> {
    return (await listOidcClients(this.ctx.db, account.id)).map(toView);
  }

  async showClient(account: AccountRow, name: string): Promise<OidcClientView> {
    const row = await findOidcClientByName(this.ctx.db, account.id, name);
    if (!row) throw clientNotFound(account, name);
    return toView(row);
  }

  /**
   * Changes a client's redirect URIs, post-logout URIs or allowed groups (the name, the id, the kind and the
   * secret stay). The provider reads a client on each use, so the change counts at once on every instance.
   */
  async updateClient(actor: Actor, account: AccountRow, name: string, changes: OidcClientChanges): Promise<OidcClientView> {
    const current = await this.showClient(account, name);
    const next = {
      redirectUris: changes.redirectUris === undefined ? current.redirectUris : checkClientRedirects(changes.redirectUris),
      postLogoutRedirectUris: changes.postLogoutRedirectUris === undefined ? current.postLogoutRedirectUris : checkRedirectUris(changes.postLogoutRedirectUris, 'postLogoutRedirectUris'),
      allowedGroups: changes.allowedGroups === undefined ? current.allowedGroups : checkGroups(changes.allowedGroups),
    };
    const updated = await updateOidcClient(this.ctx.db, account.id, name, {
      redirect_uris: JSON.stringify(next.redirectUris),
      post_logout_redirect_uris: JSON.stringify(next.postLogoutRedirectUris),
      allowed_groups: JSON.stringify(next.allowedGroups),
    });
    if (!updated) throw clientNotFound(account, name);
    await this.audit.record(actor, {
      action: 'oidc_client.update',
      outcome: 'success',
      accountId: account.id,
      reason: `${name}: ${next.redirectUris.join(' ')}; groups ${next.allowedGroups.join(', ') || 'any'}`,
    });
    return { ...current, ...next };
  }

  async removeClient(actor: Actor, account: AccountRow, name: string): Promise<void> {
    const clientId = await deleteOidcClient(this.ctx.db, account.id, name);
    if (clientId === null) throw clientNotFound(account, name);
    await this.audit.record(actor, { action: 'oidc_client.remove', outcome: 'success', accountId: account.id, reason: name });
  }

  /** A client's metadata for the provider, read on each use so that a change counts at once on every instance. */
  async clientMetadata(clientId: string): Promise<OidcClientMetadata | undefined> {
    const row = await findOidcClientByClientId(this.ctx.db, clientId);
    if (!row) return undefined;
    const isPublic = row.public === 1;
    return {
      client_id: row.client_id,
      ...(isPublic || !row.secret_sealed ? {} : { client_secret: openOidcClientSecret(this.ctx.masterKey, row.client_id, row.secret_sealed).toString('utf8') }),
      token_endpoint_auth_method: isPublic ? 'none' : 'client_secret_basic',
      redirect_uris: parseList(row.redirect_uris),
      post_logout_redirect_uris: parseList(row.post_logout_redirect_uris),
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      id_token_signed_response_alg: 'RS256',
    };
  }

  /** The account whose users may sign in to a client, or null for no such client. */
  async accountOfClient(clientId: string): Promise<number | null> {
    const row = await findOidcClientByClientId(this.ctx.db, clientId);
    return row ? Number(row.account_id) : null;
  }

  /**
   * Whether a user may sign in to a client: a live user of the client's account, in one of its allowed
   * groups when it names any. Everyone else is refused as an unknown user is.
   */
  async userMayUse(clientId: string, userId: number): Promise<boolean> {
    const row = await findOidcClientByClientId(this.ctx.db, clientId);
    const user = await findUserById(this.ctx.db, userId);
    if (!row || !user || user.disabled_at !== null || Number(user.account_id) !== Number(row.account_id)) return false;
    const allowed = parseList(row.allowed_groups);
    if (allowed.length === 0) return true;
    const groups = new Set((await groupsOf(this.ctx.db, user.id)).map((g) => g.toLowerCase()));
    return allowed.some((g) => groups.has(g.toLowerCase()));
  }

  /** The claims of a user the provider asks about; undefined for a user deleted or disabled since. */
  async claimsOf(accountId: string): Promise<OidcAccountClaims | undefined> {
    const id = Number(accountId);
    if (!Number.isSafeInteger(id)) return undefined;
    const user: UserRow | undefined = await findUserById(this.ctx.db, id);
    if (!user || user.disabled_at !== null) return undefined;
    return {
      sub: String(user.id),
      preferred_username: user.username,
      name: user.display_name,
      ...(user.email ? { email: user.email, email_verified: user.source === 'directory' } : {}),
      groups: await groupsOf(this.ctx.db, user.id),
    };
  }

  /**
   * The terms of a sign-in whose return path is an OIDC interaction (`/oidc/interaction/UID`): the client's
   * account (users of other accounts are unknown there) and whether the passcode step is due whatever the
   * IP rules say. Null for any other path, or an interaction that is gone.
   */
  async signInTermsFor(returnPath: string | null): Promise<OidcSignInTerms | null> {
    const uid = returnPath === null ? undefined : INTERACTION_PATH.exec(returnPath)?.[1];
    if (uid === undefined) return null;
    const interaction = await this.findModel('Interaction', uid);
    const params = (interaction?.params ?? {}) as Record<string, unknown>;
    const reasons = ((interaction?.prompt as { reasons?: string[] } | undefined)?.reasons ?? []);
    const row = typeof params.client_id === 'string' ? await findOidcClientByClientId(this.ctx.db, params.client_id) : undefined;
    if (!row) return null;
    const redirectOrigins = [...new Set(parseList(row.redirect_uris).map((uri) => new URL(uri).origin))];
    return { accountId: Number(row.account_id), requireOtp: asksForPasscode(params, reasons), interaction: uid, clientId: row.client_id, redirectOrigins };
  }

  /**
   * Ends an interaction with `access_denied` for its client, as the provider's interactionFinished does
   * (the result saved on the interaction, which the provider reads when the browser returns to it).
   * Returns where to send the browser (the authorization request's resumption), or null when it is gone.
   */
  async refuseInteraction(uid: string, description: string): Promise<string | null> {
    const row = await findOidcModel(this.ctx.db, 'Interaction', uid);
    const payload = this.payloadOf(row);
    if (!row || !payload || typeof payload.returnTo !== 'string') return null;
    payload.result = { error: 'access_denied', error_description: description };
    const left = row.expires_at === null ? undefined : Math.max(1, Math.ceil((Number(row.expires_at) - this.ctx.now()) / 1000));
    await this.saveModel('Interaction', uid, payload, left);
    return payload.returnTo;
  }

  /** The provider's cookie keys: derived from the master key, so every instance signs and reads the same. */
  cookieKeys(): string[] {
    return [this.ctx.masterKey.keyFor('oidc-cookies').toString('base64url')];
  }

  // --- Audit and metrics ----------------------------------------------------------------------------------

  async recordSignIn(clientIp: string | null, clientId: string, accountId: number | null, username: string, outcome: 'success' | 'refused', reason: string): Promise<void> {
    this.metrics.oidcCounted(clientId, 'signin', outcome);
    await this.audit.record({ name: `oidc:${clientId}`.slice(0, 200), accountId, clientIp }, { action: 'oidc.signin', outcome, reason, accountId, targetUser: username.slice(0, 64) });
  }

  /**
   * A token request's audit event: the user's account when the grant names a user, else the client's (a
   * refused request — a replayed code, a bad refresh token — is in the log of the account whose client it was).
   */
  async recordToken(clientIp: string | null, clientId: string, accountId: number | null, userId: string | null, outcome: 'success' | 'refused', reason: string): Promise<void> {
    this.metrics.oidcCounted(clientId, 'token', outcome);
    const id = userId === null ? NaN : Number(userId);
    const user = Number.isSafeInteger(id) ? await findUserById(this.ctx.db, id) : undefined;
    const account = user ? Number(user.account_id) : (accountId ?? (await this.accountOfClient(clientId)));
    await this.audit.record({ name: `oidc:${clientId}`.slice(0, 200), accountId: account, clientIp }, {
      action: 'oidc.token',
      outcome,
      reason,
      accountId: account,
      targetUser: user?.username ?? null,
    });
  }

  // --- The provider's models ------------------------------------------------------------------------------

  async findModel(model: string, id: string): Promise<Record<string, unknown> | undefined> {
    return this.payloadOf(await findOidcModel(this.ctx.db, model, id));
  }

  async findModelByUid(model: string, uid: string): Promise<Record<string, unknown> | undefined> {
    return this.payloadOf(await findOidcModelByUid(this.ctx.db, model, uid));
  }

  private payloadOf(row: { payload: string; expires_at: number | null; consumed_at: number | null } | undefined): Record<string, unknown> | undefined {
    if (!row || (row.expires_at !== null && Number(row.expires_at) <= this.ctx.now())) return undefined;
    const payload = JSON.parse(row.payload) as Record<string, unknown>;
    if (row.consumed_at !== null) payload.consumed = Math.floor(Number(row.consumed_at) / 1000);
    return payload;
  }

  async saveModel(model: string, id: string, payload: Record<string, unknown>, expiresInSeconds: number | undefined): Promise<void> {
    const grantId = typeof payload.grantId === 'string' ? payload.grantId : model === 'Grant' ? id : null;
    const accountId = typeof payload.accountId === 'string' ? Number(payload.accountId) : NaN;
    await upsertOidcModel(this.ctx.db, {
      model,
      id,
      payload: JSON.stringify(payload),
      grant_id: grantId,
      uid: typeof payload.uid === 'string' ? payload.uid : null,
      user_id: Number.isSafeInteger(accountId) ? accountId : null,
      expires_at: expiresInSeconds === undefined ? null : this.ctx.now() + expiresInSeconds * 1000,
      consumed_at: null,
    });
  }

  /**
   * Redeems a code or refresh token by one conditional write. False when it was redeemed already (by
   * another request or instance): then everything its grant issued is revoked, the grant itself too, so
   * that the tokens the first redemption got stop working as well.
   */
  async consumeModel(model: string, id: string): Promise<boolean> {
    if (await consumeOidcModel(this.ctx.db, model, id, this.ctx.now())) return true;
    const row = await findOidcModel(this.ctx.db, model, id);
    if (row?.grant_id) await deleteOidcGrant(this.ctx.db, row.grant_id, null);
    return false;
  }

  async destroyModel(model: string, id: string): Promise<void> {
    await deleteOidcModel(this.ctx.db, model, id);
  }

  async revokeGrant(model: string, grantId: string): Promise<void> {
    await deleteOidcGrant(this.ctx.db, grantId, model);
  }

  /** Expired models and retired keys past their overlap. */
  async sweep(): Promise<{ models: number; keys: number }> {
    const now = this.ctx.now();
    return { models: await deleteExpiredOidcModels(this.ctx.db, now), keys: await deleteRetiredOidcKeys(this.ctx.db, now) };
  }

  // --- Signing keys ---------------------------------------------------------------------------------------

  private async newKey(status: 'next' | 'current'): Promise<void> {
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const kid = randomBytes(12).toString('base64url');
    const jwk = { ...privateKey.export({ format: 'jwk' }), kid, alg: 'RS256', use: 'sig' };
    await insertOidcKey(this.ctx.db, { kid, private_sealed: sealOidcKey(this.ctx.masterKey, kid, Buffer.from(JSON.stringify(jwk))), status, created_at: this.ctx.now(), retire_at: null });
  }

  /**
   * The private JWKs the provider signs with and publishes: the current key first (it signs), then the next
   * one (published ahead of use) and the retired ones (still verifying what they signed). Creates the first
   * pair on first use; every instance reads the same rows.
   */
  async signingKeys(): Promise<Record<string, unknown>[]> {
    let rows = await listOidcKeys(this.ctx.db);
    if (!rows.some((row) => row.status === 'current')) {
      // Two instances starting at once may both get here: the other's key is one more published key.
      await this.newKey('current');
      await this.newKey('next');
      rows = await listOidcKeys(this.ctx.db);
    }
    const order = { current: 0, next: 1, retired: 2 } as const;
    const live = rows.filter((row) => row.status !== 'retired' || (row.retire_at !== null && Number(row.retire_at) > this.ctx.now()));
    live.sort((a, b) => order[a.status] - order[b.status] || Number(b.created_at) - Number(a.created_at));
    return live.map((row) => JSON.parse(openOidcKey(this.ctx.masterKey, row.kid, row.private_sealed).toString('utf8')) as Record<string, unknown>);
  }

  async listKeys(): Promise<OidcSigningKey[]> {
    return (await listOidcKeys(this.ctx.db)).map((row) => ({ kid: row.kid, status: row.status, createdAt: isoTime(row.created_at), retireAt: row.retire_at === null ? null : isoTime(row.retire_at) }));
  }

  /**
   * `oidc key rotate`: the key published ahead (next) starts signing, the one that signed is retired but
   * stays published for KEY_OVERLAP_MS, and a new next key is published for the rotation after.
   */
  async rotateKeys(actor: Actor): Promise<{ current: string; retired: string[] }> {
    await this.signingKeys();
    const rows = await listOidcKeys(this.ctx.db);
    const now = this.ctx.now();
    const next = rows.filter((row) => row.status === 'next').sort((a, b) => Number(a.created_at) - Number(b.created_at))[0];
    const current = rows.filter((row) => row.status === 'current');
    await inTransaction(this.ctx.db, async (trx) => {
      for (const row of current) await setOidcKeyStatus(trx, row.kid, 'retired', now + KEY_OVERLAP_MS);
      if (next) await setOidcKeyStatus(trx, next.kid, 'current', null);
    });
    if (!next) await this.newKey('current');
    await this.newKey('next');
    const after = await listOidcKeys(this.ctx.db);
    const signing = after.find((row) => row.status === 'current')!;
    await this.audit.record(actor, { action: 'oidc_key.rotate', outcome: 'success', accountId: null, reason: `signing with ${signing.kid}` });
    return { current: signing.kid, retired: current.map((row) => row.kid) };
  }

  /** A fingerprint of the key set, so that a running provider notices a rotation made elsewhere. */
  async keySetVersion(): Promise<string> {
    return (await listOidcKeys(this.ctx.db)).map((row) => `${row.kid}:${row.status}`).join(',');
  }
}
