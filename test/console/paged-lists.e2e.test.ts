// Property: Long lists are paged with a total; a filter or search survives paging, imports and bulk changes; a bulk
// change asks first and says how many it changed.
// (From the console's first-hour review, issue 15.) Its own console and browser: no test here depends on another.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { BrowserContext, Page } from 'playwright-core';
import { OPERATOR } from '../../src/services/context.js';
import { startConsole, type ConsoleFixture } from './fixtures.js';
import { atBothWidths } from './widths.js';
import { randomSecretHex } from '../helpers/secrets.js';

let fx: ConsoleFixture;
let admin: BrowserContext;
let page: Page;
const tokens = Array.from({ length: 3 }, (_, i) => ({ serial: `700000000000${i}`, secretHex: randomSecretHex() }));

before(async () => {
  fx = await startConsole();
  await fx.createUser('alice', { displayName: 'Alice' });
  await fx.importTokens(tokens);
  admin = await fx.newContext();
  page = await fx.signIn(admin, 'admin', fx.adminPassword);
});
after(async () => fx?.close());

test('users: paged with a total and Previous/Next; "all matching" on the bulk step; it asks first, says how many changed and keeps the search', async () => {
  for (let i = 0; i < 57; i++) await fx.instance.services.users.create(OPERATOR, fx.account, { username: `bulk${String(i).padStart(2, '0')}`, password: 'long-enough-pw' });
  await page.goto('/admin/users');
  const total = await fx.instance.services.users.count(fx.account);
  assert.equal(total, 59);
  assert.match(await page.locator('.pager-count').first().innerText(), new RegExp(`^1–50 of ${total}$`));
  await page.getByRole('link', { name: 'Next' }).first().click();
  assert.match(await page.locator('.pager-count').first().innerText(), new RegExp(`^51–${total} of ${total}$`));
  assert.equal(await page.getByRole('table', { name: 'Users list' }).locator('tbody tr').count(), total - 50);
  await page.getByRole('link', { name: 'Previous' }).first().click();
  assert.match(await page.locator('.pager-count').first().innerText(), /^1–50 of/);

  // The list comes first; ticking a row brings the bulk action, whose next step offers "all matching".
  await page.getByLabel('Find users').fill('bulk');
  await page.getByRole('button', { name: 'Search' }).click();
  assert.equal(await page.locator('#bulk-bar').isVisible(), false, 'no bulk action before a row is ticked');
  await page.getByRole('checkbox', { name: 'Select bulk00' }).check();
  await page.getByRole('button', { name: 'Set access restriction for the ticked users…' }).click();
  await page.getByLabel(/^Instead, all 57 users matching “bulk”/).check();
  await page.getByLabel('Network of rule 1').fill('192.0.2.0/24');
  await page.getByLabel('Action of rule 1').selectOption('deny');
  await page.getByRole('button', { name: 'Continue to confirmation…' }).click();
  assert.match(await page.locator('#confirm-question').innerText(), /^Replace the restriction of 57 users\?$/);
  assert.equal((await fx.instance.services.restrictions.showForUser(fx.account, 'bulk00')).source, 'none', 'nothing changes before the confirmation');
  await atBothWidths(page, 'paged-lists-users-bulk-confirm', async () => undefined);
  await page.getByRole('button', { name: 'Replace 57 restrictions' }).click();
  assert.match(await page.getByRole('status').innerText(), /access restriction of 57 users is replaced/);
  assert.equal(await page.getByLabel('Find users').inputValue(), 'bulk', 'the search is kept across the bulk action');
  assert.equal(new URL(page.url()).searchParams.get('q'), 'bulk');
  for (const name of ['bulk00', 'bulk56']) assert.deepEqual((await fx.instance.services.restrictions.showForUser(fx.account, name)).rules.map((r) => r.action), ['deny']);
  assert.equal((await fx.instance.services.restrictions.showForUser(fx.account, 'alice')).source, 'none', 'users outside the search are untouched');
  await atBothWidths(page, 'paged-lists-users', async () => {
    assert.match(await page.locator('.pager-count').first().innerText(), /^1–50 of 57$/);
  });
});

test('tokens: paged with a total, the filter kept by Previous/Next, the import behind a button at the top', async () => {
  await fx.importTokens(Array.from({ length: 130 }, (_, i) => ({ serial: `71${String(i).padStart(11, '0')}`, secretHex: randomSecretHex() })));
  await page.goto('/admin/tokens');
  const importButton = await page.locator('summary', { hasText: 'Import seed file' }).boundingBox();
  const table = await page.getByRole('table', { name: 'Inventory' }).boundingBox();
  assert.ok(importButton && table && importButton.y < table.y, 'Import is above the list');
  assert.equal(await page.getByLabel('Seed file').isVisible(), false, 'the form is behind its button');
  assert.match(await page.locator('.pager-count').first().innerText(), /^1–100 of 133$/);

  await page.getByLabel('Status').selectOption('available');
  await page.getByRole('button', { name: 'Filter' }).click();
  assert.match(await page.locator('.pager-count').first().innerText(), /^1–100 of 133$/);
  await page.getByRole('link', { name: 'Next' }).first().click();
  assert.equal(new URL(page.url()).searchParams.get('status'), 'available', 'the filter is kept');
  assert.match(await page.locator('.pager-count').first().innerText(), /^101–133 of 133$/);
  assert.equal(await page.getByLabel('Status').inputValue(), 'available');
  await page.getByRole('link', { name: 'Previous' }).first().click();
  assert.equal(new URL(page.url()).searchParams.get('status'), 'available');
  // An import from the filtered list shows its result alone, whose "Back to tokens" returns to the same list.
  await page.locator('summary', { hasText: 'Import seed file' }).click();
  await page.getByLabel('Seed file').setInputFiles({ name: 'one.csv', mimeType: 'text/csv', buffer: Buffer.from(`7200000000000,${randomSecretHex()}\n`) });
  await page.getByRole('button', { name: 'Import', exact: true }).click();
  assert.match(await page.locator('#import-report').innerText(), /imported 1/);
  await page.getByRole('link', { name: 'Back to tokens' }).click();
  assert.equal(await page.getByLabel('Status').inputValue(), 'available', 'the filter is kept across the import');
  assert.match(await page.locator('.pager-count').first().innerText(), /^1–100 of 134$/);
  await page.goto('/admin/tokens?status=available');
  await atBothWidths(page, 'paged-lists-tokens', async () => {
    await page.locator('summary', { hasText: 'Import seed file' }).click();
    assert.equal(await page.getByLabel('Seed file').isVisible(), true);
    await page.locator('summary', { hasText: 'Import seed file' }).click();
  });
});
