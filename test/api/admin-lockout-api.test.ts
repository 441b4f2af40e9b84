// The API's side of "Administrators keep a way in": a change that would leave no administrator able to sign
// in answers 409 would_lock_out_admins with a message that names who and why, and changes nothing; the same
// change is accepted once an administrator has a way in. (Each kind of change: test/services/admin-lockout.test.ts.)
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { OPERATOR } from '../../src/services/context.js';
import { call, makeFixture, type Fixture } from '../helpers/app.js';
import { oathCode } from '../helpers/otp.js';

let f: Fixture;
before(async () => {
  f = await makeFixture();
});
after(() => f.close());

/** The refusal: 409, the code, and the administrator named. */
function refused(response: { statusCode: number; body: string }, why: RegExp): void {
  assert.equal(response.statusCode, 409, response.body);
  const { error } = JSON.parse(response.body) as { error: { code: string; message: string } };
  assert.equal(error.code, 'would_lock_out_admins');
  assert.match(error.message, /^This would leave no administrator able to sign in \(admin-acme: /);
  assert.match(error.message, why);
}

test('account-wide deny: 409 and nothing saved; with an allow rule for the admin it is saved', async () => {
  const denied = await call(f.app, 'PUT', '/api/v1/account/restrictions', { key: f.keys.admin, body: { rules: [], default: 'deny' } });
  refused(denied, /denied from every address/);
  assert.equal((await call(f.app, 'GET', '/api/v1/account/restrictions', { key: f.keys.admin })).json<{ source: string }>().source, 'none');
  // A rule covered by more specific ones allows nobody.
  const shadowed = await call(f.app, 'PUT', '/api/v1/account/restrictions', {
    key: f.keys.admin,
    body: { rules: [{ cidr: '10.0.0.0/8', action: 'allow' }, { cidr: '10.0.0.0/9', action: 'deny' }, { cidr: '10.128.0.0/9', action: 'deny' }], default: 'deny' },
  });
  refused(shadowed, /denied from every address/);
  const saved = await call(f.app, 'PUT', '/api/v1/account/restrictions', { key: f.keys.admin, body: { rules: [{ cidr: '127.0.0.1/32', action: 'allow' }], default: 'deny' } });
  assert.equal(saved.statusCode, 200, saved.body);
  assert.equal((await call(f.app, 'DELETE', '/api/v1/account/restrictions', { key: f.keys.admin })).statusCode, 200);
});

test("the admin's own restriction, demotion, disabling and deleting: 409", async () => {
  refused(await call(f.app, 'PUT', '/api/v1/users/admin-acme/restrictions', { key: f.keys.admin, body: { rules: [], default: 'deny' } }), /denied from every address/);
  refused(await call(f.app, 'PATCH', '/api/v1/users/admin-acme', { key: f.keys.admin, body: { role: 'user' } }), /no longer an administrator \(user\)/);
  refused(await call(f.app, 'PATCH', '/api/v1/users/admin-acme', { key: f.keys.admin, body: { disabled: true } }), /admin-acme: disabled\)/);
  refused(await call(f.app, 'DELETE', '/api/v1/users/admin-acme', { key: f.keys.admin }), /admin-acme: deleted\)/);
  const admin = (await call(f.app, 'GET', '/api/v1/users/admin-acme', { key: f.keys.admin })).json<{ role: string; disabled: boolean }>();
  assert.deepEqual([admin.role, admin.disabled], ['admin', false]);
});

test("retiring and disabling the admin's only token where OTP is required and self-association is off: 409", async () => {
  const serial = f.spare[0]!.serial;
  await f.services.tokens.associate(OPERATOR, f.acme, 'admin-acme', serial, oathCode(f.spare[0]!.hex, 0));
  await f.services.restrictions.setForUser(OPERATOR, f.acme, 'admin-acme', { rules: [], default: 'require_otp' });
  await f.services.accounts.updateSettings(OPERATOR, f.acme, { selfAssociation: false });
  refused(await call(f.app, 'POST', `/api/v1/tokens/${serial}/retire`, { key: f.keys.admin, body: { reason: 'lost' } }), /required to use OTP without a token, and self-association is off/);
  refused(await call(f.app, 'POST', `/api/v1/tokens/${serial}/disable`, { key: f.keys.admin }), /their token is disabled/);
  refused(await call(f.app, 'DELETE', '/api/v1/users/admin-acme/token', { key: f.keys.admin }), /required to use OTP without a token/);
  const token = (await call(f.app, 'GET', `/api/v1/tokens/${serial}`, { key: f.keys.admin })).json<{ status: string; username: string }>();
  assert.deepEqual([token.status, token.username], ['associated', 'admin-acme']);
});
