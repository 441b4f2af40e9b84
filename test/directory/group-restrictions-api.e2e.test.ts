// Property: a directory group's restriction applies to the users the directory puts in that group, at
// sign-in through POST /auth/check, from the networks it allows and not from those it denies; the user's own
// restriction comes first, the strictest action wins across several groups, and the account-wide one applies
// only when neither exists. Group restrictions are set, shown and removed through /groups, in the caller's
// account only.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { OPERATOR } from '../../src/services/context.js';
import { call, check, makeFixture, type Fixture } from '../helpers/app.js';
import { SERVICE_DN, SERVICE_PASSWORD, startSlapd, SUFFIX, type Slapd } from '../helpers/slapd.js';

describe('group restrictions over the API, with directory users from slapd', () => {
  let slapd: Slapd;
  let f: Fixture;

  before(async () => {
    slapd = await startSlapd();
    await slapd.addPeople([
      { uid: 'vic', password: 'vic directory password', groups: ['VPN-Users'] },
      { uid: 'sam', password: 'sam directory password', groups: ['VPN-Users', 'contractors'] },
      { uid: 'otto', password: 'otto directory password', groups: ['VPN-Users'] },
      { uid: 'nina', password: 'nina directory password', groups: ['staff'] },
    ]);
    f = await makeFixture();
    await f.services.directories.set(OPERATOR, f.acme, { url: slapd.url, bindDn: SERVICE_DN, bindPassword: SERVICE_PASSWORD, baseDn: SUFFIX });
  });

  after(async () => {
    await f?.close();
    await slapd?.remove();
  });

  /** A check from the end user's address (a key that may pass clientIp). */
  const signIn = async (username: string, clientIp: string) => {
    const result = await check(f.app, f.keys.clientIp, { username, password: `${username} directory password`, clientIp });
    assert.equal(result.status, 200, JSON.stringify(result.body));
    return result.body.result;
  };
  const lastReason = async (username: string) => (await f.services.audit.list({ accountId: f.acme.id, username })).find((e) => e.action === 'signin')?.reason;

  test('PUT /groups/{group}/restrictions sets it (the name compared ignoring case); GET shows it; another account sees none', async () => {
    const put = await call(f.app, 'PUT', '/api/v1/groups/vpn-users/restrictions', { key: f.keys.admin, body: { rules: [{ cidr: '10.20.0.0/16', action: 'allow' }], default: 'deny' } });
    assert.equal(put.statusCode, 200, put.body);
    assert.equal(put.json<{ group: string }>().group, 'vpn-users');
    const shown = await call(f.app, 'GET', '/api/v1/groups/VPN-USERS/restrictions', { key: f.keys.admin });
    assert.deepEqual({ ...shown.json<Record<string, unknown>>(), updatedAt: 'x' }, { group: 'vpn-users', rules: [{ cidr: '10.20.0.0/16', action: 'allow' }], default: 'deny', members: 0, updatedAt: 'x' });
    const other = await call(f.app, 'GET', '/api/v1/groups/vpn-users/restrictions', { key: f.keys.adminB });
    assert.equal(other.statusCode, 404);
    assert.equal(other.json<{ error: { code: string } }>().error.code, 'group_restriction_not_found');
    assert.deepEqual((await call(f.app, 'GET', '/api/v1/groups', { key: f.keys.adminB })).json(), { groups: [] });
    assert.equal((await call(f.app, 'GET', '/api/v1/groups', { key: f.keys.check })).statusCode, 403);
    const bad = await call(f.app, 'PUT', '/api/v1/groups/staff/restrictions', { key: f.keys.admin, body: { rules: [{ cidr: '10.0.0.0/33', action: 'allow' }], default: 'deny' } });
    assert.equal(bad.json<{ error: { code: string } }>().error.code, 'invalid_restriction');
  });

  test('a directory user in the group signs in from the allowed network and is refused from any other', async () => {
    assert.equal(await signIn('vic', '10.20.3.4'), 'accept');
    assert.equal(await signIn('vic', '192.0.2.50'), 'reject');
    assert.equal(await lastReason('vic'), 'denied_by_rule');
    const why = await call(f.app, 'GET', '/api/v1/users/vic/restrictions', { key: f.keys.admin });
    assert.deepEqual(why.json(), { rules: [{ cidr: '10.20.0.0/16', action: 'allow' }], default: 'deny', source: 'group', groups: ['vpn-users'] });
    const groups = await call(f.app, 'GET', '/api/v1/groups', { key: f.keys.admin });
    assert.deepEqual(groups.json(), { groups: [{ group: 'vpn-users', members: 1, restriction: { rules: [{ cidr: '10.20.0.0/16', action: 'allow' }], default: 'deny' } }] });
  });

  test("the user's own restriction comes before the group's", async () => {
    assert.equal(await signIn('otto', '192.0.2.51'), 'reject');
    const own = await call(f.app, 'PUT', '/api/v1/users/otto/restrictions', { key: f.keys.admin, body: { rules: [], default: 'allow' } });
    assert.equal(own.json<{ source: string }>().source, 'user');
    assert.equal(await signIn('otto', '192.0.2.51'), 'accept');
  });

  test('several groups: the strictest action wins for each address', async () => {
    // contractors: OTP from the VPN network; vpn-users allows it. Elsewhere vpn-users denies.
    await call(f.app, 'PUT', '/api/v1/groups/contractors/restrictions', { key: f.keys.admin, body: { rules: [{ cidr: '10.20.0.0/16', action: 'require_otp' }], default: 'allow' } });
    // sam has no token: require_otp without one is the association prompt (self-association is on).
    assert.equal(await signIn('sam', '10.20.9.9'), 'enroll_required');
    assert.equal(await signIn('sam', '198.51.100.7'), 'reject');
    assert.equal(await lastReason('sam'), 'denied_by_rule');
    const why = await call(f.app, 'GET', '/api/v1/users/sam/restrictions', { key: f.keys.admin });
    assert.deepEqual(why.json<{ groups: string[] }>().groups, ['contractors', 'vpn-users']);
    // vic (vpn-users only) is not affected by the contractors' rule.
    assert.equal(await signIn('vic', '10.20.9.9'), 'accept');
  });

  test('the account-wide restriction (PUT /account/restrictions) applies only to users with neither their own nor a group restriction', async () => {
    const put = await call(f.app, 'PUT', '/api/v1/account/restrictions', { key: f.keys.admin, body: { rules: [], default: 'require_otp' } });
    assert.deepEqual(put.json(), { rules: [], default: 'require_otp', source: 'account', groups: [] });
    assert.equal((await call(f.app, 'GET', '/api/v1/account/restrictions', { key: f.keys.adminB })).json<{ source: string }>().source, 'none', "not the other account's");
    try {
      // nina is in staff, which has no restriction: the account's applies.
      assert.equal(await signIn('nina', '10.20.1.1'), 'enroll_required');
      assert.equal((await call(f.app, 'GET', '/api/v1/users/nina/restrictions', { key: f.keys.admin })).json<{ source: string }>().source, 'account');
      // vic's group restriction still applies, not the account's.
      assert.equal(await signIn('vic', '10.20.1.1'), 'accept');
    } finally {
      const removed = await call(f.app, 'DELETE', '/api/v1/account/restrictions', { key: f.keys.admin });
      assert.equal(removed.json<{ source: string }>().source, 'none');
    }
  });

  test('DELETE removes the group restriction: its users sign in from anywhere again; a second DELETE is 404', async () => {
    assert.equal((await call(f.app, 'DELETE', '/api/v1/groups/Vpn-Users/restrictions', { key: f.keys.admin })).statusCode, 204);
    assert.equal((await call(f.app, 'DELETE', '/api/v1/groups/vpn-users/restrictions', { key: f.keys.admin })).statusCode, 404);
    assert.equal(await signIn('vic', '192.0.2.50'), 'accept');
    const events = await f.services.audit.list({ accountId: f.acme.id });
    assert.ok(events.some((e) => e.action === 'restriction.set_group' && /group vpn-users/.test(e.reason ?? '')));
    assert.ok(events.some((e) => e.action === 'restriction.clear_group' && /group Vpn-Users/.test(e.reason ?? '')));
  });

  test('a group name with a space and a slash travels in the path', async () => {
    const put = await call(f.app, 'PUT', `/api/v1/groups/${encodeURIComponent('VPN Users/Paris')}/restrictions`, { key: f.keys.admin, body: { rules: [], default: 'deny' } });
    assert.equal(put.statusCode, 200, put.body);
    assert.equal(put.json<{ group: string }>().group, 'VPN Users/Paris');
    assert.equal((await call(f.app, 'DELETE', `/api/v1/groups/${encodeURIComponent('VPN Users/Paris')}/restrictions`, { key: f.keys.admin })).statusCode, 204);
  });
});
