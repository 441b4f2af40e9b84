// An account's directory (LDAP, Active Directory): its settings, a connection test, and the password check
// and just-in-time creation of directory users at sign-in. The bind password is sealed like token secrets.
import { X509Certificate } from 'node:crypto';
import { isIP } from 'node:net';
import { isAttributeName } from '../core/ldap-escape.js';
import { isEmailAddress } from '../core/text.js';
import { USERNAME_KEY_LENGTH, usernameKey, usernameShown } from '../core/username.js';
import { openDirectoryPassword, sealDirectoryPassword } from './sealed-secrets.js';
import { DirectoryUnavailableError, LdapDirectory, type DirectoryFailure, type DirectoryPerson, type DirectorySettings, type PasswordCheck } from '../directory/ldap-directory.js';
import { ServiceConnectionPool } from '../directory/service-connection-pool.js';
import { deleteDirectory, findDirectory, findSharedDirectory, groupsOf, replaceGroups, saveDirectory, setSharedDirectory, updateDirectoryFields } from '../store/directory-store.js';
import type { AccountRow, DirectoryRow, UserRow } from '../store/schema.js';
import { isUniqueViolation } from '../store/database-errors.js';
import { inTransaction } from '../store/transaction.js';
import { findUserByName, insertUser, listUsers } from '../store/user-store.js';
import type { AuditService } from './audit-service.js';
import type { Actor, ServiceContext } from './context.js';
import { ServiceError } from './errors.js';
import type { DirectoryFinding, WayInService } from './way-in-service.js';
import type { DirectoryTestView, DirectoryView } from './directory-view.js';
import { count } from '../core/count.js';

export { DIRECTORY_FAILURES, type DirectoryFailure } from '../directory/ldap-directory.js';

export type { DirectoryView };
export type DirectoryPreset = DirectoryView['preset'];

/** Attribute names and filter each preset starts from; flags given explicitly override them. */
export const DIRECTORY_PRESETS: Record<DirectoryPreset, { kind: DirectoryRow['kind']; userFilter: string; usernameAttribute: string; displayNameAttribute: string; emailAttribute: string; groupAttribute: string }> = {
  openldap: { kind: 'ldap', userFilter: '(objectClass=person)', usernameAttribute: 'uid', displayNameAttribute: 'cn', emailAttribute: 'mail', groupAttribute: 'memberOf' },
  ad: { kind: 'ad', userFilter: '(&(objectCategory=person)(objectClass=user))', usernameAttribute: 'sAMAccountName', displayNameAttribute: 'displayName', emailAttribute: 'mail', groupAttribute: 'memberOf' },
};

/** The settings of a directory that are attribute names, the filter and TLS: a preset gives them defaults. */
type SearchSettings = Pick<DirectorySettings, 'userFilter' | 'usernameAttribute' | 'displayNameAttribute' | 'emailAttribute' | 'groupAttribute' | 'startTls'>;

export interface DirectoryInput extends Pick<DirectorySettings, 'url' | 'bindDn' | 'baseDn'>, Partial<SearchSettings> {
  preset?: DirectoryPreset;
  /** Required when the account has no directory yet; left out, the stored one is kept. */
  bindPassword?: string;
  /** PEM of the CA that signed the directory's certificate; null or absent: the system's CAs. */
  caPem?: string | null;
}

/**
 * A test's answer: what adapters show (DirectoryTestView), and for a failure `detail` (the library's message,
 * naming hosts, ports and certificates), for the operator only: the CLI prints it, the API and the console
 * write it to the server log and never into a response.
 */
export type DirectoryTestResult = Extract<DirectoryTestView, { ok: true }> | (Extract<DirectoryTestView, { ok: false }> & { detail: string });

