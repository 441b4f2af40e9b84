// RADIUS clients: which network devices may ask otpgate to check a sign-in, with which shared secret, for
// which account, and how (passcode appended to the password, or asked for in an Access-Challenge).
import { longestPrefixMatch, parseAddress, parseCidr } from '../core/access-rule.js';
import {
  deleteRadiusClient,
  findRadiusClientByName,
  insertRadiusClient,
  listAllRadiusClients,
  listRadiusClients,
} from '../store/radius-client-store.js';
import type { AccountRow, RadiusClientRow } from '../store/schema.js';
import { isUniqueViolation } from '../store/database-errors.js';
import type { AuditService } from './audit-service.js';
import type { Actor, ServiceContext } from './context.js';
import { ServiceError } from './errors.js';
import { openRadiusClientSecret, sealRadiusClientSecret } from './sealed-secrets.js';
import { isoTime } from './views.js';

/**
 * RFC 2865 §3 recommends a secret of at least 16 octets; a shorter one can be brute-forced from one captured
 * Access-Request (the hidden User-Password and the Message-Authenticator are both keyed by it).
 */
export const MIN_SECRET_LENGTH = 16;
/** The secret is an HMAC and MD5 key; RFC 2865 gives no limit, this keeps rows and log lines sane. */
const MAX_SECRET_LENGTH = 128;
const NAME = /^[A-Za-z0-9._-]{1,100}$/;

export interface RadiusClientOptions {
  /** Ask for the passcode in an Access-Challenge instead of expecting it appended to the password. */
  challenge: boolean;
  /** Drop Access-Requests without a valid Message-Authenticator (RFC 3579; the Blast-RADIUS fix). */
  requireMessageAuthenticator: boolean;
  /** Judge the IP rules by the address in Calling-Station-Id, which the device reports, not by the device's own. */
  trustCallingStationId: boolean;
  /**
   * The device checked the password itself (against the directory, say): User-Password carries the
   * passcode alone. The IP rules and the passcode are still enforced.
   */
  otpOnly?: boolean;
}

export interface RadiusClientView extends RadiusClientOptions {
  name: string;
  cidr: string;
  createdAt: string;
}

/** What the RADIUS front end needs to answer a client: its secret in clear, so never shown or logged. */
export interface RadiusClientRecord extends RadiusClientOptions {
  id: number;
  accountId: number;
  name: string;
  cidr: string;
  secret: string;
}

export const DEFAULT_RADIUS_CLIENT_OPTIONS: RadiusClientOptions = { challenge: false, requireMessageAuthenticator: true, trustCallingStationId: false };

function toView(row: RadiusClientRow): RadiusClientView {
  return {
    name: row.name,
    cidr: row.cidr,
    challenge: row.challenge === 1,
    requireMessageAuthenticator: row.require_message_authenticator === 1,
    trustCallingStationId: row.trust_calling_station_id === 1,
    otpOnly: row.otp_only === 1,
    createdAt: isoTime(row.created_at),
  };
}

function describe(options: RadiusClientOptions): string {
  return [
    options.otpOnly ? 'passcode only (password checked by the device)' : options.challenge ? 'challenge' : 'passcode appended',
    options.requireMessageAuthenticator ? null : 'Message-Authenticator optional',
    options.trustCallingStationId ? 'trusts Calling-Station-Id' : null,
  ]
    .filter((part) => part !== null)
    .join(', ');
}

export class RadiusClientService {
  constructor(
    private readonly ctx: ServiceContext,
    private readonly audit: AuditService,
  ) {}

