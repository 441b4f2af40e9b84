// Issue 29, items 8 and 14, in Chromium at 1280, 1100 and 390 px: the audit log fits its box (long names,
// serials and details wrap), filters by action, user and token serial (kept in the URL and by paging),
// exports what the filters match, and gives the help desk the events of the account's users and tokens
// only; the Health page's webhook form is styled and shows its error in sight, deliveries and sign-in
// results read as words, and e-mail and the database have tiles.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, test } from 'node:test';
import type { BrowserContext, Page } from 'playwright-core';
import { OPERATOR } from '../../src/services/context.js';
import { screenshot, startConsole, type ConsoleFixture } from './fixtures.js';
import { oathCode } from '../helpers/otp.js';
import { randomSecretHex } from '../helpers/secrets.js';

let fx: ConsoleFixture;
let admin: BrowserContext;
let page: Page;
const WIDE = { width: 1280, height: 800 };
const DESKTOP = { width: 1100, height: 800 };
const PHONE = { width: 390, height: 844 };
const LONG_USER = `u${'verylongname'.repeat(5)}`.slice(0, 64);
const LONG_SERIAL = `SER${'9876543210'.repeat(6)}`.slice(0, 64);
const token = { serial: LONG_SERIAL, secretHex: randomSecretHex() };
const other = { serial: 'OTHER0000001', secretHex: randomSecretHex() };

before(async () => {
  fx = await startConsole({ env: { OTPGATE_WEBHOOK_ALLOW_PRIVATE: 'true' } });
  await fx.importTokens([token, other]);
  await fx.createUser(LONG_USER);
  await fx.createUser('alice');
  const { services } = fx.instance;
  await services.tokens.associate(OPERATOR, fx.account, LONG_USER, token.serial, oathCode(token.secretHex, 0));
  await services.tokens.associate(OPERATOR, fx.account, 'alice', other.serial, oathCode(other.secretHex, 0));
  // A long prose reason, as a directory sync records; and events that are no user's or token's.
  const actor = { name: `apikey:${'integration-robot-'.repeat(4)}`, accountId: fx.account.id, clientIp: '2001:db8:ffff:ffff:ffff:ffff:ffff:fff1' };
  await services.audit.record(actor, { action: 'user.directory_update', outcome: 'success', accountId: fx.account.id, targetUser: LONG_USER, reason: `groups: ${Array.from({ length: 12 }, (_, i) => `department-of-long-names-${i}`).join(', ')}` });
  await services.audit.record(actor, { action: 'account.settings', outcome: 'success', accountId: fx.account.id, reason: 'maxFailures 7' });
  await services.audit.record(actor, { action: 'signin', outcome: 'reject', reason: 'unknown_user', accountId: fx.account.id, targetUser: 'typed-by-mistake-hunter2' });
  // Enough sign-ins of alice for a second page.
  for (let i = 0; i < 105; i++) await services.audit.record(actor, { action: 'signin', outcome: 'reject', reason: 'wrong_password', accountId: fx.account.id, targetUser: 'alice' });
  admin = await fx.newContext();
  page = await fx.signIn(admin, 'admin', fx.adminPassword);
});
after(async () => fx?.close());

const overflowOf = (p: Page) =>
  p.evaluate(() => {
    const table = document.querySelector('#audit-events')!;
    const wrap = table.parentElement!;
    const main = document.querySelector('main')!;
    const mainBox = main.getBoundingClientRect();
    const padding = Number.parseFloat(getComputedStyle(main).paddingRight);
    return {
      table: wrap.scrollWidth - wrap.clientWidth,
      pastMain: table.getBoundingClientRect().right - (mainBox.right - padding),
      page: document.documentElement.scrollWidth - document.documentElement.clientWidth,
    };
  });

test('the audit log fits its box at 1280 and 1100 px (long details wrap) and stacks at 390 px', async () => {
  await page.goto(`/admin/audit?user=${LONG_USER}`);
  const detail = page.locator('#audit-events td[data-label="Detail"]', { hasText: 'department-of-long-names-3' });
  for (const [name, size] of [['1280', WIDE], ['1100', DESKTOP], ['390', PHONE]] as const) {
    await page.setViewportSize(size);
    const o = await overflowOf(page);
    assert.ok(o.table <= 0, `${name} px: the table scrolls sideways by ${o.table} px`);
    assert.ok(o.pastMain <= 1, `${name} px: the table is ${o.pastMain} px wider than its box`);
    assert.ok(o.page <= 0, `${name} px: the page scrolls sideways by ${o.page} px`);
    const box = (await detail.boundingBox())!;
    assert.ok(box.x + box.width <= size.width, `${name} px: the Detail column is cut`);
    await screenshot(page, `audit-fits-${name}`);
  }
  await page.setViewportSize(DESKTOP);
});

