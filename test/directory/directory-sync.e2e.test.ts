// Property: a directory sync creates, updates and disables (never deletes) users and never touches a token;
// a directory that stops mid-way applies nothing; a sync that would disable more than 10 users and 10% of
// the directory users is refused unless forced; --dry-run changes nothing. Every sync is audited.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createConnection, createServer, type Server } from 'node:net';
import { OPERATOR } from '../../src/services/context.js';
import { ServiceError } from '../../src/services/errors.js';
import { importCsv, makeInstallation, type Installation } from '../helpers/installation.js';
import { oathCode } from '../helpers/otp.js';
import { runCli } from '../helpers/cli.js';
import { SERVICE_DN, SERVICE_PASSWORD, startSlapd, SUFFIX, type Person, type Slapd } from '../helpers/slapd.js';

/** A TCP proxy that forwards to slapd and cuts both sides after `limit` bytes from the server: a directory that stops mid-answer. */
function cuttingProxy(targetPort: number, limit: number): Promise<{ port: number; server: Server }> {
  const server = createServer((client) => {
    const upstream = createConnection({ host: '127.0.0.1', port: targetPort });
    let sent = 0;
    client.on('data', (d) => upstream.write(d));
    upstream.on('data', (d: Buffer) => {
      if (sent + d.length > limit) {
        client.write(d.subarray(0, Math.max(0, limit - sent)));
        client.destroy();
        upstream.destroy();
        return;
      }
      sent += d.length;
      client.write(d);
    });
    const close = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on('error', close).on('close', close);
    upstream.on('error', close).on('close', close);
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({ port: (server.address() as { port: number }).port, server })));
}

async function snapshot(inst: Installation): Promise<string> {
  const db = inst.instance.database.db;
  const users = await db.selectFrom('users').select(['username', 'display_name', 'email', 'dn', 'disabled_at', 'disabled_reason', 'source']).orderBy('username_key').execute();
  const groups = await db.selectFrom('user_groups').selectAll().orderBy('user_id').orderBy('group_name').execute();
  const tokens = await db.selectFrom('tokens').select(['serial', 'status', 'user_id', 'counter']).orderBy('serial').execute();
  return JSON.stringify({ users, groups, tokens });
}

const people = (from: number, to: number): Person[] =>
  Array.from({ length: to - from }, (_, i) => ({ uid: `p${String(from + i).padStart(3, '0')}`, password: 'person password', cn: `Person ${from + i}`, mail: `p${from + i}@example.org`, groups: i % 2 ? ['odd'] : ['even'] }));

