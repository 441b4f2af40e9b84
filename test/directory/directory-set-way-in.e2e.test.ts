// Property (SPEC, "Administrators keep a way in"; issue #24 finding 8): a change of the account's directory
// settings — URL, service bind, base DN, user filter, username or group attribute — that would leave a
// directory administrator (the account's only way in) unfound, or the directory unusable, is refused with
// would_lock_out_admins and nothing is saved; the same goes through every channel (service, API, console,
// CLI all call `directories.set`). A change that still finds them (another display-name attribute, the same
// settings with the password given again) goes ahead. On SQLite and PostgreSQL, with a real slapd.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { OPERATOR } from '../../src/services/context.js';
import { ServiceError } from '../../src/services/errors.js';
import type { DirectoryInput } from '../../src/services/directory-service.js';
import type { Services } from '../../src/services/services.js';
import type { AccountRow } from '../../src/store/schema.js';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildServer } from '../../src/http/app.js';
import { loadConfig } from '../../src/runtime/config.js';
import { runCli } from '../helpers/cli.js';
import { engineCases, type TestInstallation } from '../helpers/engines.js';
import { GROUPS_DN, SERVICE_DN, SERVICE_PASSWORD, startSlapd, SUFFIX, type Slapd } from '../helpers/slapd.js';
import { freePort } from '../helpers/ports.js';
import { makeTempDir } from '../helpers/temp-dir.js';

const DANA_PASSWORD = 'dana directory password';

function lockout(pattern: RegExp) {
  return (error: unknown) => {
    assert.ok(error instanceof ServiceError, String(error));
    assert.equal(error.code, 'would_lock_out_admins', error.message);
    assert.equal(error.status, 409);
    assert.match(error.message, pattern);
    return true;
  };
}

let slapd: Slapd;
before(async () => {
  slapd = await startSlapd();
  await slapd.addPeople([{ uid: 'dana', password: DANA_PASSWORD, cn: 'Dana Admin', groups: ['ops'] }]);
});
after(() => slapd?.remove());

for (const engine of await engineCases()) {
  describe(`directory set keeps a directory administrator's way in (${engine.engine})`, { skip: engine.skip }, () => {
    let installation: TestInstallation;
    let services: Services;
    let account: () => Promise<AccountRow>;
    const signIn = (accountId: number) => services.signIn.check({ accountId, username: 'dana', password: DANA_PASSWORD, passcode: null, actor: { name: 'test', accountId, clientIp: '192.0.2.7' } });
    const settings = (): DirectoryInput => ({ url: slapd.url, bindDn: SERVICE_DN, bindPassword: SERVICE_PASSWORD, baseDn: SUFFIX });

    before(async () => {
      installation = await engine.start();
      services = installation.services;
      const created = await services.accounts.create(OPERATOR, 'dirco');
      account = () => services.accounts.byId(created.id);
      await services.users.create(OPERATOR, created, { username: 'local-admin', password: 'local admin password', role: 'admin' });
      await services.directories.set(OPERATOR, created, settings());
      // dana signs in once (created just in time from the directory), is made an administrator, and the
      // local administrator leaves: the directory is the only way in.
      const first = await signIn(created.id);
      assert.equal(first.result, 'accept', JSON.stringify(first));
      await services.users.update(OPERATOR, created, 'dana', { role: 'admin' });
      await services.users.delete(OPERATOR, created, 'local-admin');
    });
    after(() => installation?.close());

    async function unchanged(): Promise<void> {
      const shown = await services.directories.show(await account());
      assert.equal(shown.url, slapd.url, 'nothing was saved');
      assert.equal(shown.baseDn, SUFFIX, 'nothing was saved');
      assert.equal(shown.groupAttribute, 'memberOf', 'nothing was saved');
    }

    test('a base DN or filter that no longer finds the directory administrator is refused', async () => {
      await assert.rejects(services.directories.set(OPERATOR, await account(), { ...settings(), baseDn: GROUPS_DN }), lockout(/dana: a directory user whom the directory, as changed, does not find/));
      await unchanged();
      await assert.rejects(services.directories.set(OPERATOR, await account(), { ...settings(), userFilter: '(uid=somebody-else)' }), lockout(/dana: a directory user whom the directory, as changed, does not find/));
      await assert.rejects(services.directories.set(OPERATOR, await account(), { ...settings(), usernameAttribute: 'cn' }), lockout(/does not find/));
      await unchanged();
    });

    test('a URL nothing answers at, or a wrong service password, is refused: the directory could not find them', async () => {
      await assert.rejects(services.directories.set(OPERATOR, await account(), { ...settings(), url: `ldap://127.0.0.1:${await freePort()}` }), lockout(/dana: a directory user, and the directory as changed cannot be used to find them/));
      await assert.rejects(services.directories.set(OPERATOR, await account(), { ...settings(), bindPassword: 'not the service password' }), lockout(/cannot be used to find them/));
      await unchanged();
    });

    test('a group attribute that takes the group whose restriction lets the administrator in is refused', async () => {
      // Account-wide deny; the ops group is allowed: dana's way in is her group.
      await services.restrictions.setForGroup(OPERATOR, await account(), 'ops', { rules: [], default: 'allow' });
      await services.restrictions.setForAccount(OPERATOR, await account(), { rules: [], default: 'deny' });
      try {
        // cn as the group attribute: her groups become her own name, not ops.
        await assert.rejects(services.directories.set(OPERATOR, await account(), { ...settings(), groupAttribute: 'cn' }), lockout(/dana: denied from every address/));
        await unchanged();
      } finally {
        await services.restrictions.setForAccount(OPERATOR, await account(), null);
      }
    });

    test('the CLI and the API refuse the same change: exit 1 with the reason, 409 would_lock_out_admins', async () => {
      const dir = makeTempDir('otpgate-bind-');
      const passwordFile = join(dir, 'bind.password');
      writeFileSync(passwordFile, SERVICE_PASSWORD, { mode: 0o600 });
      try {
        const cli = await runCli(['directory', 'set', '--account', 'dirco', '--url', slapd.url, '--bind-dn', SERVICE_DN, '--base-dn', GROUPS_DN, '--bind-password-file', passwordFile], installation.env);
        assert.equal(cli.code, 1, cli.stdout + cli.stderr);
        assert.match(cli.stderr, /^otpgate: This would leave no administrator able to sign in \(dana: a directory user whom the directory, as changed, does not find/);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
      await unchanged();
      const app = await buildServer(services, loadConfig(installation.env), { logger: false });
      try {
        const key = (await services.apiKeys.create(OPERATOR, await account(), 'dirco-admin', ['admin'], false)).key;
        const put = await app.inject({ method: 'PUT', url: '/api/v1/directory', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, payload: JSON.stringify({ url: slapd.url, bindDn: SERVICE_DN, baseDn: GROUPS_DN, bindPassword: SERVICE_PASSWORD }) });
        assert.equal(put.statusCode, 409, put.body);
        assert.equal(put.json<{ error: { code: string } }>().error.code, 'would_lock_out_admins');
      } finally {
        await app.close();
      }
      await unchanged();
    });

    test('a change that still finds the administrator goes ahead', async () => {
      const renamed = await services.directories.set(OPERATOR, await account(), { ...settings(), displayNameAttribute: 'sn' });
      assert.equal(renamed.displayNameAttribute, 'sn');
      const again = await services.directories.set(OPERATOR, await account(), { ...settings(), userFilter: '(objectClass=inetOrgPerson)' });
      assert.equal(again.userFilter, '(objectClass=inetOrgPerson)');
      const check = await signIn((await account()).id);
      assert.equal(check.result, 'accept');
    });
  });
}
