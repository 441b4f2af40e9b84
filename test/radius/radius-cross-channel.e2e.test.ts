// Property: RADIUS and the JSON API share one token state. A passcode accepted over RADIUS is a replay when
// it is then sent to POST /api/v1/auth/check (and the other way round), and wrong passcodes from either
// channel add to the same fail count. The RADIUS adapter holds no rule of its own.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { PacketCode } from '../../src/radius/radius-packet.js';
import { RADIUS_SECRET, startRadiusE2e, type RadiusE2e, signInEvents, tokenState, type Installation, type RunningServer, type UserWithToken } from '../helpers/radius-e2e.js';
import { createKey } from '../helpers/cli.js';
import { accessRequest, decodeReply, type RawClient } from './fixture.js';
import { oathCode } from '../helpers/otp.js';

let e2e: RadiusE2e | undefined;
let installation: Installation;
let server: RunningServer;
let users: UserWithToken[];
let client: RawClient;
let apiKey: string;

before(async () => {
  e2e = await startRadiusE2e({
    users: ['judy', 'kim', 'liam'],
    prepare: async (setUp) => {
      apiKey = await createKey(setUp.env, 'app', '--scope', 'check');
    },
  });
  ({ installation, server, users } = e2e);
  client = await e2e.client('127.0.0.1');
});

after(() => e2e?.close());

async function apiCheck(username: string, password: string, otp: string): Promise<string> {
  const response = await fetch(`${server.httpUrl}/api/v1/auth/check`, {
    method: 'POST',
    headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' },
    body: JSON.stringify({ username, password, otp }),
  });
  assert.equal(response.status, 200, await response.clone().text());
  return ((await response.json()) as { result: string }).result;
}

async function radius(user: UserWithToken, passcode: string): Promise<number> {
  return decodeReply(await client.exchange(accessRequest({ secret: RADIUS_SECRET, username: user.username, password: `${user.password}${passcode}` }), server.radiusPort, 5000)).code;
}

test('a passcode used over RADIUS is a replay at /api/v1/auth/check', async () => {
  const judy = users[0]!;
  const code = oathCode(judy.secretHex, 1);
  assert.equal(await radius(judy, code), PacketCode.AccessAccept);
  assert.equal(await apiCheck(judy.username, judy.password, code), 'reject');
  const events = await signInEvents(installation, judy.username);
  assert.equal(events[0]?.reason, 'passcode_replayed');
  assert.equal(events[0]?.actor, 'apikey:app');
  assert.equal(events[1]?.actor, 'radius:vpn');
});

test('a passcode used at /api/v1/auth/check is a replay over RADIUS', async () => {
  const kim = users[1]!;
  const code = oathCode(kim.secretHex, 1);
  assert.equal(await apiCheck(kim.username, kim.password, code), 'accept');
  assert.equal(await radius(kim, code), PacketCode.AccessReject);
  assert.equal((await signInEvents(installation, kim.username))[0]?.reason, 'passcode_replayed');
});

test('wrong passcodes from both channels add to one fail count', async () => {
  const liam = users[2]!;
  const good = oathCode(liam.secretHex, 1);
  const wrong = good === '123123' ? '321321' : '123123';
  assert.equal(await radius(liam, wrong), PacketCode.AccessReject);
  assert.equal(await apiCheck(liam.username, liam.password, wrong), 'reject');
  assert.equal((await tokenState(installation, liam.serial)).failCount, 2);
});
