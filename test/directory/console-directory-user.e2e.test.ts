// Property: in a real browser, an administrator sees a directory user's source, groups and status on the
// user's page and can disable them (every sign-in then refused) and enable them again; a directory user
// signs in to the console with their directory password.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { OPERATOR } from '../../src/services/context.js';
import { SERVICE_DN, SERVICE_PASSWORD, startSlapd, SUFFIX, type Slapd } from '../helpers/slapd.js';
import { startConsole, type ConsoleFixture } from '../console/fixtures.js';

let fx: ConsoleFixture;
let slapd: Slapd;

before(async () => {
  slapd = await startSlapd();
  await slapd.addPeople([{ uid: 'vera', password: 'vera directory password', cn: 'Vera Directory', mail: 'vera@example.org', groups: ['vpn-users', 'staff'] }]);
  fx = await startConsole();
  await fx.instance.services.directories.set(OPERATOR, fx.account, { url: slapd.url, bindDn: SERVICE_DN, bindPassword: SERVICE_PASSWORD, baseDn: SUFFIX });
  // The console's sign-in names no account: a new name is looked up in the directory the operator shared.
  await fx.instance.services.directories.share(OPERATOR, fx.account, true);
});
after(async () => {
  await fx?.close();
  await slapd?.remove();
});

test('a directory user signs in with the directory password; the admin sees groups and disables, then enables them', async () => {
  const userContext = await fx.newContext();
  const userPage = await fx.signIn(userContext, 'vera', 'vera directory password');
  assert.equal(new URL(userPage.url()).pathname, '/account');
  await userContext.close();

  const adminContext = await fx.newContext();
  const admin = await fx.signIn(adminContext, 'admin', fx.adminPassword);
  await admin.goto('/admin/users/vera');
  const facts = await admin.locator('dl.facts').innerText();
  assert.match(facts, /Directory/);
  assert.match(facts, /staff, vpn-users/);
  assert.match(facts, /vera@example\.org/);
  await admin.getByRole('button', { name: 'Disable user' }).click();
  assert.match(await admin.locator('body').innerText(), /The user is disabled/);
  assert.match(await admin.locator('dl.facts').innerText(), /Disabled since/);

  const refusedContext = await fx.newContext();
  const refused = await fx.signIn(refusedContext, 'vera', 'vera directory password');
  assert.equal(new URL(refused.url()).pathname, '/login');
  await refusedContext.close();

  await admin.getByRole('button', { name: 'Enable user' }).click();
  assert.match(await admin.locator('body').innerText(), /The user is enabled/);
  await adminContext.close();
});
