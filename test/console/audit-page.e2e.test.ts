// Property: The audit page: times to the second on one line, plain reasons with their codes, one actor name per
// console user, and rows stacked at phone width.
// (From the console's first-hour review, issue 15.) Its own console and browser: no test here depends on another.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { BrowserContext, Page } from 'playwright-core';
import { OPERATOR } from '../../src/services/context.js';
import { startConsole, type ConsoleFixture } from './fixtures.js';
import { atBothWidths, pathOf } from './widths.js';
import { oathCode } from '../helpers/otp.js';
import { randomSecretHex } from '../helpers/secrets.js';

let fx: ConsoleFixture;
let admin: BrowserContext;
let page: Page;
const tokens = Array.from({ length: 3 }, (_, i) => ({ serial: `700000000000${i}`, secretHex: randomSecretHex() }));

before(async () => {
  fx = await startConsole();
  await fx.importTokens(tokens);
  admin = await fx.newContext();
  page = await fx.signIn(admin, 'admin', fx.adminPassword);
});
after(async () => fx?.close());

test('audit: seconds on one line, plain reasons with their codes, one actor name per console user, stacked at phone width', async () => {
  const token = tokens[1]!;
  const password = await fx.createUser('dave');
  await fx.instance.services.tokens.associate(OPERATOR, fx.account, 'dave', token.serial, oathCode(token.secretHex, 0));
  const context = await fx.newContext();
  const p = await fx.signIn(context, 'dave', password);
  await p.getByLabel('Passcode').fill(oathCode(token.secretHex, 500)); // far outside the window: wrong
  await p.getByRole('button', { name: 'Submit' }).click();
  await p.getByLabel('Passcode').fill(oathCode(token.secretHex, 1));
  await p.getByRole('button', { name: 'Submit' }).click();
  assert.equal(pathOf(p), '/account');

  const events = await fx.instance.services.audit.list({ accountId: fx.account.id, username: 'dave', limit: 20 });
  const signIns = events.filter((e) => e.action === 'signin');
  assert.ok(signIns.length >= 3);
  assert.deepEqual([...new Set(signIns.map((e) => e.actor))], ['console:dave'], 'the password and passcode steps name the same actor');

  await page.goto('/admin/audit?user=dave');
  const rows = page.locator('#audit-events tbody tr');
  const when = await rows.first().locator('td').first().innerText();
  assert.match(when, /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/);
  const details = await page.locator('#audit-events tbody td[data-label="Detail"]').allInnerTexts();
  assert.ok(details.some((d) => d === "The passcode is not one of the token's next codes passcode_wrong"), details.join(' | '));
  assert.ok(details.some((d) => d === 'Signed in with the password and passcode passcode_accepted'));
  assert.ok((await page.locator('#audit-events tbody td[data-label="Who"]').allInnerTexts()).includes('console:dave'));
  await atBothWidths(page, 'audit-page-audit', async (width) => {
    const cell = page.locator('#audit-events tbody tr').first().locator('td').first();
    const lineHeight = await cell.evaluate((td) => Number.parseFloat(getComputedStyle(td).lineHeight) || 24);
    const box = await cell.locator('time').boundingBox();
    assert.ok(box && box.height < lineHeight * 1.5, `${width}: the time is on one line (${box?.height} px)`);
    const display = await cell.evaluate((td) => getComputedStyle(td).display);
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    if (width === 'phone') {
      assert.notEqual(display, 'table-cell', 'stacked at phone width');
      assert.ok(overflow <= 0, `no sideways scrolling at phone width (${overflow} px)`);
      assert.match(await cell.evaluate((td) => getComputedStyle(td, '::before').content), /When/);
    } else {
      assert.equal(display, 'table-cell');
    }
  });
});
