// The console's Settings page, fieldset "Time-based tokens and apps" (docs/time-based-tokens.md, "Settings"):
// totpWindow, totpSyncSteps, appEnrolment and totpIssuer, in Chromium. Saved values are what the service
// holds and what the page shows again (the issuer escaped); a refused value is named beside its field, the
// form keeps what was typed, and nothing is saved.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Page } from 'playwright-core';
import { OPERATOR } from '../../src/services/context.js';
import { settingsOf } from '../../src/services/account-settings.js';
import { screenshot, startConsole, type ConsoleFixture } from './fixtures.js';

let fx: ConsoleFixture;
let page: Page;
const settings = async () => settingsOf(await fx.instance.services.accounts.byId(fx.account.id));

before(async () => {
  fx = await startConsole();
  page = await fx.signIn(await fx.newContext(), 'admin', fx.adminPassword);
});
after(async () => fx?.close());

const HOSTILE = 'Acme <img src=x onerror=alert(1)> "HQ" & co';

test('the four settings sit in their own fieldset; saved, they are what the service holds and the page shows', async () => {
  await page.goto('/admin/settings');
  const group = page.getByRole('group', { name: 'Time-based tokens and apps' });
  assert.equal(await group.getByLabel('Time-based window').inputValue(), '1');
  assert.equal(await group.getByLabel('Time-based re-sync search').inputValue(), '2880');
  assert.equal(await group.getByLabel(/may add an authenticator app/).isChecked(), true);
  assert.equal(await group.getByLabel('Issuer shown in authenticator apps').inputValue(), '');
  assert.equal(await group.getByLabel('Issuer shown in authenticator apps').getAttribute('placeholder'), fx.account.name);
  // The other settings are not in it.
  assert.equal(await group.getByLabel('Sign-in look-ahead window').count(), 0);

  await group.getByLabel('Time-based window').fill('3');
  await group.getByLabel('Time-based re-sync search').fill('120');
  await group.getByLabel(/may add an authenticator app/).uncheck();
  await group.getByLabel('Issuer shown in authenticator apps').fill(HOSTILE);
  await page.getByRole('button', { name: 'Save' }).click();
  assert.match(await page.getByRole('status').innerText(), /settings are saved/);
  const saved = await settings();
  assert.deepEqual({ totpWindow: saved.totpWindow, totpSyncSteps: saved.totpSyncSteps, appEnrolment: saved.appEnrolment, totpIssuer: saved.totpIssuer }, { totpWindow: 3, totpSyncSteps: 120, appEnrolment: false, totpIssuer: HOSTILE });
  // The other settings are untouched by this form.
  assert.equal(saved.lookAheadWindow, 10);
  assert.equal(saved.selfAssociation, true);

  const response = await page.goto('/admin/settings');
  const html = await response!.text();
  assert.ok(!html.includes('<img src=x'), 'the issuer is not markup');
  assert.ok(html.includes('value="Acme &lt;img src=x onerror=alert(1)&gt; &quot;HQ&quot; &amp; co"'));
  assert.equal(await group.getByLabel('Issuer shown in authenticator apps').inputValue(), HOSTILE);
  assert.equal(await group.getByLabel(/may add an authenticator app/).isChecked(), false);
  assert.equal(await group.getByLabel('Time-based window').inputValue(), '3');
  // The switch is the one the app enrolment obeys.
  await fx.createUser('ann');
  await assert.rejects(fx.instance.services.appEnrolments.start(OPERATOR, await fx.instance.services.accounts.byId(fx.account.id), 'ann', 'cli'), { code: 'app_enrolment_disabled' });

  // Switched on again, the issuer emptied: the account's name again.
  await group.getByLabel(/may add an authenticator app/).check();
  await group.getByLabel('Issuer shown in authenticator apps').fill('');
  await page.getByRole('button', { name: 'Save' }).click();
  assert.match(await page.getByRole('status').innerText(), /settings are saved/);
  assert.equal((await settings()).appEnrolment, true);
  assert.equal((await settings()).totpIssuer, null);
});

test('an issuer with a colon: the reason beside the field, the form as typed, nothing saved', async () => {
  const before = await settings();
  await page.goto('/admin/settings');
  const group = page.getByRole('group', { name: 'Time-based tokens and apps' });
  await group.getByLabel('Time-based window').fill('4');
  await group.getByLabel('Issuer shown in authenticator apps').fill('Acme: <b>VPN</b>');
  const [response] = await Promise.all([page.waitForResponse((r) => r.url().endsWith('/admin/settings') && r.request().method() === 'POST'), page.getByRole('button', { name: 'Save' }).click()]);
  assert.equal(response.status(), 400);
  const issuer = group.getByLabel('Issuer shown in authenticator apps');
  assert.equal(await issuer.getAttribute('aria-invalid'), 'true');
  assert.match(await page.locator('#totpIssuer-error').innerText(), /without a colon/);
  assert.equal(await issuer.getAttribute('aria-describedby'), 'totpIssuer-hint totpIssuer-error');
  assert.equal(await issuer.inputValue(), 'Acme: <b>VPN</b>');
  assert.ok(!(await response.text()).includes('<b>VPN</b>'), 'the typed issuer is escaped');
  assert.equal(await group.getByLabel('Time-based window').inputValue(), '4');
  assert.equal(await page.locator('#totpWindow-error').count(), 0);
  for (const width of [1100, 390]) {
    await page.setViewportSize({ width, height: 800 });
    await screenshot(page, `settings-time-based-error-${width}`);
  }
  await page.setViewportSize({ width: 1100, height: 800 });
  assert.deepEqual(await settings(), before);
});

test('a window out of range (sent past the browser\'s own check): the reason beside that field, nothing saved', async () => {
  const before = await settings();
  await page.goto('/admin/settings');
  const csrf = await page.locator('input[name="_csrf"]').first().inputValue();
  const form: Record<string, string> = { _csrf: csrf, lookAheadWindow: '10', associateWindow: '20', syncWindow: '1000', maxFailures: '10', maxTokensPerUser: '3', totpWindow: '11', totpSyncSteps: '2880', selfAssociation: 'on', appEnrolment: 'on', totpIssuer: 'Acme' };
  const response = await page.request.post('/admin/settings', { form });
  assert.equal(response.status(), 400);
  const html = await response.text();
  assert.match(html, /<p class="field-error" id="totpWindow-error">totpWindow must be a whole number from 0 to 10/);
  assert.match(html, /id="totpWindow" name="totpWindow" value="11"/);
  assert.match(html, /id="totpIssuer" name="totpIssuer" value="Acme"/);
  const sync = await page.request.post('/admin/settings', { form: { ...form, totpWindow: '1', totpSyncSteps: '50001' } });
  assert.equal(sync.status(), 400);
  assert.match(await sync.text(), /id="totpSyncSteps-error">totpSyncSteps must be a whole number from 1 to 50000/);
  assert.deepEqual(await settings(), before);
  await fx.instance.services.accounts.updateSettings(OPERATOR, await fx.instance.services.accounts.byId(fx.account.id), { totpWindow: 1, totpSyncSteps: 2880 });
});
