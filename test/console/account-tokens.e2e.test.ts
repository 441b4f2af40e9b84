// /account for a user who holds two tokens, in Chromium (docs/several-tokens.md): the page lists both
// (serial, label, kind, state, last used), and each has its own re-sync form and "Report token lost" link
// that name it: a re-sync moves that token's counter only (oathtool's codes), a report disables that token
// only (the other still signs in) and ends the user's other sessions; forged POSTs change nothing.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Page } from 'playwright-core';
import { OPERATOR } from '../../src/services/context.js';
import { screenshot, startConsole, type ConsoleFixture } from './fixtures.js';
import { Readable } from 'node:stream';
import { oathCode, oathCodes, oathTotpCode } from '../helpers/otp.js';
import { randomSecretHex } from '../helpers/secrets.js';

let fx: ConsoleFixture;
let page: Page;
let password = '';
const desk = { serial: '4700000000001', secretHex: randomSecretHex() };
const spare = { serial: '4700000000002', secretHex: randomSecretHex() };
const others = { serial: '4700000000009', secretHex: randomSecretHex() };
/** A hardware TOTP card (30-s steps), the one token of another user; the server's clock is fixed. */
const card = { serial: '4700000000020', secretHex: randomSecretHex() };
const NOW = Math.floor(Date.now() / 30_000) * 30_000 + 10_000;

async function signedInPage(token: { secretHex: string }, counter: number): Promise<Page> {
  const signedIn = await (await fx.newContext()).newPage();
  await signedIn.goto('/login');
  await signedIn.getByLabel('Username').fill('rosa');
  await signedIn.getByLabel('Password').fill(password);
  await signedIn.getByRole('button', { name: 'Sign in' }).click();
  await signedIn.getByLabel('Passcode').fill(oathCode(token.secretHex, counter));
  await signedIn.getByRole('button', { name: 'Submit' }).click();
  assert.equal(new URL(signedIn.url()).pathname, '/account');
  return signedIn;
}

const section = (serial: string) => page.locator(`section.my-token[data-serial="${serial}"]`);
const show = (serial: string) => fx.instance.services.tokens.show(fx.account, serial);
const csrfOf = (p: Page) => p.locator('input[name="_csrf"]').first().inputValue();

before(async () => {
  fx = await startConsole();
  fx.instance.services.ctx.now = () => NOW;
  await fx.instance.services.imports.import(OPERATOR, fx.account, { input: Readable.from([Buffer.from(`${card.serial},${card.secretHex},totp,6,30,SHA1\n`)]), format: 'csv' });
  await fx.importTokens([desk, spare, others]);
  password = await fx.createUser('rosa', { displayName: 'Rosa Lind' });
  await fx.createUser('otto');
  await fx.instance.services.tokens.associate(OPERATOR, fx.account, 'rosa', desk.serial, oathCode(desk.secretHex, 0), true, 'desk');
  await fx.instance.services.tokens.associate(OPERATOR, fx.account, 'rosa', spare.serial, oathCode(spare.secretHex, 0), true, 'spare');
  await fx.instance.services.tokens.associate(OPERATOR, fx.account, 'otto', others.serial, oathCode(others.secretHex, 0));
  page = await signedInPage(desk, 1);
});
after(async () => fx?.close());

test('both tokens are listed, each with its label, kind, state, last use and its own forms', async () => {
  assert.equal(await page.getByRole('heading', { name: 'OTP tokens' }).count(), 1);
  assert.equal(await page.locator('section.my-token').count(), 2);
  assert.match(await section(desk.serial).innerText(), /Assigned[\s\S]*4700000000001[\s\S]*desk[\s\S]*HOTP, 6 digits[\s\S]*Last used/);
  assert.match(await section(spare.serial).innerText(), /Assigned[\s\S]*4700000000002[\s\S]*spare[\s\S]*HOTP, 6 digits/);
  // Each form names its token; no single-token ids on a page of several.
  assert.equal(await section(spare.serial).locator('form input[name="serial"]').inputValue(), spare.serial);
  assert.equal(await page.locator('#otp1').count(), 0);
  assert.equal(await page.getByRole('button', { name: `Re-sync token ${spare.serial}` }).count(), 1);
  assert.equal(await page.getByRole('link', { name: `Report token lost ${desk.serial}` }).getAttribute('href'), `/account/token/lost?serial=${desk.serial}`);
  for (const width of [1100, 390]) {
    await page.setViewportSize({ width, height: 800 });
    await screenshot(page, `account-tokens-${width}`);
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    assert.ok(overflow <= 0, `no sideways scrolling at ${width} px (overflow ${overflow} px)`);
  }
  await page.setViewportSize({ width: 1100, height: 800 });
});

test("the second token's re-sync moves its counter only", async () => {
  const deskBefore = (await show(desk.serial)).counter;
  const [first, second] = oathCodes(spare.secretHex, 40, 2);
  await section(spare.serial).getByLabel('First passcode').fill(first!);
  await section(spare.serial).getByLabel('Second passcode').fill(second!);
  await section(spare.serial).getByRole('button', { name: /Re-sync token/ }).click();
  assert.match(await page.locator('main').innerText(), /The token is re-synced/);
  assert.equal((await show(spare.serial)).counter, 42);
  assert.equal((await show(desk.serial)).counter, deskBefore, 'the other token did not move');
  const resync = (await fx.instance.services.audit.list({ accountId: fx.account.id, username: 'rosa', limit: 10 })).find((e) => e.action === 'token.resync' && e.outcome === 'success');
  assert.equal(resync?.serial, spare.serial);
});

