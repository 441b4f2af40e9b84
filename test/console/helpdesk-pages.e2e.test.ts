// Property: a help-desk user's console has exactly SPEC's rights. From the route table, every /admin page not
// in the list below answers them 404 (as to a plain user) and changes nothing, whatever they post; in a real
// browser they see only Users and Tokens, handle "lost it" (disable, temporary code) and "broke it"
// (disassociate) from a user's page, and find no restriction, import, retire or user-management controls.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Page } from 'playwright-core';
import { OPERATOR } from '../../src/services/context.js';
import { screenshot, startConsole, type ConsoleFixture } from './fixtures.js';
import { oathCode } from '../helpers/otp.js';
import { randomSecretHex } from '../helpers/secrets.js';

/** The help desk's pages (GET ones answer HEAD too). */
const HELPDESK_PAGES = new Set([
  'GET /admin/users',
  'GET /admin/users/:username',
  'GET /admin/users/:username/access',
  'GET /admin/users/:username/token/associate',
  'POST /admin/users/:username/token/associate',
  'GET /admin/users/:username/token/resync',
  'POST /admin/users/:username/token/resync',
  'GET /admin/users/:username/token/disassociate',
  'POST /admin/users/:username/token/disassociate',
  'POST /admin/users/:username/token/unlock',
  'GET /admin/users/:username/token/disable',
  'POST /admin/users/:username/token/disable',
  'POST /admin/users/:username/token/enable',
  'POST /admin/users/:username/temp-code',
  'POST /admin/users/:username/temp-code/revoke',
  'GET /admin/tokens',
  'GET /admin/tokens/:serial',
  'GET /admin/audit',
  'GET /admin/audit/export',
]);

let fx: ConsoleFixture;
let page: Page;
let cookie = '';
let csrf = '';
const token = { serial: '4500000000001', secretHex: randomSecretHex() };

before(async () => {
  fx = await startConsole();
  await fx.importTokens([token]);
  await fx.createUser('ruth', { displayName: 'Ruth Wilson' });
  await fx.instance.services.tokens.associate(OPERATOR, fx.account, 'ruth', token.serial, oathCode(token.secretHex, 0));
  const password = await fx.createUser('hana', { displayName: 'Hana Desk' });
  await fx.instance.services.users.update(OPERATOR, fx.account, 'hana', { role: 'helpdesk' });
  const context = await fx.newContext();
  page = await fx.signIn(context, 'hana', password);
  const session = (await context.cookies()).find((c) => c.name === 'otpgate_session')!;
  cookie = `otpgate_session=${session.value}`;
  csrf = await page.locator('form[action="/logout"] input[name="_csrf"]').inputValue();
});
after(async () => fx?.close());

const keyOf = (route: { method: string; url: string }) => `${route.method === 'HEAD' ? 'GET' : route.method} ${route.url}`;

async function snapshot(): Promise<string> {
  const s = fx.instance.services;
  return JSON.stringify({
    users: await s.users.list(fx.account),
    tokens: await s.tokens.list(fx.account),
    restriction: await s.restrictions.showForUser(fx.account, 'ruth'),
    account: await s.accounts.byId(fx.account.id),
    keys: await s.apiKeys.list(fx.account),
  });
}

test('every other /admin page answers a help-desk user 404 and changes nothing', async () => {
  const routes = fx.app.otpgateRoutes.filter((r) => r.url.startsWith('/admin') && !HELPDESK_PAGES.has(keyOf(r)));
  assert.ok(routes.length >= 15, `found ${routes.length} admin pages outside the help desk's`);
  for (const allowed of HELPDESK_PAGES) assert.ok(fx.app.otpgateRoutes.some((r) => keyOf(r) === allowed), `${allowed} exists`);
  const before = await snapshot();
  for (const route of routes) {
    const url = route.url.replace(/:username/g, 'ruth').replace(/:serial/g, token.serial).replace(/:[A-Za-z]+/g, 'x');
    const payload = new URLSearchParams({ _csrf: csrf, reason: 'lost', default: 'deny', maxFailures: '1', role: 'admin' }).toString();
    const response = await fx.app.inject({
      method: route.method as 'GET',
      url,
      headers: { cookie, ...(route.method === 'POST' ? { 'content-type': 'application/x-www-form-urlencoded' } : {}) },
      ...(route.method === 'POST' ? { payload } : {}),
    });
    assert.equal(response.statusCode, 404, `${route.method} ${url} answered ${response.statusCode}`);
  }
  assert.equal(await snapshot(), before, 'nothing changed');
});

test('in the browser: only Users and Tokens; disable and a temporary code for a lost token; no retire, restriction or import controls', async () => {
  await page.goto('/admin/users');
  const nav = await page.getByRole('navigation', { name: 'Main' }).innerText();
  assert.match(nav, /Users/);
  assert.match(nav, /Tokens/);
  assert.match(nav, /Audit log/, 'the audit of its users and tokens (issue 29, item 8)');
  for (const absent of ['Groups', 'Directory', 'Settings', 'Health', 'OpenID clients']) assert.doesNotMatch(nav, new RegExp(absent));
  assert.equal(await page.getByRole('link', { name: 'Create user' }).count(), 0);
  assert.equal(await page.getByRole('button', { name: /ticked users/ }).count(), 0);
  assert.equal(await page.locator('input[name="user"]').count(), 0, 'no tick boxes');

  await page.goto('/admin/users/ruth/access');
  assert.equal(await page.getByRole('link', { name: 'Retire token' }).count(), 0);
  assert.equal(await page.getByRole('heading', { name: 'IP access restriction' }).count(), 0);
  await page.getByRole('link', { name: 'Disable token' }).click();
  await page.getByRole('button', { name: 'Disable token' }).click();
  assert.match(await page.locator('#token-status').innerText(), /Disabled/);
  await page.getByRole('button', { name: 'Issue temporary code' }).click();
  assert.match((await page.locator('#temp-code-value').innerText()).trim(), /^[0-9]{10}$/);
  await screenshot(page, 'helpdesk-temp-code');

  await page.goto('/admin/users/ruth');
  assert.equal(await page.getByRole('button', { name: /Disable user|Save/ }).count(), 0, 'no user management');
  await page.goto('/admin/tokens');
  assert.equal(await page.getByRole('heading', { name: 'Import seed file' }).count(), 0);
  await page.getByRole('link', { name: token.serial }).click();
  assert.match(await page.locator('#token-history').innerText(), /token\.disable[\s\S]*token\.associate/);
  const audit = (await fx.instance.services.audit.list({ accountId: fx.account.id, username: 'ruth', limit: 10 })).map((e) => `${e.actor} ${e.action}`);
  assert.ok(audit.includes('console:hana token.disable') && audit.includes('console:hana temp_code.issue'), audit.join(', '));
});
