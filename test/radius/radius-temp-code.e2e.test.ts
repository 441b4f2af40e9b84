// A temporary code over RADIUS, against `otpgate serve`: a user whose token was retired as lost, where a
// restriction requires OTP, signs in with a code issued through the API: with FreeRADIUS's radclient through
// the challenge (password, then the code), with PAP and the code appended (a raw client), and at
// /api/v1/auth/check; each use counts, and a used-up code is refused on every channel.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { PacketCode } from '../../src/radius/radius-packet.js';
import { createKey } from '../helpers/cli.js';
import { RADIUS_SECRET, signInEvents, startRadiusE2e, tokenState, type RadiusE2e, type UserWithToken } from '../helpers/radius-e2e.js';
import { oathCode } from '../helpers/otp.js';
import { accessRequest, decodeReply, radclient, receivedCode, type RawClient } from './fixture.js';

let e2e: RadiusE2e | undefined;
let adminKey: string;
let checkKey: string;
let tina: UserWithToken;
let lars: UserWithToken;
let pap: RawClient;

before(async () => {
  e2e = await startRadiusE2e({
    users: ['tina', 'lars'],
    clients: [
      { name: 'vpn-challenge', cidr: '127.0.0.1/32', options: { challenge: true } },
      { name: 'vpn-pap', cidr: '127.0.0.2/32' },
    ],
    prepare: async (setUp) => {
      adminKey = await createKey(setUp.env, 'helpdesk-tool', '--scope', 'admin');
      checkKey = await createKey(setUp.env, 'app', '--scope', 'check');
      // One wrong passcode locks a user's tokens (lars's, below).
      const settings = await setUp.cli(['account', 'settings', '--max-failures', '1']);
      assert.equal(settings.code, 0, settings.stderr);
    },
  });
  tina = e2e.users[0]!;
  lars = e2e.users[1]!;
  pap = await e2e.client('127.0.0.2');
});
after(() => e2e?.close());

async function api(method: string, path: string, key: string, body?: unknown): Promise<{ status: number; json: Record<string, unknown> }> {
  const response = await fetch(`${e2e!.server.httpUrl}/api/v1${path}`, {
    method,
    headers: { authorization: `Bearer ${key}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  return { status: response.status, json: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
}

const challengeStep = (attributes: string[]) => radclient(e2e!.server.radiusPort, [...attributes, 'Message-Authenticator = 0x00'], RADIUS_SECRET);

test('lost token retired, OTP required: the code signs in by radclient challenge, PAP appended and the API, three uses, then no more', async () => {
  assert.equal((await api('POST', `/tokens/${tina.serial}/retire`, adminKey, { reason: 'lost' })).status, 200);
  assert.equal((await api('PUT', '/users/tina/restrictions', adminKey, { rules: [], default: 'require_otp' })).status, 200);
  const issued = await api('POST', '/users/tina/temp-code', adminKey, { uses: 3, hours: 1 });
  assert.equal(issued.status, 201, JSON.stringify(issued.json));
  const code = String(issued.json.code);
  assert.match(code, /^[0-9]{10}$/);

  // radclient, challenge: the password, an Access-Challenge, then the code with the State.
  const first = await challengeStep([`User-Name = "tina"`, `User-Password = "${tina.password}"`]);
  assert.equal(receivedCode(first), 'Access-Challenge', first);
  const state = /State = (0x[0-9a-f]+)/.exec(first)?.[1];
  assert.ok(state, first);
  const second = await challengeStep([`User-Name = "tina"`, `User-Password = "${code}"`, `State = ${state}`]);
  assert.equal(receivedCode(second), 'Access-Accept', second);

  // PAP with the code appended to the password.
  const papReply = decodeReply(await pap.exchange(accessRequest({ secret: RADIUS_SECRET, username: 'tina', password: `${tina.password}${code}` }), e2e!.server.radiusPort, 5000));
  assert.equal(papReply.code, PacketCode.AccessAccept);

  // The JSON API, the third and last use.
  assert.equal((await api('POST', '/auth/check', checkKey, { username: 'tina', password: tina.password, otp: code })).json.result, 'accept');
  assert.equal((await api('GET', '/users/tina/temp-code', adminKey)).json.usesLeft, 0);

  // Used up: refused on every channel.
  assert.equal((await api('POST', '/auth/check', checkKey, { username: 'tina', password: tina.password, otp: code })).json.result, 'enroll_required');
  const again = decodeReply(await pap.exchange(accessRequest({ secret: RADIUS_SECRET, username: 'tina', password: `${tina.password}${code}` }), e2e!.server.radiusPort, 5000));
  assert.equal(again.code, PacketCode.AccessReject);

  const reasons = (await signInEvents(e2e!.installation, 'tina')).map((e) => e.reason);
  assert.equal(reasons.filter((r) => r === 'temp_code_accepted').length, 3, reasons.join(', '));
});

test('a locked token: the live code signs in on the API, by radclient challenge and by PAP appended; the token stays locked (#29)', async () => {
  const wrong = await api('POST', '/auth/check', checkKey, { username: 'lars', password: lars.password, otp: oathCode(lars.secretHex, 500) });
  assert.equal(wrong.json.result, 'reject');
  assert.equal((await tokenState(e2e!.installation, lars.serial)).status, 'locked');
  assert.equal((await api('POST', '/auth/check', checkKey, { username: 'lars', password: lars.password })).json.result, 'locked', 'without a code: locked');

  const issued = await api('POST', '/users/lars/temp-code', adminKey, { uses: 3, hours: 1 });
  assert.equal(issued.status, 201, JSON.stringify(issued.json));
  assert.equal(issued.json.tokensLocked, true, 'issuing says the tokens are locked');
  assert.equal(issued.json.replacedLive, false);
  const code = String(issued.json.code);

  // The API: asked for the passcode now; a token's passcode is still refused as locked; the code signs in.
  assert.equal((await api('POST', '/auth/check', checkKey, { username: 'lars', password: lars.password })).json.result, 'otp_required');
  assert.equal((await api('POST', '/auth/check', checkKey, { username: 'lars', password: lars.password, otp: oathCode(lars.secretHex, 1) })).json.result, 'locked');
  assert.equal((await api('POST', '/auth/check', checkKey, { username: 'lars', password: lars.password, otp: code })).json.result, 'accept');

  // radclient, challenge: the password gives an Access-Challenge (not a reject), then the code.
  const first = await challengeStep([`User-Name = "lars"`, `User-Password = "${lars.password}"`]);
  assert.equal(receivedCode(first), 'Access-Challenge', first);
  const state = /State = (0x[0-9a-f]+)/.exec(first)?.[1];
  assert.ok(state, first);
  const second = await challengeStep([`User-Name = "lars"`, `User-Password = "${code}"`, `State = ${state}`]);
  assert.equal(receivedCode(second), 'Access-Accept', second);

  // PAP with the code appended: the last use.
  const papReply = decodeReply(await pap.exchange(accessRequest({ secret: RADIUS_SECRET, username: 'lars', password: `${lars.password}${code}` }), e2e!.server.radiusPort, 5000));
  assert.equal(papReply.code, PacketCode.AccessAccept);

  assert.equal((await tokenState(e2e!.installation, lars.serial)).status, 'locked', 'the code does not unlock the token');
  const again = await api('POST', '/users/lars/temp-code', adminKey, {});
  assert.equal(again.json.replacedLive, false, 'the used-up code was not live');
  const third = await api('POST', '/users/lars/temp-code', adminKey, {});
  assert.equal(third.json.replacedLive, true, 'a second code replaces a live one, and says so');
});
