// GET /metrics: off without OTPGATE_METRICS_TOKEN, 401 without the token, and counts that move by exactly
// what was done (sign-ins by channel and result, the latency histogram, imports, locked tokens, pending
// deliveries). The console's health panel shows the account's own numbers, in a real browser.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { OPERATOR } from '../../src/services/context.js';
import { call, check, makeFixture, type Fixture } from '../helpers/app.js';
import { oathCode } from '../helpers/otp.js';
import { randomSecretHex } from '../helpers/secrets.js';
import { screenshot, startConsole, type ConsoleFixture } from '../console/fixtures.js';

const TOKEN = 'metrics-scrape-token-0123456789';

/** The value of one sample line (`name{labels} value`), 0 when the series does not exist yet. */
function sample(text: string, series: string): number {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? 0 : Number(line.slice(series.length + 1));
}

describe('GET /metrics', () => {
  let f: Fixture;
  let off: Fixture;
  before(async () => {
    f = await makeFixture({ env: { OTPGATE_METRICS_TOKEN: TOKEN, OTPGATE_WEBHOOK_ALLOW_PRIVATE: 'true' } });
    off = await makeFixture();
  });
  after(async () => {
    await f?.close();
    await off?.close();
  });

  const scrape = async () => {
    const response = await call(f.app, 'GET', '/metrics', { headers: { authorization: `Bearer ${TOKEN}` } });
    assert.equal(response.statusCode, 200);
    assert.match(response.headers['content-type'] as string, /^text\/plain; version=0\.0\.4/);
    return response.body;
  };

  test('is not there without OTPGATE_METRICS_TOKEN, and needs the token when it is set', async () => {
    assert.equal((await call(off.app, 'GET', '/metrics', { headers: { authorization: `Bearer ${TOKEN}` } })).statusCode, 404);
    assert.equal((await call(f.app, 'GET', '/metrics')).statusCode, 401);
    const wrong = await call(f.app, 'GET', '/metrics', { headers: { authorization: `Bearer ${TOKEN}x` } });
    assert.equal(wrong.statusCode, 401);
    assert.equal(wrong.json().error.code, 'unauthorized');
    assert.equal((await call(f.app, 'GET', '/metrics', { key: f.keys.admin })).statusCode, 401, 'an API key is not the metrics token');
  });

  test('counts move by exactly what was done', async () => {
    const beforeText = await scrape();
    const accept = 'otpgate_signins_total{channel="api",result="accept"}';
    const reject = 'otpgate_signins_total{channel="api",result="reject"}';
    const count = 'otpgate_signin_check_seconds_count{channel="api"}';
    // Two accepts, one reject (a wrong passcode), through the API.
    assert.equal((await check(f.app, f.keys.otpOnly, { username: 'alice', otp: oathCode(f.aliceToken.hex, 1) })).body.result, 'accept');
    assert.equal((await check(f.app, f.keys.otpOnly, { username: 'alice', otp: oathCode(f.aliceToken.hex, 2) })).body.result, 'accept');
    const wrong = oathCode(f.aliceToken.hex, 900).split('').reverse().join('');
    assert.equal((await check(f.app, f.keys.otpOnly, { username: 'alice', otp: wrong })).body.result, 'reject');
    // Two tokens imported (a dry run counts nothing).
    const csv = `${'4100000000001'},${randomSecretHex()}\n${'4100000000002'},${randomSecretHex()}\n`;
    await f.services.imports.import(OPERATOR, f.acme, { input: Readable.from([csv]), format: 'csv', dryRun: true });
    await f.services.imports.import(OPERATOR, f.acme, { input: Readable.from([csv]), format: 'csv' });
    // One token locked: globex allows one failure.
    await f.services.accounts.updateSettings(OPERATOR, f.globex, { maxFailures: 1 });
    assert.equal((await check(f.app, f.keys.checkB, { username: 'zed', password: 'correct horse battery', otp: wrong })).body.result, 'reject');
    // One pending webhook delivery (no worker runs here): a webhook, then an association.
    await f.services.notifications.addWebhook(OPERATOR, f.acme, { name: 'pending', url: 'http://127.0.0.1:9/otpgate', secret: 'a-secret-of-enough-length' });
    await f.services.tokens.associate(OPERATOR, f.acme, 'bob', f.spare[0]!.serial, oathCode(f.spare[0]!.hex, 0));

    const afterText = await scrape();
    assert.equal(sample(afterText, accept) - sample(beforeText, accept), 2);
    assert.equal(sample(afterText, reject) - sample(beforeText, reject), 2, "alice's wrong passcode and zed's");
    assert.equal(sample(afterText, count) - sample(beforeText, count), 4);
    assert.equal(sample(afterText, 'otpgate_signins_total{channel="api",result="locked"}') - sample(beforeText, 'otpgate_signins_total{channel="api",result="locked"}'), 0);
    assert.equal(sample(afterText, 'otpgate_imported_tokens_total') - sample(beforeText, 'otpgate_imported_tokens_total'), 2);
    assert.equal(sample(afterText, 'otpgate_tokens_locked') - sample(beforeText, 'otpgate_tokens_locked'), 1);
    assert.equal(sample(afterText, 'otpgate_webhook_deliveries_pending') - sample(beforeText, 'otpgate_webhook_deliveries_pending'), 1);
    assert.match(afterText, /# TYPE otpgate_database_errors_total counter/);
    assert.ok(!afterText.includes(f.aliceToken.hex) && !afterText.includes('alice'), 'no user name or secret in the metrics');
  });
});

describe('console health panel', () => {
  let c: ConsoleFixture;
  before(async () => {
    c = await startConsole();
  });
  after(async () => c?.close());

  test("shows the account's sign-ins of the last hour by result, locked tokens and webhooks", async () => {
    const services = c.instance.services;
    const other = await services.accounts.create(OPERATOR, 'elsewhere');
    // Two rejects in this account, one in another (not shown).
    await c.createUser('hp-user');
    await c.createUser('hp-other', { account: other });
    for (const [username, accountId] of [['hp-user', c.account.id], ['hp-user', c.account.id], ['hp-other', other.id]] as const) {
      await services.signIn.check({ accountId, username, password: 'wrong password!', passcode: null, actor: { name: 'api:test', accountId, clientIp: null } });
    }
    const context = await c.newContext();
    const page = await c.signIn(context, 'admin', c.adminPassword);
    await page.goto('/admin/health');
    const row = (result: string) => page.locator('tr', { has: page.locator('code', { hasText: new RegExp(`^${result}$`) }) }).locator('td').nth(1);
    assert.equal(await row('reject').textContent(), '2');
    assert.equal(await row('accept').textContent(), '1', 'the admin\'s own console sign-in');
    assert.equal(await page.locator('dt:has-text("Locked tokens") + dd').textContent(), '0');
    await page.setViewportSize({ width: 390, height: 844 });
    await screenshot(page, 'health-panel-phone');
  });

  test('webhooks are added (secret shown once) and removed (after a confirmation) from the Health page', async () => {
    const context = await c.newContext();
    const page = await c.signIn(context, 'admin', c.adminPassword);
    await page.goto('/admin/health');
    await page.getByLabel('Name', { exact: true }).fill('siem');
    await page.getByLabel('URL').fill('https://127.0.0.1/hook');
    await page.getByRole('button', { name: 'Add webhook' }).click();
    assert.match((await page.getByRole('alert').textContent()) ?? '', /correct the field/);
    assert.match((await page.locator('.field-error').textContent()) ?? '', /not a public address/);
    assert.equal(await page.getByLabel('Name', { exact: true }).inputValue(), 'siem', 'what was typed is kept');
    await page.getByLabel('URL').fill('https://93.184.216.34/hook');
    await page.getByLabel('token.locked').check();
    await page.getByRole('button', { name: 'Add webhook' }).click();
    const secret = (await page.getByLabel('Signing secret').textContent())?.trim() ?? '';
    assert.match(secret, /^whsec_[0-9a-f]{64}$/);
    await page.getByRole('link', { name: 'Done' }).click();
    assert.ok(!(await page.content()).includes(secret), 'the secret is shown only once');
    assert.equal(await page.locator('tr', { hasText: 'siem' }).locator('td').nth(2).textContent(), 'token.locked');
    await page.locator('tr', { hasText: 'siem' }).getByRole('link', { name: 'Remove' }).click();
    await page.getByRole('button', { name: 'Remove webhook' }).click();
    assert.match((await page.getByRole('status').textContent()) ?? '', /webhook is removed/);
    assert.deepEqual(await c.instance.services.notifications.listWebhooks(c.account), []);
  });

  test('the reports as filters: users without a token, tokens unused for N days', async () => {
    const services = c.instance.services;
    const token = { serial: '7600000000001', secretHex: randomSecretHex() };
    await c.importTokens([token]);
    await c.createUser('rp-with');
    await c.createUser('rp-without');
    await services.tokens.associate(OPERATOR, c.account, 'rp-with', token.serial, oathCode(token.secretHex, 0));
    const context = await c.newContext();
    const page = await c.signIn(context, 'admin', c.adminPassword);
    await page.goto('/admin/users');
    await page.getByLabel('Only users without a token').check();
    await page.getByRole('button', { name: 'Search' }).click();
    const listed = await page.locator('table a[href^="/admin/users/"]').allTextContents();
    assert.ok(listed.includes('rp-without') && !listed.includes('rp-with'), listed.join(','));
    await page.goto('/admin/tokens?unusedDays=30');
    assert.equal(await page.locator('td.mono', { hasText: token.serial }).count(), 0, 'associated today: not unused');
    // Associated (and so last used) 40 days ago, not since.
    await c.instance.database.db.updateTable('tokens').set({ associated_at: Date.now() - 40 * 86_400_000, last_used_at: Date.now() - 40 * 86_400_000 }).where('serial', '=', token.serial).execute();
    await page.getByLabel('Unused for at least (days)').fill('30');
    await page.getByRole('button', { name: 'Filter' }).click();
    assert.equal(await page.locator('td.mono', { hasText: token.serial }).count(), 1);
    assert.match(page.url(), /unusedDays=30/);
  });
});
