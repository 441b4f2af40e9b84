// Property: a real RADIUS client (FreeRADIUS's radclient, Debian's freeradius-utils) signs in against the
// server over UDP: PAP with the passcode appended is accepted, a wrong one rejected, the challenge flow works
// and a reused or foreign State is rejected. radclient itself checks each reply's Response Authenticator and
// Message-Authenticator; a relay between the two records the replies so that the tests can also check the
// bytes themselves (Message-Authenticator first, HMAC valid).
import assert from 'node:assert/strict';
import { createSocket, type RemoteInfo } from 'node:dgram';
import { after, before, test } from 'node:test';
import { verifyReplyMessageAuthenticator, verifyResponseAuthenticator } from '../../src/radius/radius-auth.js';
import { AttributeType, attributesOf, decodePacket } from '../../src/radius/radius-packet.js';
import { client, radclient, receivedCode, SECRET, startTestServer, type TestServer } from './fixture.js';

interface Exchange {
  request: Buffer;
  reply: Buffer;
}

/** A UDP relay that forwards radclient's requests to the server and records each request/reply pair. */
async function startRelay(serverPort: number): Promise<{ port: number; exchanges: Exchange[]; close(): Promise<void> }> {
  const front = createSocket('udp4');
  const back = createSocket('udp4');
  const exchanges: Exchange[] = [];
  const pending = new Map<number, { request: Buffer; from: RemoteInfo }>();
  front.on('message', (request, from) => {
    pending.set(request.readUInt8(1), { request, from });
    back.send(request, serverPort, '127.0.0.1');
  });
  back.on('message', (reply) => {
    const origin = pending.get(reply.readUInt8(1));
    if (origin === undefined) return;
    exchanges.push({ request: origin.request, reply });
    front.send(reply, origin.from.port, origin.from.address);
  });
  await new Promise<void>((resolve) => front.bind(0, '127.0.0.1', resolve));
  await new Promise<void>((resolve) => back.bind(0, '127.0.0.1', resolve));
  return {
    port: front.address().port,
    exchanges,
    close: async () => {
      await new Promise<void>((resolve) => front.close(() => resolve()));
      await new Promise<void>((resolve) => back.close(() => resolve()));
    },
  };
}

function assertSignedReply({ request, reply }: Exchange): void {
  const packet = decodePacket(reply);
  assert.ok(packet);
  const first = packet.attributes[0];
  assert.equal(first?.type, AttributeType.MessageAuthenticator, 'Message-Authenticator must be first');
  const requestAuthenticator = request.subarray(4, 20);
  assert.ok(verifyReplyMessageAuthenticator(reply, first.value, requestAuthenticator, Buffer.from(SECRET)));
  assert.ok(verifyResponseAuthenticator(reply, requestAuthenticator, Buffer.from(SECRET)));
}

let plain: TestServer;
let challenging: TestServer;
let plainRelay: Awaited<ReturnType<typeof startRelay>>;
let challengeRelay: Awaited<ReturnType<typeof startRelay>>;

before(async () => {
  plain = await startTestServer([client()]);
  challenging = await startTestServer([client({ challenge: true })]);
  plainRelay = await startRelay(plain.port);
  challengeRelay = await startRelay(challenging.port);
});
after(async () => {
  await plainRelay.close();
  await challengeRelay.close();
  await plain.close();
  await challenging.close();
});

test('radclient: password + passcode gets an Access-Accept whose first attribute is a valid Message-Authenticator', async () => {
  const output = await radclient(plainRelay.port, [
    'User-Name = "alice"',
    'User-Password = "correct horse123456"',
    'Message-Authenticator = 0x00',
    'Proxy-State = 0x6f6e65',
    'Proxy-State = 0x74776f',
  ]);
  assert.equal(receivedCode(output), 'Access-Accept', output);
  const exchange = plainRelay.exchanges.at(-1);
  assert.ok(exchange);
  assertSignedReply(exchange);
  const reply = decodePacket(exchange.reply);
  assert.ok(reply);
  assert.deepEqual(attributesOf(reply, AttributeType.ProxyState), [Buffer.from('one'), Buffer.from('two')]);
  assert.equal(plain.calls.at(-1)?.mode, 'password_with_appended_passcode');
});

