// An expired token (issue 29, item 10): an available or assigned token past its valid-until shows "Expired",
// not "Available"/"Assigned" as if it signed in; the Tokens inventory filters on it. Screenshots at 1100 and 390 px.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Page } from 'playwright-core';
import { OPERATOR } from '../../src/services/context.js';
import { oathCode } from '../helpers/otp.js';
import { randomSecretHex } from '../helpers/secrets.js';
import { screenshot, startConsole, type ConsoleFixture } from './fixtures.js';

let fx: ConsoleFixture;
let admin: Page;
const assigned = { serial: '4700000000001', secretHex: randomSecretHex() };
const spare = { serial: '4700000000002', secretHex: randomSecretHex() };
const current = { serial: '4700000000003', secretHex: randomSecretHex() };
const PAST = '2020-01-01T00:00:00.000Z';

before(async () => {
  fx = await startConsole();
  await fx.importTokens([assigned, spare, current]);
  await fx.createUser('edda');
  const { tokens, tokenStates } = fx.instance.services;
  await tokens.associate(OPERATOR, fx.account, 'edda', assigned.serial, oathCode(assigned.secretHex, 0));
  await tokenStates.setValidity(OPERATOR, fx.account, assigned.serial, { validUntil: PAST });
  await tokenStates.setValidity(OPERATOR, fx.account, spare.serial, { validUntil: PAST });
  await tokenStates.setValidity(OPERATOR, fx.account, current.serial, { validUntil: '2999-01-01T00:00:00.000Z' });
  admin = await fx.signIn(await fx.newContext(), 'admin', fx.adminPassword);
});
after(async () => fx?.close());

const rowOf = (serial: string) => admin.locator('tbody tr', { hasText: serial });

test('the inventory shows a token past its valid-until as Expired, assigned or not, and one still valid as it is', async () => {
  await admin.goto('/admin/tokens');
  assert.match(await rowOf(assigned.serial).innerText(), /Expired/);
  assert.match(await rowOf(spare.serial).innerText(), /Expired/);
  assert.doesNotMatch(await rowOf(spare.serial).innerText(), /Available/);
  assert.match(await rowOf(current.serial).innerText(), /Available/);
});

test('the Expired filter lists exactly the expired tokens; the token page says Expired', async () => {
  await admin.goto('/admin/tokens');
  await admin.getByLabel('Status').selectOption({ label: 'Expired' });
  await Promise.all([admin.waitForURL(/status=expired/), admin.getByRole('button', { name: 'Filter' }).click()]);
  const rows = await admin.locator('tbody tr').allInnerTexts();
  assert.equal(rows.length, 2, rows.join('\n'));
  assert.ok(rows.some((r) => r.includes(assigned.serial)) && rows.some((r) => r.includes(spare.serial)));
  await screenshot(admin, 'tokens-expired-filter-1100');
  await admin.setViewportSize({ width: 390, height: 800 });
  try {
    const overflow = await admin.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    assert.ok(overflow <= 0, `the page scrolls sideways by ${overflow} px`);
    await screenshot(admin, 'tokens-expired-filter-390');
  } finally {
    await admin.setViewportSize({ width: 1100, height: 800 });
  }
  await admin.goto(`/admin/tokens/${assigned.serial}`);
  assert.equal(await admin.locator('#token-status').innerText(), 'Expired');
});

test("an administrator edits the validity on the token's page: a later valid-until makes it Assigned again; a bad date is refused beside its field", async () => {
  await admin.goto(`/admin/tokens/${assigned.serial}`);
  const form = admin.locator('#validity-form');
  assert.equal(await form.getByLabel('Valid until').inputValue(), '2020-01-01T00:00:00Z');
  await form.getByLabel('Valid until').fill('not a date');
  await form.getByRole('button', { name: 'Save validity' }).click();
  assert.match(await admin.locator('#validUntil-error').innerText(), /Enter a date \(2027-06-30\) or a date and time in UTC/);
  assert.equal(await admin.locator('#validity-form').getByLabel('Valid until').inputValue(), 'not a date', 'the form keeps what was typed');
  await screenshot(admin, 'token-validity-error-1100');
  await admin.setViewportSize({ width: 390, height: 800 });
  try {
    const overflow = await admin.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    assert.ok(overflow <= 0, `the page scrolls sideways by ${overflow} px`);
    await screenshot(admin, 'token-validity-error-390');
  } finally {
    await admin.setViewportSize({ width: 1100, height: 800 });
  }
  await admin.locator('#validity-form').getByLabel('Valid until').fill('2999-06-30');
  await admin.locator('#validity-form').getByRole('button', { name: 'Save validity' }).click();
  assert.match(await admin.locator('main').innerText(), /validity dates are saved/);
  assert.equal(await admin.locator('#token-status').innerText(), 'Assigned');
  assert.equal((await fx.instance.services.tokens.show(fx.account, assigned.serial)).validUntil, '2999-06-30T00:00:00.000Z');
  await admin.locator('#validity-form').getByLabel('Valid until').fill('');
  await admin.locator('#validity-form').getByRole('button', { name: 'Save validity' }).click();
  assert.equal((await fx.instance.services.tokens.show(fx.account, assigned.serial)).validUntil, null, 'empty: open-ended');
});

test('the help desk sees no validity form and may not post one', async () => {
  const password = await fx.createUser('hedda');
  await fx.instance.services.users.update(OPERATOR, fx.account, 'hedda', { role: 'helpdesk' });
  const desk = await fx.signIn(await fx.newContext(), 'hedda', password);
  await desk.goto(`/admin/tokens/${spare.serial}`);
  assert.equal(await desk.locator('#token-status').innerText(), 'Expired');
  assert.equal(await desk.locator('#validity-form').count(), 0);
  const posted = await desk.request.post(`/admin/tokens/${spare.serial}/validity`, { form: { validUntil: '' }, maxRedirects: 0 });
  assert.equal(posted.status(), 404, 'not a help-desk page');
  assert.equal((await fx.instance.services.tokens.show(fx.account, spare.serial)).validUntil, '2020-01-01T00:00:00.000Z', 'unchanged');
});