describe('directory sync (OpenLDAP)', () => {
  let slapd: Slapd;
  let inst: Installation;

  before(async () => {
    slapd = await startSlapd();
    // 300 people: more than one page of the paged search (200 a page).
    await slapd.addPeople(people(0, 300));
    inst = await makeInstallation();
    await inst.services.directories.set(OPERATOR, inst.account, { url: slapd.url, bindDn: SERVICE_DN, bindPassword: SERVICE_PASSWORD, baseDn: SUFFIX });
    await inst.services.users.create(OPERATOR, inst.account, { username: 'p299', password: 'a local password' });
  });

  after(async () => {
    await inst?.cleanup();
    await slapd?.remove();
  });

  test('--dry-run plans and changes nothing; the sync then creates every person, with groups; a local user of the same name is left alone', async () => {
    const before = await snapshot(inst);
    const dry = await inst.services.directorySync.sync(OPERATOR, inst.account, { dryRun: true });
    assert.equal(dry.applied, false);
    assert.equal(dry.plan.create.length, 299);
    assert.deepEqual(dry.plan.skipped, [{ username: 'p299', reason: 'a local user has this name' }]);
    assert.equal(await snapshot(inst), before);

    const report = await inst.services.directorySync.sync(OPERATOR, inst.account);
    assert.equal(report.applied, true);
    const p001 = await inst.services.users.show(inst.account, 'p001');
    assert.equal(p001.source, 'directory');
    assert.deepEqual(p001.groups, ['odd']);
    assert.equal(p001.email, 'p1@example.org');
    assert.equal((await inst.services.users.show(inst.account, 'p299')).source, 'local');
    // Nothing left to do.
    const again = await inst.services.directorySync.sync(OPERATOR, inst.account, { dryRun: true });
    assert.deepEqual([again.plan.create.length, again.plan.update.length, again.plan.disable.length], [0, 0, 0]);
  });

  test('updates display name, e-mail and groups; disables users gone from the directory; their token stays theirs', async () => {
    const csv = '7000000000001,3132333435363738393031323334353637383930\n';
    await importCsv(inst.services, inst.account, csv);
    await inst.services.tokens.associate(OPERATOR, inst.account, 'p002', '7000000000001', oathCode('3132333435363738393031323334353637383930', 0));
    await slapd.modify(`dn: ${slapd.personDn('p001')}\nchangetype: modify\nreplace: cn\ncn: Renamed Person\n-\nreplace: mail\nmail: renamed@example.org\n`);
    await slapd.modify(`dn: cn=even,ou=groups,${SUFFIX}\nchangetype: modify\nadd: member\nmember: ${slapd.personDn('p001')}\n`);
    await slapd.modify(`dn: ${slapd.personDn('p002')}\nchangetype: delete\n`);

    const report = await inst.services.directorySync.sync(OPERATOR, inst.account);
    assert.deepEqual(report.plan.update.map((u) => u.username), ['p001']);
    assert.deepEqual(report.plan.disable, [{ userId: report.plan.disable[0]!.userId, username: 'p002', reason: 'gone_from_directory' }]);
    const p001 = await inst.services.users.show(inst.account, 'p001');
    assert.deepEqual([p001.displayName, p001.email, p001.groups], ['Renamed Person', 'renamed@example.org', ['even', 'odd']]);
    const p002 = await inst.services.users.show(inst.account, 'p002');
    assert.equal(p002.disabled, true);
    assert.deepEqual(p002.token, { serial: '7000000000001', status: 'associated' }, 'never touches a token');
    const events = await inst.services.audit.list({ accountId: inst.account.id, username: 'p002' });
    assert.ok(events.some((e) => e.action === 'user.disable' && e.reason === 'directory sync: gone from the directory'));
    // Back in the directory: the sync enables them again (it disabled them; an administrator's disable would stay).
    await slapd.addPeople([{ uid: 'p002', password: 'person password', cn: 'Person 2', mail: 'p2@example.org' }]);
    const back = await inst.services.directorySync.sync(OPERATOR, inst.account);
    assert.deepEqual(back.plan.enable.map((e) => e.username), ['p002']);
    assert.equal((await inst.services.users.show(inst.account, 'p002')).disabled, false);
  });

  test('the directory stops mid-way through the paged search: nothing is applied', async () => {
    await slapd.modify(`dn: ${slapd.personDn('p010')}\nchangetype: delete\n`);
    const proxy = await cuttingProxy(slapd.port, 20_000);
    await inst.services.directories.set(OPERATOR, inst.account, { url: `ldap://127.0.0.1:${proxy.port}`, bindDn: SERVICE_DN, bindPassword: SERVICE_PASSWORD, baseDn: SUFFIX });
    const before = await snapshot(inst);
    try {
      await assert.rejects(inst.services.directorySync.sync(OPERATOR, inst.account), (error: unknown) => error instanceof ServiceError && error.code === 'service_unavailable' && /applied nothing/.test(error.message));
      assert.equal(await snapshot(inst), before);
      const events = await inst.services.audit.list({ accountId: inst.account.id });
      assert.ok(events.some((e) => e.action === 'directory.sync' && e.outcome === 'failure'));
    } finally {
      proxy.server.close();
      await inst.services.directories.set(OPERATOR, inst.account, { url: slapd.url, bindDn: SERVICE_DN, bindPassword: SERVICE_PASSWORD, baseDn: SUFFIX });
    }
    // Through the directory itself, the same sync goes through.
    const report = await inst.services.directorySync.sync(OPERATOR, inst.account);
    assert.deepEqual(report.plan.disable.map((d) => d.username), ['p010']);
  });

  test('the safety limit: disabling more than 10 users and 10% is refused (exit 1, nothing applied) unless --force', async () => {
    // A filter changed by mistake: it now finds only p0xx, so p100-p298 look gone.
    await inst.services.directories.set(OPERATOR, inst.account, { url: slapd.url, bindDn: SERVICE_DN, baseDn: SUFFIX, userFilter: '(&(objectClass=person)(uid=p0*))' });
    const before = await snapshot(inst);
    await inst.instance.close();
    const refused = await runCli(['directory', 'sync'], inst.env);
    assert.equal(refused.code, 1, refused.stderr);
    assert.match(refused.stderr, /would disable 199 of 299 directory users/);
    assert.match(refused.stdout, /disable {2}p100 \(gone from the directory\)/);
    const dry = await runCli(['directory', 'sync', '--dry-run'], inst.env);
    assert.equal(dry.code, 1);
    await inst.reopen();
    assert.equal(await snapshot(inst), before, 'nothing applied');
    await inst.instance.close();
    const forced = await runCli(['directory', 'sync', '--force'], inst.env);
    assert.equal(forced.code, 0, forced.stderr);
    assert.match(forced.stdout, /applied: 0 to create, 0 to update, 199 to disable/);
    await inst.reopen();
    assert.equal((await inst.services.users.show(inst.account, 'p150')).disabled, true);
    assert.equal((await inst.services.users.show(inst.account, 'p050')).disabled, false);
    // Never deleted: 299 from the directory, the local p299 and the admin.
    assert.equal((await inst.services.users.list(inst.account)).length, 301);
  });
});

