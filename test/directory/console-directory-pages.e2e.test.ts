// Properties: an administrator sets, tests, syncs and removes the account's directory from the console, with
// CSRF-protected forms, escaped output and the bind password never shown back; sets a directory group's
// restriction on the Groups pages; and sees on a user's page their groups and which restriction applies to
// them and why. The console's own sign-in obeys the group restriction (from a real slapd's groups).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { LightMyRequestResponse } from 'fastify';
import { makeFixture, PASSWORD, type Fixture } from '../helpers/app.js';
import { createServer, type AddressInfo, type Socket } from 'node:net';
import { OPERATOR } from '../../src/services/context.js';
import { SERVICE_DN, SERVICE_PASSWORD, startSlapd, SUFFIX, type Slapd } from '../helpers/slapd.js';
import { freePort } from '../helpers/ports.js';

const FORM = { 'content-type': 'application/x-www-form-urlencoded' };

/** A browser's cookie jar for inject: one cookie per name. */
function cookiesOf(response: LightMyRequestResponse, jar: Map<string, string>): void {
  const header = response.headers['set-cookie'];
  for (const line of header === undefined ? [] : Array.isArray(header) ? header : [header]) {
    const [pair] = line.split(';');
    const at = pair!.indexOf('=');
    jar.set(pair!.slice(0, at), pair!.slice(at + 1));
  }
}