  async add(actor: Actor, account: AccountRow, name: string, cidr: string, secret: string, options: RadiusClientOptions = DEFAULT_RADIUS_CLIENT_OPTIONS): Promise<RadiusClientView> {
    if (!NAME.test(name)) throw new ServiceError('invalid_request', `RADIUS client name "${name}" must be 1-100 of letters, digits and . _ -`, { field: 'name' });
    const network = parseCidr(cidr);
    if ('error' in network) throw new ServiceError('invalid_request', `--ip: ${network.error}`, { field: 'cidr' });
    if (secret.length < MIN_SECRET_LENGTH) {
      throw new ServiceError('invalid_request', `the shared secret must be at least ${MIN_SECRET_LENGTH} characters (RFC 2865 §3); use a random one`, { field: 'secret' });
    }
    if (options.otpOnly && options.challenge) throw new ServiceError('invalid_request', '--otp-only and --challenge exclude each other: an otp-only device sends the passcode as the password', { field: 'otpOnly' });
    if (secret.length > MAX_SECRET_LENGTH) throw new ServiceError('invalid_request', `the shared secret must be at most ${MAX_SECRET_LENGTH} characters`, { field: 'secret' });
    // Two clients on one network would make the longest-prefix match ambiguous: which secret, which account?
    const clash = (await listAllRadiusClients(this.ctx.db)).find((row) => row.cidr === network.cidr);
    if (clash) {
      const whose = clash.account_id === account.id ? `client "${clash.name}"` : 'a client of another account';
      throw new ServiceError('radius_client_exists', `${whose} already has the network ${network.cidr}`, { field: 'cidr' });
    }
    if (await findRadiusClientByName(this.ctx.db, name)) throw new ServiceError('radius_client_exists', `a RADIUS client named "${name}" already exists`, { field: 'name' });
    const row = {
      account_id: account.id,
      name,
      cidr: network.cidr,
      secret_sealed: sealRadiusClientSecret(this.ctx.masterKey, name, Buffer.from(secret, 'utf8')),
      challenge: options.challenge ? 1 : 0,
      require_message_authenticator: options.requireMessageAuthenticator ? 1 : 0,
      trust_calling_station_id: options.trustCallingStationId ? 1 : 0,
      otp_only: options.otpOnly ? 1 : 0,
      created_at: this.ctx.now(),
    };
    let id: number;
    try {
      id = await insertRadiusClient(this.ctx.db, row);
    } catch (error) {
      if (isUniqueViolation(error)) throw new ServiceError('radius_client_exists', `a RADIUS client named "${name}" already exists`, { field: 'name' });
      throw error;
    }
    await this.audit.record(actor, { action: 'radius_client.add', outcome: 'success', accountId: account.id, reason: `${name}: ${network.cidr}, ${describe(options)}` });
    return toView({ id, ...row });
  }

  async list(account: AccountRow): Promise<RadiusClientView[]> {
    return (await listRadiusClients(this.ctx.db, account.id)).map(toView);
  }

  async remove(actor: Actor, account: AccountRow, name: string): Promise<void> {
    const id = await deleteRadiusClient(this.ctx.db, account.id, name);
    if (id === null) throw new ServiceError('radius_client_not_found', `no RADIUS client "${name}" in account "${account.name}"`);
    await this.audit.record(actor, { action: 'radius_client.remove', outcome: 'success', accountId: account.id, reason: name });
  }

  /**
   * The client whose network contains this source address, the longest prefix winning; null when none does.
   * Read from the database on every call, so a client added or removed from the command line counts at once,
   * on every instance.
   */
  async findForAddress(ip: string): Promise<RadiusClientRecord | null> {
    if (parseAddress(ip) === null) return null;
    const row = longestPrefixMatch(await listAllRadiusClients(this.ctx.db), (client) => client.cidr, ip);
    if (!row) return null;
    return {
      id: Number(row.id),
      accountId: Number(row.account_id),
      name: row.name,
      cidr: row.cidr,
      secret: openRadiusClientSecret(this.ctx.masterKey, row.name, row.secret_sealed).toString('utf8'),
      challenge: row.challenge === 1,
      requireMessageAuthenticator: row.require_message_authenticator === 1,
      trustCallingStationId: row.trust_calling_station_id === 1,
      otpOnly: row.otp_only === 1,
    };
  }
}
