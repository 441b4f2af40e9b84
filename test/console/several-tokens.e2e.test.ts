// A user with several tokens in the console, in a real browser: the Access Restrictions tab lists every
// token (serial, label, kind, status, last used, fail count) with its own actions; "Associate OTP token"
// adds one (with a label) while under the account's limit; a row's re-sync and disassociate act on that
// row's token only (oathtool's codes). Screenshots at 1100 and 390 px, with no sideways scrolling.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Page } from 'playwright-core';
import { OPERATOR } from '../../src/services/context.js';
import { screenshot, startConsole, type ConsoleFixture } from './fixtures.js';
import { oathCode, oathCodes } from '../helpers/otp.js';
import { randomSecretHex } from '../helpers/secrets.js';

let fx: ConsoleFixture;
let page: Page;
const desk = { serial: '4600000000001', secretHex: randomSecretHex() };
const spare = { serial: '4600000000002', secretHex: randomSecretHex() };
const third = { serial: '4600000000003', secretHex: randomSecretHex() };

before(async () => {
  fx = await startConsole();
  await fx.importTokens([desk, spare, third]);
  await fx.createUser('mira', { displayName: 'Mira Sorvino' });
  await fx.instance.services.tokens.associate(OPERATOR, fx.account, 'mira', desk.serial, oathCode(desk.secretHex, 0), true, 'desk');
  page = await fx.signIn(await fx.newContext(), 'admin', fx.adminPassword);
});
after(async () => fx?.close());

const row = (serial: string) => page.locator(`tr[data-serial="${serial}"]`);
const show = (serial: string) => fx.instance.services.tokens.show(fx.account, serial);

test('a one-token user keeps the seed wording; "Associate OTP token" adds a second token with its label', async () => {
  await page.goto('/admin/users/mira/access');
  assert.equal(await page.locator('#token-status').innerText(), 'Assigned');
  assert.equal(await page.locator('#token-serial').innerText(), desk.serial);
  assert.equal(await page.getByRole('heading', { name: 'OTP token', exact: true }).count(), 1);

  await page.getByRole('link', { name: 'Associate OTP token' }).click();
  assert.match(await page.locator('#held-tokens').innerText(), /Already held: 4600000000001 \(desk\)/);
  await page.getByLabel('Serial number').fill(spare.serial);
  await page.getByLabel('OTP code').fill(oathCode(spare.secretHex, 0));
  await page.getByLabel(/^Label/).fill('spare');
  await page.getByRole('button', { name: 'Submit' }).click();
  assert.equal(new URL(page.url()).pathname, '/admin/users/mira/access');
  assert.match(await page.locator('main').innerText(), /The token is associated/);

  // Both rows, each with its label; the first token is still the user's (added, not replaced).
  assert.equal(await page.locator('#tokens tbody tr').count(), 2);
  assert.match(await row(desk.serial).innerText(), /desk[\s\S]*HOTP, 6 digits[\s\S]*Assigned/);
  assert.match(await row(spare.serial).innerText(), /spare[\s\S]*HOTP, 6 digits[\s\S]*Assigned/);
  assert.deepEqual((await fx.instance.services.tokens.listOfUser(fx.account, 'mira')).map((t) => [t.serial, t.label]), [[desk.serial, 'desk'], [spare.serial, 'spare']]);
  assert.equal(await page.getByRole('heading', { name: 'OTP tokens' }).count(), 1);
  assert.equal(await page.locator('#token-status').count(), 0, 'no single-token ids on a table of several');
  // Each row's actions name its own token for screen readers.
  assert.equal(await page.getByRole('link', { name: `Re-sync token ${spare.serial}` }).count(), 1);
  assert.match(await page.locator('#tokens').innerText(), /holds 2 of at most 3 tokens/);
  // The Users list names every token the user holds, each with its state and label.
  await page.goto('/admin/users?q=mira');
  const listed = await page.locator('tr', { hasText: 'mira' }).first().innerText();
  assert.match(listed, new RegExp(`Assigned ${desk.serial} desk[\\s\\S]*Assigned ${spare.serial} spare`));
  await page.goto('/admin/users/mira/access');

  for (const width of [1100, 390]) {
    await page.setViewportSize({ width, height: 800 });
    await screenshot(page, `admin-user-tokens-${width}`);
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    assert.ok(overflow <= 0, `no sideways scrolling at ${width} px (overflow ${overflow} px)`);
  }
  await page.setViewportSize({ width: 1100, height: 800 });
});

test("a row's re-sync moves that token only, with two consecutive oathtool codes", async () => {
  await page.goto('/admin/users/mira/access');
  await row(spare.serial).getByRole('link', { name: /Re-sync token/ }).click();
  assert.equal(new URL(page.url()).search, `?serial=${spare.serial}`);
  assert.match(await page.getByRole('heading', { level: 2 }).innerText(), new RegExp(`Re-sync token ${spare.serial}`));
  const [first, second] = oathCodes(spare.secretHex, 40, 2);
  await page.getByLabel('First passcode').fill(first!);
  await page.getByLabel('Second passcode').fill(second!);
  await page.getByRole('button', { name: 'Save' }).click();
  assert.equal(new URL(page.url()).pathname, '/admin/users/mira/access');
  assert.match(await page.locator('main').innerText(), /The token is re-synced/);
  assert.equal((await show(spare.serial)).counter, 42);
  assert.equal((await show(desk.serial)).counter, 1, 'the other token did not move');
});