describe('the console: directory, groups and the restriction that applies', () => {
  let slapd: Slapd;
  let f: Fixture;
  const jar = new Map<string, string>();
  let csrf = '';
  const cookie = () => [...jar].map(([k, v]) => `${k}=${v}`).join('; ');

  /** Signs in through /login as a browser would, from this address; returns the final response. */
  async function consoleSignIn(username: string, password: string, remoteAddress: string, cookies = new Map<string, string>()) {
    const form = await f.app.inject({ url: '/login', remoteAddress });
    cookiesOf(form, cookies);
    const token = /name="_csrf" value="([^"]+)"/.exec(form.body)![1]!;
    const posted = await f.app.inject({
      method: 'POST',
      url: '/login',
      remoteAddress,
      headers: { ...FORM, cookie: [...cookies].map(([k, v]) => `${k}=${v}`).join('; ') },
      payload: new URLSearchParams({ _csrf: token, username, password }).toString(),
    });
    cookiesOf(posted, cookies);
    return posted;
  }

  const get = (url: string) => f.app.inject({ url, headers: { cookie: cookie() } });
  const post = (url: string, fields: Record<string, string>, withCsrf = true) =>
    f.app.inject({ method: 'POST', url, headers: { ...FORM, cookie: cookie() }, payload: new URLSearchParams(withCsrf ? { _csrf: csrf, ...fields } : fields).toString() });

  const settings = () => ({ preset: 'openldap', url: slapd.url, bindDn: SERVICE_DN, baseDn: SUFFIX, bindPassword: SERVICE_PASSWORD });

  before(async () => {
    slapd = await startSlapd();
    await slapd.addPeople([
      { uid: 'vic', password: 'vic directory password', cn: 'Vic <b>Bold</b>', groups: ['VPN-Users'] },
      { uid: 'rita', password: 'rita directory password', groups: ['staff'] },
    ]);
    f = await makeFixture();
    const signedIn = await consoleSignIn('admin-acme', PASSWORD, '192.0.2.1', jar);
    assert.equal(signedIn.statusCode, 303, signedIn.body);
    const page = await get('/admin/directory');
    csrf = /name="_csrf" value="([^"]+)"/.exec(page.body)![1]!;
  });

  after(async () => {
    await f?.close();
    await slapd?.remove();
  });

  test('without a directory the page says so; a set without the CSRF token is refused and sets nothing', async () => {
    const page = await get('/admin/directory');
    assert.equal(page.statusCode, 200);
    assert.match(page.body, /id="no-directory"/);
    const refused = await post('/admin/directory', settings(), false);
    assert.equal(refused.statusCode, 403);
    assert.match((await get('/admin/directory')).body, /id="no-directory"/);
  });

  test('a refused setting is named beside its field; the form keeps what was typed but never the password', async () => {
    const refused = await post('/admin/directory', { ...settings(), url: 'ldap://ldap.example.org:389' });
    assert.equal(refused.statusCode, 400);
    assert.match(refused.body, /id="url-error">[^<]*passwords would travel in clear/);
    assert.match(refused.body, /value="ldap:\/\/ldap\.example\.org:389"/);
    assert.ok(!refused.body.includes(SERVICE_PASSWORD), 'the bind password is not echoed');
    const attribute = await post('/admin/directory', { ...settings(), usernameAttribute: 'u id' });
    assert.match(attribute.body, /id="usernameAttribute-error"/);
  });

  test('set: saved, shown escaped, the bind password never shown back; test binds and counts', async () => {
    const saved = await post('/admin/directory', { ...settings(), userFilter: '(&(objectClass=person)(!(description=<script>x</script>)))' });
    assert.equal(saved.statusCode, 303, saved.body);
    const page = await get(saved.headers.location as string);
    assert.match(page.body, /The directory is saved/);
    assert.match(page.body, /description=&lt;script&gt;x&lt;\/script&gt;/);
    assert.ok(!page.body.includes('<script>'), 'a typed value is escaped');
    assert.ok(!page.body.includes(SERVICE_PASSWORD), 'the bind password is never shown');
    assert.match(page.body, /id="bindPassword" name="bindPassword" value=""/);
    // Saved again without a password: the stored one is kept (the test still binds).
    assert.equal((await post('/admin/directory', { ...settings(), bindPassword: '' })).statusCode, 303);
    const tested = await post('/admin/directory/test', {});
    assert.equal(tested.statusCode, 200);
    assert.match(tested.body, /id="test-result"[^>]*>The service bind works; the user filter finds 2 users/);
  });

  test('a new URL or bind DN without the bind password is refused beside the password field; the new host is never sent the stored one', async () => {
    // A listener that counts who connects: where a moved directory would send the stored password.
    const connections: Socket[] = [];
    const elsewhere = createServer((socket) => {
      connections.push(socket);
      socket.destroy();
    });
    await new Promise<void>((resolve) => elsewhere.listen(0, '127.0.0.1', resolve));
    try {
      const port = (elsewhere.address() as AddressInfo).port;
      const moved = await post('/admin/directory', { ...settings(), url: `ldap://127.0.0.1:${port}`, bindPassword: '' });
      assert.equal(moved.statusCode, 400, moved.body);
      assert.match(moved.body, /id="bindPassword-error">[^<]*required again when the URL or the bind DN changes/);
      const renamed = await post('/admin/directory', { ...settings(), bindDn: `cn=someone-else,${SUFFIX}`, bindPassword: '' });
      assert.equal(renamed.statusCode, 400, renamed.body);
      assert.match(renamed.body, /id="bindPassword-error"/);
      assert.equal((await f.services.directories.show(f.acme)).url, slapd.url, 'nothing was saved');
      assert.equal((await post('/admin/directory/test', {})).statusCode, 200);
      assert.equal(connections.length, 0, 'the new host was never sent the stored password');
    } finally {
      await new Promise<void>((resolve) => elsewhere.close(() => resolve()));
    }
  });

  test('a failing directory test shows a classified reason; no connection error, port or library message', async () => {
    const port = await freePort();
    await f.services.directories.set(OPERATOR, f.acme, { url: `ldap://127.0.0.1:${port}`, bindDn: SERVICE_DN, bindPassword: SERVICE_PASSWORD, baseDn: SUFFIX });
    try {
      const closed = await post('/admin/directory/test', {});
      assert.equal(closed.statusCode, 200);
      assert.match(closed.body, /id="test-result"[^>]*>The test failed: the directory cannot be reached \(no connection to the URL\)</);
      const result = /id="test-result"[^>]*>([^<]*)</.exec(closed.body)![1]!;
      assert.doesNotMatch(result, new RegExp(`ECONNREFUSED|${port}|127\\.0\\.0\\.1`));
      await f.services.directories.set(OPERATOR, f.acme, { url: slapd.url, bindDn: SERVICE_DN, bindPassword: 'not the service password', baseDn: SUFFIX });
      const refused = await post('/admin/directory/test', {});
      assert.match(refused.body, /The test failed: the directory refused the service bind \(bind DN or password\)/);
      assert.doesNotMatch(refused.body, /Invalid Credentials|InvalidCredentials|code 49/);
    } finally {
      await f.services.directories.set(OPERATOR, f.acme, { url: slapd.url, bindDn: SERVICE_DN, bindPassword: SERVICE_PASSWORD, baseDn: SUFFIX });
    }
  });

  test('sync: a dry run shows the plan and applies nothing; Sync now applies it', async () => {
    const plan = await post('/admin/directory/sync', { apply: 'no' });
    assert.equal(plan.statusCode, 200);
    assert.match(plan.body, /Dry run: nothing applied\. 2 to create/);
    assert.match(plan.body, /create <strong>vic<\/strong> \(groups: VPN-Users\)/);
    assert.equal((await f.services.users.list(f.acme, 'vic')).length, 0);
    const applied = await post('/admin/directory/sync', { apply: 'yes' });
    assert.match(applied.body, /Applied\. 2 to create/);
    assert.equal((await f.services.users.show(f.acme, 'vic')).source, 'directory');
  });

  test("groups: listed with their users; a group's restriction is set, shown on its users' pages and enforced at the console's sign-in", async () => {
    // Another account's group restriction is not this account's: not listed, not shown by name.
    await f.services.restrictions.setForGroup({ name: 'test', accountId: null, clientIp: null }, f.globex, 'globex-only', { rules: [], default: 'deny' });
    const groups = await get('/admin/groups');
    assert.match(groups.body, /VPN-Users<\/a><\/td>\s*<td>1<\/td>/);
    assert.ok(!groups.body.includes('globex-only'));
    assert.match((await get('/admin/groups/restriction?group=globex-only')).body, /has no restriction yet/);
    const details = await get('/admin/users/vic');
    assert.match(details.body, /id="user-groups">VPN-Users</);
    assert.match(details.body, /id="restriction-applies">none: every address is allowed/);

    const saved = await post('/admin/groups/restriction', { group: 'vpn-users', 'rules[0].cidr': '10.20.0.0/16', 'rules[0].action': 'allow', 'rules[0].note': '<i>office</i>', default: 'deny' });
    assert.equal(saved.statusCode, 303, saved.body);
    const editor = await get(saved.headers.location as string);
    assert.match(editor.body, /The group&#39;s access restriction is saved|The group's access restriction is saved/);
    assert.match(editor.body, /value="10\.20\.0\.0\/16"/);
    assert.match(editor.body, /&lt;i&gt;office&lt;\/i&gt;/);

    for (const page of [await get('/admin/users/vic'), await get('/admin/users/vic/access')]) {
      assert.match(page.body, /id="restriction-applies">the restriction of group vpn-users[ <]/);
    }
    // rita's group has none: nothing applies to her.
    assert.match((await get('/admin/users/rita')).body, /id="restriction-applies">none/);

    assert.equal((await consoleSignIn('vic', 'vic directory password', '10.20.1.2')).headers.location, '/account');
    const denied = await consoleSignIn('vic', 'vic directory password', '198.51.100.9');
    assert.equal(denied.statusCode, 401);
    assert.match(denied.body, /Sign-in refused/);

    // Her own restriction comes first, and the page says so.
    await f.services.restrictions.setForUser({ name: 'test', accountId: null, clientIp: null }, f.acme, 'vic', { rules: [], default: 'allow' });
    assert.match((await get('/admin/users/vic')).body, /id="restriction-applies">the user&#39;s own restriction|id="restriction-applies">the user's own restriction/);
    assert.equal((await consoleSignIn('vic', 'vic directory password', '198.51.100.10')).headers.location, '/account');
    await f.services.restrictions.setForUser({ name: 'test', accountId: null, clientIp: null }, f.acme, 'vic', null);
  });

  test('a group name is escaped wherever it is shown; a refused rule is named beside its field; remove needs the CSRF token', async () => {
    const hostile = '<img src=x onerror=alert(1)>';
    const editor = await get(`/admin/groups/restriction?group=${encodeURIComponent(hostile)}`);
    assert.equal(editor.statusCode, 200);
    assert.ok(!editor.body.includes(hostile));
    assert.match(editor.body, /&lt;img src=x onerror=alert\(1\)&gt;/);
    const bad = await post('/admin/groups/restriction', { group: 'staff', 'rules[0].cidr': '10.0.0.0/33', 'rules[0].action': 'allow', default: 'deny' });
    assert.equal(bad.statusCode, 400);
    assert.match(bad.body, /class="field-error"[^>]*>[^<]*invalid prefix length/);
    await assert.rejects(f.services.restrictions.showForGroup(f.acme, 'staff'), /no restriction/);
    const control = await post('/admin/groups/restriction', { group: 'bad\u0007name', default: 'deny' });
    assert.equal(control.statusCode, 400);
    assert.match(control.body, /class="error-box"[^>]*>Group &quot;bad.name&quot; must be 1-200 characters without control characters/);

    assert.equal((await post('/admin/groups/restriction/remove', { group: 'vpn-users' }, false)).statusCode, 403);
    assert.equal((await f.services.restrictions.showForGroup(f.acme, 'vpn-users')).default, 'deny');
    const removed = await post('/admin/groups/restriction/remove', { group: 'vpn-users' });
    assert.equal(removed.statusCode, 303);
    assert.match((await get('/admin/users/vic')).body, /id="restriction-applies">none/);
  });

  test('remove: refused without the confirmation box, done with it', async () => {
    const unconfirmed = await post('/admin/directory/remove', {});
    assert.equal(unconfirmed.statusCode, 400);
    assert.match(unconfirmed.body, /Tick the box/);
    assert.equal((await f.services.directories.show(f.acme)).url, slapd.url);
    assert.equal((await post('/admin/directory/remove', { confirm: 'yes' })).statusCode, 303);
    assert.match((await get('/admin/directory')).body, /id="no-directory"/);
  });
});
