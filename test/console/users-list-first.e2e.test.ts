// Property (issue #29 item 4, #24 finding 14): the Users page opens with the list — its first rows in sight
// at 1100 px and at 390 px — and no bulk form above it. An administrator's bulk restriction shows only once
// rows are ticked (a bar that leads to a step of its own: no script, the CSP allows none), then rules, then
// the confirmation. A help-desk user's Users page has no tick boxes and no bulk action, and every form and
// link on it leads to a page they may use (none answers 404).
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Page } from 'playwright-core';
import { OPERATOR } from '../../src/services/context.js';
import { screenshot, startConsole, type ConsoleFixture } from './fixtures.js';

let fx: ConsoleFixture;
let admin: Page;
let helpdesk: Page;
const PHONE = { width: 390, height: 844 };
const DESKTOP = { width: 1100, height: 800 };

before(async () => {
  fx = await startConsole();
  for (let i = 0; i < 30; i++) await fx.createUser(`user${String(i).padStart(2, '0')}`, { displayName: `User number ${i}` });
  admin = await fx.signIn(await fx.newContext(), 'admin', fx.adminPassword);
  const password = await fx.createUser('hana', { displayName: 'Hana Desk' });
  await fx.instance.services.users.update(OPERATOR, fx.account, 'hana', { role: 'helpdesk' });
  helpdesk = await fx.signIn(await fx.newContext(), 'hana', password);
});
after(async () => fx?.close());

/** The list's first row starts within the first screen, and nothing but the search sits above the table. */
async function listFirst(page: Page, height: number): Promise<void> {
  const firstRow = await page.locator('table tbody tr').first().boundingBox();
  assert.ok(firstRow, 'the list has rows');
  assert.ok(firstRow.y + firstRow.height <= height, `the first row (at ${firstRow.y}px) is within the first ${height}px`);
  assert.equal(await page.getByRole('group', { name: /Access restriction/ }).count(), 0, 'no bulk form above the list');
  assert.equal(await page.getByLabel('Network of rule 1').count(), 0, 'no rule fields on the list');
}

test('administrator: the list first at both widths; the bulk bar only once rows are ticked, then rules, then the confirmation', async () => {
  for (const [width, size] of [['desktop', DESKTOP], ['phone', PHONE]] as const) {
    await admin.setViewportSize(size);
    await admin.goto('/admin/users');
    await listFirst(admin, size.height);
    assert.equal(await admin.locator('#bulk-bar').isVisible(), false, 'no bulk action while nothing is ticked');
    await screenshot(admin, `users-list-first-${width}`);
    await admin.getByRole('checkbox', { name: 'Select user03' }).check();
    await admin.getByRole('checkbox', { name: 'Select user04' }).check();
    const bar = admin.getByRole('button', { name: 'Set access restriction for the ticked users…' });
    assert.equal(await bar.isVisible(), true, 'ticked rows bring the bulk action');
    // The bar stays in sight (sticky at the bottom of the screen) while the list is longer than the screen.
    const box = await bar.boundingBox();
    assert.ok(box && box.y + box.height <= size.height, `the bulk action is in sight (${box?.y})`);
    await admin.screenshot({ path: `${process.cwd()}/test-output/screenshots/users-ticked-${width}.png` });
  }
  await admin.getByRole('button', { name: 'Set access restriction for the ticked users…' }).click();
  assert.match(await admin.locator('#bulk-who').innerText(), /^For the 2 ticked users: user03, user04\.$/);
  await screenshot(admin, 'users-bulk-rules-phone');
  await admin.setViewportSize(DESKTOP);
  await screenshot(admin, 'users-bulk-rules-desktop');
  await admin.getByLabel('Network of rule 1').fill('198.51.100.0/24');
  await admin.getByLabel('Action of rule 1').selectOption('deny');
  // A mistake comes back on the rules step, with the ticked users kept.
  await admin.getByLabel('Network of rule 2').fill('not a network');
  await admin.getByRole('button', { name: 'Continue to confirmation…' }).click();
  assert.equal(await admin.getByRole('alert').count() > 0, true);
  assert.match(await admin.locator('#bulk-who').innerText(), /user03, user04/);
  await admin.getByLabel('Network of rule 2').fill('');
  await admin.getByRole('button', { name: 'Continue to confirmation…' }).click();
  assert.match(await admin.locator('#confirm-question').innerText(), /^Replace the restriction of 2 users\?$/);
  assert.equal((await fx.instance.services.restrictions.showForUser(fx.account, 'user03')).source, 'none', 'nothing changes before the confirmation');
  await admin.getByRole('button', { name: 'Replace 2 restrictions' }).click();
  assert.match(await admin.getByRole('status').innerText(), /access restriction of 2 users is replaced/);
  for (const name of ['user03', 'user04']) assert.deepEqual((await fx.instance.services.restrictions.showForUser(fx.account, name)).rules.map((r) => r.cidr), ['198.51.100.0/24']);
  assert.equal((await fx.instance.services.restrictions.showForUser(fx.account, 'user05')).source, 'none', 'unticked users are untouched');
});

