// Property: an administrator manages the account's OpenID clients in the console (/admin/oidc-clients) in
// Chromium: list, add (a confidential client's secret shown once, on a page no cache keeps, and nowhere
// after), edit the redirect URIs and allowed groups, remove after a confirmation. Every form is refused
// without its CSRF token; typed text is shown literally; a plain user and another account's client get 404.
// Screenshots at 1100 and 390 pixels wide.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Page } from 'playwright-core';
import { OPERATOR } from '../../src/services/context.js';
import { screenshot, startConsole, type ConsoleFixture } from './fixtures.js';

const PUBLIC_URL = 'https://otp.example.com';
const GRAFANA = 'https://grafana.example.com/login/generic_oauth';
const MARKUP_GROUP = '<img src=x onerror=alert(1)>';
const QUOTED_URI = 'https://app.example.com/cb?next="><script>alert(2)</script>';

let fx: ConsoleFixture;
let page: Page;
let adminCookie = '';
let adminCsrf = '';
const dialogs: string[] = [];

before(async () => {
  fx = await startConsole({ env: { OTPGATE_PUBLIC_URL: PUBLIC_URL } });
  const context = await fx.newContext();
  page = await fx.signIn(context, 'admin', fx.adminPassword);
  page.on('dialog', (dialog) => {
    dialogs.push(dialog.message());
    void dialog.dismiss();
  });
  const cookie = (await context.cookies()).find((c) => c.name === 'otpgate_session')!;
  adminCookie = `otpgate_session=${cookie.value}`;
});
after(async () => fx?.close());

/** Both widths of one page: the desktop layout and a phone's. */
async function shots(name: string): Promise<void> {
  await page.setViewportSize({ width: 1100, height: 800 });
  await screenshot(page, `${name}-1100`);
  await page.setViewportSize({ width: 390, height: 844 });
  await screenshot(page, `${name}-390`);
  await page.setViewportSize({ width: 1100, height: 800 });
}

function post(url: string, fields: Record<string, string>) {
  return fx.app.inject({ method: 'POST', url, headers: { cookie: adminCookie, 'content-type': 'application/x-www-form-urlencoded' }, payload: new URLSearchParams(fields).toString() });
}

test('the list, reached from the navigation, says the issuer and that there are no clients yet', async () => {
  await page.goto('/admin/users');
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'OpenID clients' }).click();
  await page.waitForURL('**/admin/oidc-clients');
  assert.equal(await page.getByRole('heading', { level: 1 }).innerText(), 'OpenID clients');
  assert.match(await page.locator('main').innerText(), /https:\/\/otp\.example\.com\/oidc\/\.well-known\/openid-configuration/);
  assert.match(await page.locator('main').innerText(), /No OpenID clients yet/);
  await shots('oidc-clients-empty');
});

test('a refused add keeps what was typed and marks the field; the fixed add shows the secret once, with Cache-Control: no-store', async () => {
  await page.goto('/admin/oidc-clients');
  await page.getByLabel('Name', { exact: true }).fill('grafana');
  await page.getByLabel('Redirect URIs', { exact: true }).fill('http://grafana.example.com/login/generic_oauth');
  await page.getByLabel('Allowed groups').fill('ops\nadmins');
  await page.getByRole('button', { name: 'Add client' }).click();
  await page.waitForLoadState();
  assert.match(await page.getByRole('alert').innerText(), /Nothing was changed/);
  assert.match(await page.locator('.field-error').innerText(), /^"http:\/\/grafana.example.com\/login\/generic_oauth" must be https/);
  assert.equal(await page.getByLabel('Redirect URIs', { exact: true }).getAttribute('aria-invalid'), 'true');
  assert.equal(await page.getByLabel('Name', { exact: true }).inputValue(), 'grafana');
  assert.equal(await page.getByLabel('Allowed groups').inputValue(), 'ops\nadmins');
  assert.deepEqual(await fx.instance.services.oidc.listClients(fx.account), [], 'nothing was added');
  await shots('oidc-clients-refused');

  await page.getByLabel('Redirect URIs', { exact: true }).fill(`${GRAFANA}\n${GRAFANA}/second`);
  const [response] = await Promise.all([page.waitForResponse((r) => r.url().endsWith('/admin/oidc-clients') && r.request().method() === 'POST'), page.getByRole('button', { name: 'Add client' }).click()]);
  assert.equal(response.status(), 200);
  assert.equal(response.headers()['cache-control'], 'no-store', 'the page with the secret is not kept by any cache');
  await page.waitForLoadState();
  assert.equal(await page.getByRole('heading', { level: 1 }).innerText(), 'OpenID client added');
  const secret = (await page.getByLabel('Client secret').innerText()).trim();
  const clientId = (await page.getByLabel('Client ID').innerText()).trim();
  assert.match(secret, /^[A-Za-z0-9_-]{43}$/);
  assert.match(clientId, /^grafana-/);
  const saved = await fx.instance.services.oidc.showClient(fx.account, 'grafana');
  assert.deepEqual(saved.redirectUris, [GRAFANA, `${GRAFANA}/second`]);
  assert.deepEqual(saved.allowedGroups, ['ops', 'admins']);
  assert.equal((await fx.instance.services.oidc.clientMetadata(clientId))?.client_secret, secret, 'the secret shown is the one the provider checks');
  assert.match(await page.locator('main').innerText(), /shown only now/);
  await shots('oidc-client-added');

  // Never again: not on the list, not on the client's page.
  await page.getByRole('link', { name: 'Done' }).click();
  await page.waitForURL('**/admin/oidc-clients');
  assert.ok(!(await page.content()).includes(secret));
  assert.match(await page.locator('table').innerText(), /grafana/);
  await page.goto('/admin/oidc-clients/grafana');
  assert.ok(!(await page.content()).includes(secret));
});

