// Property: through a real `otpgate serve` with RADIUS on, a VPN signs users in with their token:
// PAP with the passcode appended is accepted, with a reply whose first attribute is a valid
// Message-Authenticator; a wrong passcode is rejected and counts against the token; a passcode used once
// is rejected the second time; a challenge client answers the password with an Access-Challenge carrying a
// State and accepts the passcode sent with it; a State used twice, or presented by another user or another
// client, is rejected. The IP rules judge the device's own address, unless the client is trusted to report
// the user's address in Calling-Station-Id.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { after, before, test } from 'node:test';
import { verifyReplyMessageAuthenticator, verifyResponseAuthenticator } from '../../src/radius/radius-auth.js';
import { AttributeType, attributesOf, PacketCode } from '../../src/radius/radius-packet.js';
import { RADIUS_SECRET, signInEvents, startRadiusE2e, tokenState, type Installation, type RadiusE2e, type RunningServer, type UserWithToken } from '../helpers/radius-e2e.js';
import { accessRequest, decodeReply, type RawClient } from './fixture.js';
import { oathCode } from '../helpers/otp.js';
import { Readable } from 'node:stream';
import { OPERATOR } from '../../src/services/context.js';

// Each test signs in its own user(s), so the tests run alone or in any order.
const IVY_SPARE = { serial: '7700000000099', secretHex: Buffer.from('seed-of-ivys-spare..').toString('hex') };
let e2e: RadiusE2e | undefined;
let installation: Installation;
let server: RunningServer;
let users: Record<string, UserWithToken>;

before(async () => {
  e2e = await startRadiusE2e({
    users: ['alice', 'bob', 'carol', 'dave', 'erin', 'fay', 'gus', 'hal', 'ivy'],
    // PAP devices on 127.0.0.1; two challenge devices on their own addresses.
    clients: [
      { name: 'vpn-pap', cidr: '127.0.0.1/32' },
      { name: 'vpn-challenge', cidr: '127.0.0.2/32', options: { challenge: true } },
      { name: 'vpn-other', cidr: '127.0.0.3/32', options: { challenge: true } },
      { name: 'vpn-trusting', cidr: '127.0.0.4/32', options: { trustCallingStationId: true } },
    ],
    prepare: async (setUp) => {
      // fay may not sign in from 198.51.100.0/24 (say, a country she never travels to).
      const restricted = await setUp.cli(['restriction', 'set', 'fay', '--default', 'allow', '--rule', '198.51.100.0/24=deny']);
      assert.equal(restricted.code, 0, restricted.stderr);
      // ivy holds a second token, a spare (several tokens per user).
      await setUp.withInstance(async ({ services }) => {
        const account = await services.accounts.resolve(OPERATOR);
        await services.imports.import(OPERATOR, account, { input: Readable.from([`${IVY_SPARE.serial}, ${IVY_SPARE.secretHex}\n`]), format: 'csv' });
        await services.tokens.associate(OPERATOR, account, 'ivy', IVY_SPARE.serial, oathCode(IVY_SPARE.secretHex, 0), true, 'spare');
      });
    },
  });
  ({ installation, server } = e2e);
  users = Object.fromEntries(e2e.users.map((u) => [u.username, u]));
});

after(() => e2e?.close());

function clientOn(address: string): Promise<RawClient> {
  return e2e!.client(address);
}

function user(name: string): UserWithToken {
  const found = users[name];
  assert.ok(found, `no test user ${name}`);
  return found;
}

/** Runs Debian's radclient once; it checks the reply's authenticators itself. Returns the code it received. */
function radclient(attributes: string[]): Promise<string | null> {
  return new Promise((done) => {
    const child = execFile('radclient', ['-x', '-r', '1', '-t', '5', `127.0.0.1:${server.radiusPort}`, 'auth', RADIUS_SECRET], (_error, stdout, stderr) => {
      done(/Received (Access-\w+) Id/.exec(`${stdout}\n${stderr}`)?.[1] ?? null);
    });
    child.stdin?.end(`${attributes.join('\n')}\n`);
  });
}

test('radclient: password with the passcode appended is accepted and moves the counter', async () => {
  const alice = user('alice');
  const code = oathCode(alice.secretHex, 1);
  const received = await radclient([`User-Name = "alice"`, `User-Password = "${alice.password}${code}"`, 'Message-Authenticator = 0x00']);
  assert.equal(received, 'Access-Accept');
  const state = await tokenState(installation, alice.serial);
  assert.equal(state.counter, 2);
  assert.equal(state.failCount, 0);
  const events = await signInEvents(installation, 'alice');
  assert.equal(events[0]?.actor, 'radius:vpn-pap');
  assert.equal(events[0]?.outcome, 'accept');
  assert.equal(events[0]?.clientIp, '127.0.0.1');
});

