// Property: over real UDP, each sign-in result maps to the right reply; every reply is signed with
// Message-Authenticator as its first attribute and a valid Response Authenticator; Proxy-State comes back in
// order; Access-Reject carries only a generic Reply-Message besides those; and the client IP handed to
// sign-in is the device's address unless the client is trusted to report the user's in Calling-Station-Id.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { hideUserPassword, verifyReplyMessageAuthenticator, verifyResponseAuthenticator } from '../../src/radius/radius-auth.js';
import { AttributeType, attributesOf } from '../../src/radius/radius-packet.js';
import { REJECT_MESSAGE } from '../../src/radius/radius-server.js';
import { accessRequest, client, decodeReply, rawClient, SECRET, startTestServer, type RawClient } from './fixture.js';

let raw: RawClient;
before(async () => {
  raw = await rawClient();
});
after(async () => {
  await raw.close();
});

function assertSigned(reply: Buffer, request: Buffer): void {
  const packet = decodeReply(reply);
  const first = packet.attributes[0];
  assert.equal(first?.type, AttributeType.MessageAuthenticator, 'Message-Authenticator must be the first attribute');
  assert.equal(attributesOf(packet, AttributeType.MessageAuthenticator).length, 1);
  const requestAuthenticator = request.subarray(4, 20);
  assert.ok(verifyReplyMessageAuthenticator(reply, first.value, requestAuthenticator, Buffer.from(SECRET)));
  assert.ok(verifyResponseAuthenticator(reply, requestAuthenticator, Buffer.from(SECRET)));
  assert.equal(packet.identifier, request[1]);
}

test('password with the passcode appended: Access-Accept, signed, Message-Authenticator first', async () => {
  const server = await startTestServer([client()]);
  try {
    const request = accessRequest({ identifier: 17, username: 'alice', password: 'correct horse123456' });
    const reply = await raw.exchange(request, server.port);
    assert.ok(reply);
    assert.equal(reply[0], 2);
    assertSigned(reply, request);
    assert.deepEqual(server.calls, [
      {
        accountId: 7,
        username: 'alice',
        password: 'correct horse123456',
        mode: 'password_with_appended_passcode',
        clientIp: '127.0.0.1',
        clientIpIsEndUser: false,
        actor: 'radius:vpn',
      },
    ]);
  } finally {
    await server.close();
  }
});

test('reject, locked and otp_required (non-challenge client) give Access-Reject with only a generic Reply-Message', async () => {
  const server = await startTestServer([client()]);
  try {
    const cases = [
      { username: 'alice', password: 'correct horse000000' }, // wrong passcode: reject
      { username: 'alice', password: 'wrong' }, // wrong password: reject
      { username: 'nobody', password: 'x' }, // unknown user: reject
      { username: 'carol', password: 'carols password654321' }, // locked
      { username: 'alice', password: 'correct horse' }, // no passcode: otp_required, no challenge here
    ];
    const proxyState = { type: AttributeType.ProxyState, value: Buffer.from('ps') };
    for (const spec of cases) {
      const request = accessRequest({ ...spec, attributes: [proxyState] });
      const reply = await raw.exchange(request, server.port);
      assert.ok(reply, spec.username);
      assert.equal(reply[0], 3, `${spec.username}/${spec.password}`);
      assertSigned(reply, request);
      const types = decodeReply(reply).attributes.map((attribute) => attribute.type);
      assert.deepEqual(types, [AttributeType.MessageAuthenticator, AttributeType.ReplyMessage, AttributeType.ProxyState]);
      assert.equal(attributesOf(decodeReply(reply), AttributeType.ReplyMessage)[0]?.toString(), REJECT_MESSAGE);
    }
    assert.deepEqual(
      server.calls.map((call) => call.mode),
      cases.map(() => 'password_with_appended_passcode'),
    );
  } finally {
    await server.close();
  }
});

test('Proxy-State attributes are echoed unmodified and in order', async () => {
  const server = await startTestServer([client()]);
  try {
    const states = [Buffer.from('first'), Buffer.from([0, 1, 2, 255]), Buffer.from('third')];
    const request = accessRequest({
      username: 'alice',
      password: 'correct horse123456',
      attributes: states.map((value) => ({ type: AttributeType.ProxyState, value })),
    });
    const reply = decodeReply(await raw.exchange(request, server.port));
    assert.equal(reply.code, 2);
    assert.deepEqual(attributesOf(reply, AttributeType.ProxyState), states);
  } finally {
    await server.close();
  }
});

