// The seed's flows, end to end in a real browser against a real server: import, associate (serial shown,
// listed as assigned), re-sync with two passcodes, disassociate only after confirming, unlock; the IP rules
// editor with errors beside the field; one restriction applied to several users; settings; audit log.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Page } from 'playwright-core';
import { OPERATOR } from '../../src/services/context.js';
import { screenshot, startConsole, type ConsoleFixture } from './fixtures.js';
import { oathCode } from '../helpers/otp.js';
import { randomSecretHex } from '../helpers/secrets.js';

let fx: ConsoleFixture;
let page: Page;
const tokens = [
  { serial: '1000000000001', secretHex: randomSecretHex() },
  { serial: '1000000000002', secretHex: randomSecretHex() },
  { serial: '1000000000003', secretHex: randomSecretHex() },
];

before(async () => {
  fx = await startConsole();
  const context = await fx.newContext();
  page = await fx.signIn(context, 'admin', fx.adminPassword);
  assert.equal(new URL(page.url()).pathname, '/admin/users');
});
after(async () => fx?.close());

const account = () => fx.instance.services.accounts.resolve(OPERATOR, 'default');

test('import a seed file from the tokens page: a dry run writes nothing, then the import lists the tokens as available', async () => {
  await page.getByRole('link', { name: 'Tokens' }).click();
  const csv = Buffer.from(`# serial, secret\n${tokens.map((t) => `${t.serial},${t.secretHex}`).join('\n')}\n`);
  // The import form is behind its button at the top of the page.
  await page.locator('summary', { hasText: 'Import seed file' }).click();
  await page.getByLabel('Seed file').setInputFiles({ name: 'tokens.csv', mimeType: 'text/csv', buffer: csv });
  await page.getByLabel(/Dry run/).check();
  await page.getByRole('button', { name: 'Import', exact: true }).click();
  assert.match(await page.locator('#import-report').innerText(), /Dry run: nothing was written\.[\s\S]*would import 3/);
  assert.equal((await fx.instance.services.tokens.list(await account())).length, 0);

  // The dry run's result offers "Import now": the file kept on the server is imported, not sent again.
  await page.getByRole('button', { name: 'Import now' }).click();
  assert.match(await page.locator('#import-report').innerText(), /Import finished\.[\s\S]*imported 3/);
  await screenshot(page, 'admin-tokens-import-report');
  assert.equal((await fx.instance.services.tokens.list(await account(), { status: 'available' })).length, 3);

  // Importing the same file again skips every serial, with the reason.
  await page.getByRole('link', { name: 'Import another file' }).click();
  await page.locator('summary', { hasText: 'Import seed file' }).click();
  await page.getByLabel('Seed file').setInputFiles({ name: 'tokens.csv', mimeType: 'text/csv', buffer: csv });
  await page.getByRole('button', { name: 'Import', exact: true }).click();
  assert.match(await page.locator('#import-report').innerText(), /imported 0; skipped 3[\s\S]*already in the inventory/);
});

test('create a user from the console', async () => {
  await page.goto('/admin/users/new');
  await screenshot(page, 'admin-user-new');
  await page.getByLabel('Username').fill('dana');
  await page.getByLabel('Display name').fill('Dana Scully');
  await page.getByLabel('Password').fill('short');
  await page.getByRole('button', { name: 'Create user' }).click();
  assert.match(await page.locator('#password-error').innerText(), /at least 8 characters/);
  await page.getByLabel('Password').fill('dana-password-1');
  await page.getByRole('button', { name: 'Create user' }).click();
  assert.equal(new URL(page.url()).pathname, '/admin/users/dana/access');
  assert.equal((await fx.instance.services.users.show(await account(), 'dana')).displayName, 'Dana Scully');

  await page.getByRole('link', { name: 'Details' }).click();
  await page.getByLabel('Display name').fill('Dana K. Scully');
  await page.getByRole('button', { name: 'Save' }).click();
  assert.equal((await fx.instance.services.users.show(await account(), 'dana')).displayName, 'Dana K. Scully');
  await screenshot(page, 'admin-user-details');
});

