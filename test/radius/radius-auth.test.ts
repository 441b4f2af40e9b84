// RFC 2865 §7.1's example exchange drives the User-Password and Response Authenticator checks; RFC 3579
// §3.2's Message-Authenticator is checked against an HMAC computed independently here.
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { test } from 'node:test';
import {
  encodeSignedReply,
  hideUserPassword,
  responseAuthenticator,
  unhideUserPassword,
  verifyReplyMessageAuthenticator,
  verifyRequestMessageAuthenticator,
  verifyResponseAuthenticator,
} from '../../src/radius/radius-auth.js';
import { AttributeType, attributesOf, decodePacket } from '../../src/radius/radius-packet.js';

const hex = (text: string): Buffer => Buffer.from(text.replace(/\s+/g, ''), 'hex');

// RFC 2865 §7.1: "nemo" with password "arctangent", shared secret "xyzzy5461".
const RFC_SECRET = Buffer.from('xyzzy5461');
const RFC_REQUEST = hex(`01 00 00 38 0f 40 3f 94 73 97 80 57 bd 83 d5 cb
  98 f4 22 7a 01 06 6e 65 6d 6f 02 12 0d be 70 8d
  93 d4 13 ce 31 96 e4 3f 78 2a 0a ee 04 06 c0 a8
  01 10 05 06 00 00 00 03`);
const RFC_ACCEPT = hex(`02 00 00 26 86 fe 22 0e 76 24 ba 2a 10 05 f6 bf
  9b 55 e0 b2 06 06 00 00 00 01 0f 06 00 00 00 00
  0e 06 c0 a8 01 03`);

test('RFC 2865 §7.1: the Access-Request decodes and User-Password unhides to "arctangent"', () => {
  const request = decodePacket(RFC_REQUEST);
  assert.ok(request);
  assert.equal(request.code, 1);
  assert.equal(request.identifier, 0);
  assert.deepEqual(request.authenticator, hex('0f403f9473978057bd83d5cb98f4227a'));
  assert.deepEqual(attributesOf(request, AttributeType.UserName), [Buffer.from('nemo')]);
  const [hidden] = attributesOf(request, AttributeType.UserPassword);
  assert.ok(hidden);
  assert.equal(unhideUserPassword(hidden, RFC_SECRET, request.authenticator)?.toString(), 'arctangent');
  assert.deepEqual(hideUserPassword(Buffer.from('arctangent'), RFC_SECRET, request.authenticator), hidden);
});

test("RFC 2865 §7.1: the Access-Accept's Response Authenticator matches", () => {
  const requestAuthenticator = RFC_REQUEST.subarray(4, 20);
  assert.deepEqual(responseAuthenticator(RFC_ACCEPT, requestAuthenticator, RFC_SECRET), RFC_ACCEPT.subarray(4, 20));
  assert.ok(verifyResponseAuthenticator(RFC_ACCEPT, requestAuthenticator, RFC_SECRET));
  assert.ok(!verifyResponseAuthenticator(RFC_ACCEPT, requestAuthenticator, Buffer.from('xyzzy5462')));
});

test('User-Password: 128 octets round-trip over several blocks; longer throws; bad lengths do not unhide', () => {
  const authenticator = Buffer.alloc(16, 7);
  const password = Buffer.from('p'.repeat(127) + 'q');
  const hidden = hideUserPassword(password, RFC_SECRET, authenticator);
  assert.equal(hidden.length, 128);
  assert.deepEqual(unhideUserPassword(hidden, RFC_SECRET, authenticator), password);
  assert.throws(() => hideUserPassword(Buffer.alloc(129, 0x61), RFC_SECRET, authenticator), RangeError);
  assert.equal(unhideUserPassword(Buffer.alloc(15), RFC_SECRET, authenticator), null);
  assert.equal(unhideUserPassword(Buffer.alloc(17), RFC_SECRET, authenticator), null);
  assert.equal(unhideUserPassword(Buffer.alloc(144), RFC_SECRET, authenticator), null);
  assert.equal(hideUserPassword(Buffer.alloc(0), RFC_SECRET, authenticator).length, 16);
});

test('a signed reply has Message-Authenticator first, per RFC 3579 §3.2, and a valid Response Authenticator', () => {
  const requestAuthenticator = Buffer.alloc(16, 0xab);
  const reply = encodeSignedReply(
    {
      code: 2,
      identifier: 9,
      requestAuthenticator,
      attributes: [{ type: AttributeType.ProxyState, value: Buffer.from('x') }],
    },
    RFC_SECRET,
  );
  assert.ok(reply);
  const packet = decodePacket(reply);
  assert.ok(packet);
  const first = packet.attributes[0];
  assert.equal(first?.type, AttributeType.MessageAuthenticator);
  // Independently: HMAC-MD5 over the reply with the request authenticator in place and the MA zeroed.
  const copy = Buffer.from(reply);
  requestAuthenticator.copy(copy, 4);
  copy.fill(0, 22, 38);
  assert.deepEqual(first.value, createHmac('md5', RFC_SECRET).update(copy).digest());
  assert.ok(verifyReplyMessageAuthenticator(reply, first.value, requestAuthenticator, RFC_SECRET));
  assert.ok(verifyResponseAuthenticator(reply, requestAuthenticator, RFC_SECRET));
});

test('a request Message-Authenticator verifies only with the right secret and unaltered bytes', () => {
  const request = Buffer.alloc(20 + 18 + 6);
  request.writeUInt8(1, 0);
  request.writeUInt16BE(request.length, 2);
  Buffer.alloc(16, 3).copy(request, 4);
  Buffer.from([1, 6, 0x6e, 0x65, 0x6d, 0x6f]).copy(request, 20);
  Buffer.from([80, 18]).copy(request, 26);
  createHmac('md5', RFC_SECRET).update(request).digest().copy(request, 28);
  const received = request.subarray(28, 44);
  assert.ok(verifyRequestMessageAuthenticator(request, received, RFC_SECRET));
  assert.ok(!verifyRequestMessageAuthenticator(request, received, Buffer.from('other')));
  const altered = Buffer.from(request);
  altered[22] = 0x4e;
  assert.ok(!verifyRequestMessageAuthenticator(altered, altered.subarray(28, 44), RFC_SECRET));
  assert.ok(!verifyRequestMessageAuthenticator(request, received.subarray(0, 15), RFC_SECRET));
});
