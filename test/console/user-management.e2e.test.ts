// Property: An administrator manages people (password, role, disabled, deleted — the dangerous ones confirmed), and
// a user changes their own password.
// (From the console's first-hour review, issue 15.) Its own console and browser: no test here depends on another.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { BrowserContext, Page } from 'playwright-core';
import { OPERATOR } from '../../src/services/context.js';
import { startConsole, type ConsoleFixture } from './fixtures.js';
import { atBothWidths, pathOf } from './widths.js';
import { oathCode } from '../helpers/otp.js';
import { randomSecretHex } from '../helpers/secrets.js';

let fx: ConsoleFixture;
let admin: BrowserContext;
let page: Page;
const tokens = Array.from({ length: 3 }, (_, i) => ({ serial: `700000000000${i}`, secretHex: randomSecretHex() }));

before(async () => {
  fx = await startConsole();
  await fx.importTokens(tokens);
  admin = await fx.newContext();
  page = await fx.signIn(admin, 'admin', fx.adminPassword);
});
after(async () => fx?.close());

test('an administrator resets a password, changes a role (confirmed), disables and enables, and deletes a user (confirmed)', async () => {
  await fx.createUser('bob', { displayName: 'Bob' });
  await fx.instance.services.tokens.associate(OPERATOR, fx.account, 'bob', tokens[0]!.serial, oathCode(tokens[0]!.secretHex, 0));
  await page.goto('/admin/users/bob');

  await page.getByLabel('New password').fill('short');
  await page.getByRole('button', { name: 'Reset password' }).click();
  assert.match(await page.locator('#reset-password-error').innerText(), /^The password must have at least 8 characters\.$/);
  await page.getByLabel('New password').fill('bobs-new-password');
  await page.getByRole('button', { name: 'Reset password' }).click();
  assert.match(await page.getByRole('status').innerText(), /password is changed/);
  const check = await fx.instance.services.signIn.check({ accountId: null, username: 'bob', password: 'bobs-new-password', passcode: oathCode(tokens[0]!.secretHex, 1), actor: OPERATOR });
  assert.equal(check.result, 'accept', 'the new password works');

  await page.getByLabel('Role').selectOption('admin');
  await page.getByRole('button', { name: 'Change role' }).click();
  assert.match(await page.locator('#confirm-question').innerText(), /Change the role of bob from User to Administrator\?/);
  assert.equal((await fx.instance.services.users.show(fx.account, 'bob')).role, 'user', 'not before the confirmation');
  await atBothWidths(page, 'user-management-role-confirm', async () => undefined);
  await page.getByRole('button', { name: 'Make administrator' }).click();
  assert.equal((await fx.instance.services.users.show(fx.account, 'bob')).role, 'admin');
  assert.equal(await page.locator('#user-role').innerText(), 'Administrator');

  await page.getByRole('button', { name: 'Disable user' }).click();
  assert.equal((await fx.instance.services.users.show(fx.account, 'bob')).disabled, true);
  await page.getByRole('button', { name: 'Enable user' }).click();
  assert.equal((await fx.instance.services.users.show(fx.account, 'bob')).disabled, false);
  await atBothWidths(page, 'user-management-user-details', async () => undefined);

  await page.getByRole('link', { name: 'Delete user' }).click();
  assert.match(await page.locator('#confirm-question').innerText(), /Delete Bob \(bob\)\?/);
  assert.match(await page.locator('main').innerText(), /token 7000000000000 returns to the inventory/);
  await page.getByRole('link', { name: 'Cancel' }).click();
  assert.equal(pathOf(page), '/admin/users/bob', 'cancel changes nothing');
  await page.getByRole('link', { name: 'Delete user' }).click();
  await page.getByRole('button', { name: 'Delete user' }).click();
  assert.match(await page.getByRole('status').innerText(), /user is deleted/);
  await assert.rejects(fx.instance.services.users.show(fx.account, 'bob'));
  assert.equal((await fx.instance.services.tokens.show(fx.account, tokens[0]!.serial)).status, 'available');

  // Their own role and account are not changed from their own page.
  await page.goto('/admin/users/admin');
  assert.equal(await page.getByRole('button', { name: 'Change role' }).count(), 0);
  const own = await page.goto('/admin/users/admin/delete');
  assert.equal(own?.status(), 409);
  assert.equal((await fx.instance.services.users.show(fx.account, 'admin')).role, 'admin');
});

test('"Change my password" on /account: the current password first, both new ones the same; afterwards the new one signs in', async () => {
  const password = await fx.createUser('carol');
  const context = await fx.newContext();
  const p = await fx.signIn(context, 'carol', password);
  assert.equal(pathOf(p), '/account');
  await p.getByLabel('Current password').fill('not-my-password');
  await p.getByLabel('New password', { exact: true }).fill('carols-new-password');
  await p.getByLabel('New password again').fill('carols-new-password');
  await p.getByRole('button', { name: 'Change password' }).click();
  assert.match(await p.locator('#password-current-error').innerText(), /^The current password is not right\.$/);
  await p.getByLabel('Current password').fill(password);
  await p.getByLabel('New password', { exact: true }).fill('carols-new-password');
  await p.getByLabel('New password again').fill('carols-other-password');
  await p.getByRole('button', { name: 'Change password' }).click();
  assert.match(await p.locator('#password-confirm-error').innerText(), /not the same/);
  await atBothWidths(p, 'user-management-account-password-error', async () => undefined);
  await p.getByLabel('Current password').fill(password);
  await p.getByLabel('New password', { exact: true }).fill('carols-new-password');
  await p.getByLabel('New password again').fill('carols-new-password');
  await p.getByRole('button', { name: 'Change password' }).click();
  assert.equal(pathOf(p), '/login');
  assert.match(await p.getByRole('status').innerText(), /Your password is changed/);
  const again = await fx.signIn(context, 'carol', 'carols-new-password');
  assert.equal(pathOf(again), '/account');
});
