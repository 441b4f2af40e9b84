// Property: the client address that IP rules and the audit log see is the socket's. A spoofed
// X-Forwarded-For changes nothing unless the request comes from a trusted proxy (OTPGATE_TRUSTED_PROXIES);
// then the rightmost address in X-Forwarded-For that is not a trusted proxy is used.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { OPERATOR } from '../../src/services/context.js';
import { PASSWORD, check, makeFixture, type Fixture } from '../helpers/app.js';

async function lastSignIn(f: Fixture): Promise<{ clientIp: string | null; outcome: string; reason: string | null }> {
  const [event] = await f.services.audit.list({ accountId: f.acme.id, username: 'bob', limit: 1 });
  assert.ok(event && event.action === 'signin');
  return event;
}

test('without trusted proxies, X-Forwarded-For is ignored', async (t) => {
  const f = await makeFixture();
  t.after(() => f.close());
  await f.services.restrictions.setForUser(OPERATOR, f.acme, 'bob', {
    rules: [
      { cidr: '192.0.2.10', action: 'deny' },
      { cidr: '198.51.100.0/24', action: 'allow' },
    ],
    default: 'allow',
  });
  // From a denied address, a forged header naming an allowed one does not help...
  const spoofed = await check(f.app, f.keys.check, { username: 'bob', password: PASSWORD }, { remoteAddress: '192.0.2.10', headers: { 'x-forwarded-for': '198.51.100.7' } });
  assert.deepEqual(spoofed.body, { result: 'reject' });
  const event = await lastSignIn(f);
  assert.equal(event.clientIp, '192.0.2.10');
  assert.equal(event.reason, 'denied_by_rule');
  // ...and from an allowed address, a forged header naming a denied one does not matter either.
  const other = await check(f.app, f.keys.check, { username: 'bob', password: PASSWORD }, { remoteAddress: '203.0.113.1', headers: { 'x-forwarded-for': '192.0.2.10', 'x-real-ip': '192.0.2.10', forwarded: 'for=192.0.2.10' } });
  assert.deepEqual(other.body, { result: 'accept' });
  assert.equal((await lastSignIn(f)).clientIp, '203.0.113.1');
  // An IPv4-mapped IPv6 socket address is the IPv4 address.
  await check(f.app, f.keys.check, { username: 'bob', password: PASSWORD }, { remoteAddress: '::ffff:192.0.2.10' });
  assert.equal((await lastSignIn(f)).clientIp, '192.0.2.10');
});

test('behind trusted proxies, the rightmost untrusted X-Forwarded-For hop is the client', async (t) => {
  const f = await makeFixture({ env: { OTPGATE_TRUSTED_PROXIES: '127.0.0.1, 10.0.0.0/8' } });
  t.after(() => f.close());
  await f.services.restrictions.setForUser(OPERATOR, f.acme, 'bob', { rules: [{ cidr: '198.51.100.7', action: 'allow' }], default: 'deny' });
  // The user forged "203.0.113.9" at the front; the proxies appended the real hop 198.51.100.7 and 10.1.1.1.
  const through = await check(f.app, f.keys.check, { username: 'bob', password: PASSWORD }, { remoteAddress: '127.0.0.1', headers: { 'x-forwarded-for': '203.0.113.9, 198.51.100.7, 10.1.1.1' } });
  assert.deepEqual(through.body, { result: 'accept' });
  assert.equal((await lastSignIn(f)).clientIp, '198.51.100.7');
  // The forged leftmost address is never used.
  const forged = await check(f.app, f.keys.check, { username: 'bob', password: PASSWORD }, { remoteAddress: '127.0.0.1', headers: { 'x-forwarded-for': '198.51.100.7, 203.0.113.9' } });
  assert.deepEqual(forged.body, { result: 'reject' });
  assert.equal((await lastSignIn(f)).clientIp, '203.0.113.9');
  // A peer that is not a trusted proxy cannot set the address.
  const direct = await check(f.app, f.keys.check, { username: 'bob', password: PASSWORD }, { remoteAddress: '192.0.2.99', headers: { 'x-forwarded-for': '198.51.100.7' } });
  assert.deepEqual(direct.body, { result: 'reject' });
  assert.equal((await lastSignIn(f)).clientIp, '192.0.2.99');
});