test('a public client: no secret, the page says PKCE', async () => {
  await page.goto('/admin/oidc-clients');
  await page.getByLabel('Name', { exact: true }).fill('cli-app');
  await page.getByLabel(/Public/).check();
  await page.getByLabel('Redirect URIs', { exact: true }).fill('http://127.0.0.1:8400/callback');
  await page.getByRole('button', { name: 'Add client' }).click();
  await page.waitForLoadState();
  assert.equal(await page.getByLabel('Client secret').count(), 0);
  assert.match(await page.locator('main').innerText(), /PKCE/);
  assert.equal((await fx.instance.services.oidc.showClient(fx.account, 'cli-app')).public, true);
  await page.goto('/admin/oidc-clients');
  await shots('oidc-clients-list');
});

test('edit: the redirect URIs and groups are replaced exactly; a bad URI is refused and changes nothing; typed markup stays text', async () => {
  await page.goto('/admin/oidc-clients');
  await page.getByRole('row', { name: /grafana/ }).getByRole('link', { name: 'Edit' }).click();
  await page.waitForURL('**/admin/oidc-clients/grafana');
  assert.equal(await page.getByLabel('Redirect URIs', { exact: true }).inputValue(), `${GRAFANA}\n${GRAFANA}/second`);

  await page.getByLabel('Redirect URIs', { exact: true }).fill('https://grafana.example.com/cb#fragment');
  await page.getByRole('button', { name: 'Save' }).click();
  await page.waitForLoadState();
  assert.match(await page.locator('.field-error').innerText(), /fragment/);
  assert.deepEqual((await fx.instance.services.oidc.showClient(fx.account, 'grafana')).redirectUris, [GRAFANA, `${GRAFANA}/second`]);

  await page.getByLabel('Redirect URIs', { exact: true }).fill(`  ${GRAFANA}  \n\n${QUOTED_URI}\n`);
  await page.getByLabel('Allowed groups').fill(`ops\n${MARKUP_GROUP}`);
  await page.getByRole('button', { name: 'Save' }).click();
  await page.waitForURL('**/admin/oidc-clients/grafana?done=oidc_client_saved');
  assert.match(await page.getByRole('status').innerText(), /saved/);
  const saved = await fx.instance.services.oidc.showClient(fx.account, 'grafana');
  assert.deepEqual(saved.redirectUris, [GRAFANA, QUOTED_URI]);
  assert.deepEqual(saved.allowedGroups, ['ops', MARKUP_GROUP]);
  assert.equal(await page.getByLabel('Allowed groups').inputValue(), `ops\n${MARKUP_GROUP}`);
  await shots('oidc-client-edit');

  await page.goto('/admin/oidc-clients');
  const listed = await page.locator('table').innerText();
  assert.ok(listed.includes(MARKUP_GROUP) && listed.includes(QUOTED_URI), 'shown literally');
  assert.equal(await page.locator('main img, main script').count(), 0, 'no element was made from typed text');
  assert.deepEqual(dialogs, []);
});