test('radclient: a user with two tokens signs in with a passcode from either; each moves only its own counter', async () => {
  const ivy = user('ivy');
  const fromFirst = await radclient([`User-Name = "ivy"`, `User-Password = "${ivy.password}${oathCode(ivy.secretHex, 1)}"`, 'Message-Authenticator = 0x00']);
  assert.equal(fromFirst, 'Access-Accept');
  const fromSpare = await radclient([`User-Name = "ivy"`, `User-Password = "${ivy.password}${oathCode(IVY_SPARE.secretHex, 1)}"`, 'Message-Authenticator = 0x00']);
  assert.equal(fromSpare, 'Access-Accept');
  assert.equal((await tokenState(installation, ivy.serial)).counter, 2);
  assert.equal((await tokenState(installation, IVY_SPARE.serial)).counter, 2);
  // The spare's passcode, once used, is refused through either token.
  const replay = await radclient([`User-Name = "ivy"`, `User-Password = "${ivy.password}${oathCode(IVY_SPARE.secretHex, 1)}"`, 'Message-Authenticator = 0x00']);
  assert.equal(replay, 'Access-Reject');
  // The challenge device: the spare's next passcode with the State.
  const client = await clientOn('127.0.0.2');
  const challenge = decodeReply(await client.exchange(accessRequest({ secret: RADIUS_SECRET, username: 'ivy', password: ivy.password }), server.radiusPort, 5000));
  assert.equal(challenge.code, PacketCode.AccessChallenge);
  const state = { type: AttributeType.State, value: attributesOf(challenge, AttributeType.State)[0]! };
  const answer = decodeReply(await client.exchange(accessRequest({ secret: RADIUS_SECRET, username: 'ivy', password: oathCode(IVY_SPARE.secretHex, 2), attributes: [state] }), server.radiusPort, 5000));
  assert.equal(answer.code, PacketCode.AccessAccept);
  assert.equal((await tokenState(installation, IVY_SPARE.serial)).counter, 3);
  const outcomes = (await signInEvents(installation, 'ivy')).map((e) => e.outcome);
  assert.deepEqual(outcomes.filter((o) => o === 'accept').length, 3);
});

test('raw client: the Access-Accept carries a valid Message-Authenticator as its first attribute', async () => {
  const bob = user('bob');
  const client = await clientOn('127.0.0.1');
  const request = accessRequest({ secret: RADIUS_SECRET, username: 'bob', password: `${bob.password}${oathCode(bob.secretHex, 1)}` });
  const replyBytes = await client.exchange(request, server.radiusPort, 5000);
  const reply = decodeReply(replyBytes);
  assert.equal(reply.code, PacketCode.AccessAccept);
  const first = reply.attributes[0];
  assert.equal(first?.type, AttributeType.MessageAuthenticator);
  const requestAuthenticator = request.subarray(4, 20);
  const secret = Buffer.from(RADIUS_SECRET);
  assert.ok(verifyReplyMessageAuthenticator(replyBytes!, first.value, requestAuthenticator, secret), 'Message-Authenticator verifies');
  assert.ok(verifyResponseAuthenticator(replyBytes!, requestAuthenticator, secret), 'Response Authenticator verifies');
});

test('a wrong passcode is rejected and adds to the token fail count', async () => {
  const carol = user('carol');
  const good = oathCode(carol.secretHex, 1);
  const wrong = good === '000000' ? '111111' : '000000';
  const received = await radclient([`User-Name = "carol"`, `User-Password = "${carol.password}${wrong}"`, 'Message-Authenticator = 0x00']);
  assert.equal(received, 'Access-Reject');
  const state = await tokenState(installation, carol.serial);
  assert.equal(state.failCount, 1);
  assert.equal(state.counter, 1, 'a wrong passcode does not move the counter');
  assert.equal((await signInEvents(installation, 'carol'))[0]?.reason, 'passcode_wrong');
});

test('a passcode that was accepted once is rejected when replayed', async () => {
  const dave = user('dave');
  const code = oathCode(dave.secretHex, 1);
  const attributes = [`User-Name = "dave"`, `User-Password = "${dave.password}${code}"`, 'Message-Authenticator = 0x00'];
  assert.equal(await radclient(attributes), 'Access-Accept');
  // A new request (new Identifier and authenticator) with the same passcode: not a retransmission, a replay.
  assert.equal(await radclient(attributes), 'Access-Reject');
  assert.equal((await signInEvents(installation, 'dave'))[0]?.reason, 'passcode_replayed');
  assert.equal((await tokenState(installation, dave.serial)).counter, 2);
});

