// Issue #29 item 11, in Chromium at 1100 and 390 px: the first administrator, signed in with the password
// alone and holding no token, is told on the first page to associate one (on every such sign-in until they
// hold one), with a link to /account's "Associate a token"; there, after a step-up (the password, and a
// passcode of a token they hold when they hold one), the same proof as the sign-in's association prompt
// (serial + one passcode, computed by oathtool) associates it, audited as token.associate. A user at the
// token limit is offered no association; a form without its CSRF token changes nothing.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Page } from 'playwright-core';
import { OPERATOR } from '../../src/services/context.js';
import { screenshot, startConsole, type ConsoleFixture } from './fixtures.js';
import { oathCode, wrongCode } from '../helpers/otp.js';
import { randomSecretHex } from '../helpers/secrets.js';

let fx: ConsoleFixture;
const adminToken = { serial: '4800000000001', secretHex: randomSecretHex() };
const zoeFirst = { serial: '4800000000002', secretHex: randomSecretHex() };
const zoeSecond = { serial: '4800000000003', secretHex: randomSecretHex() };

before(async () => {
  fx = await startConsole();
  await fx.importTokens([adminToken, zoeFirst, zoeSecond]);
});
after(async () => fx?.close());

async function signIn(page: Page, username: string, password: string, passcode?: string): Promise<void> {
  await page.goto('/login');
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  if (passcode !== undefined) {
    assert.equal(new URL(page.url()).pathname, '/login/passcode');
    await page.getByLabel('Passcode').fill(passcode);
    await page.getByRole('button', { name: 'Submit' }).click();
  }
}

/** The page's width fits its viewport: nothing scrolls sideways. */
async function fitsWidth(page: Page): Promise<void> {
  const { scroll, client } = await page.evaluate(() => ({ scroll: document.documentElement.scrollWidth, client: document.documentElement.clientWidth }));
  assert.ok(scroll <= client, `${page.url()}: ${scroll} > ${client}`);
}

test('the first administrator is told to add a token, and associates one from /account after a step-up', async () => {
  const page = await (await fx.newContext()).newPage();
  await signIn(page, 'admin', fx.adminPassword);
  assert.equal(new URL(page.url()).pathname, '/admin/users');
  const notice = page.locator('#notice');
  assert.match(await notice.innerText(), /password alone.*no OTP token is associated with your account/s);
  await screenshot(page, 'own-token-notice-1100');
  await page.setViewportSize({ width: 390, height: 844 });
  await fitsWidth(page);
  await screenshot(page, 'own-token-notice-390');
  await page.setViewportSize({ width: 1100, height: 800 });

  // The notice comes again on the next sign-in while they still hold none (it is no one-time flag).
  await page.getByRole('button', { name: 'Sign out' }).click();
  await signIn(page, 'admin', fx.adminPassword);
  assert.equal(await page.locator('#notice').count(), 1);

  await notice.getByRole('link', { name: 'Associate a token' }).click();
  assert.equal(new URL(page.url()).pathname, '/account');
  await page.locator('#associate').click();
  assert.equal(new URL(page.url()).pathname, '/account/token/associate');
  // Holding no token, the step-up is the password alone (the sign-in would let them associate one).
  assert.equal(await page.getByLabel(/Passcode from one of your tokens/).count(), 0);

  // A wrong password: not confirmed, nothing associated, the serial kept.
  await page.getByLabel('Password', { exact: true }).fill('not-the-password');
  await page.getByLabel('Serial number').fill(adminToken.serial);
  await page.getByLabel('OTP code').fill(oathCode(adminToken.secretHex, 0));
  await page.getByRole('button', { name: 'Associate token' }).click();
  assert.match(await page.getByRole('alert').innerText(), /Not confirmed/);
  assert.equal(await page.getByLabel('Serial number').inputValue(), adminToken.serial);
  // The right password, a wrong passcode: the sign-in prompt's one neutral answer.
  await page.getByLabel('Password', { exact: true }).fill(fx.adminPassword);
  await page.getByLabel('OTP code').fill(wrongCode(adminToken.secretHex, 0));
  await page.getByRole('button', { name: 'Associate token' }).click();
  assert.match(await page.getByRole('alert').innerText(), /do not match a token you can associate/);
  assert.equal((await fx.instance.services.tokens.listOfUser(fx.account, 'admin')).length, 0);
  await screenshot(page, 'own-token-form-1100');
  await page.setViewportSize({ width: 390, height: 844 });
  await fitsWidth(page);
  await screenshot(page, 'own-token-form-390');
  await page.setViewportSize({ width: 1100, height: 800 });

  await page.getByLabel('Password', { exact: true }).fill(fx.adminPassword);
  await page.getByLabel('OTP code').fill(oathCode(adminToken.secretHex, 1));
  await page.getByRole('button', { name: 'Associate token' }).click();
  assert.equal(new URL(page.url()).pathname, '/account');
  assert.match(await page.locator('#notice').innerText(), /The token is associated/);
  assert.deepEqual((await fx.instance.services.tokens.listOfUser(fx.account, 'admin')).map((t) => t.serial), [adminToken.serial]);
  const events = await fx.instance.services.audit.list({ accountId: fx.account.id, username: 'admin', limit: 20 });
  const associated = events.filter((e) => e.action === 'token.associate' && e.outcome === 'success');
  assert.equal(associated.length, 1);
  assert.equal(associated[0]!.actor, 'console:admin');
  assert.equal(associated[0]!.serial, adminToken.serial);
  assert.equal(events.filter((e) => e.reason === 'token_associated').length, 0, 'no sign-in is recorded: they were signed in already');

  // Holding one now, the next sign-in asks for its passcode and suggests nothing.
  await page.getByRole('button', { name: 'Sign out' }).click();
  await signIn(page, 'admin', fx.adminPassword, oathCode(adminToken.secretHex, 2));
  assert.equal(new URL(page.url()).pathname, '/admin/users');
  assert.equal(await page.locator('#notice').count(), 0);
});