/** What a tenant administrator reads for each failure. */
const FAILURE_TEXT: Record<DirectoryFailure, string> = {
  unreachable: 'the directory cannot be reached (no connection to the URL)',
  timeout: 'the directory did not answer in time',
  tls_failed: "TLS failed (StartTLS or the directory's certificate)",
  bind_refused: 'the directory refused the service bind (bind DN or password)',
  search_failed: 'the search for users failed (base DN or user filter)',
};

/** What a row holds, by the names the API and the LDAP client give it (the bind password stays sealed). */
function fieldsOf(row: DirectoryRow): Pick<DirectorySettings, 'url' | 'bindDn' | 'baseDn'> & SearchSettings {
  return {
    url: row.url,
    bindDn: row.bind_dn,
    baseDn: row.base_dn,
    userFilter: row.user_filter,
    usernameAttribute: row.username_attribute,
    displayNameAttribute: row.display_name_attribute,
    emailAttribute: row.email_attribute,
    groupAttribute: row.group_attribute,
    startTls: row.start_tls === 1,
  };
}

function toView(row: DirectoryRow): DirectoryView {
  const { url, bindDn, ...rest } = fieldsOf(row);
  return {
    preset: row.kind === 'ad' ? 'ad' : 'openldap',
    url,
    bindDn,
    bindPasswordSet: true,
    ...rest,
    caSubject: row.ca_pem ? new X509Certificate(row.ca_pem).subject.replace(/\n/g, ', ') : null,
    caPem: row.ca_pem,
    shared: Number(row.shared) === 1,
    updatedAt: new Date(Number(row.updated_at)).toISOString(),
  };
}

function isLoopback(host: string): boolean {
  const bare = host.replace(/^\[|\]$/g, '');
  if (bare.toLowerCase() === 'localhost') return true;
  if (isIP(bare) === 4) return bare.startsWith('127.');
  return isIP(bare) === 6 && (bare === '::1' || /^0*:0*:0*:0*:0*:0*:0*:0*1$/.test(bare));
}

/**
 * A person as otpgate stores them: the name in the installation's one form (trimmed, NFKC; its canonical key
 * at most 64 characters, else null: no user can hold it), an e-mail address only when it is one address as
 * the API would take it (a `mail` such as `a@x, b@y` is not stored, nor mailed), text cut to its column.
 */
export function storedPerson(person: DirectoryPerson): DirectoryPerson | null {
  const username = usernameShown(person.username);
  if (username === '' || username.length > USERNAME_KEY_LENGTH || usernameKey(username).length > USERNAME_KEY_LENGTH) return null;
  const email = person.email?.trim() ?? null;
  return {
    ...person,
    username,
    displayName: person.displayName?.slice(0, 200) ?? null,
    email: email !== null && isEmailAddress(email) ? email : null,
    groups: person.groups.map((g) => g.slice(0, 200)),
  };
}

function invalid(field: string, message: string): ServiceError {
  return new ServiceError('invalid_directory', message, { field });
}

/** A DN as configured: not empty, no control characters, a sane length. */
function checkDn(field: string, flag: string, value: string): string {
  const trimmed = value.trim();
  const control = [...trimmed].some((char) => char.charCodeAt(0) < 0x20);
  if (trimmed === '' || trimmed.length > 1000 || control || !trimmed.includes('=')) throw invalid(field, `${flag} "${value}" is not a distinguished name (e.g. dc=example,dc=org)`);
  return trimmed;
}

/** The user filter is the administrator's: it must be one parenthesised filter with balanced parentheses. */
function checkFilter(value: string): string {
  const trimmed = value.trim();
  let depth = 0;
  let balanced = trimmed.startsWith('(') && trimmed.endsWith(')') && trimmed.length <= 1000;
  for (let i = 0; balanced && i < trimmed.length; i++) {
    const char = trimmed[i];
    if (char === '\\') i += 2;
    else if (char === '(') depth++;
    else if (char === ')' && --depth === 0 && i !== trimmed.length - 1) balanced = false;
    if (depth < 0) balanced = false;
  }
  if (!balanced || depth !== 0) throw invalid('userFilter', `--user-filter "${value}" is not one LDAP filter in parentheses (RFC 4515), e.g. (objectClass=person)`);
  return trimmed;
}

