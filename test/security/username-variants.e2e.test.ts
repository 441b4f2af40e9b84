// Property: a username has one form in the whole installation (trimmed, NFKC, case-folded: core/username.ts).
// Every spelling of a name — surrounding spaces, another case, fullwidth or other compatibility forms — is
// the same user on every channel (API, console form, `otpgate check`), local or from the directory: a
// directory user with a token (even disabled or reported lost) never gets in with the password alone, a
// directory admin never opens the console without their passcode, the back-off and the audit event are the
// canonical user's. And a sign-in that names no account (console, `check`) never sends a password to an
// account's directory that the operator did not share; another tenant's unreachable directory does not make
// unknown names fail with 503.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server, type Socket } from 'node:net';
import { OPERATOR } from '../../src/services/context.js';
import { call, check, makeFixture, PASSWORD, testEnv, type Fixture } from '../helpers/app.js';
import { runCli } from '../helpers/cli.js';
import { oathCode } from '../helpers/otp.js';
import { SERVICE_DN, SERVICE_PASSWORD, startSlapd, SUFFIX, type Slapd } from '../helpers/slapd.js';
import { freePort } from '../helpers/ports.js';

const LINA_PASSWORD = 'lina directory password';
const DIRK_PASSWORD = 'dirk directory password';
/** Spellings of one name: spaces, case, fullwidth letters, a ligature-free compatibility form. */
const variants = (name: string) => [`${name} `, ` ${name}`, name.toUpperCase(), [...name].map((c) => String.fromCodePoint(c.codePointAt(0)! - 0x61 + 0xff41)).join(''), `\u3000${name}`];

