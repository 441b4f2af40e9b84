// Property: a retransmitted Access-Request (the same bytes from the same address and port, RFC 5080 §2.2.2)
// is verified once: one sign-in, one audit event, one counter move or one failure; every copy gets the same
// reply, byte for byte. Without this, a device's retransmission of a correct passcode would be answered
// with a reject (the passcode already used) and a wrong one would count twice toward the lock.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { PacketCode } from '../../src/radius/radius-packet.js';
import { RADIUS_SECRET, signInEvents, startRadiusE2e, tokenState, type Installation, type RadiusE2e, type RunningServer, type UserWithToken } from '../helpers/radius-e2e.js';
import { accessRequest, decodeReply, type RawClient } from './fixture.js';
import { oathCode } from '../helpers/otp.js';

let e2e: RadiusE2e | undefined;
let installation: Installation;
let server: RunningServer;
let users: UserWithToken[];
let client: RawClient;

before(async () => {
  e2e = await startRadiusE2e({ users: ['gina', 'hank', 'ivan'] });
  ({ installation, server, users } = e2e);
  client = await e2e.client('127.0.0.1');
});

after(() => e2e?.close());

test('a retransmission after the reply gets the identical reply and no second verification', async () => {
  const gina = users[0]!;
  const request = accessRequest({ secret: RADIUS_SECRET, identifier: 7, username: gina.username, password: `${gina.password}${oathCode(gina.secretHex, 1)}` });
  const first = await client.exchange(request, server.radiusPort, 5000);
  const second = await client.exchange(Buffer.from(request), server.radiusPort, 5000);
  assert.equal(decodeReply(first).code, PacketCode.AccessAccept);
  assert.ok(second, 'the retransmission is answered');
  assert.ok(first!.equals(second), 'both replies are the same bytes');
  const events = await signInEvents(installation, gina.username);
  assert.equal(events.length, 1, 'one sign-in is audited');
  assert.equal((await tokenState(installation, gina.serial)).counter, 2);
});

test('two copies sent back to back (the first still in flight) get two identical replies from one verification', async () => {
  const hank = users[1]!;
  const request = accessRequest({ secret: RADIUS_SECRET, identifier: 8, username: hank.username, password: `${hank.password}${oathCode(hank.secretHex, 1)}` });
  const received = client.receive(2);
  client.send(request, server.radiusPort);
  client.send(request, server.radiusPort);
  const replies = await received;
  assert.equal(replies.length, 2);
  assert.ok(replies[0]!.equals(replies[1]!), 'both replies are the same bytes');
  assert.equal(decodeReply(replies[0]!).code, PacketCode.AccessAccept);
  assert.equal((await signInEvents(installation, hank.username)).length, 1);
  assert.equal((await tokenState(installation, hank.serial)).counter, 2);
});

test('a retransmitted wrong passcode counts once toward the lock', async () => {
  const ivan = users[2]!;
  const good = oathCode(ivan.secretHex, 1);
  const request = accessRequest({ secret: RADIUS_SECRET, identifier: 9, username: ivan.username, password: `${ivan.password}${good === '999999' ? '888888' : '999999'}` });
  const first = await client.exchange(request, server.radiusPort, 5000);
  const second = await client.exchange(request, server.radiusPort, 5000);
  assert.equal(decodeReply(first).code, PacketCode.AccessReject);
  assert.ok(first!.equals(second!));
  assert.equal((await tokenState(installation, ivan.serial)).failCount, 1);
  assert.equal((await signInEvents(installation, ivan.username)).length, 1);
});