function checkUrl(url: string, startTls: boolean): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw invalid('url', `--url "${url}" is not a URL; use ldap://HOST:PORT or ldaps://HOST:PORT`);
  }
  if ((parsed.protocol !== 'ldap:' && parsed.protocol !== 'ldaps:') || parsed.hostname === '' || (parsed.pathname !== '' && parsed.pathname !== '/') || parsed.search || parsed.username) {
    throw invalid('url', `--url "${url}" must be ldap://HOST[:PORT] or ldaps://HOST[:PORT], nothing more`);
  }
  if (parsed.protocol === 'ldaps:' && startTls) throw invalid('startTls', '--start-tls is for ldap:// URLs; ldaps:// is TLS from the start');
  // The bind password and every user's password cross this connection: never in clear over a network.
  if (parsed.protocol === 'ldap:' && !startTls && !isLoopback(parsed.hostname)) {
    throw invalid('url', `--url ${url}: passwords would travel in clear; use ldaps://, or ldap:// with --start-tls (plain ldap:// only to a loopback address)`);
  }
  return `${parsed.protocol}//${parsed.host}`;
}

function checkCa(pem: string): string {
  try {
    new X509Certificate(pem);
  } catch {
    throw invalid('caPem', 'the CA file is not a PEM certificate (-----BEGIN CERTIFICATE-----)');
  }
  return pem.trim();
}

export class DirectoryService {
  /** Service-bound LDAP connections kept between sign-ins (per directory's settings). */
  readonly #pool = new ServiceConnectionPool();

  constructor(
    private readonly ctx: ServiceContext,
    private readonly audit: AuditService,
    private readonly wayIn: WayInService,
  ) {}

  /** Closes the connections kept for sign-ins (the instance's close). */
  close(): Promise<void> {
    return this.#pool.close();
  }

  async show(account: AccountRow): Promise<DirectoryView> {
    return toView(await this.require(account));
  }

  private async require(account: AccountRow): Promise<DirectoryRow> {
    const row = await findDirectory(this.ctx.db, account.id);
    if (!row) throw new ServiceError('directory_not_found', `account "${account.name}" has no directory; set one with \`otpgate directory set\``);
    return row;
  }