test('a user who holds a token steps up with its passcode to associate a second one; at the limit none is offered', async () => {
  const password = await fx.createUser('zoe');
  await fx.instance.services.tokens.associate(OPERATOR, fx.account, 'zoe', zoeFirst.serial, oathCode(zoeFirst.secretHex, 0));
  const page = await (await fx.newContext()).newPage();
  await signIn(page, 'zoe', password, oathCode(zoeFirst.secretHex, 1));
  assert.equal(new URL(page.url()).pathname, '/account');
  assert.equal(await page.locator('#notice').count(), 0, 'a user is not told to add a token');
  await page.getByRole('link', { name: 'Associate a token' }).click();

  // Without the held token's passcode the step-up fails (the browser's `required` aside, as a crafted post would).
  const csrf = await page.locator('form[action="/account/token/associate"] input[name="_csrf"]').inputValue();
  const noCurrent = await page.request.post('/account/token/associate', { form: { _csrf: csrf, password, serial: zoeSecond.serial, otp: oathCode(zoeSecond.secretHex, 0) } });
  assert.equal(noCurrent.status(), 400);
  assert.match(await noCurrent.text(), /Not confirmed/);
  // Without the CSRF token: refused, nothing changed.
  const noCsrf = await page.request.post('/account/token/associate', { form: { password, current: oathCode(zoeFirst.secretHex, 2), serial: zoeSecond.serial, otp: oathCode(zoeSecond.secretHex, 0) } });
  assert.equal(noCsrf.status(), 403);
  assert.equal((await fx.instance.services.tokens.listOfUser(fx.account, 'zoe')).length, 1);

  await page.getByLabel('Password', { exact: true }).fill(password);
  await page.getByLabel(/Passcode from one of your tokens/).fill(oathCode(zoeFirst.secretHex, 2));
  await page.getByLabel('Serial number').fill(zoeSecond.serial);
  await page.getByLabel('OTP code').fill(oathCode(zoeSecond.secretHex, 0));
  await page.setViewportSize({ width: 390, height: 844 });
  await fitsWidth(page);
  await screenshot(page, 'own-token-step-up-390');
  await page.getByRole('button', { name: 'Associate token' }).click();
  assert.equal(new URL(page.url()).pathname, '/account');
  assert.deepEqual((await fx.instance.services.tokens.listOfUser(fx.account, 'zoe')).map((t) => t.serial).sort(), [zoeFirst.serial, zoeSecond.serial]);

  // At the account's limit (now 2) the link is gone, and the page says why.
  await fx.instance.services.accounts.updateSettings(OPERATOR, fx.account, { maxTokensPerUser: 2 });
  try {
    await page.goto('/account');
    assert.equal(await page.getByRole('link', { name: 'Associate a token' }).count(), 0);
    await page.goto('/account/token/associate');
    assert.equal(await page.locator('form[action="/account/token/associate"]').count(), 0);
    assert.match(await page.locator('main').innerText(), /already hold as many tokens/);
  } finally {
    await fx.instance.services.accounts.updateSettings(OPERATOR, fx.account, { maxTokensPerUser: 3 });
  }
});
