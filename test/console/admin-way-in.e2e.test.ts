// The console's side of "Administrators keep a way in", in a real browser: a change that would leave no
// administrator able to sign in is refused with the reason on the page (the confirmation page offers no
// way to save it; a form sent anyway shows the reason) and nothing is saved. adminsRequireOtp (Settings):
// an administrator without a token, whose restriction allows a password alone, is asked to associate a
// token at the console only while it is on. A token of the inventory can be retired from its page.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { OPERATOR } from '../../src/services/context.js';
import { screenshot, startConsole, type ConsoleFixture } from './fixtures.js';
import { randomSecretHex } from '../helpers/secrets.js';

let fx: ConsoleFixture;
const account = () => fx.instance.services.accounts.byId(fx.account.id);

before(async () => {
  fx = await startConsole();
});
after(async () => fx?.close());

test('an account-wide deny is refused on the page with the reason; nothing is saved', async () => {
  const page = await fx.signIn(await fx.newContext(), 'admin', fx.adminPassword);
  await page.goto('/admin/restriction');
  await page.getByLabel('Default action (addresses that match no rule)').selectOption('deny');
  const [response] = await Promise.all([page.waitForResponse((r) => r.url().endsWith('/admin/restriction') && r.request().method() === 'POST'), page.getByRole('button', { name: 'Save' }).click()]);
  assert.equal(response.status(), 409);
  assert.match(await page.locator('#lockout-refusal').innerText(), /This would leave no administrator able to sign in \(admin: denied from every address\)/);
  assert.equal(await page.getByRole('button', { name: 'Save anyway' }).count(), 0, 'no way to save it from here');
  await screenshot(page, 'admin-lockout-refused');
  assert.equal(fx.instance.services.restrictions.showForAccount(await account()).source, 'none');
  // The same form sent again with confirm=yes (as the page would have, had it offered the button): the reason, on the form.
  const csrf = await page.locator('input[name="_csrf"]').first().inputValue();
  const forced = await page.request.post('/admin/restriction', { form: { _csrf: csrf, default: 'deny', confirm: 'yes' } });
  assert.equal(forced.status(), 400);
  assert.match(await forced.text(), /This would leave no administrator able to sign in \(admin: denied from every address\)/);
  assert.equal(fx.instance.services.restrictions.showForAccount(await account()).source, 'none');
});

test("the administrator's own restriction set to deny: the reason on the user's page", async () => {
  const page = await fx.signIn(await fx.newContext(), 'admin', fx.adminPassword);
  await page.goto('/admin/users/admin/access');
  await page.getByLabel('Default action (addresses that match no rule)').selectOption('deny');
  await page.getByRole('button', { name: 'Save' }).click();
  assert.match(await page.getByRole('alert').innerText(), /no administrator able to sign in \(admin: denied from every address\)/);
  assert.equal((await fx.instance.services.restrictions.showForUser(await account(), 'admin')).source, 'none');
});

test('adminsRequireOtp: off, an admin without a token signs in with the password; on, they are asked to associate a token', async () => {
  const password = await fx.createUser('boss', { role: 'admin' });
  const off = await fx.signIn(await fx.newContext(), 'boss', password);
  assert.equal(new URL(off.url()).pathname, '/admin/users');

  const page = await fx.signIn(await fx.newContext(), 'admin', fx.adminPassword);
  await page.goto('/admin/settings');
  await page.getByLabel(/Administrators need a passcode at every console sign-in/).check();
  await page.getByRole('button', { name: 'Save' }).click();
  // Administrators without a token would be asked to associate one: said first, saved when asked again.
  assert.match(await page.locator('#change-impact').innerText(), /asked to associate one: admin, boss/);
  await page.getByRole('button', { name: 'Save anyway' }).click();
  assert.equal((await account()).admins_require_otp, 1);
  assert.equal((await page.goto('/admin/settings'))!.ok(), true);
  assert.equal(await page.getByLabel(/Administrators need a passcode at every console sign-in/).isChecked(), true);

  const on = await fx.signIn(await fx.newContext(), 'boss', password);
  assert.equal(new URL(on.url()).pathname, '/login/associate');
  // A plain user is not an administrator: a password alone, as before.
  const userPassword = await fx.createUser('plain');
  assert.equal(new URL((await fx.signIn(await fx.newContext(), 'plain', userPassword)).url()).pathname, '/account');

  // Self-association off now would leave no administrator a way in: refused, with the reason.
  await page.goto('/admin/settings');
  await page.getByLabel(/may associate one themselves/).uncheck();
  await page.getByRole('button', { name: 'Save' }).click();
  assert.match(await page.locator('#lockout-refusal').innerText(), /admin: required to use OTP without a token, and self-association is off; boss: required to use OTP without a token/);
  assert.equal((await account()).self_association, 1);
  await fx.instance.services.accounts.updateSettings(OPERATOR, await account(), { adminsRequireOtp: false });
});

