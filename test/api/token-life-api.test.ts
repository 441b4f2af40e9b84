// The token-state routes of the API: POST /tokens/{serial}/disable|enable|retire and PATCH /tokens/{serial}
// (validity dates), and what /auth/check answers for a disabled, expired or retired token. The fixture is
// built once per file; each test that changes a token's state works on a user and token of its own, so the
// tests hold in any order (--test-shuffle).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { OPERATOR } from '../../src/services/context.js';
import { call, check, makeFixture, newToken, PASSWORD, type Fixture, type SeedToken } from '../helpers/app.js';
import { importCsv } from '../helpers/installation.js';
import { oathCode } from '../helpers/otp.js';

let f: Fixture;
before(async () => {
  f = await makeFixture();
});
after(() => f.close());

const errorCode = (body: string) => (JSON.parse(body) as { error: { code: string } }).error.code;

let serials = 3000000000000;
/** A new acme user with a new token associated at counter 0 (so the next passcode is counter 1). */
async function userWithToken(username: string): Promise<{ username: string; token: SeedToken; serial: string }> {
  const token = newToken(String(serials++));
  await importCsv(f.services, f.acme, `${token.serial},${token.hex}\n`);
  await f.services.users.create(OPERATOR, f.acme, { username, password: PASSWORD });
  await f.services.tokens.associate(OPERATOR, f.acme, username, token.serial, oathCode(token.hex, 0));
  return { username, token, serial: token.serial };
}

test('disable: /auth/check still asks for a passcode and refuses the right one; enable lets it in again', async () => {
  const { serial, token } = await userWithToken('dina');
  const disabled = await call(f.app, 'POST', `/api/v1/tokens/${serial}/disable`, { key: f.keys.admin });
  assert.equal(disabled.statusCode, 200, disabled.body);
  assert.deepEqual([disabled.json<{ status: string }>().status, disabled.json<{ username: string }>().username], ['disabled', 'dina']);
  assert.equal((await check(f.app, f.keys.check, { username: 'dina', password: PASSWORD })).body.result, 'otp_required');
  assert.equal((await check(f.app, f.keys.check, { username: 'dina', password: PASSWORD, otp: oathCode(token.hex, 1) })).body.result, 'reject');
  const again = await call(f.app, 'POST', `/api/v1/tokens/${serial}/disable`, { key: f.keys.admin });
  assert.deepEqual([again.statusCode, errorCode(again.body)], [409, 'token_not_available']);
  const enabled = await call(f.app, 'POST', `/api/v1/tokens/${serial}/enable`, { key: f.keys.admin });
  assert.equal(enabled.json<{ status: string }>().status, 'associated');
  assert.equal((await check(f.app, f.keys.check, { username: 'dina', password: PASSWORD, otp: oathCode(token.hex, 1) })).body.result, 'accept');
});

test('PATCH validity: a passed validUntil refuses the passcode; null reopens it; a bad date is invalid_request', async () => {
  const { serial, token } = await userWithToken('pat');
  const past = new Date(f.clock.now - 1000).toISOString();
  const patched = await call(f.app, 'PATCH', `/api/v1/tokens/${serial}`, { key: f.keys.admin, body: { validUntil: past } });
  assert.equal(patched.statusCode, 200, patched.body);
  assert.equal(patched.json<{ validUntil: string }>().validUntil, past);
  assert.equal((await check(f.app, f.keys.check, { username: 'pat', password: PASSWORD, otp: oathCode(token.hex, 1) })).body.result, 'reject');
  const bad = await call(f.app, 'PATCH', `/api/v1/tokens/${serial}`, { key: f.keys.admin, body: { validUntil: 'soon' } });
  assert.deepEqual([bad.statusCode, errorCode(bad.body)], [400, 'invalid_request']);
  const unknownField = await call(f.app, 'PATCH', `/api/v1/tokens/${serial}`, { key: f.keys.admin, body: { status: 'available' } });
  assert.equal(unknownField.statusCode, 400, 'only the validity dates can be set');
  await call(f.app, 'PATCH', `/api/v1/tokens/${serial}`, { key: f.keys.admin, body: { validUntil: null } });
  assert.equal((await check(f.app, f.keys.check, { username: 'pat', password: PASSWORD, otp: oathCode(token.hex, 1) })).body.result, 'accept');
});

