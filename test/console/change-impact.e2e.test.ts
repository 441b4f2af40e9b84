// Property: Before a change locks anyone out the console says whom, administrators first; Cancel changes nothing, and
// the only administrator's own way in is never given up.
// (From the console's first-hour review, issue 15.) Its own console and browser: no test here depends on another.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { BrowserContext } from 'playwright-core';
import { OPERATOR } from '../../src/services/context.js';
import { startConsole, type ConsoleFixture } from './fixtures.js';
import { atBothWidths } from './widths.js';

let fx: ConsoleFixture;
let admin: BrowserContext;

before(async () => {
  fx = await startConsole();
  admin = await fx.newContext();
  await fx.signIn(admin, 'admin', fx.adminPassword);
});
after(async () => fx?.close());

test('before a change locks anyone out, the console says whom (administrators named first); Cancel changes nothing', async () => {
  const services = fx.instance.services;
  const context = await fx.newContext();
  const page = await fx.signIn(context, 'admin', fx.adminPassword);
  // Signed in first: with this restriction the admin (no token) is asked to associate one at sign-in.
  await services.restrictions.setForAccount(OPERATOR, await services.accounts.byId(fx.account.id), { rules: [], default: 'require_otp' });
  // Switching self-association off with that restriction in force: the admin (no token) could not sign in.
  await page.goto('/admin/settings');
  // As the only administrator, that is refused outright (Administrators keep a way in): no button to save.
  await page.getByLabel(/may associate one themselves/).uncheck();
  await page.getByRole('button', { name: 'Save' }).click();
  assert.match(await page.getByRole('alert').innerText(), /no administrator able to sign in \(admin: required to use OTP without a token, and self-association is off\)/);
  assert.equal(await page.getByRole('button', { name: 'Save anyway' }).count(), 0);
  await page.getByRole('link', { name: 'Back' }).click();
  // A second administrator with a way in (a restriction of their own that allows): the change is only warned about.
  await fx.createUser('root2', { role: 'admin' });
  await services.restrictions.setForUser(OPERATOR, await services.accounts.byId(fx.account.id), 'root2', { rules: [], default: 'allow' });
  await page.goto('/admin/settings');
  await page.getByLabel(/may associate one themselves/).uncheck();
  await page.getByRole('button', { name: 'Save' }).click();
  assert.match(await page.getByRole('alert').innerText(), /lock out administrators? [^:]*\badmin\b/);
  await atBothWidths(page, 'change-impact-change-impact-admin', async () => {
    assert.match(await page.locator('#change-impact').innerText(), /could not sign in/);
  });
  await page.getByRole('link', { name: 'Cancel' }).click();
  assert.equal((await services.accounts.byId(fx.account.id)).self_association, 1, 'nothing was saved');
  // A change that makes no one's way in harder is saved at once.
  await page.goto('/admin/restriction');
  await page.getByLabel('Default action (addresses that match no rule)').selectOption('allow');
  await page.getByRole('button', { name: 'Save' }).click();
  assert.match(await page.getByRole('status').innerText(), /account-wide restriction is saved/);
});
