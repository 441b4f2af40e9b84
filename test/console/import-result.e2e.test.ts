// Issue #29 item 12, in Chromium at 1100 and 390 px: the import form's file field comes first; an upload's
// answer is a redirect to its result page (post/redirect/get), which shows the report alone (no re-opened
// form) and a reload posts nothing again; after a dry run of an encrypted PSKC file (RFC 6030 figure 6, with
// its pre-shared key) "Import now" imports it without the file or key being sent again, once, and neither
// the file nor the key is in any page or URL; the result shows to no other session.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { Page } from 'playwright-core';
import { screenshot, startConsole, type ConsoleFixture } from './fixtures.js';
import { CORPUS } from '../import/pskc-helpers.js';

// The corpus beside the repository, or where OTPGATE_TEST_CORPUS says (the Node 24 run tests a copy elsewhere).
const FIGURE6 = join(CORPUS, 'rfc6030', 'figure6.pskcxml');
const PSK = '12345678901234567890123456789012';
let fx: ConsoleFixture;

before(async () => {
  fx = await startConsole();
});
after(async () => fx?.close());

async function fitsWidth(page: Page): Promise<void> {
  const { scroll, client } = await page.evaluate(() => ({ scroll: document.documentElement.scrollWidth, client: document.documentElement.clientWidth }));
  assert.ok(scroll <= client, `${page.url()}: ${scroll} > ${client}`);
}

test('dry run, then "Import now" from the result page; each result is a page of its own that a reload does not post again', async () => {
  const context = await fx.newContext();
  const page = await fx.signIn(context, 'admin', fx.adminPassword);
  const posts: string[] = [];
  page.on('request', (request) => {
    if (request.method() === 'POST') posts.push(new URL(request.url()).pathname);
  });
  await page.goto('/admin/tokens');
  await page.getByText('Import seed file').click();
  // The file field is the form's first visible field.
  const firstField = await page.locator('form[action^="/admin/tokens/import"] :is(input, select):not([type="hidden"])').first().getAttribute('id');
  assert.equal(firstField, 'file');

  await page.getByLabel('Seed file').setInputFiles(FIGURE6);
  await page.getByLabel('Pre-shared key (hex), for an encrypted PSKC file').fill(PSK);
  await page.getByLabel(/Dry run/).check();
  await page.getByRole('button', { name: 'Import', exact: true }).click();
  const dryRunUrl = new URL(page.url());
  assert.match(dryRunUrl.pathname, /^\/admin\/tokens\/import\/[A-Za-z0-9_-]{24}$/);
  assert.equal(dryRunUrl.search, '');
  assert.match(await page.locator('#import-report').innerText(), /Dry run: nothing was written\.\s+Read 1 key \(PSKC\); would import 1; skipped 0; rejected 0\./);
  assert.equal(await page.locator('input[type="file"]').count(), 0, 'the result page has no import form');
  const html = await page.content();
  const cipherValue = /CipherValue>([^<]+)</.exec(readFileSync(FIGURE6, 'utf8'))![1]!.trim();
  assert.ok(!html.includes(PSK) && !html.includes(cipherValue), 'neither the key nor the file is in the page');
  assert.equal(await fx.instance.services.tokens.count(fx.account, {}), 0);
  await screenshot(page, 'import-dry-run-1100');
  await page.setViewportSize({ width: 390, height: 844 });
  await fitsWidth(page);
  await screenshot(page, 'import-dry-run-390');
  await page.setViewportSize({ width: 1100, height: 800 });

  // A reload is a GET: nothing posted again.
  const before = posts.length;
  await page.reload();
  assert.equal(posts.length, before);

  // Another session (another administrator's browser) does not see the result.
  const stranger = await fx.signIn(await fx.newContext(), 'admin', fx.adminPassword);
  const response = await stranger.goto(dryRunUrl.pathname);
  assert.equal(response?.status(), 404);
  assert.equal(await stranger.getByRole('button', { name: 'Import now' }).count(), 0);

  await page.getByRole('button', { name: 'Import now' }).click();
  assert.notEqual(new URL(page.url()).pathname, dryRunUrl.pathname);
  assert.match(await page.locator('#import-report').innerText(), /Import finished\.\s+Read 1 key \(PSKC\); imported 1;/);
  assert.equal((await fx.instance.services.tokens.show(fx.account, '987654321')).status, 'available');
  assert.equal(await page.getByRole('button', { name: 'Import now' }).count(), 0);
  await screenshot(page, 'import-done-1100');
  await page.setViewportSize({ width: 390, height: 844 });
  await fitsWidth(page);
  await screenshot(page, 'import-done-390');
  await page.setViewportSize({ width: 1100, height: 800 });
  const postsAfterImport = posts.length;
  await page.reload();
  assert.equal(posts.length, postsAfterImport, 'a reload of the result posts nothing');

  // The dry run's upload is taken by its import: a second "Import now" (a back button, another tab) finds none.
  await page.goto(dryRunUrl.pathname);
  assert.equal(await page.getByRole('button', { name: 'Import now' }).count(), 0);
  await page.goto('/admin/tokens');
  const csrf = await page.locator('form[action^="/admin/tokens/import"] input[name="_csrf"]').inputValue();
  const again = await page.request.post(dryRunUrl.pathname, { form: { _csrf: csrf } });
  assert.equal(again.status(), 404);
  assert.match(await again.text(), /no longer kept/);
  // Without its CSRF token "Import now" is refused.
  const forged = await page.request.post(dryRunUrl.pathname, { form: {} });
  assert.equal(forged.status(), 403);
  assert.equal(await fx.instance.services.tokens.count(fx.account, {}), 1);
});

test('a refused upload shows the form again with the reason (the form, not a result page)', async () => {
  const page = await fx.signIn(await fx.newContext(), 'admin', fx.adminPassword);
  await page.goto('/admin/tokens');
  await page.getByText('Import seed file').click();
  await page.getByLabel('Seed file').setInputFiles(FIGURE6);
  await page.getByRole('button', { name: 'Import', exact: true }).click();
  assert.equal(new URL(page.url()).pathname, '/admin/tokens/import');
  assert.match(await page.getByRole('alert').innerText(), /key|password/i);
  assert.equal(await page.locator('details#import[open]').count(), 1);
  await page.setViewportSize({ width: 390, height: 844 });
  await fitsWidth(page);
  await screenshot(page, 'import-refused-390');
});