test('events read as words: the action beside its code, the outcome of a sign-in as its user reads it', async () => {
  await page.goto(`/admin/audit?user=${LONG_USER}`);
  const what = await page.locator('#audit-events td[data-label="What"]').allInnerTexts();
  assert.ok(what.includes('Token associated token.associate'), what.join(' | '));
  await page.goto('/admin/audit?user=alice&action=signin');
  const outcomes = new Set(await page.locator('#audit-events td[data-label="Outcome"]').allInnerTexts());
  assert.deepEqual([...outcomes], ['Refused']);
});

test('filters by action, user and serial: kept in the URL and by paging', async () => {
  await page.goto('/admin/audit');
  await page.getByLabel('Action').selectOption({ label: 'Token associated' });
  await page.getByLabel('Token serial').fill(other.serial);
  await page.getByRole('button', { name: 'Filter' }).click();
  const url = new URL(page.url());
  assert.equal(url.searchParams.get('action'), 'token.associate');
  assert.equal(url.searchParams.get('serial'), other.serial);
  const rows = page.locator('#audit-events tbody tr');
  assert.equal(await rows.count(), 1);
  assert.equal(await rows.locator('td[data-label="User"]').innerText(), 'alice');
  assert.equal(await page.getByLabel('Token serial').inputValue(), other.serial, 'the form keeps the filter');
  await screenshot(page, 'audit-filtered');

  await page.goto('/admin/audit');
  await page.getByLabel('User').fill('alice');
  await page.getByLabel('Action').selectOption({ label: 'Sign-in' });
  await page.getByRole('button', { name: 'Filter' }).click();
  assert.equal(await rows.count(), 100);
  await page.getByRole('link', { name: 'Older events' }).click();
  const older = new URL(page.url());
  assert.equal(older.searchParams.get('user'), 'alice');
  assert.equal(older.searchParams.get('action'), 'signin', 'paging keeps the action filter');
  assert.equal(await rows.count(), 5);
  assert.deepEqual(new Set(await rows.locator('td[data-label="What"]').allInnerTexts()), new Set(['Sign-in signin']));
});

test('Export downloads the events the filters match, as the API exports them', async () => {
  await page.goto(`/admin/audit?action=token.associate`);
  const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name: /^Export these events/ }).click()]);
  const lines = readFileSync((await download.path()), 'utf8').trim().split('\n');
  assert.equal(lines[0], 'id,at,actor,action,user,serial,clientIp,outcome,reason');
  const rows = lines.slice(1);
  assert.equal(rows.length, 2, rows.join('\n'));
  assert.ok(rows.every((r) => r.split(',')[3] === 'token.associate'));
  assert.deepEqual(rows.map((r) => r.split(',')[5]).sort(), [LONG_SERIAL, other.serial].sort());

  await page.goto('/admin/audit?user=alice');
  const [all] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name: /^Export these events/ }).click()]);
  assert.equal(readFileSync((await all.path()), 'utf8').trim().split('\n').length - 1, 107, 'alice: association, 105 sign-ins, user.create');
});