test("a page that names no token of a user with several shows the user's tab; a forged POST changes nothing", async () => {
  const response = await page.goto('/admin/users/mira/token/resync');
  assert.equal(new URL(page.url()).pathname, '/admin/users/mira/access');
  assert.equal(response?.status(), 200);
  await page.goto(`/admin/users/mira/token/disassociate?serial=${third.serial}`);
  assert.equal(new URL(page.url()).pathname, '/admin/users/mira/access', 'a serial that is not theirs');
  const forged = await page.request.post('/admin/users/mira/token/disassociate', { form: { _csrf: 'wrong', serial: desk.serial }, maxRedirects: 0 });
  assert.equal(forged.status(), 403);
  assert.equal((await show(desk.serial)).username, 'mira');
});

test('at the limit the Associate link gives way to a hint, and its page leads back', async () => {
  await fx.instance.services.accounts.updateSettings(OPERATOR, fx.account, { maxTokensPerUser: 2 });
  try {
    await page.goto('/admin/users/mira/access');
    assert.equal(await page.getByRole('link', { name: 'Associate OTP token' }).count(), 0);
    assert.match(await page.locator('#token-limit').innerText(), /holds 2 tokens, the account's limit/);
    await page.goto('/admin/users/mira/token/associate');
    assert.equal(new URL(page.url()).pathname, '/admin/users/mira/access');
  } finally {
    await fx.instance.services.accounts.updateSettings(OPERATOR, fx.account, { maxTokensPerUser: 3 });
  }
});

test("a row's disassociate asks first, then returns that token only to the inventory", async () => {
  await page.goto('/admin/users/mira/access');
  await row(desk.serial).getByRole('link', { name: /Disassociate token/ }).click();
  assert.match(await page.locator('main').innerText(), /Disassociate token 4600000000001 from Mira Sorvino/);
  assert.equal((await show(desk.serial)).username, 'mira', 'the confirmation page changes nothing');
  await screenshot(page, 'admin-user-token-disassociate-confirm');
  await page.getByRole('button', { name: 'Disassociate token' }).click();
  assert.equal(new URL(page.url()).pathname, '/admin/users/mira/access');
  assert.match(await page.locator('main').innerText(), /The token is disassociated/);
  assert.deepEqual([(await show(desk.serial)).status, (await show(desk.serial)).username], ['available', null]);
  assert.equal((await show(spare.serial)).username, 'mira');
  // One token left: the seed's single-token page again.
  assert.equal(await page.locator('#token-serial').innerText(), spare.serial);
  assert.equal(await page.locator('#token-status').innerText(), 'Assigned');
});

test("disable and enable on a row act on that row's token; unlock lifts the user's lock on every token", async () => {
  await fx.instance.services.tokens.associate(OPERATOR, fx.account, 'mira', third.serial, oathCode(third.secretHex, 0), true, '<b>home</b>');
  await page.goto('/admin/users/mira/access');
  assert.match(await row(third.serial).innerText(), /<b>home<\/b>/, 'the label is shown as text');
  await row(third.serial).getByRole('link', { name: /Disable token/ }).click();
  assert.match(await page.locator('main').innerText(), /Disable token 4600000000003 of Mira Sorvino/);
  await page.getByRole('button', { name: 'Disable token' }).click();
  assert.equal((await show(third.serial)).status, 'disabled');
  assert.equal((await show(spare.serial)).status, 'associated');
  await row(third.serial).getByRole('button', { name: /Enable token/ }).click();
  assert.equal((await show(third.serial)).status, 'associated');

  // Wrong passcodes up to maxFailures lock the user: every row says Locked; one Unlock lifts it on all.
  const services = fx.instance.services;
  await services.accounts.updateSettings(OPERATOR, fx.account, { maxFailures: 3 });
  for (let i = 0; i < 3; i++) {
    await services.signIn.check({ accountId: null, username: 'mira', password: null, passcode: oathCode(spare.secretHex, 900 + i), actor: { name: 'test', accountId: null, clientIp: `198.51.100.${i + 1}` } });
  }
  await page.goto('/admin/users/mira/access');
  assert.match(await row(spare.serial).innerText(), /Locked/);
  assert.match(await row(third.serial).innerText(), /Locked/);
  assert.match(await page.locator('#tokens').innerText(), /The lock is the user's/);
  await screenshot(page, 'admin-user-tokens-locked');
  await row(third.serial).getByRole('button', { name: /Unlock/ }).click();
  assert.match(await page.getByRole('status').innerText(), /unlocked/);
  assert.deepEqual([(await show(spare.serial)).status, (await show(third.serial)).status], ['associated', 'associated']);
  assert.equal(await page.getByRole('button', { name: /Unlock/ }).count(), 0);
});