  async set(actor: Actor, account: AccountRow, input: DirectoryInput): Promise<DirectoryView> {
    const existing = await findDirectory(this.ctx.db, account.id);
    const preset = DIRECTORY_PRESETS[input.preset ?? 'openldap'];
    if (!preset) throw invalid('preset', `unknown preset "${String(input.preset)}" (openldap or ad)`);
    const startTls = input.startTls ?? false;
    const attributes = {
      username_attribute: input.usernameAttribute ?? preset.usernameAttribute,
      display_name_attribute: input.displayNameAttribute ?? preset.displayNameAttribute,
      email_attribute: input.emailAttribute ?? preset.emailAttribute,
      group_attribute: input.groupAttribute ?? preset.groupAttribute,
    };
    for (const [column, value] of Object.entries(attributes)) {
      // The field as the API and the console name it: username_attribute → usernameAttribute.
      if (!isAttributeName(value)) throw invalid(column.replace(/_([a-z])/g, (_m, c: string) => c.toUpperCase()), `"${value}" is not an LDAP attribute name`);
    }
    const password = input.bindPassword;
    if (password === undefined && !existing) throw invalid('bindPassword', 'the service bind password is required');
    const url = checkUrl(input.url.trim(), startTls);
    const bindDn = checkDn('bindDn', '--bind-dn', input.bindDn);
    // The stored password goes only to the server and the account it was given for: a new URL or bind DN
    // without it would send it to whoever the new address names.
    const moved = existing !== undefined && (existing.url !== url || existing.bind_dn !== bindDn);
    if (moved && password === undefined) throw invalid('bindPassword', 'the service bind password is required again when the URL or the bind DN changes (the stored one is never sent to another server)');
    // An empty password makes a simple bind anonymous (RFC 4513 §5.1.2): never a service bind without one.
    if (password !== undefined && (password === '' || password.length > 1024)) throw invalid('bindPassword', 'the service bind password must be 1-1024 characters');
    const now = this.ctx.now();
    const row = {
      account_id: account.id,
      kind: preset.kind,
      url,
      bind_dn: bindDn,
      bind_password_sealed: password !== undefined ? sealDirectoryPassword(this.ctx.masterKey, account.id, Buffer.from(password, 'utf8')) : existing!.bind_password_sealed,
      base_dn: checkDn('baseDn', '--base-dn', input.baseDn),
      user_filter: checkFilter(input.userFilter ?? preset.userFilter),
      ...attributes,
      start_tls: startTls ? 1 : 0,
      ca_pem: input.caPem ? checkCa(input.caPem) : null,
      created_at: existing ? Number(existing.created_at) : now,
      updated_at: now,
      // A shared directory that moves to another server or account is no longer the one the operator chose.
      shared: existing && !moved ? Number(existing.shared) : 0,
    };
    // SPEC, "Administrators keep a way in": a directory administrator's password is the directory's, so new
    // settings that no longer find them (or cannot be used at all) take their way in, like a removal.
    const directoryChanged = await this.findingsUnder(account, existing, row, password !== undefined);
    await this.wayIn.guardAdminWayIn(account, directoryChanged ? { directoryChanged } : {}, (trx) => saveDirectory(trx, row));
    const unshared = moved && Number(existing.shared) === 1 ? ', no longer shared' : '';
    await this.audit.record(actor, { action: 'directory.set', outcome: 'success', accountId: account.id, reason: `${row.url}, base ${row.base_dn}${password !== undefined ? ', bind password changed' : ''}${unshared}`.slice(0, 200) });
    return this.show(account);
  }

  /**
   * How the account's directory administrators fare under the new settings `row`: each one looked up with
   * them (the service bind, the base DN, the filter and the username attribute a sign-in would use), or
   * 'unusable' when the new settings cannot be used. Undefined when the change cannot alter who is found
   * or with which groups (only the display name or e-mail attribute changed), or there is no directory
   * administrator to find. The look-up happens before the guard's transaction: no row stays locked while
   * the directory answers.
   */
  private async findingsUnder(account: AccountRow, existing: DirectoryRow | undefined, row: Omit<DirectoryRow, 'id'>, passwordGiven: boolean): Promise<{ found: Map<string, DirectoryFinding | null> | 'unusable' } | undefined> {
    const finding = ['kind', 'url', 'bind_dn', 'base_dn', 'user_filter', 'username_attribute', 'group_attribute', 'start_tls', 'ca_pem'] as const;
    if (existing && !passwordGiven && finding.every((column) => existing[column] === row[column])) return undefined;
    const admins = (await listUsers(this.ctx.db, { accountId: account.id, role: 'admin', limit: 10_000 })).filter((u) => u.source === 'directory' && u.disabled_at === null);
    if (admins.length === 0) return undefined;
    try {
      const people = await new LdapDirectory(this.settingsOf({ ...row, id: existing?.id ?? 0 })).findPeople(admins.map((u) => u.username));
      const found = new Map<string, DirectoryFinding | null>();
      for (const admin of admins) {
        const person = people.get(admin.username);
        found.set(admin.username_key, person ? { groups: person.groups, disabled: person.disabled } : null);
      }
      return { found };
    } catch (error) {
      if (!(error instanceof DirectoryUnavailableError)) throw error;
      return { found: 'unusable' };
    }
  }

