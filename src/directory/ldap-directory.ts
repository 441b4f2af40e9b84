// The LDAP side of directory users: a service bind to find people, a bind as a person to check their
// password, and a paged read of everyone for a sync. No rule of otpgate's lives here; every value put
// into a filter is escaped (RFC 4515) and any failure to reach or read the directory is one error type,
// so that callers fail closed.
import { Client, InvalidCredentialsError, SizeLimitExceededError, type Entry } from 'ldapts';
import { createHash } from 'node:crypto';
import { equalityFilter, firstRdnValue } from '../core/ldap-escape.js';
import { sameUsername } from '../core/username.js';
import type { ServiceConnectionPool } from './service-connection-pool.js';

export interface DirectorySettings {
  kind: 'ldap' | 'ad';
  url: string;
  bindDn: string;
  bindPassword: string;
  baseDn: string;
  userFilter: string;
  usernameAttribute: string;
  displayNameAttribute: string;
  emailAttribute: string;
  groupAttribute: string;
  startTls: boolean;
  caPem: string | null;
}

/** A person as the directory describes them. */
export interface DirectoryPerson {
  dn: string;
  username: string;
  displayName: string | null;
  email: string | null;
  /** Group names (each group's first RDN value, e.g. its cn), sorted. */
  groups: string[];
  /** Disabled in the directory (Active Directory: userAccountControl bit 2, ACCOUNTDISABLE). */
  disabled: boolean;
}

export type PasswordCheck = { kind: 'ok'; person: DirectoryPerson } | { kind: 'wrong'; person: DirectoryPerson | null };

/**
 * Why a directory could not be used, in words a tenant administrator may see: which step failed, never the
 * host's or the library's message (a connection refused on one port and a TLS name on another would make
 * `directory test` a scanner of the server's network). The detail goes to the operator's log.
 */
export const DIRECTORY_FAILURES = ['unreachable', 'timeout', 'tls_failed', 'bind_refused', 'search_failed'] as const;
export type DirectoryFailure = (typeof DIRECTORY_FAILURES)[number];

/** The directory could not be reached, refused the service bind, or did not finish a search: decide nothing. */
export class DirectoryUnavailableError extends Error {
  override name = 'DirectoryUnavailableError';

  constructor(
    message: string,
    /** The step that failed, classified. */
    readonly reason: DirectoryFailure = 'search_failed',
  ) {
    super(message);
  }
}

/** Node's codes for TLS and certificate failures (node:tls, OpenSSL's verify errors). */
const TLS_CODE = /^(ERR_TLS_|ERR_SSL_|CERT_|DEPTH_ZERO_SELF_SIGNED_CERT|SELF_SIGNED_CERT_IN_CHAIN|UNABLE_TO_(GET|VERIFY)_|HOSTNAME_MISMATCH)/;
/** Node's codes for a host or port that does not take the connection. */
const UNREACHABLE_CODE = /^(ECONNREFUSED|ECONNRESET|EHOSTUNREACH|ENETUNREACH|ENOTFOUND|EAI_AGAIN|EPIPE|EADDRNOTAVAIL)$/;

/** The class of a failure at `step`, from the error's code or ldapts's messages. */
function classify(step: DirectoryFailure, error: unknown): DirectoryFailure {
  const code = typeof error === 'object' && error !== null && 'code' in error ? String((error).code) : '';
  const message = error instanceof Error ? error.message : '';
  if (code === 'ETIMEDOUT' || /timeout|timed out/i.test(message)) return 'timeout';
  if (TLS_CODE.test(code) || /certificate|ssl|tls/i.test(message)) return 'tls_failed';
  if (UNREACHABLE_CODE.test(code)) return 'unreachable';
  return step;
}

/** Connect and operation timeouts: a sign-in waits at most a few seconds for a directory that does not answer. */
export const DIRECTORY_TIMEOUT_MS = 3000;
const PAGE_SIZE = 200;
/** AD userAccountControl ACCOUNTDISABLE (MS-ADTS 2.2.16). */
const ACCOUNT_DISABLE = 2;

function first(value: Entry[string] | undefined): string | null {
  if (value === undefined) return null;
  const one = Array.isArray(value) ? value[0] : value;
  if (one === undefined) return null;
  const text = Buffer.isBuffer(one) ? one.toString('utf8') : one;
  return text === '' ? null : text;
}

function all(value: Entry[string] | undefined): string[] {
  if (value === undefined) return [];
  const list = Array.isArray(value) ? value : [value];
  return list.map((v) => (Buffer.isBuffer(v) ? v.toString('utf8') : v));
}

/** Compares DNs loosely: case and the spaces after separators do not matter (enough for member lists). */
export function dnKey(dn: string): string {
  return dn.toLowerCase().replace(/\s*([,=+])\s*/g, '$1');
}

/** Entry attributes come back in whatever case the server uses; look them up ignoring case. */
function attribute(entry: Entry, name: string): Entry[string] | undefined {
  const wanted = name.toLowerCase();
  for (const [key, value] of Object.entries(entry)) if (key.toLowerCase() === wanted) return value;
  return undefined;
}

