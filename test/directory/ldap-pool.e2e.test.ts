// Properties of the service connections kept between password checks, against a real slapd: a kept
// connection is reused (the pool does not grow with sequential checks), is bound as the service account
// again after a wrong password (on this slapd an anonymous search finds no one, so a check that still finds
// the person proves it), is replaced when the server restarted meanwhile (the check neither fails nor turns
// into a wrong password), fails closed when the server is down, is closed after the idle time, and at most
// maxIdle are kept.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { DirectoryUnavailableError, LdapDirectory, type DirectorySettings } from '../../src/directory/ldap-directory.js';
import { ServiceConnectionPool } from '../../src/directory/service-connection-pool.js';
import { SERVICE_DN, SERVICE_PASSWORD, startSlapd, SUFFIX, type Slapd } from '../helpers/slapd.js';

describe('the service connection pool', () => {
  let slapd: Slapd;
  let settings: DirectorySettings;

  before(async () => {
    slapd = await startSlapd();
    await slapd.addPeople([
      { uid: 'ann', password: 'ann directory password', groups: ['staff'] },
      { uid: 'ben', password: 'ben directory password' },
    ]);
    settings = {
      kind: 'ldap',
      url: slapd.ldapsUrl,
      bindDn: SERVICE_DN,
      bindPassword: SERVICE_PASSWORD,
      baseDn: SUFFIX,
      userFilter: '(objectClass=person)',
      usernameAttribute: 'uid',
      displayNameAttribute: 'cn',
      emailAttribute: 'mail',
      groupAttribute: 'memberOf',
      startTls: false,
      caPem: slapd.caPem,
    };
  });
  after(() => slapd?.remove());

  test('sequential checks reuse one kept connection; after a wrong password it is the service account again', async (t) => {
    const pool = new ServiceConnectionPool();
    t.after(() => pool.close());
    const ldap = new LdapDirectory(settings, 3000, pool);
    for (let i = 0; i < 3; i++) {
      assert.equal((await ldap.checkPassword('ann', 'ann directory password')).kind, 'ok');
      assert.equal(pool.size, 1);
    }
    const wrong = await ldap.checkPassword('ann', 'not her password');
    assert.equal(wrong.kind, 'wrong');
    assert.equal(wrong.person?.username, 'ann');
    // After the refused bind the connection was anonymous; kept again, it finds people again.
    const next = await ldap.checkPassword('ben', 'ben directory password');
    assert.equal(next.kind, 'ok');
    assert.equal(next.person?.username, 'ben');
    assert.equal(pool.size, 1);
    // Other settings (another bind password, say) never get this connection.
    const other = new LdapDirectory({ ...settings, bindPassword: 'not the service password' }, 3000, pool);
    await assert.rejects(other.checkPassword('ann', 'ann directory password'), DirectoryUnavailableError);
    assert.equal(pool.size, 1);
  });

  test('a kept connection the server dropped (restart) is replaced: the check answers as if nothing happened', async (t) => {
    const pool = new ServiceConnectionPool();
    t.after(() => pool.close());
    const ldap = new LdapDirectory(settings, 3000, pool);
    assert.equal((await ldap.checkPassword('ann', 'ann directory password')).kind, 'ok');
    await slapd.stop();
    await slapd.start();
    const after = await ldap.checkPassword('ann', 'ann directory password');
    assert.equal(after.kind, 'ok');
    assert.deepEqual(after.person?.groups, ['staff']);
    assert.equal(pool.size, 1);
  });

  test('the server down: the check fails closed, nothing is kept', async (t) => {
    const pool = new ServiceConnectionPool();
    t.after(() => pool.close());
    const ldap = new LdapDirectory(settings, 3000, pool);
    assert.equal((await ldap.checkPassword('ann', 'ann directory password')).kind, 'ok');
    await slapd.stop();
    try {
      await assert.rejects(ldap.checkPassword('ann', 'ann directory password'), DirectoryUnavailableError);
      assert.equal(pool.size, 0);
    } finally {
      await slapd.start();
    }
  });

  test('idle connections close after the idle time; at most maxIdle are kept; close() closes them', async () => {
    const pool = new ServiceConnectionPool(2, 200);
    const ldap = new LdapDirectory(settings, 3000, pool);
    const results = await Promise.all(Array.from({ length: 5 }, () => ldap.checkPassword('ben', 'ben directory password')));
    assert.deepEqual(results.map((r) => r.kind), ['ok', 'ok', 'ok', 'ok', 'ok']);
    assert.equal(pool.size, 2);
    await new Promise((resolve) => setTimeout(resolve, 400));
    assert.equal(pool.size, 0);
    assert.equal((await ldap.checkPassword('ben', 'ben directory password')).kind, 'ok');
    assert.equal(pool.size, 1);
    await pool.close();
    assert.equal(pool.size, 0);
    // A closed pool keeps nothing more.
    assert.equal((await ldap.checkPassword('ben', 'ben directory password')).kind, 'ok');
    assert.equal(pool.size, 0);
  });
});