  /**
   * Shares the account's directory with sign-ins that name no account (the console, `otpgate check`), in
   * place of any other, or ends the sharing (`share` false). The operator's alone: the CLI calls it, no API
   * route or console page does, since a tenant administrator who could share their directory would receive
   * the passwords of every other tenant's users who mistype their name.
   */
  async share(actor: Actor, account: AccountRow, share: boolean): Promise<DirectoryView> {
    if (actor.accountId !== null) throw new ServiceError('insufficient_scope', 'only the operator (otpgate directory share) shares a directory');
    const row = await this.require(account);
    await inTransaction(this.ctx.db, async (trx) => {
      if (share) await setSharedDirectory(trx, account.id);
      else if (Number(row.shared) === 1) await setSharedDirectory(trx, null);
    });
    await this.audit.record(actor, { action: 'directory.set', outcome: 'success', accountId: account.id, reason: share ? `${row.url} shared with sign-ins that name no account` : `${row.url} no longer shared` });
    return this.show(account);
  }

  async remove(actor: Actor, account: AccountRow): Promise<void> {
    // A directory administrator's password is the directory's: without it they have no way in.
    const removed = await this.wayIn.guardAdminWayIn(account, { directoryRemoved: true }, (trx) => deleteDirectory(trx, account.id));
    if (!removed) throw new ServiceError('directory_not_found', `account "${account.name}" has no directory`);
    // Directory users stay (with their tokens); without a directory they cannot sign in until one is set again.
    await this.audit.record(actor, { action: 'directory.remove', outcome: 'success', accountId: account.id });
  }

  /** The LDAP connection settings of a directory row, the bind password opened. */
  settingsOf(row: DirectoryRow): DirectorySettings {
    const { url, bindDn, ...rest } = fieldsOf(row);
    return {
      kind: row.kind,
      url,
      bindDn,
      bindPassword: openDirectoryPassword(this.ctx.masterKey, Number(row.account_id), row.bind_password_sealed).toString('utf8'),
      ...rest,
      caPem: row.ca_pem,
    };
  }

  async connection(account: AccountRow): Promise<LdapDirectory> {
    return new LdapDirectory(this.settingsOf(await this.require(account)));
  }

  /** Binds with the service account, counts the people the filter finds and names one. */
  async test(actor: Actor, account: AccountRow): Promise<DirectoryTestResult> {
    const directory = await this.connection(account);
    let result: DirectoryTestResult;
    try {
      const people = await directory.listPeople();
      result = { ok: true, usersFound: people.length, example: people[0]?.username ?? null };
    } catch (error) {
      if (!(error instanceof DirectoryUnavailableError)) throw error;
      result = { ok: false, reason: error.reason, error: FAILURE_TEXT[error.reason], detail: error.message };
    }
    await this.audit.record(actor, { action: 'directory.test', outcome: result.ok ? 'success' : 'failure', accountId: account.id, reason: result.ok ? count(result.usersFound, 'user') : result.reason });
    return result;
  }