test('administrator: "all matching" is offered on the rules step; a step without ticked rows says so on the list', async () => {
  await admin.goto('/admin/users?q=user1');
  await admin.getByRole('checkbox', { name: 'Select user10' }).check();
  await admin.getByRole('button', { name: 'Set access restriction for the ticked users…' }).click();
  await admin.getByLabel(/^Instead, all 10 users matching “user1”/).check();
  await admin.getByLabel('Default action (addresses that match no rule)').selectOption('require_otp');
  await admin.getByRole('button', { name: 'Continue to confirmation…' }).click();
  assert.match(await admin.locator('#confirm-question').innerText(), /^Replace the restriction of 10 users\?$/);
  await admin.getByRole('button', { name: 'Replace 10 restrictions' }).click();
  assert.equal(new URL(admin.url()).searchParams.get('q'), 'user1', 'the search is kept');
  assert.equal((await fx.instance.services.restrictions.showForUser(fx.account, 'user19')).default, 'require_otp');
  assert.equal((await fx.instance.services.restrictions.showForUser(fx.account, 'user20')).source, 'none');

  // Without CSS (or a browser without :has()), the bar can be pressed with nothing ticked: the list says so.
  const csrf = await admin.locator('form.bulk-select input[name="_csrf"]').inputValue();
  const empty = await admin.request.post('/admin/users/restrictions', { form: { _csrf: csrf, q: 'user1', offset: '0', step: 'choose' } });
  assert.equal(empty.status(), 400);
  const body = await empty.text();
  assert.match(body, /Tick at least one user in the list first\./);
  assert.match(body, /<table/, 'the list comes back with the message');
});

test('help desk: the Users page has no tick boxes and no bulk action, and nothing on it leads to a 404', async () => {
  for (const [width, size] of [['desktop', DESKTOP], ['phone', PHONE]] as const) {
    await helpdesk.setViewportSize(size);
    await helpdesk.goto('/admin/users');
    await listFirst(helpdesk, size.height);
    assert.equal(await helpdesk.getByRole('checkbox', { name: /^Select / }).count(), 0, 'no tick boxes');
    assert.equal(await helpdesk.locator('input[name="user"]').count(), 0, 'no tick boxes');
    assert.equal(await helpdesk.locator('form[action="/admin/users/restrictions"]').count(), 0, 'no bulk form');
    assert.equal(await helpdesk.getByRole('button', { name: /restriction/i }).count(), 0, 'no bulk button');
    await screenshot(helpdesk, `users-helpdesk-${width}`);
  }
  // Every form and every link on the page, followed as the help desk: none answers 404.
  const forms = await helpdesk.locator('form').evaluateAll((list) => list.map((f) => ({ method: (f.getAttribute('method') ?? 'get').toLowerCase(), action: f.getAttribute('action') ?? '', fields: Object.fromEntries([...new FormData(f as HTMLFormElement).entries()].map(([k, v]) => [k, typeof v === "string" ? v : v.name])) })));
  assert.ok(forms.length >= 2, 'the search and the sign-out');
  for (const form of forms) {
    if (form.action === '/logout') continue;
    const response = form.method === 'post' ? await helpdesk.request.post(form.action, { form: form.fields, maxRedirects: 0 }) : await helpdesk.request.get(`${form.action}?${new URLSearchParams(form.fields).toString()}`);
    assert.notEqual(response.status(), 404, `${form.method} ${form.action}`);
  }
  const links = await helpdesk.locator('main a[href^="/"]').evaluateAll((list) => list.map((a) => a.getAttribute('href')!));
  assert.ok(links.length >= 10);
  for (const href of new Set(links)) assert.notEqual((await helpdesk.request.get(href)).status(), 404, href);
  // The bulk route itself stays closed to them.
  const csrf = await helpdesk.locator('form[action="/logout"] input[name="_csrf"]').inputValue();
  assert.equal((await helpdesk.request.post('/admin/users/restrictions', { form: { _csrf: csrf, step: 'choose', user: 'user01' } })).status(), 404);
});