test('forged POSTs without the CSRF token change nothing; a report naming no token, or another user\'s, is a page error', async () => {
  await page.goto('/account');
  const deskBefore = await show(desk.serial);
  const forgeries: Record<string, string>[] = [{ serial: desk.serial }, { serial: desk.serial, _csrf: 'nope' }];
  for (const form of forgeries) {
    const lost = await page.request.post('/account/token/lost', { form, maxRedirects: 0 });
    assert.equal(lost.status(), 403, JSON.stringify(form));
    const [first, second] = oathCodes(desk.secretHex, 80, 2);
    const resync = await page.request.post('/account/token/resync', { form: { ...form, otp1: first!, otp2: second! }, maxRedirects: 0 });
    assert.equal(resync.status(), 403, JSON.stringify(form));
  }
  const csrf = await csrfOf(page);
  const unnamed = await page.request.post('/account/token/lost', { form: { _csrf: csrf }, maxRedirects: 0 });
  assert.equal(unnamed.status(), 409);
  assert.match(await unnamed.text(), /holds 2 tokens \(4700000000001, 4700000000002\); name one by its serial/);
  const foreign = await page.request.post('/account/token/lost', { form: { _csrf: csrf, serial: others.serial }, maxRedirects: 0 });
  assert.equal(foreign.status(), 404);
  await page.goto(`/account/token/lost?serial=${others.serial}`);
  assert.match(await page.locator('.error-box').innerText(), /holds no token 4700000000009/);
  assert.deepEqual(await show(desk.serial), deskBefore, 'nothing changed');
  assert.equal((await show(spare.serial)).status, 'associated');
  assert.equal((await show(others.serial)).status, 'associated');
});

test('reporting one token lost disables it only: the other still signs in; the other sessions end', async () => {
  const elsewhere = await signedInPage(spare, 42);
  await page.goto('/account');
  await section(desk.serial).getByRole('link', { name: /Report token lost/ }).click();
  assert.equal(new URL(page.url()).search, `?serial=${desk.serial}`);
  assert.match(await page.locator('main').innerText(), /Report token 4700000000001 \(desk\) lost\?/);
  await screenshot(page, 'account-tokens-report-lost');
  await page.getByRole('button', { name: 'Report token lost' }).click();
  assert.equal(new URL(page.url()).pathname, '/account');
  assert.match(await page.locator('main').innerText(), /reported lost and disabled/);
  const lost = await show(desk.serial);
  assert.equal(lost.status, 'disabled');
  assert.ok(lost.lostReportedAt);
  assert.equal((await show(spare.serial)).status, 'associated');
  assert.match(await section(desk.serial).innerText(), /Reported lost/);
  assert.equal(await section(desk.serial).locator('form').count(), 0, 'no re-sync or report for a disabled token');
  assert.match(await section(spare.serial).innerText(), /Assigned/);
  const check = (passcode: string) => fx.instance.services.signIn.check({ accountId: null, username: 'rosa', password, passcode, actor: { name: 'test', accountId: null, clientIp: null } });
  assert.notEqual((await check(oathCode(desk.secretHex, 2))).reason, 'passcode_accepted', 'the lost token signs in no more');
  assert.equal((await check(oathCode(spare.secretHex, 43))).reason, 'passcode_accepted', 'the other token still signs in');
  await elsewhere.goto('/account');
  assert.equal(new URL(elsewhere.url()).pathname, '/login', 'the session elsewhere is signed out');
  await page.goto('/account');
  assert.equal(new URL(page.url()).pathname, '/account', 'the reporting session stays');
  for (const width of [1100, 390]) {
    await page.setViewportSize({ width, height: 800 });
    await screenshot(page, `account-tokens-lost-${width}`);
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    assert.ok(overflow <= 0, `no sideways scrolling at ${width} px (overflow ${overflow} px)`);
  }
});

test("a one-token user of a hardware TOTP card keeps the one-token page and re-syncs the card's clock", async () => {
  const tessPassword = await fx.createUser('tess');
  await fx.instance.services.tokens.associate(OPERATOR, fx.account, 'tess', card.serial, oathTotpCode(card.secretHex, new Date(NOW), 30));
  const p = await (await fx.newContext()).newPage();
  await p.goto('/login');
  await p.getByLabel('Username').fill('tess');
  await p.getByLabel('Password').fill(tessPassword);
  await p.getByRole('button', { name: 'Sign in' }).click();
  await p.getByLabel('Passcode').fill(oathTotpCode(card.secretHex, new Date(NOW + 30_000), 30));
  await p.getByRole('button', { name: 'Submit' }).click();
  assert.equal(new URL(p.url()).pathname, '/account');
  await p.goto('/account');
  assert.equal(await p.getByRole('heading', { name: 'OTP token', exact: true }).count(), 1);
  assert.match(await p.locator('#my-tokens').innerText(), /TOTP, 6 digits, every 30 s[\s\S]*wait for the next one/);
  assert.equal(await p.locator('input[name="serial"]').count(), 0, 'one token: the form names none');
  // The card runs 10 steps (5 minutes) ahead: two of its consecutive codes re-sync it.
  await p.locator('#otp1').fill(oathTotpCode(card.secretHex, new Date(NOW + 300_000), 30));
  await p.locator('#otp2').fill(oathTotpCode(card.secretHex, new Date(NOW + 330_000), 30));
  await p.getByRole('button', { name: 'Re-sync token' }).click();
  assert.match(await p.locator('main').innerText(), /The token is re-synced/);
  // The second code is the card's current one (core/otp-window.ts totpResync): 11 steps ahead of the server.
  assert.equal((await show(card.serial)).driftSteps, 11);
});
