// The help desk's day, second round (issue #29), in a real browser at desktop (1100 px) and phone (390 px)
// width: a temporary code rescues a user whose token is locked (the sign-in asks for it after the password,
// and issuing it says so); a second code says it replaces the first, and the access page shows whether one
// is live; a token reported lost is its own state (badge, filter, Health tile) and the user is promised
// that the administrators hear of it only when a webhook or e-mail will tell them.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { BrowserContext, Page } from 'playwright-core';
import { OPERATOR } from '../../src/services/context.js';
import { screenshot, startConsole, type ConsoleFixture } from './fixtures.js';
import { oathCode } from '../helpers/otp.js';
import { randomSecretHex } from '../helpers/secrets.js';

let fx: ConsoleFixture;
let admin: BrowserContext;
let page: Page;
const PHONE = { width: 390, height: 844 };
const DESKTOP = { width: 1100, height: 800 };
const path = (p: Page) => new URL(p.url()).pathname;
const tokens = Array.from({ length: 3 }, (_, i) => ({ serial: `290000000000${i}`, secretHex: randomSecretHex() }));

before(async () => {
  fx = await startConsole();
  await fx.importTokens(tokens);
  admin = await fx.newContext();
  page = await fx.signIn(admin, 'admin', fx.adminPassword);
});
after(async () => fx?.close());

/** Both widths: the callback runs at each, with a screenshot named for it. */
async function atBothWidths(p: Page, name: string, check: (width: 'desktop' | 'phone') => Promise<void>): Promise<void> {
  for (const [width, size] of [['desktop', DESKTOP], ['phone', PHONE]] as const) {
    await p.setViewportSize(size);
    await check(width);
    const overflow = await p.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    assert.ok(overflow <= 0, `${name} at ${width} scrolls sideways by ${overflow} px`);
    await screenshot(p, `${name}-${width}`);
  }
  await p.setViewportSize(DESKTOP);
}

async function passwordStep(context: BrowserContext, username: string, password: string): Promise<Page> {
  const p = await context.newPage();
  await p.goto('/login');
  await p.getByLabel('Username').fill(username);
  await p.getByLabel('Password').fill(password);
  await p.getByRole('button', { name: 'Sign in' }).click();
  await p.waitForLoadState();
  return p;
}

// ---- item 1 -------------------------------------------------------------------------------------------

test('a temporary code rescues a locked token: issuing it says what happens, and the sign-in asks for it after the password', async () => {
  const password = await fx.createUser('lena', { displayName: 'Lena' });
  const services = fx.instance.services;
  await services.tokens.associate(OPERATOR, fx.account, 'lena', tokens[0]!.serial, oathCode(tokens[0]!.secretHex, 0));
  await services.accounts.updateSettings(OPERATOR, fx.account, { maxFailures: 1 });

  // One wrong passcode locks her token; signing in again ends at "Token locked", which now names the way out.
  const user = await fx.newContext();
  let p = await passwordStep(user, 'lena', password);
  assert.equal(path(p), '/login/passcode');
  await p.getByLabel('Passcode').fill(oathCode(tokens[0]!.secretHex, 400));
  await p.getByRole('button', { name: 'Submit' }).click();
  assert.match(await p.locator('main').innerText(), /Token locked/);
  p = await passwordStep(user, 'lena', password);
  const lockedText = await p.locator('main').innerText();
  assert.match(lockedText, /Token locked/);
  assert.match(lockedText, /temporary code/);

  // The help desk issues a code: the page says the tokens are locked and the code signs in all the same.
  await page.goto('/admin/users/lena/access');
  await page.getByRole('button', { name: 'Issue temporary code' }).click();
  const issuedText = await page.locator('main').innerText();
  assert.match(issuedText, /tokens are locked/);
  assert.match(issuedText, /signs in all the same/);
  assert.doesNotMatch(issuedText, /replaces/);
  const code = (await page.locator('#temp-code-value').innerText()).trim();
  assert.match(code, /^[0-9]{10}$/);
  await atBothWidths(page, 'h29-temp-code-locked-issued', async () => undefined);

  // The user: the password step now leads to the passcode step, which asks for the temporary code.
  p = await passwordStep(user, 'lena', password);
  assert.equal(path(p), '/login/passcode');
  assert.match(await p.locator('#locked-notice').innerText(), /locked.*temporary code/s);
  await atBothWidths(p, 'h29-sign-in-locked-temp-code', async () => undefined);
  // A token's passcode is still refused (the field asks for 10 digits; the server refuses 6 as well), and the
  // step stays open for the code.
  const field = p.getByLabel('Temporary code');
  await field.fill(oathCode(tokens[0]!.secretHex, 1));
  assert.equal(await field.evaluate((el) => (el as HTMLInputElement).validity.patternMismatch), true);
  await field.evaluate((el) => el.removeAttribute('pattern'));
  await p.getByRole('button', { name: 'Submit' }).click();
  assert.equal(path(p), '/login/passcode');
  assert.match(await p.getByRole('alert').innerText(), /locked/);
  await p.getByLabel('Temporary code').fill(code);
  await p.getByRole('button', { name: 'Submit' }).click();
  assert.equal(path(p), '/account');
  const held = await services.users.show(fx.account, 'lena');
  assert.equal(held.tokens[0]!.status, 'locked', 'the code does not unlock the token');
  await services.accounts.updateSettings(OPERATOR, fx.account, { maxFailures: 10 });
});