export class LdapDirectory {
  /** The pool's key: the settings, hashed (they hold the bind password). Changed settings, other connections. */
  private readonly poolKey: string;

  constructor(
    private readonly settings: DirectorySettings,
    private readonly timeoutMs = DIRECTORY_TIMEOUT_MS,
    /** Service-bound connections kept between password checks; null: one connection per check. */
    private readonly pool: ServiceConnectionPool | null = null,
  ) {
    this.poolKey = createHash('sha256').update(JSON.stringify(settings)).digest('hex');
  }

  private describe(): string {
    return `the directory ${this.settings.url}`;
  }

  /** A connected client, upgraded to TLS when configured; not yet bound. */
  private async connect(): Promise<Client> {
    const tlsOptions = () => (this.settings.caPem ? { ca: [this.settings.caPem] } : {});
    // ldapts opens TLS from the first byte whenever it is given TLS options, so an ldap:// URL with StartTLS
    // gets them only at the upgrade (and a fresh object: the upgrade writes the socket into it).
    const ldaps = this.settings.url.startsWith('ldaps:');
    const client = new Client({ url: this.settings.url, timeout: this.timeoutMs, connectTimeout: this.timeoutMs, ...(ldaps ? { tlsOptions: tlsOptions() } : {}) });
    try {
      if (this.settings.startTls) await client.startTLS(tlsOptions());
      return client;
    } catch (error) {
      await client.unbind().catch(() => undefined);
      throw this.unavailable('StartTLS failed', error, 'tls_failed');
    }
  }

  private unavailable(what: string, error: unknown, step: DirectoryFailure = 'search_failed'): DirectoryUnavailableError {
    const detail = error instanceof Error ? error.message || error.name : String(error);
    return new DirectoryUnavailableError(`${this.describe()} cannot be used: ${what}: ${detail}`, classify(step, error));
  }

  /** Binds a connection as the service account: never anonymously (an empty password would be, RFC 4513 §5.1.2). */
  private async bindService(client: Client): Promise<void> {
    if (this.settings.bindPassword === '') throw new DirectoryUnavailableError(`${this.describe()} has no service bind password`, 'bind_refused');
    try {
      await client.bind(this.settings.bindDn, this.settings.bindPassword);
    } catch (error) {
      // A connection that never opened fails at its first operation, the bind: classified by its error.
      throw this.unavailable('the service bind was refused', error, 'bind_refused');
    }
  }

  /** Runs `work` on a new connection bound as the service account, then closes it. */
  private async asService<T>(work: (client: Client) => Promise<T>): Promise<T> {
    const client = await this.connect();
    try {
      await this.bindService(client);
      return await work(client);
    } catch (error) {
      if (error instanceof DirectoryUnavailableError) throw error;
      throw this.unavailable('a search failed', error);
    } finally {
      await client.unbind().catch(() => undefined);
    }
  }

  private attributes(): string[] {
    const s = this.settings;
    const names = [s.usernameAttribute, s.displayNameAttribute, s.emailAttribute, s.groupAttribute];
    if (s.kind === 'ad') names.push('userAccountControl');
    return names;
  }

  private userSearchFilter(username: string): string {
    return `(&${this.settings.userFilter}${equalityFilter(this.settings.usernameAttribute, username)})`;
  }

  private toPerson(entry: Entry, groupsByMember: Map<string, string[]> | null): DirectoryPerson | null {
    const s = this.settings;
    const username = first(attribute(entry, s.usernameAttribute));
    if (username === null) return null;
    let groups = all(attribute(entry, s.groupAttribute)).map(firstRdnValue);
    if (groups.length === 0 && groupsByMember) groups = groupsByMember.get(dnKey(entry.dn)) ?? [];
    const control = Number(first(attribute(entry, 'userAccountControl')) ?? '0');
    return {
      dn: entry.dn,
      username,
      displayName: first(attribute(entry, s.displayNameAttribute)),
      email: first(attribute(entry, s.emailAttribute)),
      groups: [...new Set(groups)].sort(),
      disabled: s.kind === 'ad' && Number.isInteger(control) && (control & ACCOUNT_DISABLE) !== 0,
    };
  }

  /**
   * Groups from group entries (groupOfNames `member`, groupOfUniqueNames `uniqueMember`), for directories
   * without memberOf. `memberDn` narrows the search to one person's groups.
   */
  private async groupsByMember(client: Client, memberDn: string | null): Promise<Map<string, string[]>> {
    const kinds = '(|(objectClass=groupOfNames)(objectClass=groupOfUniqueNames))';
    const filter = memberDn === null ? kinds : `(&${kinds}(|${equalityFilter('member', memberDn)}${equalityFilter('uniqueMember', memberDn)}))`;
    const { searchEntries } = await client.search(this.settings.baseDn, { scope: 'sub', filter, attributes: ['cn', 'member', 'uniqueMember'], paged: { pageSize: PAGE_SIZE } });
    const byMember = new Map<string, string[]>();
    for (const group of searchEntries) {
      const name = first(attribute(group, 'cn')) ?? firstRdnValue(group.dn);
      for (const member of [...all(attribute(group, 'member')), ...all(attribute(group, 'uniqueMember'))]) {
        const key = dnKey(member);
        byMember.set(key, [...(byMember.get(key) ?? []), name]);
      }
    }
    return byMember;
  }