test('retire takes a reason, disassociates, and the serial can never be associated again', async () => {
  const { serial, token } = await userWithToken('ria');
  const noReason = await call(f.app, 'POST', `/api/v1/tokens/${serial}/retire`, { key: f.keys.admin, body: {} });
  assert.deepEqual([noReason.statusCode, errorCode(noReason.body)], [400, 'invalid_request']);
  const badReason = await call(f.app, 'POST', `/api/v1/tokens/${serial}/retire`, { key: f.keys.admin, body: { reason: 'eaten' } });
  assert.equal(badReason.statusCode, 400);
  const retired = await call(f.app, 'POST', `/api/v1/tokens/${serial}/retire`, { key: f.keys.admin, body: { reason: 'broken' } });
  assert.equal(retired.statusCode, 200, retired.body);
  assert.deepEqual(
    (({ status, username, retiredReason }) => [status, username, retiredReason])(retired.json<{ status: string; username: null; retiredReason: string }>()),
    ['retired', null, 'broken'],
  );
  assert.equal((await call(f.app, 'GET', '/api/v1/users/ria', { key: f.keys.admin })).json<{ token: null }>().token, null);
  const associate = await call(f.app, 'POST', '/api/v1/users/ria/token', { key: f.keys.admin, body: { serial, otp: oathCode(token.hex, 1) } });
  assert.deepEqual([associate.statusCode, errorCode(associate.body)], [409, 'token_not_available']);
  const listed = await call(f.app, 'GET', '/api/v1/tokens?status=retired', { key: f.keys.admin });
  const retiredSerials = listed.json<{ tokens: { serial: string }[] }>().tokens.map((t) => t.serial);
  assert.ok(retiredSerials.includes(serial), 'the retired token is listed');
  assert.ok(!retiredSerials.includes(f.aliceToken.serial) && !retiredSerials.includes(f.spare[0]!.serial), 'tokens in use or in the inventory are not');
});

test('the state routes need the admin scope, and a token of another account is not found', async () => {
  const serial = f.spare[0]!.serial;
  for (const path of ['disable', 'enable']) {
    const response = await call(f.app, 'POST', `/api/v1/tokens/${serial}/${path}`, { key: f.keys.check });
    assert.deepEqual([response.statusCode, errorCode(response.body)], [403, 'insufficient_scope']);
  }
  const foreign = await call(f.app, 'POST', `/api/v1/tokens/${f.zedToken.serial}/disable`, { key: f.keys.admin });
  assert.deepEqual([foreign.statusCode, errorCode(foreign.body)], [404, 'token_not_found']);
  // An inventory token has no user to disable it for.
  const inventory = await call(f.app, 'POST', `/api/v1/tokens/${serial}/disable`, { key: f.keys.admin });
  assert.deepEqual([inventory.statusCode, errorCode(inventory.body)], [409, 'token_not_available']);
});