test('a token of the inventory (nobody\'s) is retired from its page, after a confirmation that asks why', async () => {
  const serial = '4500000000001';
  await fx.importTokens([{ serial, secretHex: randomSecretHex() }]);
  const page = await fx.signIn(await fx.newContext(), 'admin', fx.adminPassword);
  await page.goto(`/admin/tokens/${serial}`);
  await page.getByRole('link', { name: 'Retire token' }).click();
  assert.equal(new URL(page.url()).pathname, `/admin/tokens/${serial}/retire`);
  assert.match(await page.locator('#confirm-question').innerText(), /Retire token 4500000000001 from the inventory\?/);
  await screenshot(page, 'admin-token-retire-inventory-confirm');
  assert.equal((await fx.instance.services.tokens.show(fx.account, serial)).status, 'available', 'the confirmation changes nothing');
  // Without a reason (the browser's own check switched off), nothing changes.
  await page.locator('form[action$="/retire"]').evaluate((form) => ((form as HTMLFormElement).noValidate = true));
  await page.getByRole('button', { name: 'Retire token' }).click();
  assert.match(await page.locator('.error-box').innerText(), /Choose why/);
  assert.equal((await fx.instance.services.tokens.show(fx.account, serial)).status, 'available');
  await page.getByLabel('Broken').check();
  await page.getByRole('button', { name: 'Retire token' }).click();
  assert.equal(new URL(page.url()).pathname, `/admin/tokens/${serial}`);
  assert.match(await page.getByRole('status').innerText(), /retired and out of service for good/);
  assert.match(await page.locator('#token-status').innerText(), /Retired/);
  const view = await fx.instance.services.tokens.show(fx.account, serial);
  assert.deepEqual([view.status, view.retiredReason], ['retired', 'broken']);
  assert.equal(await page.getByRole('link', { name: 'Retire token' }).count(), 0, 'a retired token offers no retire');
  // The form posts with the CSRF token: a forged POST changes nothing.
  await fx.importTokens([{ serial: '4500000000002', secretHex: randomSecretHex() }]);
  assert.equal((await page.request.post('/admin/tokens/4500000000002/retire', { form: { _csrf: 'wrong', reason: 'lost' } })).status(), 403);
  assert.equal((await fx.instance.services.tokens.show(fx.account, '4500000000002')).status, 'available');
});

test("demoting the only other administrator with a way in: the console's page says why (409), the role stays", async () => {
  // boss (no token, no restriction) can sign in; admin, still signed in, is then denied everywhere by a rule of their own.
  const page = await fx.signIn(await fx.newContext(), 'admin', fx.adminPassword);
  await fx.instance.services.restrictions.setForUser(OPERATOR, await account(), 'admin', { rules: [], default: 'deny' });
  await page.goto('/admin/users/boss');
  const csrf = await page.locator('input[name="_csrf"]').first().inputValue();
  const response = await page.request.post('/admin/users/boss/role', { form: { _csrf: csrf, role: 'user', confirm: 'yes' } });
  assert.equal(response.status(), 409);
  const text = await response.text();
  assert.match(text, /This would leave no administrator able to sign in \(boss: no longer an administrator \(user\)\)/);
  assert.equal((await fx.instance.services.users.show(await account(), 'boss')).role, 'admin');
  await fx.instance.services.restrictions.setForUser(OPERATOR, await account(), 'admin', null);
});