test('a client exempted from Message-Authenticator works without one, but a wrong one is still refused', async () => {
  const server = await startTestServer([client({ requireMessageAuthenticator: false })]);
  try {
    const request = accessRequest({ username: 'alice', password: 'correct horse123456', messageAuthenticator: 'none' });
    const reply = await raw.exchange(request, server.port);
    assert.ok(reply);
    assert.equal(reply[0], 2);
    assertSigned(reply, request);
    const wrong = accessRequest({ username: 'alice', password: 'correct horse123456', messageAuthenticator: 'wrong' });
    assert.equal(await raw.exchange(wrong, server.port, 300), null);
    assert.equal(server.calls.length, 1);
  } finally {
    await server.close();
  }
});

test('no User-Name or no User-Password (e.g. CHAP): Access-Reject without calling sign-in', async () => {
  const server = await startTestServer([client()]);
  try {
    const chap = accessRequest({
      username: 'alice',
      attributes: [{ type: AttributeType.ChapPassword, value: Buffer.alloc(17, 1) }],
    });
    assert.equal((await raw.exchange(chap, server.port))?.[0], 3);
    const anonymous = accessRequest({ password: 'correct horse123456' });
    assert.equal((await raw.exchange(anonymous, server.port))?.[0], 3);
    assert.equal(server.calls.length, 0);
  } finally {
    await server.close();
  }
});

test('Calling-Station-Id is the client IP only for trusted clients and only when it is an IP address', async () => {
  const callingStation = (value: string) => [{ type: AttributeType.CallingStationId, value: Buffer.from(value) }];
  const untrusted = await startTestServer([client()]);
  const trusted = await startTestServer([client({ trustCallingStationId: true })]);
  try {
    const base = { username: 'alice', password: 'correct horse123456' };
    await raw.exchange(accessRequest({ ...base, attributes: callingStation('203.0.113.9') }), untrusted.port);
    await raw.exchange(accessRequest({ ...base, attributes: callingStation('203.0.113.9') }), trusted.port);
    await raw.exchange(accessRequest({ ...base, attributes: callingStation('2001:db8::0:1') }), trusted.port);
    await raw.exchange(accessRequest({ ...base, attributes: callingStation('00-11-22-33-44-55') }), trusted.port);
    await raw.exchange(accessRequest(base), trusted.port);
    assert.deepEqual(
      untrusted.calls.map((call) => call.clientIp),
      ['127.0.0.1'],
    );
    assert.deepEqual(
      trusted.calls.map((call) => call.clientIp),
      ['203.0.113.9', '2001:db8::1', '127.0.0.1', '127.0.0.1'],
    );
    // Only a reported user address is the end user's (and gets a back-off of its own); the device's is not.
    assert.deepEqual(
      [...untrusted.calls, ...trusted.calls].map((call) => call.clientIpIsEndUser),
      [false, true, true, false, false],
    );
  } finally {
    await untrusted.close();
    await trusted.close();
  }
});

test('a sign-in service failure gives no reply, and the retransmission is tried afresh', async () => {
  let failures = 1;
  const server = await startTestServer([client()], {
    signIn: (request) => {
      if (failures-- > 0) return Promise.reject(new Error('database down'));
      return Promise.resolve({ result: request.username === 'alice' ? 'accept' : 'reject' });
    },
  });
  try {
    const request = accessRequest({ username: 'alice', password: 'correct horse123456' });
    assert.equal(await raw.exchange(request, server.port, 300), null);
    assert.equal((await raw.exchange(request, server.port))?.[0], 2);
    assert.equal(server.calls.length, 2);
  } finally {
    await server.close();
  }
});

test('a User-Name or User-Password that is not UTF-8 (a lone surrogate in CESU-8, 0xff) is dropped, never decoded to U+FFFD and checked', async () => {
  const server = await startTestServer([client()]);
  try {
    for (const bytes of [[0x61, 0x6c, 0xed, 0xa0, 0x80], [0x61, 0xff], [0xc3, 0x28]]) {
      const badName = accessRequest({ password: 'correct horse123456', attributes: [{ type: AttributeType.UserName, value: Buffer.from(bytes) }] });
      assert.equal(await raw.exchange(badName, server.port, 300), null);
    }
    // The same refusal for a password: the hidden value is built from raw bytes.
    const authenticator = Buffer.alloc(16, 7);
    const hidden = hideUserPassword(Buffer.from([0x70, 0x77, 0xed, 0xb0, 0x80]), Buffer.from(SECRET), authenticator);
    const badPassword = accessRequest({ username: 'alice', authenticator, attributes: [{ type: AttributeType.UserPassword, value: hidden }] });
    assert.equal(await raw.exchange(badPassword, server.port, 300), null);
    assert.equal(server.calls.length, 0, 'sign-in was never asked');
    assert.ok(server.logs.some((log) => (log as { reason?: string }).reason === 'malformed'));
  } finally {
    await server.close();
  }
});