  private async findOn(client: Client, username: string): Promise<DirectoryPerson | null> {
    let searchEntries: Entry[];
    try {
      ({ searchEntries } = await client.search(this.settings.baseDn, { scope: 'sub', filter: this.userSearchFilter(username), attributes: this.attributes(), sizeLimit: 2 }));
    } catch (error) {
      if (error instanceof SizeLimitExceededError) return null;
      throw error;
    }
    // Two entries for one username is a directory fault; refusing both is safer than picking one.
    if (searchEntries.length !== 1) return null;
    const entry = searchEntries[0]!;
    const person = this.toPerson(entry, null);
    // LDAP's matching (RFC 4518 string preparation) is looser than otpgate's one username form: it ignores
    // inner runs of spaces and characters such as a soft hyphen. An entry whose name is not the asked name
    // in otpgate's canonical form would be a second name for one user (with its own back-off): nobody.
    if (person && !sameUsername(person.username, username)) return null;
    if (person && person.groups.length === 0) {
      const groups = (await this.groupsByMember(client, entry.dn)).get(dnKey(entry.dn)) ?? [];
      person.groups = [...new Set(groups)].sort();
    }
    return person;
  }

  /** The person of this username, found with the service bind; null when the filter finds no one (or several). */
  findPerson(username: string): Promise<DirectoryPerson | null> {
    return this.asService((client) => this.findOn(client, username));
  }

  /** Several people by username, on one service-bound connection; null for each the filter does not find. */
  findPeople(usernames: string[]): Promise<Map<string, DirectoryPerson | null>> {
    return this.asService(async (client) => {
      const found = new Map<string, DirectoryPerson | null>();
      for (const username of usernames) found.set(username, await this.findOn(client, username));
      return found;
    });
  }

  /**
   * Checks a password by binding as the person's DN. An empty password is refused before any bind: many
   * servers take a simple bind with a DN and no password as an anonymous bind and answer success
   * (RFC 4513 §5.1.2, "unauthenticated").
   */
  async checkPassword(username: string, password: string): Promise<PasswordCheck> {
    const pooled = this.pool?.take(this.poolKey);
    if (pooled) {
      try {
        return await this.checkOn(pooled, username, password);
      } catch (error) {
        // A kept connection the server has closed meanwhile: the answer comes from a new one.
        if (!(error instanceof DirectoryUnavailableError)) throw error;
      }
    }
    const client = await this.connect();
    try {
      await this.bindService(client);
    } catch (error) {
      await client.unbind().catch(() => undefined);
      throw error;
    }
    return this.checkOn(client, username, password);
  }

  /**
   * The check on one connection bound as the service account: the search, then a bind as the person on the
   * same connection (a bind replaces its identity). Afterwards the connection is bound as the service
   * account again and kept for the next check (with a pool), or closed: it never serves anyone as the person.
   */
  private async checkOn(client: Client, username: string, password: string): Promise<PasswordCheck> {
    let reusable = false;
    try {
      let person: DirectoryPerson | null;
      try {
        person = await this.findOn(client, username);
      } catch (error) {
        throw this.unavailable('a search failed', error);
      }
      // ldapts reconnects a dropped connection unbound: a search that ran so proves nothing.
      if (!client.isBound) throw new DirectoryUnavailableError(`${this.describe()} cannot be used: the connection was lost during the search`);
      if (person === null || password === '') {
        reusable = true;
        return { kind: 'wrong', person };
      }
      try {
        await client.bind(person.dn, password);
        reusable = true;
        return { kind: 'ok', person };
      } catch (error) {
        if (!(error instanceof InvalidCredentialsError)) throw this.unavailable('the bind as the user failed', error);
        reusable = true;
        return { kind: 'wrong', person };
      }
    } finally {
      await this.release(client, reusable);
    }
  }

  /** Back to the pool bound as the service account, or closed. */
  private async release(client: Client, reusable: boolean): Promise<void> {
    if (this.pool && reusable) {
      try {
        await this.bindService(client);
        this.pool.give(this.poolKey, client);
        return;
      } catch {
        // Not bound as the service account: closed below.
      }
    }
    await client.unbind().catch(() => undefined);
  }

  /**
   * Everyone the user filter finds, read page by page (RFC 2696). Any error — the server stopping, a size or
   * time limit, a refused page — throws: a partial list must never look like people gone from the directory.
   */
  listPeople(): Promise<DirectoryPerson[]> {
    return this.asService(async (client) => {
      const { searchEntries } = await client.search(this.settings.baseDn, { scope: 'sub', filter: this.settings.userFilter, attributes: this.attributes(), paged: { pageSize: PAGE_SIZE } });
      const needGroups = searchEntries.some((entry) => all(attribute(entry, this.settings.groupAttribute)).length === 0);
      const byMember = needGroups ? await this.groupsByMember(client, null) : null;
      return searchEntries.map((entry) => this.toPerson(entry, byMember)).filter((p): p is DirectoryPerson => p !== null);
    });
  }
}