test('associate: Serial number and OTP code, Submit; the token is listed as assigned with its serial', async () => {
  const token = tokens[0]!;
  await page.goto('/admin/users');
  await page.getByRole('link', { name: 'dana', exact: true }).click();
  assert.equal(await page.getByRole('link', { name: 'Access Restrictions' }).getAttribute('aria-current'), 'page');
  await page.getByRole('link', { name: 'Associate OTP token' }).click();

  // A code far outside the association window is refused, and never shown back.
  const wrong = oathCode(token.secretHex, 500);
  await page.getByLabel('Serial number').fill('1000000-000001');
  await page.getByLabel('OTP code').fill(wrong);
  await page.getByRole('button', { name: 'Submit' }).click();
  const refused = await page.content();
  assert.match(refused, /not one of token 1000000000001&#39;s next codes|not one of token 1000000000001's next codes/);
  assert.ok(!refused.includes(wrong), 'the refused passcode is not echoed');
  assert.equal(await page.getByLabel('OTP code').inputValue(), '');
  await screenshot(page, 'admin-token-associate-error');

  await page.getByLabel('Serial number').fill(token.serial);
  await page.getByLabel('OTP code').fill(oathCode(token.secretHex, 3));
  await page.getByRole('button', { name: 'Submit' }).click();
  assert.equal(new URL(page.url()).pathname, '/admin/users/dana/access');
  assert.equal(await page.locator('#token-status').innerText(), 'Assigned');
  assert.equal(await page.locator('#token-serial').innerText(), token.serial);
  await screenshot(page, 'admin-user-access-assigned');

  await page.getByRole('link', { name: 'Users' }).click();
  const row = page.getByRole('row').filter({ hasText: 'dana' });
  assert.match(await row.innerText(), /Assigned\s+1000000000001/);
  const view = await fx.instance.services.tokens.ofUser(await account(), 'dana');
  assert.equal(view.status, 'associated');
  assert.equal(view.counter, 4, 'the counter moved past the code used to associate');
});

test('re-sync: two consecutive passcodes from an out-of-sync token, Save', async () => {
  const token = tokens[0]!;
  await page.goto('/admin/users/dana/access');
  await page.getByRole('link', { name: 'Re-sync token' }).click();
  // Two codes that are not consecutive are refused, and the counter stays.
  await page.getByLabel('First passcode').fill(oathCode(token.secretHex, 60));
  await page.getByLabel('Second passcode').fill(oathCode(token.secretHex, 62));
  await page.getByRole('button', { name: 'Save' }).click();
  assert.match(await page.getByRole('alert').innerText(), /not consecutive/);
  assert.equal((await fx.instance.services.tokens.ofUser(await account(), 'dana')).counter, 4);
  await screenshot(page, 'admin-token-resync-error');

  await page.getByLabel('First passcode').fill(oathCode(token.secretHex, 60));
  await page.getByLabel('Second passcode').fill(oathCode(token.secretHex, 61));
  await page.getByRole('button', { name: 'Save' }).click();
  assert.equal(new URL(page.url()).pathname, '/admin/users/dana/access');
  assert.match(await page.getByRole('status').innerText(), /re-synced/);
  const view = await fx.instance.services.tokens.ofUser(await account(), 'dana');
  assert.equal(view.counter, 62);
  assert.equal(view.failCount, 0, 'a successful re-sync clears the failed attempt');
});

test('disassociate: the confirmation page changes nothing; confirming returns the token to the inventory', async () => {
  await page.goto('/admin/users/dana/access');
  await page.getByRole('link', { name: 'Disassociate token' }).click();
  assert.equal(new URL(page.url()).pathname, '/admin/users/dana/token/disassociate');
  assert.match(await page.locator('main').innerText(), /Disassociate token 1000000000001 from Dana K\. Scully/);
  await screenshot(page, 'admin-token-disassociate-confirm');
  assert.equal((await fx.instance.services.tokens.ofUser(await account(), 'dana')).status, 'associated', 'nothing changed before confirming');

  await page.getByRole('link', { name: 'Cancel' }).click();
  assert.equal((await fx.instance.services.tokens.ofUser(await account(), 'dana')).status, 'associated', 'cancel changes nothing');

  await page.getByRole('link', { name: 'Disassociate token' }).click();
  await page.getByRole('button', { name: 'Disassociate token' }).click();
  assert.equal(new URL(page.url()).pathname, '/admin/users/dana/access');
  assert.match(await page.locator('#token-status').innerText(), /No token/);
  assert.ok(await page.getByRole('link', { name: 'Associate OTP token' }).isVisible());
  const back = await fx.instance.services.tokens.show(await account(), tokens[0]!.serial);
  assert.equal(back.status, 'available');
  assert.equal(back.username, null);
  assert.equal(back.counter, 62, 'the counter is kept');
});

test('settings: maxFailures saved from the settings page; out-of-range values are refused beside the field', async () => {
  await page.getByRole('link', { name: 'Settings' }).click();
  // The browser would stop 0 itself (min="1"); switch its check off to reach the server's.
  await page.locator('form[action="/admin/settings"]').evaluate((form) => ((form as HTMLFormElement).noValidate = true));
  await page.getByLabel('Failures before a token locks').fill('0');
  await page.getByRole('button', { name: 'Save' }).click();
  assert.match(await page.locator('#maxFailures-error').innerText(), /maxFailures must be a whole number from 1 to 100/);
  await screenshot(page, 'admin-settings-error');
  await page.getByLabel('Failures before a token locks').fill('3');
  await page.getByRole('button', { name: 'Save' }).click();
  assert.match(await page.getByRole('status').innerText(), /settings are saved/);
  assert.equal((await account()).max_failures, 3);
  await screenshot(page, 'admin-settings');
});

test('unlock: a token locked by wrong passcodes shows Locked and the Unlock button; unlocking clears it', async () => {
  const token = tokens[1]!;
  const services = fx.instance.services;
  await services.tokens.associate(OPERATOR, await account(), 'dana', token.serial, oathCode(token.secretHex, 0));
  for (let i = 0; i < 3; i++) {
    await services.signIn.check({ accountId: null, username: 'dana', password: null, passcode: oathCode(token.secretHex, 900 + i), actor: { name: 'test', accountId: null, clientIp: `198.51.100.${i + 1}` } });
  }
  assert.equal((await services.tokens.ofUser(await account(), 'dana')).status, 'locked');
  await page.goto('/admin/users/dana/access');
  assert.equal(await page.locator('#token-status').innerText(), 'Locked');
  await screenshot(page, 'admin-user-access-locked');
  await page.getByRole('button', { name: 'Unlock' }).click();
  assert.match(await page.getByRole('status').innerText(), /unlocked/);
  assert.equal(await page.locator('#token-status').innerText(), 'Assigned');
  const view = await services.tokens.ofUser(await account(), 'dana');
  assert.equal(view.status, 'associated');
  assert.equal(view.failCount, 0);
});

test('IP rules editor: an invalid network is shown beside its field and nothing is saved; add and remove rules', async () => {
  await page.goto('/admin/users/dana/access');
  await page.getByLabel('Network of rule 1').fill('10.0.0.300/8');
  await page.getByLabel('Action of rule 1').selectOption('allow');
  await page.getByLabel('Network of rule 2').fill('192.0.2.0/24');
  await page.getByLabel('Action of rule 2').selectOption('deny');
  await page.getByRole('button', { name: 'Save' }).click();
  const cidr = page.getByLabel('Network of rule 1');
  assert.equal(await cidr.getAttribute('aria-invalid'), 'true');
  assert.match(await page.locator('#rules-0-cidr-error').innerText(), /10\.0\.0\.300\/8" is not an IPv4 or IPv6 address/);
  assert.equal(await page.getByLabel('Network of rule 2').inputValue(), '192.0.2.0/24', 'the other rows are kept as typed');
  await screenshot(page, 'admin-user-access-rule-error');
  assert.equal((await fx.instance.services.restrictions.showForUser(await account(), 'dana')).source, 'none', 'nothing saved');

  await cidr.fill('10.1.2.3/8');
  await page.getByLabel('Default action (addresses that match no rule)').selectOption('require_otp');
  await page.getByRole('button', { name: 'Save' }).click();
  assert.match(await page.getByRole('status').innerText(), /restriction is saved/);
  let saved = await fx.instance.services.restrictions.showForUser(await account(), 'dana');
  assert.deepEqual(saved.rules.map((r) => [r.cidr, r.action]), [['10.0.0.0/8', 'allow'], ['192.0.2.0/24', 'deny']]);
  assert.equal(saved.default, 'require_otp');

  await page.getByRole('checkbox', { name: 'Remove rule 1' }).check();
  await page.getByRole('button', { name: 'Save' }).click();
  saved = await fx.instance.services.restrictions.showForUser(await account(), 'dana');
  assert.deepEqual(saved.rules.map((r) => r.cidr), ['192.0.2.0/24']);
  await screenshot(page, 'admin-user-access-rules');

  await page.getByRole('button', { name: "Remove this user's own restriction" }).click();
  assert.equal((await fx.instance.services.restrictions.showForUser(await account(), 'dana')).source, 'none');
});

test('select several users and apply one access restriction to all of them', async () => {
  await fx.createUser('erin');
  await fx.createUser('frank');
  await page.goto('/admin/users');
  await page.getByRole('checkbox', { name: 'Select erin' }).check();
  await page.getByRole('checkbox', { name: 'Select frank' }).check();
  await page.getByRole('button', { name: 'Set access restriction for the ticked users…' }).click();
  await page.getByLabel('Network of rule 1').fill('203.0.113.0/24');
  await page.getByLabel('Action of rule 1').selectOption('allow');
  await page.getByLabel('Default action (addresses that match no rule)').selectOption('require_otp');
  await page.getByRole('button', { name: 'Continue to confirmation…' }).click();
  assert.match(await page.locator('#confirm-question').innerText(), /Replace the restriction of 2 users\?/);
  await page.getByRole('button', { name: 'Replace 2 restrictions' }).click();
  assert.match(await page.getByRole('status').innerText(), /access restriction of 2 users is replaced/);
  for (const name of ['erin', 'frank']) {
    const r = await fx.instance.services.restrictions.showForUser(await account(), name);
    assert.equal(r.source, 'user');
    assert.equal(r.default, 'require_otp');
    assert.deepEqual(r.rules.map((x) => x.cidr), ['203.0.113.0/24']);
  }
  assert.equal((await fx.instance.services.restrictions.showForUser(await account(), 'dana')).source, 'none', 'unselected users are untouched');

  // Nothing ticked: no bulk action to press.
  assert.equal(await page.locator('#bulk-bar').isVisible(), false);
  await page.getByLabel('Search').or(page.getByLabel('Find users')).fill('fra');
  // The search is a GET form: wait for its page before reading the table (the old page, or none mid-way, else).
  await Promise.all([page.waitForURL(/[?&]q=fra\b/), page.getByRole('button', { name: 'Search' }).click()]);
  assert.deepEqual(await page.getByRole('table', { name: 'Users list' }).locator('tbody tr td:nth-child(2)').allInnerTexts(), ['frank']);
  await screenshot(page, 'admin-users-search');
});

test('audit log: every change above is listed, and the user filter narrows it', async () => {
  await page.getByRole('link', { name: 'Audit log' }).click();
  await screenshot(page, 'admin-audit');
  const all = await page.locator('tbody').innerText();
  for (const action of ['token.import', 'user.create', 'token.associate', 'token.resync', 'token.disassociate', 'token.unlock', 'restriction.set', 'account.settings']) {
    assert.ok(all.includes(action), `${action} is in the audit log`);
  }
  await page.getByLabel('User').fill('erin');
  await page.getByRole('button', { name: 'Filter' }).click();
  const users = await page.locator('tbody tr td:nth-child(4)').allInnerTexts();
  assert.ok(users.length > 0 && users.every((u) => u === 'erin'));
  await page.getByLabel('From (UTC date)').fill('2020-01-01');
  await page.getByRole('button', { name: 'Filter' }).click();
  assert.ok((await page.locator('tbody tr').count()) > 0);
});

test('the inventory filters by status', async () => {
  await page.goto('/admin/tokens');
  await page.getByLabel('Status').selectOption('associated');
  await page.getByRole('button', { name: 'Filter' }).click();
  assert.deepEqual(await page.locator('tbody tr td:first-child').allInnerTexts(), [tokens[1]!.serial]);
  await page.getByLabel('Status').selectOption('available');
  await page.getByRole('button', { name: 'Filter' }).click();
  assert.deepEqual((await page.locator('tbody tr td:first-child').allInnerTexts()).sort(), [tokens[0]!.serial, tokens[2]!.serial]);
  await page.getByLabel('Status').selectOption('');
  await page.getByRole('button', { name: 'Filter' }).click();
  await screenshot(page, 'admin-tokens');
});
