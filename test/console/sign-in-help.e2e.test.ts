// Sign-in dead ends (issue 29, item 9): a wrong password, a deny rule and a disabled account get one and the
// same refusal (no password oracle for a denied address), worded so that a person whose password is right
// knows that retrying will not help and whom to ask: the account's help contact, set on the Settings page
// (and `account settings --help-contact`), shown escaped. "Lost your token?" says what to do.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { BrowserContext, Page } from 'playwright-core';
import { OPERATOR } from '../../src/services/context.js';
import { screenshot, startConsole, type ConsoleFixture } from './fixtures.js';

let fx: ConsoleFixture;
let admin: Page;
const passwords: Record<string, string> = {};
const HOSTILE = 'IT desk <b id="injected">x</b> & room "2.14"';

before(async () => {
  fx = await startConsole();
  for (const name of ['wanda', 'dora', 'nora']) passwords[name] = await fx.createUser(name);
  await fx.instance.services.users.update(OPERATOR, fx.account, 'dora', { disabled: true });
  await fx.instance.services.restrictions.setForUser(OPERATOR, fx.account, 'nora', { rules: [{ cidr: '127.0.0.0/8', action: 'deny' }], default: 'allow' });
  admin = await fx.signIn(await fx.newContext(), 'admin', fx.adminPassword);
});
after(async () => fx?.close());

async function refusal(context: BrowserContext, username: string, password: string): Promise<{ text: string; status: number; page: Page }> {
  const page = await context.newPage();
  await page.goto('/login');
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Password').fill(password);
  const [response] = await Promise.all([page.waitForResponse((r) => r.url().endsWith('/login') && r.request().method() === 'POST'), page.getByRole('button', { name: 'Sign in' }).click()]);
  await page.waitForLoadState();
  return { text: await page.locator('#login-error').innerText(), status: response.status(), page };
}

test('the help contact is set on the Settings page, in its own fieldset, and too long a text is refused beside the field', async () => {
  await admin.goto('/admin/settings');
  // maxlength keeps the browser to 200; the service's limit is checked with a form sent around it.
  await admin.locator('#helpContact').evaluate((input) => input.removeAttribute('maxlength'));
  await admin.getByLabel('Help contact').fill('y'.repeat(201));
  await admin.getByRole('button', { name: 'Save' }).click();
  assert.match(await admin.locator('#helpContact-error').innerText(), /at most 200/);
  assert.equal(await admin.getByLabel('Help contact').inputValue(), 'y'.repeat(201), 'the form keeps what was typed');
  await admin.getByLabel('Help contact').fill(HOSTILE);
  await admin.getByRole('button', { name: 'Save' }).click();
  assert.equal(new URL(admin.url()).pathname, '/admin/settings');
  const account = await fx.instance.services.accounts.byId(fx.account.id);
  assert.equal((await fx.instance.services.accounts.helpContactFor(null)), HOSTILE);
  assert.equal(account.help_contact, HOSTILE);
});

test('a wrong password, a deny rule and a disabled account get the same refusal, which says what else it can mean and names the help contact, escaped', async () => {
  const context = await fx.newContext();
  const wrong = await refusal(context, 'wanda', 'not-her-password');
  const denied = await refusal(context, 'nora', passwords.nora!);
  const disabled = await refusal(context, 'dora', passwords.dora!);
  const unknown = await refusal(context, 'nobody', 'whatever-password');
  for (const other of [denied, disabled, unknown]) {
    assert.equal(other.text, wrong.text);
    assert.equal(other.status, wrong.status);
  }
  assert.match(wrong.text, /Check your username and password\. If you are sure they are right, trying again will not help: your account may be disabled, or signing in may not be allowed from where you are/);
  assert.ok(wrong.text.endsWith(`Ask your help desk: ${HOSTILE}.`), wrong.text);
  assert.equal(await denied.page.locator('#injected').count(), 0, 'the help contact is escaped');
  await screenshot(denied.page, 'sign-in-refused-help-contact-1100');
  await denied.page.setViewportSize({ width: 390, height: 800 });
  const overflow = await denied.page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  assert.ok(overflow <= 0, `the page scrolls sideways by ${overflow} px`);
  await screenshot(denied.page, 'sign-in-refused-help-contact-390');
});

test('"Lost your token?" on the sign-in page says to ask the help desk for a temporary code, and names the help contact', async () => {
  const page = await (await fx.newContext()).newPage();
  await page.goto('/login');
  await page.getByRole('link', { name: 'Lost your token?' }).click();
  assert.equal(new URL(page.url()).pathname, '/login/lost');
  const text = await page.locator('main').innerText();
  assert.match(text, new RegExp(`contact your help desk: ${HOSTILE.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\.`));
  assert.match(text, /temporary code/);
  assert.equal(await page.locator('#injected').count(), 0, 'the help contact is escaped');
  await screenshot(page, 'sign-in-lost-token');
  await page.getByRole('link', { name: 'Back to sign-in' }).click();
  assert.equal(new URL(page.url()).pathname, '/login');
});

test('with no help contact set, the refusal names none', async () => {
  await fx.instance.services.accounts.updateSettings(OPERATOR, await fx.instance.services.accounts.byId(fx.account.id), { helpContact: null });
  const { text, page } = await refusal(await fx.newContext(), 'wanda', 'not-her-password');
  assert.ok(text.endsWith('where you are. Ask your help desk.'), text);
  assert.equal(await page.locator('#help-contact').count(), 0);
});
