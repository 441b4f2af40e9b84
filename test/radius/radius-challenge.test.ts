// Property: for a client marked `challenge`, a correct password for a user who needs a passcode gets an
// Access-Challenge with a random State (≥ 16 octets); the next request with that State and the passcode as
// User-Password is verified as `passcode_only`. A State works once, for the client and user it was issued
// to, for 120 s; a reused, foreign or expired State is rejected without calling the sign-in service.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { AttributeType, attributesOf } from '../../src/radius/radius-packet.js';
import { CHALLENGE_MESSAGE } from '../../src/radius/radius-server.js';
import { accessRequest, client, decodeReply, rawClient, startTestServer, type RawClient, type TestServer } from './fixture.js';

let server: TestServer;
let raw: RawClient;
let rawFromOtherClient: RawClient;

before(async () => {
  server = await startTestServer([
    client({ id: 1, name: 'vpn', challenge: true }),
    client({ id: 2, name: 'wifi', cidr: '127.0.0.2/32', challenge: true }),
  ]);
  raw = await rawClient('127.0.0.1');
  rawFromOtherClient = await rawClient('127.0.0.2');
});
after(async () => {
  await raw.close();
  await rawFromOtherClient.close();
  await server.close();
});

const stateAttribute = (state: Buffer) => [{ type: AttributeType.State, value: state }];

async function challengeFor(username: string, password: string, from: RawClient = raw): Promise<Buffer> {
  const reply = decodeReply(await from.exchange(accessRequest({ username, password }), server.port));
  assert.equal(reply.code, 11, 'Access-Challenge expected');
  assert.equal(reply.attributes[0]?.type, AttributeType.MessageAuthenticator);
  assert.equal(attributesOf(reply, AttributeType.ReplyMessage)[0]?.toString(), CHALLENGE_MESSAGE);
  const [state] = attributesOf(reply, AttributeType.State);
  assert.ok(state && state.length >= 16);
  return state;
}

async function codeOf(spec: Parameters<typeof accessRequest>[0], from: RawClient = raw): Promise<number | undefined> {
  return (await from.exchange(accessRequest(spec), server.port))?.[0];
}

test('password, Access-Challenge, then the passcode with the State: Access-Accept', async () => {
  const callsBefore = server.calls.length;
  const state = await challengeFor('alice', 'correct horse');
  assert.equal(await codeOf({ username: 'alice', password: '123456', attributes: stateAttribute(state) }), 2);
  assert.deepEqual(
    server.calls.slice(callsBefore).map(({ mode, password }) => ({ mode, password })),
    [
      { mode: 'password_only', password: 'correct horse' },
      { mode: 'passcode_only', password: '123456' },
    ],
  );
});

test('a State is single use: presenting it again is rejected without a sign-in', async () => {
  const state = await challengeFor('alice', 'correct horse');
  assert.equal(await codeOf({ username: 'alice', password: '123456', attributes: stateAttribute(state) }), 2);
  const callsBefore = server.calls.length;
  assert.equal(await codeOf({ username: 'alice', password: '123456', attributes: stateAttribute(state) }), 3);
  assert.equal(server.calls.length, callsBefore);
});

test('a wrong passcode uses the State up too', async () => {
  const state = await challengeFor('alice', 'correct horse');
  assert.equal(await codeOf({ username: 'alice', password: '000000', attributes: stateAttribute(state) }), 3);
  assert.equal(await codeOf({ username: 'alice', password: '123456', attributes: stateAttribute(state) }), 3);
});

test("another user's State is rejected without a sign-in", async () => {
  const state = await challengeFor('alice', 'correct horse');
  const callsBefore = server.calls.length;
  assert.equal(await codeOf({ username: 'carol', password: '654321', attributes: stateAttribute(state) }), 3);
  assert.equal(server.calls.length, callsBefore);
});

test("another client's State is rejected without a sign-in", async () => {
  const state = await challengeFor('alice', 'correct horse', rawFromOtherClient);
  const callsBefore = server.calls.length;
  assert.equal(await codeOf({ username: 'alice', password: '123456', attributes: stateAttribute(state) }), 3);
  assert.equal(server.calls.length, callsBefore);
});

test('a made-up State is rejected without a sign-in', async () => {
  const callsBefore = server.calls.length;
  assert.equal(await codeOf({ username: 'alice', password: '123456', attributes: stateAttribute(Buffer.alloc(16, 1)) }), 3);
  assert.equal(server.calls.length, callsBefore);
});

test('a State older than 120 s is rejected', async () => {
  const state = await challengeFor('alice', 'correct horse');
  server.clock.now += 120_000;
  assert.equal(await codeOf({ username: 'alice', password: '123456', attributes: stateAttribute(state) }), 3);
});

test('a retransmitted passcode request gets the cached Access-Accept, not a reused-State reject', async () => {
  const state = await challengeFor('alice', 'correct horse');
  const request = accessRequest({ username: 'alice', password: '123456', attributes: stateAttribute(state) });
  const first = await raw.exchange(request, server.port);
  const second = await raw.exchange(request, server.port);
  assert.equal(first?.[0], 2);
  assert.deepEqual(second, first);
});

test('wrong password: Access-Reject, no State; a user without a token is accepted on the password', async () => {
  assert.equal(await codeOf({ username: 'alice', password: 'wrong' }), 3);
  assert.equal(await codeOf({ username: 'bob', password: 'bobs password' }), 2);
  assert.equal(await codeOf({ username: 'carol', password: 'carols password' }), 3);
});