test('radclient: a wrong passcode gets Access-Reject', async () => {
  const output = await radclient(plainRelay.port, [
    'User-Name = "alice"',
    'User-Password = "correct horse000000"',
    'Message-Authenticator = 0x00',
  ]);
  assert.equal(receivedCode(output), 'Access-Reject', output);
  const exchange = plainRelay.exchanges.at(-1);
  assert.ok(exchange);
  assertSignedReply(exchange);
});

test('radclient without Message-Authenticator, or with the wrong secret: no reply', async () => {
  const callsBefore = plain.calls.length;
  const logsBefore = plain.logs.length;
  const without = await radclient(plainRelay.port, ['User-Name = "alice"', 'User-Password = "correct horse123456"']);
  assert.equal(receivedCode(without), null, without);
  const wrongSecret = await radclient(
    plainRelay.port,
    ['User-Name = "alice"', 'User-Password = "correct horse123456"', 'Message-Authenticator = 0x00'],
    'a-different-shared-secret',
  );
  assert.equal(receivedCode(wrongSecret), null, wrongSecret);
  assert.equal(plain.calls.length, callsBefore);
  assert.deepEqual(
    plain.logs.slice(logsBefore).map((event) => (event as { reason?: string }).reason),
    ['missing_message_authenticator', 'bad_message_authenticator'],
  );
});

function stateFrom(output: string): string {
  const state = /State = (0x[0-9a-f]+)/.exec(output)?.[1];
  assert.ok(state, output);
  return state;
}

test('radclient: challenge flow — password, Access-Challenge with State, passcode, Access-Accept; reused State rejected', async () => {
  const step1 = await radclient(challengeRelay.port, [
    'User-Name = "alice"',
    'User-Password = "correct horse"',
    'Message-Authenticator = 0x00',
  ]);
  assert.equal(receivedCode(step1), 'Access-Challenge', step1);
  assert.match(step1, /Reply-Message = "Enter the passcode from your token"/);
  const challengeExchange = challengeRelay.exchanges.at(-1);
  assert.ok(challengeExchange);
  assertSignedReply(challengeExchange);
  const state = stateFrom(step1);
  assert.ok(state.length >= 2 + 32);

  const step2 = [`User-Name = "alice"`, 'User-Password = "123456"', `State = ${state}`, 'Message-Authenticator = 0x00'];
  const accepted = await radclient(challengeRelay.port, step2);
  assert.equal(receivedCode(accepted), 'Access-Accept', accepted);
  const acceptExchange = challengeRelay.exchanges.at(-1);
  assert.ok(acceptExchange);
  assertSignedReply(acceptExchange);

  // A new radclient run is a new request (new authenticator), so this is a reuse, not a retransmission.
  const callsBefore = challenging.calls.length;
  const reused = await radclient(challengeRelay.port, step2);
  assert.equal(receivedCode(reused), 'Access-Reject', reused);
  assert.equal(challenging.calls.length, callsBefore);
});

test("radclient: another user's State is rejected", async () => {
  const step1 = await radclient(challengeRelay.port, [
    'User-Name = "alice"',
    'User-Password = "correct horse"',
    'Message-Authenticator = 0x00',
  ]);
  const state = stateFrom(step1);
  const foreign = await radclient(challengeRelay.port, [
    'User-Name = "carol"',
    'User-Password = "654321"',
    `State = ${state}`,
    'Message-Authenticator = 0x00',
  ]);
  assert.equal(receivedCode(foreign), 'Access-Reject', foreign);
});
