// Properties of the real command line with a real slapd: `restriction set|show|clear --group G` manage a
// directory group's restriction, `restriction show USER` says which restriction applies and why, `check`
// follows it (exit 0 only on accept), and when the directory is down `check` exits 1 naming the directory
// while a local user's check is unaffected.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { OPERATOR } from '../../src/services/context.js';
import { runCli } from '../helpers/cli.js';
import { makeInstallation, type Installation } from '../helpers/installation.js';
import { createServer, type AddressInfo, type Socket } from 'node:net';
import { SERVICE_DN, SERVICE_PASSWORD, startSlapd, SUFFIX, type Slapd } from '../helpers/slapd.js';
import { freePort } from '../helpers/ports.js';

describe('otpgate restriction --group and check, with a directory', () => {
  let slapd: Slapd;
  let inst: Installation;
  const cli = (...args: string[]) => runCli(args, inst.env);

  before(async () => {
    slapd = await startSlapd();
    await slapd.addPeople([{ uid: 'gwen', password: 'gwen directory password', groups: ['Field-Staff'] }]);
    inst = await makeInstallation();
    await inst.services.directories.set(OPERATOR, inst.account, { url: slapd.url, bindDn: SERVICE_DN, bindPassword: SERVICE_PASSWORD, baseDn: SUFFIX });
    // `check` names no account: a new name is looked up in the directory the operator shared.
    const shared = await runCli(['directory', 'share'], inst.env);
    assert.equal(shared.code, 0, shared.stderr);
    await inst.services.users.create(OPERATOR, inst.account, { username: 'lou', password: 'lou local password' });
  });

  after(async () => {
    await inst?.cleanup();
    await slapd?.remove();
  });

  test('set --group, show --group, and show USER naming the group; check follows the group rule', async () => {
    // The first sign-in creates gwen with her groups.
    assert.equal((await cli('check', 'gwen', '--password', 'gwen directory password', '--ip', '192.0.2.4')).code, 0);
    const set = await cli('restriction', 'set', '--group', 'field-staff', '--default', 'deny', '--rule', '172.16.0.0/12=allow');
    assert.equal(set.code, 0, set.stderr);
    assert.match(set.stdout, /172\.16\.0\.0\/12\s+allow/);
    assert.match(set.stdout, /group: field-staff \(1 user carries it/);
    const shown = await cli('restriction', 'show', '--group', 'FIELD-STAFF', '--json');
    assert.deepEqual({ ...JSON.parse(shown.stdout), updatedAt: 'x' }, { group: 'field-staff', rules: [{ cidr: '172.16.0.0/12', action: 'allow' }], default: 'deny', members: 1, updatedAt: 'x' });
    const why = await cli('restriction', 'show', 'gwen');
    assert.match(why.stdout, /applies: the restriction of group field-staff\n/);

    const allowed = await cli('check', 'gwen', '--password', 'gwen directory password', '--ip', '172.16.5.5');
    assert.equal(allowed.code, 0, allowed.stdout + allowed.stderr);
    assert.equal(allowed.stdout, 'accept\n');
    const denied = await cli('check', 'gwen', '--password', 'gwen directory password', '--ip', '192.0.2.5');
    assert.equal(denied.code, 1);
    assert.equal(denied.stdout, 'reject\n');
  });

  test('usage: exactly one of USER, --group and --account-wide; clear --group; a second clear is refused', async () => {
    const both = await cli('restriction', 'show', 'gwen', '--group', 'field-staff');
    assert.equal(both.code, 2);
    assert.match(both.stderr, /name a USER, or pass --group G or --account-wide/);
    const cleared = await cli('restriction', 'clear', '--group', 'Field-Staff', '--yes');
    assert.equal(cleared.code, 0, cleared.stderr);
    assert.match(cleared.stdout, /group Field-Staff has no restriction now/);
    const again = await cli('restriction', 'clear', '--group', 'field-staff');
    assert.equal(again.code, 1);
    assert.match(again.stderr, /group "field-staff" has no restriction/);
    assert.match((await cli('restriction', 'show', 'gwen')).stdout, /applies: none/);
  });

  test('the directory down: check exits 1 naming the directory; a local user is not affected', async () => {
    await slapd.stop();
    try {
      const down = await cli('check', 'gwen', '--password', 'gwen directory password');
      assert.equal(down.code, 1);
      assert.equal(down.stdout, '');
      assert.match(down.stderr, new RegExp(`^otpgate: the directory ${slapd.url.replace(/[.]/g, '\\.')} cannot be used: .*nothing was decided, retry later\\n$`));
      const local = await cli('check', 'lou', '--password', 'lou local password');
      assert.equal(local.code, 0, local.stderr);
      assert.equal(local.stdout, 'accept\n');
    } finally {
      await slapd.start();
    }
    assert.equal((await cli('check', 'gwen', '--password', 'gwen directory password')).code, 0);
  });
  test('directory set: the bind password is given with every change, so the stored one never goes to a new host; none given is refused and changes nothing', async () => {
    const connections: Socket[] = [];
    const elsewhere = createServer((socket) => {
      connections.push(socket);
      socket.destroy();
    });
    await new Promise<void>((resolve) => elsewhere.listen(0, '127.0.0.1', resolve));
    try {
      const port = (elsewhere.address() as AddressInfo).port;
      const moved = await cli('directory', 'set', '--url', `ldap://127.0.0.1:${port}`, '--bind-dn', SERVICE_DN, '--base-dn', SUFFIX);
      assert.notEqual(moved.code, 0);
      assert.match(moved.stderr, /password/);
      assert.equal((await inst.services.directories.show(inst.account)).url, slapd.url, 'nothing was saved');
      assert.equal(connections.length, 0, 'the new host was never sent the stored password');
    } finally {
      await new Promise<void>((resolve) => elsewhere.close(() => resolve()));
    }
  });

  test('directory test: a failure is named by its classified reason (and exit 1); --json gives the reason code', async () => {
    const port = await freePort();
    await inst.services.directories.set(OPERATOR, inst.account, { url: `ldap://127.0.0.1:${port}`, bindDn: SERVICE_DN, bindPassword: SERVICE_PASSWORD, baseDn: SUFFIX });
    try {
      const closed = await cli('directory', 'test');
      assert.equal(closed.code, 1);
      assert.match(closed.stderr, /^otpgate: directory test failed \(unreachable\): the directory cannot be reached \(no connection to the URL\)/);
      const json = await cli('directory', 'test', '--json');
      assert.equal(json.code, 1);
      const result = JSON.parse(json.stdout) as { ok: boolean; reason: string; error: string };
      assert.deepEqual({ ok: result.ok, reason: result.reason, error: result.error }, { ok: false, reason: 'unreachable', error: 'the directory cannot be reached (no connection to the URL)' });
      await inst.services.directories.set(OPERATOR, inst.account, { url: slapd.url, bindDn: SERVICE_DN, bindPassword: 'not the service password', baseDn: SUFFIX });
      const refused = await cli('directory', 'test');
      assert.match(refused.stderr, /^otpgate: directory test failed \(bind_refused\): the directory refused the service bind \(bind DN or password\)/);
    } finally {
      await inst.services.directories.set(OPERATOR, inst.account, { url: slapd.url, bindDn: SERVICE_DN, bindPassword: SERVICE_PASSWORD, baseDn: SUFFIX });
    }
  });
});
