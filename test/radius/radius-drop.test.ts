// Property: a packet that is malformed, not an Access-Request, not authenticated by the client's secret and
// Message-Authenticator, or from an address no client is configured for gets no reply at all, and the
// sign-in service is never called for it.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { AttributeType } from '../../src/radius/radius-packet.js';
import { accessRequest, client, rawClient, startTestServer, type RawClient, type TestServer } from './fixture.js';

let server: TestServer;
let elsewhere: TestServer;
let raw: RawClient;

before(async () => {
  server = await startTestServer([client()]);
  // Only 127.0.0.2 is a client of this one; the raw client sends from 127.0.0.1.
  elsewhere = await startTestServer([client({ cidr: '127.0.0.2/32' })]);
  raw = await rawClient();
});
after(async () => {
  await raw.close();
  await server.close();
  await elsewhere.close();
});

const valid = (): Buffer => accessRequest({ username: 'alice', password: 'correct horse123456' });

async function assertDropped(packet: Buffer, reason: string, target: TestServer = server): Promise<void> {
  const callsBefore = target.calls.length;
  const logsBefore = target.logs.length;
  const reply = await raw.exchange(packet, target.port, 300);
  assert.equal(reply, null, 'no reply expected');
  assert.equal(target.calls.length, callsBefore, 'signIn must not be called');
  // The log says why, so each case is known to fail for its own reason and not an earlier one.
  assert.deepEqual(
    target.logs.slice(logsBefore).map((event) => (event as { reason?: string }).reason),
    [reason],
  );
}

test('the well-formed control request is answered (so the silences below mean something)', async () => {
  const reply = await raw.exchange(valid(), server.port);
  assert.ok(reply);
  assert.equal(reply[0], 2);
});

test('missing Message-Authenticator: dropped', async () => {
  await assertDropped(accessRequest({ username: 'alice', password: 'correct horse123456', messageAuthenticator: 'none' }), 'missing_message_authenticator');
});

test('wrong Message-Authenticator: dropped', async () => {
  await assertDropped(accessRequest({ username: 'alice', password: 'correct horse123456', messageAuthenticator: 'wrong' }), 'bad_message_authenticator');
});

test('two Message-Authenticators: dropped', async () => {
  const packet = accessRequest({
    username: 'alice',
    password: 'correct horse123456',
    attributes: [{ type: AttributeType.MessageAuthenticator, value: Buffer.alloc(16) }],
  });
  await assertDropped(packet, 'malformed');
});

test('wrong shared secret: dropped', async () => {
  await assertDropped(accessRequest({ username: 'alice', password: 'correct horse123456', secret: 'not-the-secret' }), 'bad_message_authenticator');
});

test('unknown source address: dropped', async () => {
  await assertDropped(valid(), 'unknown_client', elsewhere);
});

test('a client configured with an empty secret: dropped', async () => {
  const unsafe = await startTestServer([client({ secret: '' })]);
  try {
    await assertDropped(accessRequest({ username: 'alice', password: 'correct horse123456', secret: '' }), 'client_without_secret', unsafe);
  } finally {
    await unsafe.close();
  }
});

test('shorter than 20 octets: dropped', async () => {
  await assertDropped(valid().subarray(0, 19), 'malformed');
});

test('Length field larger than the datagram: dropped', async () => {
  const packet = valid();
  packet.writeUInt16BE(packet.length + 1, 2);
  await assertDropped(packet, 'malformed');
});

test('Length field below 20: dropped', async () => {
  const packet = valid();
  packet.writeUInt16BE(19, 2);
  await assertDropped(packet, 'malformed');
});

test('longer than 4096 octets: dropped', async () => {
  const filler = Array.from({ length: 17 }, () => ({ type: AttributeType.ProxyState, value: Buffer.alloc(253, 1) }));
  const packet = accessRequest({ username: 'alice', password: 'correct horse123456', attributes: filler });
  assert.ok(packet.length > 4096);
  await assertDropped(packet, 'malformed');
});

test('an attribute length that overruns the packet: dropped', async () => {
  const packet = valid();
  packet[21] = 0xff; // User-Name's length octet
  await assertDropped(packet, 'malformed');
});

test('an attribute length below 2: dropped', async () => {
  const packet = valid();
  packet[21] = 1;
  await assertDropped(packet, 'malformed');
});

test('a User-Password that is not a multiple of 16 octets: dropped', async () => {
  const packet = accessRequest({
    username: 'alice',
    attributes: [{ type: AttributeType.UserPassword, value: Buffer.alloc(17, 9) }],
  });
  await assertDropped(packet, 'malformed');
});

test('wrong code (Accounting-Request, Access-Accept): dropped', async () => {
  for (const code of [4, 2, 12]) {
    const packet = valid();
    packet[0] = code;
    await assertDropped(packet, 'unsupported_code');
  }
});

test('octets beyond the Length field are padding and ignored (RFC 2865 §3)', async () => {
  const packet = Buffer.concat([valid(), Buffer.alloc(7, 0xee)]);
  const reply = await raw.exchange(packet, server.port);
  assert.ok(reply);
  assert.equal(reply[0], 2);
});
