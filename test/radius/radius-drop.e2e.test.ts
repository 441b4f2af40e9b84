// Property: a request the server cannot trust or cannot read gets no reply at all, and changes nothing:
// no sign-in runs, so no token counter moves, no fail count grows and no sign-in is audited. This holds for
// a missing or wrong Message-Authenticator (the Blast-RADIUS defence), a wrong shared secret, a source
// address that is no configured client, and malformed packets. Every dropped request below carries the
// user's correct password and next passcode, so that any processing would have shown.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { after, before, test } from 'node:test';
import { AttributeType, PacketCode } from '../../src/radius/radius-packet.js';
import { RADIUS_SECRET, startRadiusE2e, type RadiusE2e, signInEvents, tokenState, type Installation, type RunningServer, type UserWithToken } from '../helpers/radius-e2e.js';
import { waitFor } from '../helpers/wait.js';
import { accessRequest, decodeReply, type RawClient } from './fixture.js';
import { oathCode } from '../helpers/otp.js';

const SILENCE_MS = 1500;

let e2e: RadiusE2e | undefined;
let installation: Installation;
let server: RunningServer;
let frank: UserWithToken;
let password: string;
let local: RawClient;
let stranger: RawClient;
let initial: Awaited<ReturnType<typeof tokenState>>;

before(async () => {
  e2e = await startRadiusE2e({ users: ['frank'] });
  ({ installation, server } = e2e);
  frank = e2e.users[0]!;
  initial = await tokenState(installation, frank.serial);
  password = `${frank.password}${oathCode(frank.secretHex, 1)}`;
  local = await e2e.client('127.0.0.1');
  // 127.0.0.9 is on the loopback interface but in no client's network.
  stranger = await e2e.client('127.0.0.9');
});

after(() => e2e?.close());

/** Sends one packet, expects silence, and checks that the server logged the drop for the expected reason. */
async function assertNoReply(client: RawClient, packet: Buffer, what: string, reason: string): Promise<void> {
  const logged = server.output().split(`"reason":"${reason}"`).length;
  const replies = await client.collect(() => client.send(packet, server.radiusPort), SILENCE_MS);
  assert.equal(replies.length, 0, `${what}: expected no reply`);
  // The drop is logged when the server is done with the packet (later than SILENCE_MS on a busy machine).
  await waitFor(`${what}: a drop logged as ${reason}`, () => server.output().split(`"reason":"${reason}"`).length > logged);
  assert.equal(server.output().split(`"reason":"${reason}"`).length, logged + 1, `${what}: expected one drop logged as ${reason}`);
}

test('no reply without a Message-Authenticator', async () => {
  await assertNoReply(local, accessRequest({ secret: RADIUS_SECRET, username: 'frank', password, messageAuthenticator: 'none' }), 'missing Message-Authenticator', 'missing_message_authenticator');
});

test('no reply with a wrong Message-Authenticator', async () => {
  await assertNoReply(local, accessRequest({ secret: RADIUS_SECRET, username: 'frank', password, messageAuthenticator: 'wrong' }), 'wrong Message-Authenticator', 'bad_message_authenticator');
});

test('no reply to a client that uses the wrong shared secret (raw and radclient)', async () => {
  await assertNoReply(local, accessRequest({ secret: 'not-the-shared-secret-at-all', username: 'frank', password }), 'wrong secret', 'bad_message_authenticator');
  const output = await new Promise<string>((done) => {
    const child = execFile('radclient', ['-x', '-r', '1', '-t', '2', `127.0.0.1:${server.radiusPort}`, 'auth', 'not-the-shared-secret-at-all'], (_error, stdout, stderr) => done(`${stdout}\n${stderr}`));
    child.stdin?.end(`User-Name = "frank"\nUser-Password = "${password}"\nMessage-Authenticator = 0x00\n`);
  });
  assert.match(output, /No reply from server/);
});

test('no reply to a source address that is no configured client', async () => {
  await assertNoReply(stranger, accessRequest({ secret: RADIUS_SECRET, username: 'frank', password }), 'unknown source', 'unknown_client');
});

test('no reply to malformed packets', async () => {
  const valid = accessRequest({ secret: RADIUS_SECRET, username: 'frank', password });
  const longerThanSent = Buffer.from(valid);
  longerThanSent.writeUInt16BE(valid.length + 10, 2);
  const cases: [string, Buffer, string][] = [
    ['shorter than a header', valid.subarray(0, 12), 'malformed'],
    ['Length field beyond the datagram', longerThanSent, 'malformed'],
    ['random bytes', Buffer.from('this is not a RADIUS packet at all, just text'), 'malformed'],
    ['an Access-Accept sent to the server', Buffer.concat([Buffer.of(PacketCode.AccessAccept), valid.subarray(1)]), 'unsupported_code'],
    ['an attribute whose length runs past the packet', Buffer.concat([valid.subarray(0, 2), Buffer.from([0, valid.length + 2]), valid.subarray(4), Buffer.from([AttributeType.UserName, 40])]), 'malformed'],
    // Well signed (valid Message-Authenticator), but its contents break RFC 2865:
    ['two User-Name attributes', accessRequest({ secret: RADIUS_SECRET, username: 'frank', password, attributes: [{ type: AttributeType.UserName, value: Buffer.from('frank') }] }), 'malformed'],
    ['a User-Password that is not a multiple of 16 octets', accessRequest({ secret: RADIUS_SECRET, username: 'frank', attributes: [{ type: AttributeType.UserPassword, value: Buffer.alloc(17, 1) }] }), 'malformed'],
  ];
  for (const [what, packet, reason] of cases) await assertNoReply(local, packet, what, reason);
});

test('after all of that, the token is untouched and no sign-in was recorded; the passcode still works', async () => {
  const state = await tokenState(installation, frank.serial);
  assert.deepEqual(state, initial);
  assert.equal(state.counter, 1);
  assert.equal(state.failCount, 0);
  assert.deepEqual(await signInEvents(installation, 'frank'), []);
  // The very passcode every dropped request carried was never consumed.
  const reply = decodeReply(await local.exchange(accessRequest({ secret: RADIUS_SECRET, username: 'frank', password }), server.radiusPort, 5000));
  assert.equal(reply.code, PacketCode.AccessAccept);
  assert.equal((await tokenState(installation, frank.serial)).counter, 2);
});