test('challenge client: the password gets an Access-Challenge with a State; the passcode with it is accepted', async () => {
  const erin = user('erin');
  const client = await clientOn('127.0.0.2');
  const first = decodeReply(await client.exchange(accessRequest({ secret: RADIUS_SECRET, username: 'erin', password: erin.password }), server.radiusPort, 5000));
  assert.equal(first.code, PacketCode.AccessChallenge);
  assert.equal(first.attributes[0]?.type, AttributeType.MessageAuthenticator);
  const state = attributesOf(first, AttributeType.State)[0];
  assert.ok(state && state.length >= 16, 'the challenge carries a State of at least 16 octets');
  assert.equal((await tokenState(installation, erin.serial)).counter, 1, 'the password step does not touch the token');

  const code = oathCode(erin.secretHex, 1);
  const stateAttribute = { type: AttributeType.State, value: state };
  const second = decodeReply(await client.exchange(accessRequest({ secret: RADIUS_SECRET, username: 'erin', password: code, attributes: [stateAttribute] }), server.radiusPort, 5000));
  assert.equal(second.code, PacketCode.AccessAccept);
  assert.equal((await tokenState(installation, erin.serial)).counter, 2);

  // The same State again, with the next valid passcode: the State is spent.
  const next = oathCode(erin.secretHex, 2);
  const reused = decodeReply(await client.exchange(accessRequest({ secret: RADIUS_SECRET, username: 'erin', password: next, attributes: [stateAttribute] }), server.radiusPort, 5000));
  assert.equal(reused.code, PacketCode.AccessReject);
  assert.equal((await tokenState(installation, erin.serial)).counter, 2, 'a reused State never reaches the token');
});

test('a State is bound to its user and its client: presented by another, it is rejected', async () => {
  const gus = user('gus');
  const hal = user('hal');
  const challenger = await clientOn('127.0.0.2');
  const other = await clientOn('127.0.0.3');

  // A State issued to gus, presented with hal's name and hal's valid passcode.
  const forGus = decodeReply(await challenger.exchange(accessRequest({ secret: RADIUS_SECRET, username: 'gus', password: gus.password }), server.radiusPort, 5000));
  assert.equal(forGus.code, PacketCode.AccessChallenge);
  const gusState = { type: AttributeType.State, value: attributesOf(forGus, AttributeType.State)[0]! };
  const halCode = oathCode(hal.secretHex, 1);
  const asHal = decodeReply(await challenger.exchange(accessRequest({ secret: RADIUS_SECRET, username: 'hal', password: halCode, attributes: [gusState] }), server.radiusPort, 5000));
  assert.equal(asHal.code, PacketCode.AccessReject);
  // A State presented once for the wrong user is spent: gus cannot use it either.
  const gusCode = oathCode(gus.secretHex, 1);
  const late = decodeReply(await challenger.exchange(accessRequest({ secret: RADIUS_SECRET, username: 'gus', password: gusCode, attributes: [gusState] }), server.radiusPort, 5000));
  assert.equal(late.code, PacketCode.AccessReject);

  // A State issued through one client, presented through another.
  const again = decodeReply(await challenger.exchange(accessRequest({ secret: RADIUS_SECRET, username: 'gus', password: gus.password }), server.radiusPort, 5000));
  const stateAgain = { type: AttributeType.State, value: attributesOf(again, AttributeType.State)[0]! };
  const elsewhere = decodeReply(await other.exchange(accessRequest({ secret: RADIUS_SECRET, username: 'gus', password: gusCode, attributes: [stateAgain] }), server.radiusPort, 5000));
  assert.equal(elsewhere.code, PacketCode.AccessReject);

  const gusToken = await tokenState(installation, gus.serial);
  assert.equal(gusToken.counter, 1, "gus's passcode was never verified with a foreign State");
  assert.equal((await tokenState(installation, hal.serial)).counter, 1, "hal's passcode was never verified with gus's State");
  // And the passcode that was never consumed still works through a fresh challenge.
  const fresh = decodeReply(await challenger.exchange(accessRequest({ secret: RADIUS_SECRET, username: 'gus', password: gus.password }), server.radiusPort, 5000));
  const freshState = { type: AttributeType.State, value: attributesOf(fresh, AttributeType.State)[0]! };
  const ok = decodeReply(await challenger.exchange(accessRequest({ secret: RADIUS_SECRET, username: 'gus', password: gusCode, attributes: [freshState] }), server.radiusPort, 5000));
  assert.equal(ok.code, PacketCode.AccessAccept);
});

test("Calling-Station-Id decides the IP rules only for a client trusted to report it", async () => {
  const fay = user('fay');
  const callingStation = { type: AttributeType.CallingStationId, value: Buffer.from('198.51.100.7') };
  const code = oathCode(fay.secretHex, 1);
  const request = (client: string) => accessRequest({ secret: RADIUS_SECRET, username: 'fay', password: `${fay.password}${code}`, attributes: [callingStation], identifier: client === 'trusting' ? 1 : 2 });

  // The trusting client reports an address in the denied network: reject, and the audit shows that address.
  const trusting = await clientOn('127.0.0.4');
  assert.equal(decodeReply(await trusting.exchange(request('trusting'), server.radiusPort, 5000)).code, PacketCode.AccessReject);
  const denied = (await signInEvents(installation, 'fay'))[0];
  assert.equal(denied?.reason, 'denied_by_rule');
  assert.equal(denied?.clientIp, '198.51.100.7');
  assert.equal(denied?.actor, 'radius:vpn-trusting');

  // The same attribute from a client that is not trusted with it is ignored: the device's address counts.
  const plain = await clientOn('127.0.0.1');
  assert.equal(decodeReply(await plain.exchange(request('plain'), server.radiusPort, 5000)).code, PacketCode.AccessAccept);
  assert.equal((await signInEvents(installation, 'fay'))[0]?.clientIp, '127.0.0.1');
});