describe('Active Directory shape (sAMAccountName, userAccountControl) with --preset ad', () => {
  let slapd: Slapd;
  let inst: Installation;

  before(async () => {
    slapd = await startSlapd({ ad: true });
    await slapd.addPeople([
      { uid: 'jdoe', password: 'jdoe ad password', cn: 'John Doe', userAccountControl: 512, groups: ['VPN Users'] },
      { uid: 'gone', password: 'gone ad password', cn: 'Gone Person', userAccountControl: 514 },
      // Not a `user` object: the AD filter must not find it.
      { uid: 'plain', password: 'plain password' },
    ]);
    inst = await makeInstallation();
  });

  after(async () => {
    await inst?.cleanup();
    await slapd?.remove();
  });

  test('directory set --preset ad over LDAPS with the CA file; test, sync and sign-in follow AD attributes and the disabled bit', async () => {
    await inst.instance.close();
    const set = await runCli(['directory', 'set', '--preset', 'ad', '--url', slapd.ldapsUrl, '--bind-dn', SERVICE_DN, '--base-dn', SUFFIX, '--ca-file', slapd.caFile], inst.env, `${SERVICE_PASSWORD}\n`);
    assert.equal(set.code, 0, set.stderr);
    assert.match(set.stdout, /sAMAccountName/);
    assert.doesNotMatch(set.stdout, new RegExp(SERVICE_PASSWORD));
    const tested = await runCli(['directory', 'test'], inst.env);
    assert.equal(tested.code, 0, tested.stderr);
    assert.match(tested.stdout, /finds 2 users/);
    const sync = await runCli(['directory', 'sync'], inst.env);
    assert.equal(sync.code, 0, sync.stderr);
    assert.match(sync.stdout, /create {3}jdoe \(groups: VPN Users\)/);
    assert.match(sync.stdout, /skip {5}gone \(disabled in the directory: not created\)/);
    await inst.reopen();
    // Sign-ins without an account (as the console's) look up new names in the shared directory only.
    await inst.services.directories.share(OPERATOR, inst.account, true);
    const request = (username: string, password: string) => ({ accountId: null, username, password, passcode: null, actor: { name: 'test', accountId: null, clientIp: '10.1.1.1' } });
    assert.equal((await inst.services.signIn.check(request('jdoe', 'jdoe ad password'))).result, 'accept');
    assert.equal((await inst.services.users.show(inst.account, 'jdoe')).displayName, 'John Doe');
    // Disabled in the directory: refused even though this slapd (unlike AD) lets the bind succeed.
    assert.equal((await inst.services.signIn.check(request('gone', 'gone ad password'))).result, 'reject');
    const events = await inst.services.audit.list({ accountId: null, username: 'gone' });
    assert.equal(events.find((e) => e.action === 'signin')?.reason, 'user_disabled');
  });

  test('without the CA, LDAPS and StartTLS are refused (the certificate is not trusted); with it, StartTLS works', async () => {
    await inst.services.directories.set(OPERATOR, inst.account, { preset: 'ad', url: slapd.ldapsUrl, bindDn: SERVICE_DN, bindPassword: SERVICE_PASSWORD, baseDn: SUFFIX });
    const untrusted = await inst.services.directories.test(OPERATOR, inst.account);
    assert.equal(untrusted.ok === false && untrusted.reason, 'tls_failed');
    await inst.services.directories.set(OPERATOR, inst.account, { preset: 'ad', url: slapd.startTlsUrl, startTls: true, bindDn: SERVICE_DN, bindPassword: SERVICE_PASSWORD, baseDn: SUFFIX });
    const startTls = await inst.services.directories.test(OPERATOR, inst.account);
    assert.equal(startTls.ok === false && startTls.reason, 'tls_failed');
    await inst.services.directories.set(OPERATOR, inst.account, { preset: 'ad', url: slapd.startTlsUrl, startTls: true, bindDn: SERVICE_DN, baseDn: SUFFIX, caPem: slapd.caPem });
    assert.deepEqual(await inst.services.directories.test(OPERATOR, inst.account), { ok: true, usersFound: 2, example: 'jdoe' });
  });
});