// ---- item 6 -------------------------------------------------------------------------------------------

test('a second temporary code says it replaces the live one; the access page says whether one is live', async () => {
  await fx.createUser('omar', { displayName: 'Omar' });
  await page.goto('/admin/users/omar/access');
  assert.match(await page.locator('#temp-code').innerText(), /No temporary code is live/);
  await page.getByRole('button', { name: 'Issue temporary code' }).click();
  assert.doesNotMatch(await page.locator('main').innerText(), /replaces/);
  await page.goto('/admin/users/omar/access');
  const live = await page.locator('#temp-code').innerText();
  assert.match(live, /A temporary code is live/);
  await atBothWidths(page, 'h29-temp-code-live', async () => undefined);
  await page.getByRole('button', { name: /Issue a new code/ }).click();
  assert.match(await page.locator('main').innerText(), /replaces the user's earlier temporary code, which no longer signs in/);
});

// ---- item 2 -------------------------------------------------------------------------------------------

test('"Report token lost": promised to reach the administrators only when a channel exists; shown as Reported lost, with a filter and a Health tile', async () => {
  const services = fx.instance.services;
  const password = await fx.createUser('rita', { displayName: 'Rita' });
  await services.tokens.associate(OPERATOR, fx.account, 'rita', tokens[1]!.serial, oathCode(tokens[1]!.secretHex, 0));
  const user = await fx.newContext();
  const p = await passwordStep(user, 'rita', password);
  await p.getByLabel('Passcode').fill(oathCode(tokens[1]!.secretHex, 1));
  await p.getByRole('button', { name: 'Submit' }).click();
  assert.equal(path(p), '/account');
  await p.getByRole('link', { name: 'Report token lost' }).click();
  const confirm = await p.locator('main').innerText();
  assert.doesNotMatch(confirm, /administrators are told/, 'no webhook and no e-mail: no promise');
  assert.match(confirm, /contact your help desk yourself/);
  await atBothWidths(p, 'h29-report-lost-untold', async () => undefined);
  await p.getByRole('button', { name: 'Report token lost' }).click();
  const notice = await p.getByRole('status').first().innerText();
  assert.match(notice, /reported lost/);
  assert.doesNotMatch(notice, /administrators are told/);

  // The administrator: "Reported lost", not "Disabled", on the token, the user's tab, the filter and Health.
  await page.goto(`/admin/tokens/${tokens[1]!.serial}`);
  assert.equal((await page.locator('#token-status').innerText()).trim(), 'Reported lost');
  await page.goto('/admin/users/rita/access');
  assert.equal((await page.locator('#token-status').innerText()).trim(), 'Reported lost');
  await page.goto('/admin/users?q=rita');
  assert.match(await page.locator('tr', { hasText: 'rita' }).first().innerText(), new RegExp(`Reported lost ${tokens[1]!.serial}`), 'the Users list too');
  await page.goto('/admin/tokens');
  await page.getByLabel('Status').selectOption({ label: 'Reported lost' });
  await page.getByRole('button', { name: 'Filter' }).click();
  const rows = await page.locator('table[aria-labelledby="inventory-heading"] tbody tr').allInnerTexts();
  assert.equal(rows.length, 1, rows.join('\n'));
  assert.match(rows[0]!, new RegExp(`${tokens[1]!.serial}\\s+Reported lost`));
  await atBothWidths(page, 'h29-tokens-reported-lost', async () => undefined);
  // A token an administrator disabled stays "Disabled", outside the filter.
  await services.tokens.associate(OPERATOR, fx.account, 'omar', tokens[2]!.serial, oathCode(tokens[2]!.secretHex, 0));
  await services.tokenStates.disable(OPERATOR, fx.account, tokens[2]!.serial);
  await page.goto(`/admin/tokens/${tokens[2]!.serial}`);
  assert.equal((await page.locator('#token-status').innerText()).trim(), 'Disabled');
  await page.goto('/admin/tokens?status=reported_lost');
  assert.equal(await page.locator('table[aria-labelledby="inventory-heading"] tbody tr').count(), 1);
  await page.goto('/admin/health');
  assert.match(await page.locator('#reported-lost-tile').innerText(), /Reported lost\s+1/);
  // Enabled again, it is no longer reported lost.
  await services.tokenStates.enable(OPERATOR, fx.account, tokens[1]!.serial);
  await page.goto(`/admin/tokens/${tokens[1]!.serial}`);
  assert.equal((await page.locator('#token-status').innerText()).trim(), 'Assigned');

  // With a webhook that wants the event, the promise is made.
  await fx.instance.database.db.insertInto('webhooks').values({ account_id: fx.account.id, name: 'desk', url: 'https://hooks.example/desk', events: ',token.lost_reported,', secret_sealed: new Uint8Array(32), created_at: Date.now() }).execute();
  await p.goto('/account/token/lost');
  assert.match(await p.locator('main').innerText(), /Your administrators are told/);
  await p.getByRole('button', { name: 'Report token lost' }).click();
  assert.match(await p.getByRole('status').first().innerText(), /your administrators are told/);
});

// ---- item 3 -------------------------------------------------------------------------------------------

test('the console sets an e-mail address when creating a user and on the Details tab; a bad one is named on its field', async () => {
  await page.goto('/admin/users/new');
  await page.getByLabel('Username').fill('nina');
  await page.getByLabel('Password').fill('pw-nina-long-enough');
  await page.getByLabel('E-mail address').fill('nina@example.org');
  await page.getByLabel('Role').selectOption({ label: 'Help desk' });
  await page.getByRole('button', { name: 'Create user' }).click();
  let shown = await fx.instance.services.users.show(fx.account, 'nina');
  assert.deepEqual([shown.email, shown.role], ['nina@example.org', 'helpdesk']);

  await page.goto('/admin/users/nina');
  assert.equal(await page.getByLabel('E-mail address').inputValue(), 'nina@example.org');
  await page.getByLabel('E-mail address').fill('not an address');
  // The browser's own check would stop the form; the server's is what is tested here.
  await page.locator('#email').evaluate((el) => el.setAttribute('type', 'text'));
  await page.getByRole('button', { name: 'Save', exact: true }).click();
  assert.match(await page.locator('#email-error').innerText(), /not an e-mail address/);
  assert.equal(await page.getByLabel('E-mail address').inputValue(), 'not an address', 'the form keeps what was typed');
  await atBothWidths(page, 'h29-user-email-error', async () => undefined);
  await page.getByLabel('E-mail address').fill('nina@example.net');
  await page.getByRole('button', { name: 'Save', exact: true }).click();
  shown = await fx.instance.services.users.show(fx.account, 'nina');
  assert.equal(shown.email, 'nina@example.net');
  await page.goto('/admin/users/nina');
  await page.getByLabel('E-mail address').fill('');
  await page.getByRole('button', { name: 'Save', exact: true }).click();
  assert.equal((await fx.instance.services.users.show(fx.account, 'nina')).email, null, 'emptied: removed');
});

// ---- item 16 ------------------------------------------------------------------------------------------

test('"Disable user" is styled as the destructive action it is, not like Save', async () => {
  await page.goto('/admin/users/nina');
  const save = page.getByRole('button', { name: 'Save', exact: true });
  const disable = page.getByRole('button', { name: 'Disable user' });
  const colour = (l: typeof save) => l.evaluate((el) => getComputedStyle(el).backgroundColor);
  assert.notEqual(await colour(disable), await colour(save));
  assert.equal(await disable.getAttribute('class'), 'danger');
});
