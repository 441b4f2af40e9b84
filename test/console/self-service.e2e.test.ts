// Self-service on /account, in a real browser: a signed-in user sees their last sign-ins, re-syncs their own
// token with two consecutive passcodes, and reports it lost (after a confirmation page): it is disabled, the
// `token.lost_reported` notification is written (for the administrators), and its passcodes stop working.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Page } from 'playwright-core';
import { OPERATOR } from '../../src/services/context.js';
import { screenshot, startConsole, type ConsoleFixture } from './fixtures.js';
import { oathCode } from '../helpers/otp.js';
import { randomSecretHex } from '../helpers/secrets.js';

let fx: ConsoleFixture;
let page: Page;
/** A second session of sven's, elsewhere (the token's finder, already signed in with it). */
let elsewhere: Page;
let password = '';
const token = { serial: '4600000000001', secretHex: randomSecretHex() };

async function signedInPage(counter: number): Promise<Page> {
  const signedIn = await (await fx.newContext()).newPage();
  await signedIn.goto('/login');
  await signedIn.getByLabel('Username').fill('sven');
  await signedIn.getByLabel('Password').fill(password);
  await signedIn.getByRole('button', { name: 'Sign in' }).click();
  await signedIn.getByLabel('Passcode').fill(oathCode(token.secretHex, counter));
  await signedIn.getByRole('button', { name: 'Submit' }).click();
  assert.equal(new URL(signedIn.url()).pathname, '/account');
  return signedIn;
}

before(async () => {
  fx = await startConsole();
  await fx.importTokens([token]);
  password = await fx.createUser('sven', { displayName: 'Sven Nordin' });
  await fx.instance.services.tokens.associate(OPERATOR, fx.account, 'sven', token.serial, oathCode(token.secretHex, 0));
  page = await signedInPage(1);
});
after(async () => fx?.close());

test('the account page lists the last sign-ins', async () => {
  const rows = await page.locator('#my-sign-ins tbody tr').allInnerTexts();
  assert.equal(rows.length, 2, rows.join('\n'));
  // Words, not the engine's codes (accept, otp_required, console:sven).
  assert.match(rows[0]!, /This sign-in page\s+Signed in\s+Signed in with the password and passcode/, 'the passcode step');
  assert.match(rows[1]!, /This sign-in page\s+Password accepted; passcode asked/, 'the password step');
  assert.doesNotMatch(rows.join('\n'), /console:|otp_required|accept\b|passcode_/);
  await screenshot(page, 'account-sign-ins-1100');
  // At phone width each sign-in is a stack of labelled lines: nothing wider than the screen, the date on one line.
  await page.setViewportSize({ width: 390, height: 800 });
  try {
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    assert.ok(overflow <= 0, `the page scrolls sideways by ${overflow} px`);
    const when = page.locator('#my-sign-ins tbody tr').first().locator('td').first();
    const lineHeight = await when.evaluate((cell) => parseFloat(getComputedStyle(cell).lineHeight) || 24);
    assert.ok((await when.boundingBox())!.height < lineHeight * 2, 'the date wraps');
    assert.equal(await page.locator('#my-sign-ins thead').evaluate((head) => head.getBoundingClientRect().width <= 1), true, 'the column heads become each line\'s label');
    await screenshot(page, 'account-sign-ins-390');
  } finally {
    await page.setViewportSize({ width: 1100, height: 800 });
  }
});

test('re-sync with two consecutive passcodes far ahead moves the counter; a wrong pair is refused', async () => {
  await page.getByLabel('First passcode').fill(oathCode(token.secretHex, 300));
  await page.getByLabel('Second passcode').fill(oathCode(token.secretHex, 302));
  await page.getByRole('button', { name: 'Re-sync token' }).click();
  // The wrong pair keeps the user on their account page, the form beside its error, ready for a new pair.
  assert.equal(await page.locator('h1').innerText(), 'My account');
  assert.match(await page.locator('form[action="/account/token/resync"] #resync-error').innerText(), /not consecutive.*Press the token twice more/);
  assert.equal(await page.getByLabel('First passcode').inputValue(), '', 'a passcode is never echoed back');
  await screenshot(page, 'account-resync-wrong-pair');
  await page.getByLabel('First passcode').fill(oathCode(token.secretHex, 300));
  await page.getByLabel('Second passcode').fill(oathCode(token.secretHex, 301));
  await page.getByRole('button', { name: 'Re-sync token' }).click();
  assert.match(await page.locator('main').innerText(), /The token is re-synced/);
  assert.equal((await fx.instance.services.tokens.show(fx.account, token.serial)).counter, 302);
  const resync = (await fx.instance.services.audit.list({ accountId: fx.account.id, username: 'sven', limit: 10 })).find((e) => e.action === 'token.resync' && e.outcome === 'success');
  assert.equal(resync?.actor, 'console:sven');
});

test('report lost asks first and refuses a forged POST while the token is associated, then disables the token and notifies; its passcodes are refused; every other session of the user ends', async () => {
  elsewhere = await signedInPage(303);
  await page.goto('/account');
  await page.getByRole('link', { name: 'Report token lost' }).click();
  assert.equal((await fx.instance.services.tokens.show(fx.account, token.serial)).status, 'associated', 'the confirmation page changes nothing');
  // A forged report (the session's cookie, but a wrong CSRF token or none) is refused while the token is
  // associated, so the 403 is the CSRF check's and not the answer for a token already disabled.
  const forgeries: Record<string, string>[] = [{ _csrf: 'nope' }, {}];
  for (const form of forgeries) {
    const forged = await page.request.post('/account/token/lost', { form, maxRedirects: 0 });
    assert.equal(forged.status(), 403, JSON.stringify(form));
    assert.equal((await fx.instance.services.tokens.show(fx.account, token.serial)).status, 'associated', 'a forged report changes nothing');
  }
  await screenshot(page, 'account-report-lost');
  await page.getByRole('button', { name: 'Report token lost' }).click();
  assert.match(await page.locator('main').innerText(), /reported lost and disabled/);
  assert.equal((await fx.instance.services.tokens.show(fx.account, token.serial)).status, 'disabled');
  const notifications = await fx.instance.database.db.selectFrom('notifications').select(['type', 'username', 'serial']).where('type', '=', 'token.lost_reported').execute();
  assert.deepEqual(notifications, [{ type: 'token.lost_reported', username: 'sven', serial: token.serial }]);
  const outcome = await fx.instance.services.signIn.check({ accountId: null, username: 'sven', password, passcode: oathCode(token.secretHex, 302), actor: { name: 'test', accountId: null, clientIp: null } });
  assert.equal(outcome.reason, 'token_disabled');
  // The other session ended (as an administrator's disable ends them); the one that reported stays.
  await elsewhere.goto('/account');
  assert.equal(new URL(elsewhere.url()).pathname, '/login', 'the session elsewhere is signed out');
  await page.goto('/account');
  assert.equal(new URL(page.url()).pathname, '/account', 'the reporting session stays');
});