/** A TCP server on loopback that counts connections and bytes: a directory that must never be asked. */
async function trap(): Promise<{ url: string; connections: () => number; bytes: () => number; close: () => Promise<void> }> {
  let connections = 0;
  let bytes = 0;
  const sockets: Socket[] = [];
  const server: Server = createServer((socket) => {
    connections++;
    sockets.push(socket);
    socket.on('data', (d: Buffer) => (bytes += d.length));
    socket.on('error', () => undefined);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  return {
    url: `ldap://127.0.0.1:${port}`,
    connections: () => connections,
    bytes: () => bytes,
    close: () => {
      for (const s of sockets) s.destroy();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

describe('one username form on every channel', () => {
  let f: Fixture;
  let slapd: Slapd;
  let ip = 1;
  /** Each attempt from its own address, so that only the per-user back-off is in play. */
  const nextIp = () => `10.77.${Math.floor(ip / 250)}.${(ip++ % 250) + 1}`;
  const linaToken = () => f.spare[0]!;
  const dirkToken = () => f.spare[1]!;
  let linaCounter = 1;
  let aliceCounter = 1;

  async function consoleSignIn(username: string, password: string) {
    const form = await f.app.inject({ url: '/login' });
    const cookie = String(form.headers['set-cookie']).split(';')[0]!;
    const csrf = /name="_csrf" value="([^"]+)"/.exec(form.body)![1]!;
    const response = await f.app.inject({
      method: 'POST',
      url: '/login',
      headers: { 'content-type': 'application/x-www-form-urlencoded', cookie },
      payload: new URLSearchParams({ _csrf: csrf, username, password }).toString(),
      remoteAddress: nextIp(),
    });
    return { status: response.statusCode, location: String(response.headers.location ?? '') };
  }

  before(async () => {
    slapd = await startSlapd();
    await slapd.addPeople([
      { uid: 'lina', password: LINA_PASSWORD, cn: 'Lina Directory', mail: 'lina@example.org, boss@example.org' },
      { uid: 'dirk', password: DIRK_PASSWORD },
    ]);
    f = await makeFixture();
    await f.services.directories.set(OPERATOR, f.acme, { url: slapd.url, bindDn: SERVICE_DN, bindPassword: SERVICE_PASSWORD, baseDn: SUFFIX });
    const synced = await f.services.directorySync.sync(OPERATOR, f.acme);
    assert.equal(synced.applied, true, synced.refused ?? '');
    await f.services.users.update(OPERATOR, f.acme, 'dirk', { role: 'admin' });
    await f.services.tokens.associate(OPERATOR, f.acme, 'lina', linaToken().serial, oathCode(linaToken().hex, 0));
    await f.services.tokens.associate(OPERATOR, f.acme, 'dirk', dirkToken().serial, oathCode(dirkToken().hex, 0));
    // In the directory, not yet known to otpgate (after the sync).
    await slapd.addPeople([{ uid: 'newbie', password: 'newbie directory password' }]);
  });
  after(async () => {
    await f?.close();
    await slapd?.remove();
  });

  test("a directory `mail` holding a list is not an address: it is not stored", async () => {
    assert.equal((await f.services.users.show(f.acme, 'lina')).email, null);
  });

  test('API: every spelling of a directory user with a token needs the passcode; with it, it is the one user', async () => {
    for (const name of variants('lina')) {
      const alone = await check(f.app, f.keys.clientIp, { username: name, password: LINA_PASSWORD, clientIp: nextIp() });
      assert.equal(alone.status, 200, JSON.stringify(alone.body));
      assert.equal(alone.body.result, 'otp_required', `${JSON.stringify(name)} with the password alone`);
    }
    const withCode = await check(f.app, f.keys.clientIp, { username: 'ｌｉｎａ ', password: LINA_PASSWORD, otp: oathCode(linaToken().hex, linaCounter++) });
    assert.equal(withCode.body.result, 'accept');
    // The events are filed under the user's name, whatever was typed.
    const events = await f.services.audit.list({ accountId: f.acme.id, username: 'lina', limit: 50 });
    assert.ok(events.filter((e) => e.action === 'signin').length >= variants('lina').length + 1);
    assert.equal((await f.services.users.list(f.acme, 'lina')).length, 1, 'no second lina was created');
  });

  test('a local user: every spelling is the user (API), with its token', async () => {
    for (const name of variants('alice')) {
      const alone = await check(f.app, f.keys.clientIp, { username: name, password: PASSWORD, clientIp: nextIp() });
      assert.equal(alone.body.result, 'otp_required', `${JSON.stringify(name)} is alice, asked for her passcode`);
    }
    const accepted = await check(f.app, f.keys.clientIp, { username: 'ＡＬＩＣＥ', password: PASSWORD, otp: oathCode(f.aliceToken.hex, aliceCounter++) });
    assert.equal(accepted.body.result, 'accept');
  });

  test('a disabled or lost token: the password alone still never passes, whatever the spelling', async () => {
    await f.services.tokenStates.disable(OPERATOR, f.acme, linaToken().serial);
    for (const name of variants('lina')) {
      const outcome = await check(f.app, f.keys.clientIp, { username: name, password: LINA_PASSWORD, clientIp: nextIp() });
      assert.notEqual(outcome.body.result, 'accept', name);
    }
    await f.services.tokenStates.enable(OPERATOR, f.acme, linaToken().serial);
  });

  test('the back-off is the canonical user\'s: failures under every spelling count on one key', async () => {
    try {
      const reasons = [];
      for (const name of variants('lina')) {
        await check(f.app, f.keys.clientIp, { username: name, password: 'not her password', clientIp: nextIp() });
        reasons.push((await f.services.audit.list({ accountId: f.acme.id, username: 'lina', limit: 1 }))[0]?.reason);
      }
      const keys = await f.instance.database.db.selectFrom('throttles').select(['key', 'consecutive_failures']).where('key', 'like', 'user:%').execute();
      assert.deepEqual(keys.map((k) => k.key), [`user:${f.acme.id}:lina`], 'one back-off key: the canonical user');
      // Five spellings, one user: after the free failures the next spelling is throttled as the name itself
      // would be (with a back-off per spelling none would be).
      assert.deepEqual(reasons, ['wrong_password', 'wrong_password', 'wrong_password', 'wrong_password', 'throttled']);
    } finally {
      f.clock.advance(3600);
    }
  });

  test('console form: a spelling of a directory admin goes to the passcode step, never into /admin', async () => {
    for (const name of [...variants('dirk'), ...variants('lina')]) {
      const outcome = await consoleSignIn(name, name.trim().toLowerCase().includes('dirk') || /ｄ/.test(name) ? DIRK_PASSWORD : LINA_PASSWORD);
      assert.equal(outcome.status, 303, name);
      assert.match(outcome.location, /^\/login\/passcode/, `${JSON.stringify(name)}: the passcode step`);
    }
  });

  test('otpgate check: a spelling of a directory user with a token is not accepted with the password alone', async () => {
    const env = testEnv(f.dir);
    for (const name of ['lina ', 'ＬＩＮＡ']) {
      const result = await runCli(['check', name, '--password', LINA_PASSWORD], env);
      assert.equal(result.stdout, 'otp_required\n', `${JSON.stringify(name)}: ${result.stderr}`);
    }
    const accepted = await runCli(['check', ' Lina', '--password', LINA_PASSWORD, '--otp', oathCode(linaToken().hex, linaCounter++)], env);
    assert.equal(accepted.stdout, 'accept\n', accepted.stderr);
  });

  test('without a shared directory, a console sign-in of a new name reaches no directory, and another tenant\'s unreachable one is no 503', async () => {
    const globexTrap = await trap();
    try {
      await f.services.directories.set(OPERATOR, f.globex, { url: globexTrap.url, bindDn: SERVICE_DN, bindPassword: 'globex password', baseDn: SUFFIX });
      const outcome = await consoleSignIn('newbie', 'newbie directory password');
      assert.equal(outcome.status, 401);
      const cli = await runCli(['check', 'newbie', '--password', 'newbie directory password'], testEnv(f.dir));
      assert.equal(cli.stdout, 'reject\n', cli.stderr);
      assert.equal(globexTrap.connections(), 0, "another tenant's directory never receives the password");

      // acme's directory shared: a new name is looked up there (and created), still never in globex's.
      await f.services.directories.share(OPERATOR, f.acme, true);
      assert.equal((await consoleSignIn('newbie', 'newbie directory password')).status, 303);
      assert.equal((await consoleSignIn('ghost', 'any password')).status, 401);
      assert.equal(globexTrap.connections(), 0, "another tenant's directory never receives the password");
    } finally {
      await globexTrap.close();
    }
    // globex's directory unreachable (nothing listens): unknown names are refused, not 503.
    await f.services.directories.set(OPERATOR, f.globex, { url: `ldap://127.0.0.1:${await freePort()}`, bindDn: SERVICE_DN, bindPassword: 'globex password', baseDn: SUFFIX });
    assert.equal((await consoleSignIn('nobody-at-all', 'any password')).status, 401);
    // Only the operator shares: a tenant admin's key cannot (no route), and the service refuses their actor.
    await assert.rejects(f.services.directories.share({ name: 'globex-admin', accountId: f.globex.id, clientIp: null }, f.globex, true), /only the operator/);
    assert.equal((await call(f.app, 'GET', '/api/v1/directory', { key: f.keys.adminB })).json<{ directory: { shared: boolean } }>().directory.shared, false);
  });

  test('a new URL or bind DN without the bind password is refused: the stored one never goes to another host', async () => {
    const elsewhere = await trap();
    try {
      const settings = { url: elsewhere.url, bindDn: SERVICE_DN, baseDn: SUFFIX };
      const moved = await call(f.app, 'PUT', '/api/v1/directory', { key: f.keys.admin, body: settings });
      assert.equal(moved.statusCode, 400, moved.body);
      assert.equal(moved.json<{ error: { code: string; field?: string } }>().error.field, 'bindPassword');
      const renamed = await call(f.app, 'PUT', '/api/v1/directory', { key: f.keys.admin, body: { url: slapd.url, bindDn: `cn=someone-else,${SUFFIX}`, baseDn: SUFFIX } });
      assert.equal(renamed.statusCode, 400, renamed.body);
      await call(f.app, 'POST', '/api/v1/directory/test', { key: f.keys.admin });
      assert.equal(elsewhere.connections(), 0, 'the new host was never sent the stored password');
      // The same settings with a password given again are taken.
      const given = await call(f.app, 'PUT', '/api/v1/directory', { key: f.keys.admin, body: { ...settings, bindPassword: 'a new password' } });
      assert.equal(given.statusCode, 200, given.body);
    } finally {
      await elsewhere.close();
      await f.services.directories.set(OPERATOR, f.acme, { url: slapd.url, bindDn: SERVICE_DN, bindPassword: SERVICE_PASSWORD, baseDn: SUFFIX });
    }
  });

  test('directory test answers a classified reason; the host, port and library message stay in the server log', async () => {
    const port = await freePort();
    await f.services.directories.set(OPERATOR, f.globex, { url: `ldap://127.0.0.1:${port}`, bindDn: SERVICE_DN, bindPassword: 'globex password', baseDn: SUFFIX });
    const closed = await call(f.app, 'POST', '/api/v1/directory/test', { key: f.keys.adminB });
    assert.equal(closed.statusCode, 200, closed.body);
    assert.deepEqual(closed.json(), { ok: false, reason: 'unreachable', error: 'the directory cannot be reached (no connection to the URL)' });
    assert.doesNotMatch(closed.body, new RegExp(`ECONNREFUSED|${port}`));
    await f.services.directories.set(OPERATOR, f.globex, { url: slapd.url, bindDn: SERVICE_DN, bindPassword: 'not the service password', baseDn: SUFFIX });
    const refused = await call(f.app, 'POST', '/api/v1/directory/test', { key: f.keys.adminB });
    assert.equal(refused.json<{ reason: string }>().reason, 'bind_refused');
    assert.doesNotMatch(refused.body, /Invalid Credentials|49/);
    const audited = await f.services.audit.list({ accountId: f.globex.id, limit: 1 });
    assert.equal(audited[0]?.reason, 'bind_refused');
  });
});
