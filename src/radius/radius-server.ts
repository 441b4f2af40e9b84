// The RADIUS front end (RFC 2865, RFC 3579, RFC 5080): a UDP adapter over the sign-in service. It checks
// that a packet is well formed and comes from a configured client that knows the shared secret, turns it
// into one sign-in request, and turns the result into Access-Accept, Access-Challenge or Access-Reject.
// It holds no sign-in rule of its own: splitting password and passcode, throttling, lockout and audit are
// the sign-in service's.
import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import { isIPv6 } from 'node:net';
import { parseAddress } from '../core/access-rule.js';
import type { SignInResult } from '../core/sign-in-decision.js';
import type { ChallengeStore } from './challenge-store.js';
import { encodeSignedReply, unhideUserPassword, verifyRequestMessageAuthenticator } from './radius-auth.js';
import {
  AttributeType,
  attributesOf,
  decodePacket,
  PacketCode,
  textAttribute,
  type RadiusAttribute,
  type RadiusPacket,
} from './radius-packet.js';

export type { ChallengeStore } from './challenge-store.js';

export interface RadiusClientConfig {
  id: number;
  accountId: number;
  name: string;
  cidr: string;
  secret: string;
  /** Ask for the passcode in an Access-Challenge instead of expecting it appended to the password. */
  challenge: boolean;
  requireMessageAuthenticator: boolean;
  /** Take the end user's address from Calling-Station-Id (only when it is an IP address). */
  trustCallingStationId: boolean;
  /** The device checked the password itself: User-Password is the passcode alone. */
  otpOnly?: boolean;
}

export interface RadiusSignInRequest {
  accountId: number;
  username: string;
  /** PAP: the password with the passcode appended; challenge step 1 the password; step 2 the passcode alone. */
  password: string;
  mode: 'password_with_appended_passcode' | 'password_only' | 'passcode_only';
  clientIp: string | null;
  /** True when clientIp is the user's own address (a trusted Calling-Station-Id), not the device's. */
  clientIpIsEndUser: boolean;
  /** Who asked, for the audit log: `radius:<client name>`. */
  actor: string;
}

export interface RadiusSignInResponse {
  result: SignInResult;
}

export interface RadiusDeps {
  /** The client whose cidr contains the source address, longest prefix first; null when none does. */
  findClient(sourceIp: string): Promise<RadiusClientConfig | null>;
  signIn(request: RadiusSignInRequest): Promise<RadiusSignInResponse>;
  challenges: ChallengeStore;
  now(): number;
  random(bytes: number): Buffer;
  /** Receives one object per dropped packet and per answered request; never a password or passcode. */
  log?: (event: object) => void;
}

export interface RadiusServer {
  port: number;
  close(): Promise<void>;
}

/** RFC 5080 §2.2.2: a duplicate within this time gets the cached reply and does not run the sign-in again. */
export const RETRANSMISSION_WINDOW_MS = 30_000;
/** How long the State of an Access-Challenge stays valid. */
export const CHALLENGE_TTL_MS = 120_000;
/** Bounds the memory a flood of distinct, authenticated requests can take. */
const MAX_CACHED_REPLIES = 50_000;

export const CHALLENGE_MESSAGE = 'Enter the passcode from your token';
/** One text for every refusal: the reason (wrong password, locked, deny rule, …) is the audit log's. */
export const REJECT_MESSAGE = 'Access denied';

const SESSION_TIMEOUT = 27;

/** Why a packet got no reply; logged, never sent. */
type DropReason =
  | 'malformed'
  | 'unsupported_code'
  | 'unknown_client'
  | 'client_lookup_failed'
  | 'client_without_secret'
  | 'missing_message_authenticator'
  | 'bad_message_authenticator'
  | 'sign_in_failed'
  | 'reply_too_long';

type Outcome = { kind: 'reply'; code: number; attributes: RadiusAttribute[]; result: string } | { kind: 'drop'; reason: DropReason };

interface CachedReply {
  expiresAt: number;
  /** Settles once the first copy of the request has been answered; null when it got no reply. */
  reply: Promise<Buffer | null>;
}