test('remove asks first; Cancel keeps the client, the confirmation removes it', async () => {
  await page.goto('/admin/oidc-clients');
  await page.getByRole('row', { name: /cli-app/ }).getByRole('link', { name: 'Remove' }).click();
  await page.waitForURL('**/admin/oidc-clients/cli-app/remove');
  assert.match(await page.locator('main').innerText(), /Remove OpenID client cli-app/);
  await shots('oidc-client-remove');
  await page.getByRole('link', { name: 'Cancel' }).click();
  await page.waitForURL('**/admin/oidc-clients/cli-app');
  assert.ok(await fx.instance.services.oidc.showClient(fx.account, 'cli-app'));

  await page.goto('/admin/oidc-clients/cli-app/remove');
  await page.getByRole('button', { name: 'Remove client' }).click();
  await page.waitForURL('**/admin/oidc-clients?done=oidc_client_removed');
  assert.match(await page.getByRole('status').innerText(), /removed/);
  await assert.rejects(fx.instance.services.oidc.showClient(fx.account, 'cli-app'));
  assert.doesNotMatch(await page.locator('main').innerText(), /cli-app/);
});

test('every form without its CSRF token is refused and changes nothing', async () => {
  const before = JSON.stringify(await fx.instance.services.oidc.listClients(fx.account));
  for (const [url, fields] of [
    ['/admin/oidc-clients', { name: 'forged', redirectUris: GRAFANA }],
    ['/admin/oidc-clients/grafana', { redirectUris: 'https://evil.example.com/cb' }],
    ['/admin/oidc-clients/grafana/remove', {}],
  ] as const) {
    for (const csrf of [undefined, 'x'.repeat(43)]) {
      const response = await post(url, { ...fields, ...(csrf === undefined ? {} : { _csrf: csrf }) });
      assert.equal(response.statusCode, 403, `${url}: ${response.statusCode}`);
      assert.match(response.body, /Form expired/);
    }
  }
  assert.equal(JSON.stringify(await fx.instance.services.oidc.listClients(fx.account)), before);
  // With the token the same edit goes through: the refusals above were the CSRF check.
  const form = await fx.app.inject({ method: 'GET', url: '/admin/oidc-clients/grafana', headers: { cookie: adminCookie } });
  adminCsrf = /name="_csrf" value="([^"]+)"/.exec(form.body)?.[1] ?? '';
  const done = await post('/admin/oidc-clients/grafana', { _csrf: adminCsrf, redirectUris: GRAFANA });
  assert.equal(done.statusCode, 303);
  assert.deepEqual((await fx.instance.services.oidc.showClient(fx.account, 'grafana')).redirectUris, [GRAFANA]);
});

test("a plain user gets 404 and no data; an admin gets 404 for another account's client", async () => {
  const password = await fx.createUser('ursula');
  const userPage = await fx.signIn(await fx.newContext(), 'ursula', password);
  for (const url of ['/admin/oidc-clients', '/admin/oidc-clients/grafana', '/admin/oidc-clients/grafana/remove']) {
    const response = await userPage.goto(url);
    assert.equal(response?.status(), 404, url);
    assert.doesNotMatch(await userPage.content(), /grafana\.example/);
  }
  const other = await fx.instance.services.accounts.create(OPERATOR, 'globex');
  await fx.instance.services.oidc.addClient(OPERATOR, other, { name: 'globex-app', redirectUris: ['https://globex.example.com/cb'] });
  for (const url of ['/admin/oidc-clients/globex-app', '/admin/oidc-clients/globex-app/remove']) {
    const response = await page.goto(url);
    assert.equal(response?.status(), 404, url);
    assert.doesNotMatch(await page.content(), /globex\.example/);
  }
  const removal = await post('/admin/oidc-clients/globex-app/remove', { _csrf: adminCsrf });
  assert.equal(removal.statusCode, 404);
  assert.ok(await fx.instance.services.oidc.showClient(other, 'globex-app'), "the other account's client is still there");
  await page.goto('/admin/oidc-clients');
  assert.doesNotMatch(await page.locator('main').innerText(), /globex/);
});
