// Test fixture, not product code: a RADIUS server wired to a tiny in-memory user table that stands in for
// the sign-in service, and a raw UDP client that builds Access-Requests byte by byte.
import { execFile } from 'node:child_process';
import { createHmac, randomBytes } from 'node:crypto';
import { createSocket, type Socket } from 'node:dgram';
import type ipaddr from 'ipaddr.js';
import { parseAddress, parseCidr } from '../../src/core/access-rule.js';
import { TestClock } from '../helpers/clock.js';
import { InMemoryChallengeStore } from './in-memory-challenge-store.js';
import { hideUserPassword } from '../../src/radius/radius-auth.js';
import { AttributeType, decodePacket, encodeAttributes, type RadiusAttribute, type RadiusPacket } from '../../src/radius/radius-packet.js';
import {
  startRadiusServer,
  type RadiusClientConfig,
  type RadiusDeps,
  type RadiusSignInRequest,
  type RadiusSignInResponse,
} from '../../src/radius/radius-server.js';

export const SECRET = 'a-shared-secret-of-some-length';

/** alice has a token (passcode 123456); bob has none; carol's token is locked. */
const USERS: Record<string, { password: string; passcode: string | null; locked?: boolean }> = {
  alice: { password: 'correct horse', passcode: '123456' },
  bob: { password: 'bobs password', passcode: null },
  carol: { password: 'carols password', passcode: '654321', locked: true },
};

/** Behaves like the sign-in service for these users, splitting the passcode off by 6 digits. */
export function fakeSignIn(request: RadiusSignInRequest): RadiusSignInResponse {
  const user = USERS[request.username];
  if (user === undefined) return { result: 'reject' };
  if (request.mode === 'passcode_only') {
    if (user.locked) return { result: 'locked' };
    return { result: user.passcode !== null && request.password === user.passcode ? 'accept' : 'reject' };
  }
  if (request.mode === 'password_only') {
    if (request.password !== user.password) return { result: 'reject' };
    if (user.passcode === null) return { result: 'accept' };
    return { result: user.locked ? 'locked' : 'otp_required' };
  }
  if (user.passcode === null) return { result: request.password === user.password ? 'accept' : 'reject' };
  const password = request.password.slice(0, -6);
  const passcode = request.password.slice(-6);
  if (request.password === user.password) return { result: user.locked ? 'locked' : 'otp_required' };
  if (password !== user.password) return { result: 'reject' };
  if (user.locked) return { result: 'locked' };
  return { result: passcode === user.passcode ? 'accept' : 'reject' };
}

export function client(overrides: Partial<RadiusClientConfig> = {}): RadiusClientConfig {
  return {
    id: 1,
    accountId: 7,
    name: 'vpn',
    cidr: '127.0.0.1/32',
    secret: SECRET,
    challenge: false,
    requireMessageAuthenticator: true,
    trustCallingStationId: false,
    ...overrides,
  };
}

function contains(cidr: string, address: string): number | null {
  const network = parseCidr(cidr);
  const parsed = parseAddress(address);
  if ('error' in network || parsed === null || parsed.kind() !== network.network.kind()) return null;
  const matches =
    parsed.kind() === 'ipv4'
      ? (parsed as ipaddr.IPv4).match(network.network, network.prefixLength)
      : (parsed as ipaddr.IPv6).match(network.network, network.prefixLength);
  return matches ? network.prefixLength : null;
}

export interface TestServer {
  port: number;
  /** Datagrams the server has looked up a client for (every request that got past decoding). */
  datagrams(): number;
  calls: RadiusSignInRequest[];
  logs: object[];
  challenges: InMemoryChallengeStore;
  clock: TestClock;
  close(): Promise<void>;
}

/** Starts a real server on 127.0.0.1 and an ephemeral port with the given clients. */
export async function startTestServer(
  clients: RadiusClientConfig[],
  options: { signIn?: (request: RadiusSignInRequest) => Promise<RadiusSignInResponse> } = {},
): Promise<TestServer> {
  const calls: RadiusSignInRequest[] = [];
  const logs: object[] = [];
  let datagrams = 0;
  const clock = new TestClock(1_700_000_000_000);
  const random = (bytes: number): Buffer => randomBytes(bytes);
  const challenges = new InMemoryChallengeStore({ now: clock.read, random });
  const deps: RadiusDeps = {
    findClient: (sourceIp) => {
      datagrams++;
      const matches = clients
        .map((candidate) => ({ candidate, prefix: contains(candidate.cidr, sourceIp) }))
        .filter((match) => match.prefix !== null)
        .sort((a, b) => (b.prefix ?? 0) - (a.prefix ?? 0));
      return Promise.resolve(matches[0]?.candidate ?? null);
    },
    signIn: (request) => {
      calls.push(request);
      return options.signIn ? options.signIn(request) : Promise.resolve(fakeSignIn(request));
    },
    challenges,
    now: clock.read,
    random,
    log: (event) => logs.push(event),
  };
  const server = await startRadiusServer(deps, { host: '127.0.0.1', port: 0 });
  return { port: server.port, datagrams: () => datagrams, calls, logs, challenges, clock, close: () => server.close() };
}

