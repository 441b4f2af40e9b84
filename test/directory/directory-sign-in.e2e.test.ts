// Property: a directory user's password is checked by a bind as their own DN, found with the service bind
// and an escaped filter; never by an anonymous or empty-password bind. The first successful bind creates the
// user (with groups, e-mail, display name). A directory that cannot be reached fails the sign-in closed,
// and local users are not affected. A disabled user is refused.
import { after, before, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { OPERATOR } from '../../src/services/context.js';
import { ServiceError } from '../../src/services/errors.js';
import type { SignInRequest } from '../../src/services/sign-in-service.js';
import { makeInstallation, type Installation } from '../helpers/installation.js';
import { PEOPLE_DN, SERVICE_DN, SERVICE_PASSWORD, startSlapd, SUFFIX, type Slapd } from '../helpers/slapd.js';

const run = promisify(execFile);

let nextHost = 1;
/** Each request from its own address, so that the per-address back-off of earlier failures does not interfere. */
function request(username: string, password: string | null): SignInRequest {
  const clientIp = `10.9.${Math.floor(nextHost / 250)}.${(nextHost++ % 250) + 1}`;
  return { accountId: null, username, password, passcode: null, actor: { name: 'test', accountId: null, clientIp } };
}

describe('directory users at sign-in (OpenLDAP)', () => {
  let slapd: Slapd;
  let inst: Installation;

  before(async () => {
    slapd = await startSlapd();
    await slapd.addPeople([
      { uid: 'alice', password: 'alice directory password', cn: 'Alice Liddell', mail: 'alice@example.org', groups: ['vpn-users', 'staff'] },
      { uid: 'bob', password: 'bob directory password', groups: ['staff'] },
      // Filter and DN metacharacters in a real username: it must still be found, exactly.
      { uid: 'o(brien)*', password: 'obrien directory password' },
      { uid: 'smith, john+x', password: 'smith directory password' },
    ]);
    inst = await makeInstallation();
    await inst.services.directories.set(OPERATOR, inst.account, { url: slapd.url, bindDn: SERVICE_DN, bindPassword: SERVICE_PASSWORD, baseDn: SUFFIX });
    // These sign-ins name no account (as the console's and `check`'s): new names go to the shared directory.
    await inst.services.directories.share(OPERATOR, inst.account, true);
    await inst.services.users.create(OPERATOR, inst.account, { username: 'localuser', password: 'local password 1' });
  });

  // Past any per-user back-off left by an earlier test's wrong passwords.
  beforeEach(() => inst.clock.advanceSeconds(3600));

  after(async () => {
    await inst?.cleanup();
    await slapd?.remove();
  });

  async function lastSignIn(username: string) {
    // accountId null: a name nobody has is audited without an account (the request named none).
    const events = await inst.services.audit.list({ accountId: null, username });
    return events.find((e) => e.action === 'signin');
  }

  test('the right directory password signs in and creates the user just in time, with groups, e-mail and display name', async () => {
    const outcome = await inst.services.signIn.check(request('alice', 'alice directory password'));
    assert.equal(outcome.result, 'accept');
    const alice = await inst.services.users.show(inst.account, 'alice');
    assert.equal(alice.source, 'directory');
    assert.equal(alice.displayName, 'Alice Liddell');
    assert.equal(alice.email, 'alice@example.org');
    assert.deepEqual(alice.groups, ['staff', 'vpn-users']);
    const events = await inst.services.audit.list({ accountId: inst.account.id, username: 'alice' });
    assert.ok(events.some((e) => e.action === 'user.create' && /just in time/.test(e.reason ?? '')));
  });

  test('a wrong directory password is a reject (wrong_password); an unknown name is unknown_user and creates nobody', async () => {
    assert.equal((await inst.services.signIn.check(request('alice', 'not her password'))).result, 'reject');
    assert.equal((await lastSignIn('alice'))?.reason, 'wrong_password');
    assert.equal((await inst.services.signIn.check(request('nobody-here', 'whatever password'))).result, 'reject');
    assert.equal((await lastSignIn('nobody-here'))?.reason, 'unknown_user');
    await assert.rejects(inst.services.users.show(inst.account, 'nobody-here'), /no user/);
  });

  test('an empty password is refused before any bind, although this server answers an empty-password bind with success', async () => {
    // The control: slapd here takes DN + empty password as an (anonymous) success.
    const { stdout } = await run('ldapwhoami', ['-x', '-H', slapd.url, '-D', slapd.personDn('bob'), '-w', '']);
    assert.match(stdout, /anonymous/);
    assert.equal((await inst.services.signIn.check(request('bob', ''))).result, 'reject');
    assert.equal((await lastSignIn('bob'))?.reason, 'unknown_user');
    await assert.rejects(inst.services.users.show(inst.account, 'bob'), /no user/, 'no user was created by an empty password');
  });

  test('filter metacharacters in the username match nobody else: *)(uid=* and friends', async () => {
    // Each, unescaped, would find alice alone (or everyone) and bind as her with her password.
    for (const hostile of ['alic*', '*', '*)(uid=alice', 'alice)(|(uid=*', 'al\\2aice', '*)(objectClass=*']) {
      const outcome = await inst.services.signIn.check(request(hostile, 'alice directory password'));
      assert.equal(outcome.result, 'reject', hostile);
      assert.equal((await lastSignIn(hostile))?.reason, 'unknown_user', hostile);
    }
  });

  test('a real username with filter and DN metacharacters is found exactly and signs in', async () => {
    assert.equal((await inst.services.signIn.check(request('o(brien)*', 'obrien directory password'))).result, 'accept');
    assert.equal((await inst.services.signIn.check(request('smith, john+x', 'smith directory password'))).result, 'accept');
    const smith = await inst.services.users.show(inst.account, 'smith, john+x');
    assert.equal(smith.source, 'directory');
  });

  test('a directory user has no local password: setting one is refused', async () => {
    await assert.rejects(inst.services.users.update(OPERATOR, inst.account, 'alice', { password: 'a local password' }), /directory user/);
  });

  test('a disabled user (directory or local) is refused with user_disabled; enabled again, they sign in', async () => {
    for (const [name, password] of [['alice', 'alice directory password'], ['localuser', 'local password 1']] as const) {
      await inst.services.users.update(OPERATOR, inst.account, name, { disabled: true });
      assert.equal((await inst.services.signIn.check(request(name, password))).result, 'reject');
      assert.equal((await lastSignIn(name))?.reason, 'user_disabled');
      await inst.services.users.update(OPERATOR, inst.account, name, { disabled: false });
      assert.equal((await inst.services.signIn.check(request(name, password))).result, 'accept');
    }
  });

  test('the directory down: a directory user fails closed (service_unavailable, audited), a local user still signs in', async () => {
    await slapd.stop();
    try {
      await assert.rejects(inst.services.signIn.check(request('alice', 'alice directory password')), (error: unknown) => {
        assert.ok(error instanceof ServiceError);
        assert.equal(error.code, 'service_unavailable');
        assert.match(error.message, new RegExp(`the directory ${slapd.url.replace(/[.]/g, '\\.')}`));
        return true;
      });
      assert.equal((await lastSignIn('alice'))?.reason, 'directory_unavailable');
      // A name nobody has yet, in an installation with a directory, is the directory's to answer: closed too.
      await assert.rejects(inst.services.signIn.check(request('carol', 'any password')), /cannot be used/);
      assert.equal((await inst.services.signIn.check(request('localuser', 'local password 1'))).result, 'accept');
    } finally {
      await slapd.start();
    }
    assert.equal((await inst.services.signIn.check(request('alice', 'alice directory password'))).result, 'accept');
  });

  test('directory test binds, counts and names one; show never shows the bind password', async () => {
    const result = await inst.services.directories.test(OPERATOR, inst.account);
    // The four people with a uid; the service account has none.
    assert.deepEqual(result, { ok: true, usersFound: 4, example: result.ok ? result.example : null });
    const view = await inst.services.directories.show(inst.account);
    assert.ok(!JSON.stringify(view).includes(SERVICE_PASSWORD));
    const stored = await inst.instance.database.db.selectFrom('directories').selectAll().executeTakeFirstOrThrow();
    assert.ok(!Buffer.from(stored.bind_password_sealed).toString('latin1').includes(SERVICE_PASSWORD), 'the bind password is sealed at rest');
  });

  test('people are searched under the configured base only', async () => {
    await inst.services.directories.set(OPERATOR, inst.account, { url: slapd.url, bindDn: SERVICE_DN, baseDn: `ou=nowhere,${PEOPLE_DN}` });
    try {
      await assert.rejects(inst.services.signIn.check(request('bob', 'bob directory password')), /cannot be used/);
    } finally {
      await inst.services.directories.set(OPERATOR, inst.account, { url: slapd.url, bindDn: SERVICE_DN, baseDn: SUFFIX });
    }
  });
});
