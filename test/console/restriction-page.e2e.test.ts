// Property: The account-wide restriction has a page of its own, its actions are named by what they do, and a user's
// access tab says which restriction applies before its form.
// (From the console's first-hour review, issue 15.) Its own console and browser: no test here depends on another.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { BrowserContext, Page } from 'playwright-core';
import { screenshot, startConsole, type ConsoleFixture } from './fixtures.js';
import { atBothWidths, pathOf } from './widths.js';

let fx: ConsoleFixture;
let admin: BrowserContext;
let page: Page;

before(async () => {
  fx = await startConsole();
  admin = await fx.newContext();
  page = await fx.signIn(admin, 'admin', fx.adminPassword);
});
after(async () => fx?.close());

test('restriction actions are named by what they do; the account-wide restriction has a page; a user tab says what applies before the form', async () => {
  await fx.createUser('alice', { displayName: 'Alice' });
  await page.getByRole('link', { name: 'Account restriction' }).click();
  assert.equal(pathOf(page), '/admin/restriction');
  assert.match(await page.locator('#account-restriction-summary').innerText(), /^none/);
  const labels = await page.getByLabel('Default action (addresses that match no rule)').locator('option').allInnerTexts();
  assert.deepEqual(labels, ['Allow (passcode for token users)', 'Passcode required', 'Deny sign-in']);
  assert.ok(!labels.some((l) => /password only/i.test(l)), 'no "password only" for an action that still asks a token user for a passcode');

  await page.getByLabel('Network of rule 1').fill('10.0.0.0/8');
  await page.getByLabel('Action of rule 1').selectOption('allow');
  await page.getByLabel('Default action (addresses that match no rule)').selectOption('require_otp');
  await page.getByRole('button', { name: 'Save' }).click();
  // Item 1: before saving, the console says whom the change affects (here: users without a token, asked to
  // associate one at their next sign-in), and saves only when asked again.
  assert.match(await page.locator('#change-impact').innerText(), /2 users would need a passcode and have no token: at the next sign-in they are asked to associate one: admin, alice/);
  await screenshot(page, 'restriction-page-change-impact');
  await page.getByRole('button', { name: 'Save anyway' }).click();
  assert.match(await page.getByRole('status').innerText(), /account-wide restriction is saved/);
  const saved = fx.instance.services.restrictions.showForAccount(await fx.instance.services.accounts.byId(fx.account.id));
  assert.equal(saved.source, 'account');
  assert.equal(saved.default, 'require_otp');
  assert.deepEqual(saved.rules.map((r) => [r.cidr, r.action]), [['10.0.0.0/8', 'allow']]);
  await atBothWidths(page, 'restriction-page-account-restriction', async () => {
    assert.match(await page.locator('#account-restriction-summary').innerText(), /10\.0\.0\.0\/8: Allow \(passcode for token users\); any other address: Passcode required/);
  });

  await page.goto('/admin/users/alice/access');
  await atBothWidths(page, 'restriction-page-user-access-account', async () => {
    assert.match(await page.locator('#restriction-applies').innerText(), /the account-wide restriction/);
    assert.match(await page.locator('#restriction-summary').innerText(), /any other address: Passcode required/);
    // The read-only line comes before the editable form.
    const before = await page.locator('#restriction-summary').evaluate((summary) => {
      const form = document.querySelector('form[action$="/restrictions"]')!;
      return Boolean(summary.compareDocumentPosition(form) & Node.DOCUMENT_POSITION_FOLLOWING);
    });
    assert.ok(before, 'the summary precedes the form');
  });

  // Removing it from its page: users fall back to none.
  await page.goto('/admin/restriction');
  await page.getByRole('button', { name: 'Remove the account-wide restriction' }).click();
  assert.match(await page.locator('#account-restriction-summary').innerText(), /^none/);
  assert.equal((await fx.instance.services.restrictions.showForUser(fx.account, 'alice')).source, 'none');
});