/** Internal: the request's fields once its structure has been checked. */
interface AccessRequestFields {
  username: string | null;
  password: string | null;
  state: Buffer | null;
  callingStationId: string | null;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

function decodeText(value: Buffer): string | null {
  try {
    const text = utf8.decode(value);
    return text.includes('\u0000') ? null : text;
  } catch {
    return null;
  }
}

/** IPv4-mapped IPv6 sources (from a dual-stack socket) are treated as the IPv4 address they carry. */
function canonicalAddress(address: string): string {
  return parseAddress(address)?.toString() ?? address;
}

/**
 * Reads the attributes the adapter uses, or returns null for a malformed request (dropped silently):
 * more than one User-Name, User-Password, State or Message-Authenticator, a User-Password that is not
 * 16–128 octets in blocks of 16, or text that is not UTF-8.
 */
function readAccessRequest(packet: RadiusPacket, secret: Buffer): AccessRequestFields | null {
  const names = attributesOf(packet, AttributeType.UserName);
  const passwords = attributesOf(packet, AttributeType.UserPassword);
  const states = attributesOf(packet, AttributeType.State);
  const callingStations = attributesOf(packet, AttributeType.CallingStationId);
  if (names.length > 1 || passwords.length > 1 || states.length > 1) return null;

  let username: string | null = null;
  const nameValue = names[0];
  if (nameValue !== undefined) {
    username = decodeText(nameValue);
    if (username === null) return null;
  }

  let password: string | null = null;
  const hidden = passwords[0];
  if (hidden !== undefined) {
    const plain = unhideUserPassword(hidden, secret, packet.authenticator);
    if (plain === null) return null;
    password = decodeText(plain);
    if (password === null) return null;
  }

  const callingValue = callingStations.length === 1 ? callingStations[0] : undefined;
  return {
    username,
    password,
    state: states[0] ?? null,
    callingStationId: callingValue === undefined ? null : decodeText(callingValue),
  };
}

function sessionTimeout(seconds: number): RadiusAttribute {
  const value = Buffer.alloc(4);
  value.writeUInt32BE(seconds);
  return { type: SESSION_TIMEOUT, value };
}

export async function startRadiusServer(deps: RadiusDeps, options: { host: string; port: number }): Promise<RadiusServer> {
  const socket: Socket = createSocket({ type: isIPv6(options.host) ? 'udp6' : 'udp4' });
  const replies = new Map<string, CachedReply>();
  let closed = false;
  const log = (event: object): void => {
    try {
      deps.log?.(event);
    } catch {
      // A failing logger must not take the server down.
    }
  };

  function dropExpiredReplies(now: number): void {
    // Entries are inserted with the same lifetime, so the oldest come first in the Map.
    for (const [key, cached] of replies) {
      if (cached.expiresAt > now && replies.size <= MAX_CACHED_REPLIES) break;
      replies.delete(key);
    }
  }

  function send(reply: Buffer, remote: RemoteInfo): void {
    if (closed) return;
    socket.send(reply, remote.port, remote.address, (error) => {
      if (error) log({ event: 'radius_send_failed', source: remote.address, error: error.message });
    });
  }

  /** Decides the reply to an authenticated Access-Request; signIn runs at most once per call. */
  async function answer(packet: RadiusPacket, client: RadiusClientConfig, sourceIp: string, secret: Buffer): Promise<Outcome> {
    const fields = readAccessRequest(packet, secret);
    if (fields === null) return { kind: 'drop', reason: 'malformed' };
    const reject = (result: string): Outcome => ({
      kind: 'reply',
      code: PacketCode.AccessReject,
      attributes: [textAttribute(AttributeType.ReplyMessage, REJECT_MESSAGE)],
      result,
    });
    // CHAP and EAP cannot carry a passcode to verify against a hashed password; only PAP is served.
    if (fields.username === null || fields.password === null) return reject('unsupported_request');

    // The packet's source is the network device; the user's own address only comes from a device trusted
    // to report it, and only when it reports an IP address (not, say, a MAC address or phone number).
    const reported = client.trustCallingStationId && fields.callingStationId !== null ? parseAddress(fields.callingStationId) : null;
    const base = {
      accountId: client.accountId,
      username: fields.username,
      password: fields.password,
      clientIp: reported?.toString() ?? sourceIp,
      clientIpIsEndUser: reported !== null,
      actor: `radius:${client.name}`,
    };

    if (fields.state !== null) {
      // Step 2 of a challenge: the State, bound to this client and user, proves the password step.
      const valid = await deps.challenges.consume(fields.state, client.id, fields.username);
      if (!valid) return reject('invalid_state');
      const { result } = await deps.signIn({ ...base, mode: 'passcode_only' });
      return result === 'accept' ? { kind: 'reply', code: PacketCode.AccessAccept, attributes: [], result } : reject(result);
    }

    const mode = client.otpOnly ? 'passcode_only' : client.challenge ? 'password_only' : 'password_with_appended_passcode';
    const { result } = await deps.signIn({ ...base, mode });
    if (result === 'accept') return { kind: 'reply', code: PacketCode.AccessAccept, attributes: [], result };
    if (result === 'otp_required' && client.challenge) {
      const state = await deps.challenges.issue(client.id, fields.username, CHALLENGE_TTL_MS);
      return {
        kind: 'reply',
        code: PacketCode.AccessChallenge,
        attributes: [
          textAttribute(AttributeType.ReplyMessage, CHALLENGE_MESSAGE),
          { type: AttributeType.State, value: state },
          sessionTimeout(CHALLENGE_TTL_MS / 1000),
        ],
        result,
      };
    }
    return reject(result);
  }

  async function respond(packet: RadiusPacket, client: RadiusClientConfig, sourceIp: string, secret: Buffer): Promise<Buffer | null> {
    let outcome: Outcome;
    try {
      outcome = await answer(packet, client, sourceIp, secret);
    } catch (error) {
      // The device retransmits; with no cached reply, that retransmission tries again.
      log({ event: 'radius_error', client: client.name, error: error instanceof Error ? error.message : String(error) });
      outcome = { kind: 'drop', reason: 'sign_in_failed' };
    }
    if (outcome.kind === 'drop') {
      log({ event: 'radius_drop', reason: outcome.reason, client: client.name, source: sourceIp });
      return null;
    }
    // RFC 2865 §5.33: Proxy-State is echoed unmodified and in order.
    const proxyStates = attributesOf(packet, AttributeType.ProxyState).map((value) => ({ type: AttributeType.ProxyState, value }));
    const reply = encodeSignedReply(
      {
        code: outcome.code,
        identifier: packet.identifier,
        requestAuthenticator: packet.authenticator,
        attributes: [...outcome.attributes, ...proxyStates],
      },
      secret,
    );
    if (reply === null) {
      log({ event: 'radius_drop', reason: 'reply_too_long', client: client.name, source: sourceIp });
      return null;
    }
    log({ event: 'radius_reply', client: client.name, source: sourceIp, code: outcome.code, result: outcome.result });
    return reply;
  }

  async function handle(datagram: Buffer, remote: RemoteInfo): Promise<void> {
    const drop = (reason: DropReason): void => log({ event: 'radius_drop', reason, source: remote.address });
    const packet = decodePacket(datagram);
    if (packet === null) return drop('malformed');
    if (packet.code !== PacketCode.AccessRequest) return drop('unsupported_code');

    const sourceIp = canonicalAddress(remote.address);
    let client: RadiusClientConfig | null;
    try {
      client = await deps.findClient(sourceIp);
    } catch {
      return drop('client_lookup_failed');
    }
    if (client === null) return drop('unknown_client');
    // RFC 2865 §3: the secret must not be empty; with none, anybody could sign packets for this client.
    if (client.secret.length === 0) return drop('client_without_secret');
    const secret = Buffer.from(client.secret, 'utf8');

    // RFC 3579 §3.2 and the Blast-RADIUS advisory: without a valid Message-Authenticator an Access-Request
    // could be forged or altered, so it is required unless the client is explicitly exempted; one that is
    // present is always checked. RFC 3579 §3.1: a request with EAP-Message must carry one in any case.
    const authenticators = attributesOf(packet, AttributeType.MessageAuthenticator);
    if (authenticators.length > 1) return drop('malformed');
    const received = authenticators[0];
    if (received === undefined) {
      if (client.requireMessageAuthenticator || attributesOf(packet, AttributeType.EapMessage).length > 0) {
        return drop('missing_message_authenticator');
      }
    } else if (!verifyRequestMessageAuthenticator(packet.raw, received, secret)) {
      return drop('bad_message_authenticator');
    }

    // RFC 5080 §2.2.2: a request with the same source address, port, Identifier and Request Authenticator is
    // a retransmission. It is answered with the first reply, byte for byte; while the first is still being
    // processed, the duplicate waits for that same result rather than running the sign-in again.
    const now = deps.now();
    dropExpiredReplies(now);
    const key = `${sourceIp}|${remote.port}|${packet.identifier}|${packet.authenticator.toString('hex')}`;
    const cached = replies.get(key);
    if (cached !== undefined && cached.expiresAt > now) {
      const reply = await cached.reply;
      if (reply !== null) send(reply, remote);
      return;
    }
    const entry: CachedReply = { expiresAt: now + RETRANSMISSION_WINDOW_MS, reply: respond(packet, client, sourceIp, secret) };
    replies.delete(key);
    replies.set(key, entry);
    const reply = await entry.reply;
    if (reply === null) {
      // Nothing was sent (a failure or a malformed request): let a retransmission be handled afresh.
      if (replies.get(key) === entry) replies.delete(key);
      return;
    }
    send(reply, remote);
  }

  socket.on('message', (datagram, remote) => {
    handle(datagram, remote).catch((error: unknown) => {
      log({ event: 'radius_error', source: remote.address, error: error instanceof Error ? error.message : String(error) });
    });
  });

  await new Promise<void>((resolve, reject) => {
    socket.once('error', reject);
    socket.bind(options.port, options.host, () => {
      socket.off('error', reject);
      resolve();
    });
  });
  socket.on('error', (error) => log({ event: 'radius_socket_error', error: error.message }));

  return {
    port: socket.address().port,
    close: () =>
      new Promise<void>((resolve) => {
        if (closed) return resolve();
        closed = true;
        socket.close(() => resolve());
      }),
  };
}
