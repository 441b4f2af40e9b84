// A token's life in the console, in a real browser: disable (after a confirmation page that changes
// nothing), enable, and retire (a reason is required) from a user's Access Restrictions tab; a temporary
// code issued there (shown once) signs the user in at the console's passcode step, and can be revoked.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Page } from 'playwright-core';
import { OPERATOR } from '../../src/services/context.js';
import { screenshot, startConsole, type ConsoleFixture } from './fixtures.js';
import { oathCode } from '../helpers/otp.js';
import { randomSecretHex } from '../helpers/secrets.js';

let fx: ConsoleFixture;
let page: Page;
const token = { serial: '4400000000001', secretHex: randomSecretHex() };

before(async () => {
  fx = await startConsole();
  await fx.importTokens([token]);
  await fx.createUser('lena', { displayName: 'Lena Olin' });
  await fx.instance.services.tokens.associate(OPERATOR, fx.account, 'lena', token.serial, oathCode(token.secretHex, 0));
  page = await fx.signIn(await fx.newContext(), 'admin', fx.adminPassword);
});
after(async () => fx?.close());

const status = async () => (await fx.instance.services.tokens.show(fx.account, token.serial)).status;

test('disable asks first; cancelling changes nothing; confirming disables; enable is one button', async () => {
  await page.goto('/admin/users/lena/access');
  await page.getByRole('link', { name: 'Disable token' }).click();
  assert.equal(new URL(page.url()).pathname, '/admin/users/lena/token/disable');
  assert.match(await page.locator('main').innerText(), /Disable token 4400000000001 of Lena Olin/);
  assert.equal(await status(), 'associated', 'the confirmation page changes nothing');
  await page.getByRole('link', { name: 'Cancel' }).click();
  assert.equal(await status(), 'associated');

  await page.getByRole('link', { name: 'Disable token' }).click();
  await screenshot(page, 'admin-token-disable-confirm');
  await page.getByRole('button', { name: 'Disable token' }).click();
  assert.equal(new URL(page.url()).pathname, '/admin/users/lena/access');
  assert.match(await page.locator('#token-status').innerText(), /Disabled/);
  assert.match(await page.locator('main').innerText(), /The token is disabled/);
  assert.equal(await status(), 'disabled');

  await page.getByRole('button', { name: 'Enable token' }).click();
  assert.match(await page.locator('#token-status').innerText(), /Assigned/);
  assert.equal(await status(), 'associated');
});

test('retire needs a reason, then the user has no token and the serial is listed as retired', async () => {
  await page.goto('/admin/users/lena/access');
  await page.getByRole('link', { name: 'Retire token' }).click();
  await screenshot(page, 'admin-token-retire-confirm');
  // Without a reason (the browser's own check switched off, to reach the server's), nothing changes.
  await page.locator('form[action$="/token/retire"]').evaluate((form) => ((form as HTMLFormElement).noValidate = true));
  await page.getByRole('button', { name: 'Retire token' }).click();
  assert.match(await page.locator('.error-box').innerText(), /Choose why/);
  assert.equal(await status(), 'associated');

  await page.getByLabel('Lost (or stolen)').check();
  await page.getByRole('button', { name: 'Retire token' }).click();
  assert.equal(new URL(page.url()).pathname, '/admin/users/lena/access');
  assert.match(await page.locator('#token-status').innerText(), /No token/);
  const view = await fx.instance.services.tokens.show(fx.account, token.serial);
  assert.deepEqual([view.status, view.retiredReason, view.username], ['retired', 'lost', null]);
  await page.goto('/admin/tokens?status=retired');
  assert.match(await page.locator('tbody').innerText(), /4400000000001\s+Retired/);
  // The token's page: its history, newest first, ending with the import.
  await page.getByRole('link', { name: '4400000000001' }).click();
  assert.equal(new URL(page.url()).pathname, '/admin/tokens/4400000000001');
  const rows = (await page.locator('#token-history tbody tr').allInnerTexts()).map((row) => row.split('\t')[2]);
  assert.deepEqual(rows, ['token.retire', 'token.enable', 'token.disable', 'token.associate', 'token.import']);
  await screenshot(page, 'admin-token-history');
});

test('the pages post with the CSRF token: a forged POST without it changes nothing', async () => {
  await fx.instance.services.tokens.associate(OPERATOR, fx.account, 'lena', (await importAnother()).serial, oathCode(another.secretHex, 0));
  const response = await page.request.post('/admin/users/lena/token/disable', { form: { _csrf: 'wrong' } });
  assert.equal(response.status(), 403);
  assert.equal((await fx.instance.services.tokens.ofUser(fx.account, 'lena')).status, 'associated');
});

test('a temporary code issued in the console signs the user in (no token, OTP required); revoking it ends it', async () => {
  await fx.createUser('omar', { displayName: 'Omar Little' });
  await fx.instance.services.restrictions.setForUser(OPERATOR, fx.account, 'omar', { rules: [], default: 'require_otp' });
  await page.goto('/admin/users/omar/access');
  await page.getByLabel('Uses').fill('2');
  await page.getByLabel('Hours').fill('4');
  await page.getByRole('button', { name: 'Issue temporary code' }).click();
  const code = (await page.locator('#temp-code-value').innerText()).trim();
  assert.match(code, /^[0-9]{10}$/);
  await screenshot(page, 'admin-temp-code-issued');
  await page.goto('/admin/users/omar/access');
  assert.match(await page.locator('#temp-code').innerText(), /2 uses left/);
  assert.ok(!(await page.content()).includes(code), 'the code is never shown again');

  const userPage = await fx.signIn(await fx.newContext(), 'omar', 'pw-omar-long-enough');
  assert.equal(new URL(userPage.url()).pathname, '/login/passcode', 'asked for the code, not to associate a token');
  await userPage.getByLabel('Passcode').fill(code);
  await userPage.getByRole('button', { name: 'Submit' }).click();
  assert.equal(new URL(userPage.url()).pathname, '/account');

  await page.goto('/admin/users/omar/access');
  assert.match(await page.locator('#temp-code').innerText(), /1 use left/);
  await page.getByRole('button', { name: 'Revoke temporary code' }).click();
  assert.match(await page.locator('main').innerText(), /The temporary code is revoked/);
  assert.equal(await fx.instance.services.tempCodes.show(fx.account, 'omar'), null);
  const again = await fx.signIn(await fx.newContext(), 'omar', 'pw-omar-long-enough');
  assert.equal(new URL(again.url()).pathname, '/login/associate', 'without a code they are asked to associate a token');
});

const another = { serial: '4400000000002', secretHex: randomSecretHex() };
async function importAnother() {
  await fx.importTokens([another]);
  return another;
}