  /**
   * The password check of a sign-in, when a directory decides it: for a directory user, or for a name no user
   * has yet (a match there is created just in time) in the caller's account's directory, or, for a caller
   * without an account (the console, `otpgate check`), in the one directory the operator shared. No other
   * directory ever sees the password: trying every account's would hand it to any tenant who points theirs
   * at a server they run. Returns null when no directory is concerned (a local user, or none to ask). A
   * directory that cannot be reached throws service_unavailable: the sign-in fails closed, nothing is decided.
   */
  async checkSignInPassword(actor: Actor, accountId: number | null, username: string, user: UserRow | undefined, password: string): Promise<{ check: PasswordCheck; user: UserRow | undefined } | null> {
    if (user && user.source !== 'directory') return null;
    const row = user ? await findDirectory(this.ctx.db, user.account_id) : accountId !== null ? await findDirectory(this.ctx.db, accountId) : await findSharedDirectory(this.ctx.db);
    if (!row) return user ? { check: { kind: 'wrong', person: null }, user } : null;
    const ldap = new LdapDirectory(this.settingsOf(row), undefined, this.#pool);
    let check: PasswordCheck;
    try {
      // The name in its stored form; the directory answers only for an entry of the same canonical name.
      check = await ldap.checkPassword(user?.username ?? usernameShown(username), password);
    } catch (error) {
      if (!(error instanceof DirectoryUnavailableError)) throw error;
      throw new ServiceError('service_unavailable', `${error.message}; nothing was decided, retry later`, { directory: row.url });
    }
    if (check.kind !== 'ok') return { check, user };
    const signedIn = user ? await this.refresh(actor, user, check.person) : await this.provision(actor, Number(row.account_id), check.person);
    return { check, user: signedIn };
  }

  /**
   * Just-in-time creation: the first successful bind of a person otpgate does not know yet. Returns the user
   * of that name (created now, or by a concurrent first sign-in), or undefined when the name is another
   * account's or a local user's. Whoever calls it reads the user's whole sign-in subject again (token,
   * temporary code, back-off): the user may exist already, with a token.
   */
  private async provision(actor: Actor, accountId: number, found: DirectoryPerson): Promise<UserRow | undefined> {
    const person = storedPerson(found);
    if (!person) return undefined;
    const row = {
      account_id: accountId,
      username: person.username,
      username_key: usernameKey(person.username),
      display_name: (person.displayName ?? person.username).slice(0, 200),
      role: 'user' as const,
      // No local password: the directory checks it. An empty hash never verifies.
      password_hash: '',
      restriction: null,
      created_at: this.ctx.now(),
      source: 'directory' as const,
      dn: person.dn.slice(0, 1000),
      email: person.email,
      disabled_at: null,
      disabled_reason: null,
    };
    let created = true;
    try {
      await inTransaction(this.ctx.db, async (trx) => {
        const id = await insertUser(trx, row);
        await replaceGroups(trx, id, person.groups);
      });
    } catch (error) {
      // The name is taken: by a concurrent first sign-in, a local user, or another account's user.
      if (!isUniqueViolation(error)) throw error;
      created = false;
    }
    const user = await findUserByName(this.ctx.db, person.username);
    if (!user || user.source !== 'directory' || Number(user.account_id) !== accountId) return undefined;
    if (created) await this.audit.record(actor, { action: 'user.create', outcome: 'success', accountId, targetUser: user.username, reason: `just in time from the directory (groups: ${person.groups.join(', ') || 'none'})` });
    return user;
  }

  /** A known directory user signed in: what the directory says of them now replaces what was stored. */
  private async refresh(actor: Actor, user: UserRow, found: DirectoryPerson): Promise<UserRow> {
    const person = storedPerson(found) ?? { ...found, displayName: null, email: null, groups: [] };
    const groups = person.groups;
    const changes = {
      display_name: (person.displayName ?? user.display_name).slice(0, 200),
      email: person.email,
      dn: person.dn.slice(0, 1000),
    };
    const stored = await groupsOf(this.ctx.db, user.id);
    const groupsChanged = stored.join('\n') !== groups.join('\n');
    const fieldsChanged = changes.display_name !== user.display_name || changes.email !== user.email || changes.dn !== user.dn;
    if (!groupsChanged && !fieldsChanged) return user;
    await inTransaction(this.ctx.db, async (trx) => {
      await updateDirectoryFields(trx, user.id, changes);
      if (groupsChanged) await replaceGroups(trx, user.id, groups);
    });
    await this.audit.record(actor, { action: 'user.directory_update', outcome: 'success', accountId: user.account_id, targetUser: user.username, reason: groupsChanged ? `groups: ${groups.join(', ') || 'none'}` : 'display name or e-mail' });
    return { ...user, ...changes };
  }
}