export interface RequestSpec {
  identifier?: number;
  authenticator?: Buffer;
  secret?: string;
  username?: string;
  /** Hidden with RFC 2865 §5.2 under `secret`. */
  password?: string;
  /** Further attributes, in order, after User-Name and User-Password. */
  attributes?: RadiusAttribute[];
  /** `valid` (the default) adds a correct Message-Authenticator as the last attribute. */
  messageAuthenticator?: 'valid' | 'wrong' | 'none';
  /** Secret used for the Message-Authenticator, if different from `secret`. */
  hmacSecret?: string;
}

/** Builds an Access-Request byte by byte. */
export function accessRequest(spec: RequestSpec): Buffer {
  const secret = Buffer.from(spec.secret ?? SECRET, 'utf8');
  const authenticator = spec.authenticator ?? randomBytes(16);
  const attributes: RadiusAttribute[] = [];
  if (spec.username !== undefined) attributes.push({ type: AttributeType.UserName, value: Buffer.from(spec.username) });
  if (spec.password !== undefined) {
    attributes.push({ type: AttributeType.UserPassword, value: hideUserPassword(Buffer.from(spec.password), secret, authenticator) });
  }
  attributes.push(...(spec.attributes ?? []));
  const mode = spec.messageAuthenticator ?? 'valid';
  if (mode !== 'none') attributes.push({ type: AttributeType.MessageAuthenticator, value: Buffer.alloc(16) });
  const body = encodeAttributes(attributes);
  const packet = Buffer.alloc(20 + body.length);
  packet.writeUInt8(1, 0);
  packet.writeUInt8(spec.identifier ?? 42, 1);
  packet.writeUInt16BE(packet.length, 2);
  authenticator.copy(packet, 4);
  body.copy(packet, 20);
  if (mode !== 'none') {
    const hmac = createHmac('md5', Buffer.from(spec.hmacSecret ?? spec.secret ?? SECRET)).update(packet).digest();
    if (mode === 'wrong') hmac[0] = (hmac[0] ?? 0) ^ 0xff;
    hmac.copy(packet, packet.length - 16);
  }
  return packet;
}

export interface RawClient {
  /** Sends one datagram and resolves with the reply, or null if none came within `waitMs`. */
  exchange(packet: Buffer, port: number, waitMs?: number): Promise<Buffer | null>;
  /** Collects every datagram that arrives within `waitMs` (for silence: how long to listen for nothing). */
  collect(send: () => void, waitMs: number): Promise<Buffer[]>;
  /** Starts listening now; resolves with the first `count` datagrams, or rejects after `timeoutMs` (default 30 s). */
  receive(count: number, timeoutMs?: number): Promise<Buffer[]>;
  send(packet: Buffer, port: number): void;
  close(): Promise<void>;
}

export async function rawClient(bindAddress = '127.0.0.1'): Promise<RawClient> {
  const socket: Socket = createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, bindAddress, resolve));
  const collect = (send: () => void, waitMs: number): Promise<Buffer[]> =>
    new Promise((resolve) => {
      const received: Buffer[] = [];
      const onMessage = (message: Buffer): void => {
        received.push(message);
      };
      socket.on('message', onMessage);
      setTimeout(() => {
        socket.off('message', onMessage);
        resolve(received);
      }, waitMs);
      send();
    });
  const send = (packet: Buffer, port: number): void => {
    socket.send(packet, port, '127.0.0.1');
  };
  const receive = (count: number, timeoutMs = 30_000): Promise<Buffer[]> =>
    new Promise((resolve, reject) => {
      const received: Buffer[] = [];
      const timer = setTimeout(() => {
        socket.off('message', onMessage);
        reject(new Error(`received ${received.length} of ${count} datagrams in ${timeoutMs} ms`));
      }, timeoutMs);
      const onMessage = (message: Buffer): void => {
        received.push(message);
        if (received.length < count) return;
        clearTimeout(timer);
        socket.off('message', onMessage);
        resolve(received);
      };
      socket.on('message', onMessage);
    });
  return {
    send,
    collect,
    receive,
    exchange: (packet, port, waitMs = 1500) =>
      new Promise((resolve) => {
        const timer = setTimeout(() => {
          socket.off('message', onMessage);
          resolve(null);
        }, waitMs);
        const onMessage = (message: Buffer): void => {
          clearTimeout(timer);
          socket.off('message', onMessage);
          resolve(message);
        };
        socket.on('message', onMessage);
        send(packet, port);
      }),
    close: () => new Promise((resolve) => socket.close(() => resolve())),
  };
}

export function decodeReply(reply: Buffer | null): RadiusPacket {
  if (reply === null) throw new Error('no reply');
  const packet = decodePacket(reply);
  if (packet === null) throw new Error('reply does not decode');
  return packet;
}

/** Runs radclient once with the given attribute list; returns what it printed. */
export function radclient(port: number, attributes: string[], secret = SECRET): Promise<string> {
  return new Promise((resolve) => {
    const child = execFile('radclient', ['-x', '-r', '1', '-t', '2', `127.0.0.1:${port}`, 'auth', secret], (_error, stdout, stderr) => {
      // radclient exits 1 on an Access-Reject too; the printed exchange is what the tests read.
      resolve(`${stdout}\n${stderr}`);
    });
    child.stdin?.end(`${attributes.join('\n')}\n`);
  });
}

export function receivedCode(output: string): string | null {
  return /Received (Access-\w+) Id/.exec(output)?.[1] ?? null;
}
