// Property: every value a user typed is escaped on output. A display name, a rule note, a search and a
// username holding markup are shown as literal text on every page that shows them: no element is
// created from them and no script runs (checked on the DOM, so the CSP is not what makes it pass).
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Page } from 'playwright-core';
import { OPERATOR } from '../../src/services/context.js';
import { screenshot, startConsole, type ConsoleFixture } from './fixtures.js';
import { oathCode } from '../helpers/otp.js';
import { randomSecretHex } from '../helpers/secrets.js';

const MARKUP = '<img src=x onerror=alert(1)>';
const QUOTED = `"><script>alert(2)</script>'`;
let fx: ConsoleFixture;
let page: Page;
let userPassword = '';
const dialogs: string[] = [];

before(async () => {
  fx = await startConsole();
  const secretHex = randomSecretHex();
  await fx.importTokens([{ serial: '3000000000001', secretHex }]);
  userPassword = await fx.createUser('xss', { displayName: MARKUP });
  await fx.instance.services.tokens.associate(OPERATOR, fx.account, 'xss', '3000000000001', oathCode(secretHex, 0));
  await fx.instance.services.restrictions.setForUser(OPERATOR, fx.account, 'xss', { rules: [{ cidr: '10.0.0.0/8', action: 'allow', note: MARKUP }, { cidr: '10.1.0.0/16', action: 'deny', note: QUOTED }], default: 'allow' });
  const context = await fx.newContext();
  page = await fx.signIn(context, 'admin', fx.adminPassword);
  page.on('dialog', (dialog) => {
    dialogs.push(dialog.message());
    void dialog.dismiss();
  });
});
after(async () => fx?.close());

async function assertInert(target: Page): Promise<void> {
  assert.equal(await target.locator('img, script').count(), 0, 'no element was made from typed text');
  assert.deepEqual(dialogs, [], 'no dialog fired');
}

test('the users list, the user page tabs and the disassociate confirmation show the display name literally', async () => {
  await page.goto('/admin/users');
  assert.ok((await page.locator('main').innerText()).includes(MARKUP));
  await assertInert(page);
  await screenshot(page, 'admin-users');

  await page.goto('/admin/users/xss');
  assert.ok((await page.locator('h1').innerText()).includes(MARKUP));
  assert.equal(await page.getByLabel('Display name').inputValue(), MARKUP);
  await assertInert(page);

  await page.goto('/admin/users/xss/access');
  assert.ok((await page.locator('h1').innerText()).includes(MARKUP));
  assert.equal(await page.getByLabel('Note of rule 1').inputValue(), MARKUP);
  assert.equal(await page.getByLabel('Note of rule 2').inputValue(), QUOTED);
  await assertInert(page);
  await screenshot(page, 'admin-user-access-escaped');

  for (const sub of ['disassociate', 'resync']) {
    await page.goto(`/admin/users/xss/token/${sub}`);
    assert.ok((await page.locator('main').innerText()).includes(MARKUP));
    await assertInert(page);
    await screenshot(page, `admin-token-${sub}`);
  }
});

test('a rule note typed in the editor and saved comes back literally', async () => {
  await page.goto('/admin/users/xss/access');
  await page.getByLabel('Network of rule 3').fill('192.0.2.0/24');
  await page.getByLabel('Note of rule 3').fill(QUOTED + MARKUP);
  await page.getByRole('button', { name: 'Save' }).click();
  assert.equal(await page.getByLabel('Note of rule 3').inputValue(), QUOTED + MARKUP);
  await assertInert(page);
});

test('search terms, audit filters and the sign-in username are echoed literally', async () => {
  await page.goto(`/admin/users?q=${encodeURIComponent(QUOTED)}`);
  assert.equal(await page.getByLabel('Find users').inputValue(), QUOTED);
  await assertInert(page);
  await page.goto(`/admin/tokens?q=${encodeURIComponent(MARKUP)}`);
  assert.equal(await page.getByLabel('Serial number starts with').inputValue(), MARKUP);
  await assertInert(page);
  await page.goto(`/admin/audit?user=${encodeURIComponent(MARKUP)}`);
  assert.equal(await page.getByLabel('User').inputValue(), MARKUP.slice(0, 64));
  await assertInert(page);

  const other = await (await fx.newContext()).newPage();
  other.on('dialog', (dialog) => {
    dialogs.push(dialog.message());
    void dialog.dismiss();
  });
  await other.goto('/login');
  await other.getByLabel('Username').fill(QUOTED);
  await other.getByLabel('Password').fill('whatever-password');
  await other.getByRole('button', { name: 'Sign in' }).click();
  assert.equal(await other.getByLabel('Username').inputValue(), QUOTED);
  await assertInert(other);
});

test("the user's own account page shows their display name literally", async () => {
  const context = await fx.newContext();
  const own = await fx.signIn(context, 'xss', userPassword);
  // xss has a token, so the passcode step comes first; without it the password signs in.
  assert.equal(new URL(own.url()).pathname, '/login/passcode');
  await assertInert(own);
  await fx.instance.services.tokens.disassociate(OPERATOR, fx.account, 'xss');
  const again = await fx.signIn(context, 'xss', userPassword);
  assert.equal(new URL(again.url()).pathname, '/account');
  assert.ok((await again.locator('main').innerText()).includes(MARKUP));
  await assertInert(again);
});