test('temp-code routes: issued once with the code, shown without it, revoked; another account answers user_not_found', async () => {
  const issued = await call(f.app, 'POST', '/api/v1/users/bob/temp-code', { key: f.keys.admin, body: { uses: 2 } });
  assert.equal(issued.statusCode, 201, issued.body);
  const { code, usesLeft } = issued.json<{ code: string; usesLeft: number }>();
  assert.match(code, /^[0-9]{10}$/);
  assert.equal(usesLeft, 2);
  const shown = await call(f.app, 'GET', '/api/v1/users/bob/temp-code', { key: f.keys.admin });
  assert.equal(shown.json<{ usesLeft: number }>().usesLeft, 2);
  assert.ok(!shown.body.includes(code));
  const tooMany = await call(f.app, 'POST', '/api/v1/users/bob/temp-code', { key: f.keys.admin, body: { uses: 11 } });
  assert.deepEqual([tooMany.statusCode, errorCode(tooMany.body)], [400, 'invalid_request']);
  const foreign = await call(f.app, 'POST', '/api/v1/users/bob/temp-code', { key: f.keys.adminB, body: {} });
  assert.deepEqual([foreign.statusCode, errorCode(foreign.body)], [404, 'user_not_found']);
  const checkScope = await call(f.app, 'POST', '/api/v1/users/bob/temp-code', { key: f.keys.check, body: {} });
  assert.equal(checkScope.statusCode, 403);
  // carol has no token and a require_otp restriction: the code signs her in at /auth/check.
  const carol = (await call(f.app, 'POST', '/api/v1/users/carol/temp-code', { key: f.keys.admin, body: {} })).json<{ code: string }>().code;
  assert.equal((await check(f.app, f.keys.check, { username: 'carol', password: PASSWORD })).body.result, 'otp_required');
  assert.equal((await check(f.app, f.keys.check, { username: 'carol', password: PASSWORD, otp: carol })).body.result, 'accept');
  assert.equal((await check(f.app, f.keys.check, { username: 'carol', password: PASSWORD, otp: carol })).body.result, 'enroll_required', 'its one use is spent');
  assert.equal((await call(f.app, 'DELETE', '/api/v1/users/bob/temp-code', { key: f.keys.admin })).statusCode, 204);
  const gone = await call(f.app, 'DELETE', '/api/v1/users/bob/temp-code', { key: f.keys.admin });
  assert.deepEqual([gone.statusCode, errorCode(gone.body)], [404, 'temp_code_not_found']);
});

test("GET /tokens/{serial}/history: the token's events; another account's key gets token_not_found", async () => {
  const { serial, token } = await userWithToken('hal');
  const admin = { key: f.keys.admin };
  assert.equal((await call(f.app, 'POST', `/api/v1/tokens/${serial}/disable`, admin)).statusCode, 200);
  assert.equal((await call(f.app, 'POST', `/api/v1/tokens/${serial}/disable`, admin)).statusCode, 409, 'refused, and audited as such');
  assert.equal((await call(f.app, 'POST', `/api/v1/tokens/${serial}/enable`, admin)).statusCode, 200);
  for (const validUntil of [new Date(f.clock.now - 1000).toISOString(), null]) {
    assert.equal((await call(f.app, 'PATCH', `/api/v1/tokens/${serial}`, { ...admin, body: { validUntil } })).statusCode, 200);
  }
  assert.equal((await check(f.app, f.keys.check, { username: 'hal', password: PASSWORD, otp: oathCode(token.hex, 1) })).body.result, 'accept');
  assert.equal((await call(f.app, 'POST', `/api/v1/tokens/${serial}/retire`, { ...admin, body: { reason: 'broken' } })).statusCode, 200);
  const refused = await call(f.app, 'POST', '/api/v1/users/hal/token', { ...admin, body: { serial, otp: oathCode(token.hex, 2) } });
  assert.equal(refused.statusCode, 409);

  const response = await call(f.app, 'GET', `/api/v1/tokens/${serial}/history`, admin);
  assert.equal(response.statusCode, 200, response.body);
  const body = response.json<{ serial: string; events: { action: string }[]; nextBefore: number | null }>();
  assert.equal(body.serial, serial);
  // Newest first: the refused association after the retire, back to the first association.
  assert.deepEqual(body.events.map((e) => e.action), ['token.associate', 'token.retire', 'token.set_validity', 'token.set_validity', 'token.enable', 'token.disable', 'token.disable', 'token.associate']);
  const withSignIns = await call(f.app, 'GET', `/api/v1/tokens/${serial}/history?signIns=true&limit=2`, admin);
  assert.equal(withSignIns.json<{ events: unknown[] }>().events.length, 2);
  assert.notEqual(withSignIns.json<{ nextBefore: number | null }>().nextBefore, null);
  const foreign = await call(f.app, 'GET', `/api/v1/tokens/${serial}/history`, { key: f.keys.adminB });
  assert.deepEqual([foreign.statusCode, errorCode(foreign.body)], [404, 'token_not_found']);
});