test("the help desk reads the audit of the account's users and tokens, not its settings nor names that are no user", async () => {
  await fx.instance.services.users.create(OPERATOR, fx.account, { username: 'hana', password: 'pw-hana-long-enough', role: 'helpdesk' });
  const context = await fx.newContext();
  const desk = await fx.signIn(context, 'hana', 'pw-hana-long-enough');
  await desk.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Audit log' }).click();
  assert.equal(new URL(desk.url()).pathname, '/admin/audit');
  assert.match(await desk.locator('#audit-scope').innerText(), /users and tokens/);
  await desk.goto('/admin/audit?action=token.associate');
  assert.equal(await desk.locator('#audit-events td[data-label="What"]').count(), 2, 'the associations of its users and tokens');
  await desk.goto('/admin/audit?action=account.settings');
  assert.equal(await desk.locator('#audit-events tbody').innerText(), 'No events match.', 'no account settings for the help desk');
  await desk.goto('/admin/audit?user=typed-by-mistake-hunter2');
  assert.equal(await desk.locator('#audit-events tbody').innerText(), 'No events match.', 'no sign-in under a name that is no user');
  await desk.goto('/admin/audit');
  await screenshot(desk, 'audit-helpdesk-1100');
  await desk.setViewportSize(PHONE);
  const deskOverflow = await overflowOf(desk);
  assert.ok(deskOverflow.page <= 0, `390 px: the help desk's page scrolls sideways by ${deskOverflow.page} px`);
  await screenshot(desk, 'audit-helpdesk-390');

  const [download] = await Promise.all([desk.waitForEvent('download'), desk.getByRole('link', { name: /^Export/ }).first().click()]);
  const text = readFileSync((await download.path()), 'utf8');
  assert.ok(text.includes('token.associate'), text);
  assert.ok(!text.includes('account.settings') && !text.includes('typed-by-mistake-hunter2'), `the export has the same scope: ${text.split('\n').filter((l) => /account.settings|typed-by/.test(l)).join('\n')}`);
  // The administrator's log has them.
  await page.goto('/admin/audit?action=account.settings');
  assert.equal(await page.locator('#audit-events tbody tr td[data-label="What"]').count(), 1);
  // A plain user still gets no audit.
  const plain = await fx.signIn(await fx.newContext(), 'plain', await fx.createUser('plain'));
  const response = await plain.goto('/admin/audit/export?format=csv');
  assert.equal(response?.status(), 404);
});

test('Health: tiles for e-mail and the database in words, delivery results in words, the webhook form styled with its error in sight', async () => {
  const { services } = fx.instance;
  await services.notifications.addWebhook(OPERATOR, fx.account, { name: 'closed-port', url: 'http://127.0.0.1:1/hook' });
  await services.tokenStates.disable(OPERATOR, fx.account, other.serial);
  await services.notifications.deliverDue();
  for (const [name, size] of [['1100', DESKTOP], ['390', PHONE]] as const) {
    await page.setViewportSize(size);
    await page.goto('/admin/health');
    assert.match(await page.locator('#mail-tile').innerText(), /E-mail\s+Not configured: no e-mail is sent/);
    assert.match(await page.locator('#database-tile').innerText(), /Database\s+SQLite, reachable\.\s+Schema at migration \d{4}[a-z_-]+ \(up to date\)\./);
    const result = await page.locator('td.delivery-result').first().innerText();
    assert.match(result, /^Not delivered yet, will try again: nothing accepted the connection at that address and port \(1 attempt so far\)$/);
    assert.doesNotMatch(await page.locator('main').innerText(), /ECONNREFUSED/);
    const signIns = await page.locator('section[aria-labelledby="numbers"] table td').first().innerText();
    assert.equal(signIns, 'Signed in accept');
    const sideways = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    assert.ok(sideways <= 0, `${name} px: the page scrolls sideways by ${sideways} px`);
    await screenshot(page, `health-${name}`);

    await page.getByLabel('Name').fill('bad');
    await page.getByLabel('URL').fill('http://');
    await page.getByLabel('URL').evaluate((input) => input.removeAttribute('type')); // let the server judge it
    await page.getByRole('button', { name: 'Add webhook' }).click();
    const error = page.locator('#webhook-error');
    await error.waitFor();
    const box = (await error.boundingBox())!;
    assert.ok(box.y >= 0 && box.y + box.height <= size.height, `${name} px: the error is in sight (at ${box.y} px)`);
    for (const label of ['Name', 'URL']) {
      const style = await page.getByLabel(label).evaluate((input) => ({ height: input.getBoundingClientRect().height, width: input.getBoundingClientRect().width, border: getComputedStyle(input).borderTopColor, radius: getComputedStyle(input).borderTopLeftRadius }));
      assert.ok(style.height >= 36, `${name} px: the ${label} field is ${style.height} px high`);
      assert.ok(style.width >= Math.min(300, size.width - 80), `${name} px: the ${label} field is ${style.width} px wide`);
      assert.equal(style.radius, '4px', `${name} px: the ${label} field is styled as the console's fields`);
    }
    await screenshot(page, `health-webhook-error-${name}`);
  }
  await page.setViewportSize(DESKTOP);
});
