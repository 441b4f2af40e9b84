// "Add an authenticator app" on /account, in Chromium (SPEC, "Time-based tokens"): a signed-in user steps up
// (password and a passcode of their hardware token), gets a QR code drawn as inline SVG under the console's
// CSP (no console error), which Debian's zbarimg decodes to the otpauth URI; a reload shows the same secret, a
// wrong code keeps it; a code computed by `oathtool --totp -b` from the decoded secret activates it; signed out,
// the user signs in with the app's next code. The service clock is fixed, and oathtool computes at that time.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { Page } from 'playwright-core';
import { OPERATOR } from '../../src/services/context.js';
import { screenshot, SCREENSHOT_DIR, startConsole, type ConsoleFixture } from './fixtures.js';
import { oathCode } from '../helpers/otp.js';
import { randomSecretHex } from '../helpers/secrets.js';

let fx: ConsoleFixture;
let password = '';
const hardware = { serial: '4700000000001', secretHex: randomSecretHex() };
/** The fixed time the services read (mid-step), and oathtool's -N. */
const NOW = Math.floor(Date.now() / 30_000) * 30_000 + 10_000;
const problems: string[] = [];

const totpOf = (base32: string, atMs: number) => execFileSync('oathtool', ['--totp', '-b', '-N', `@${Math.floor(atMs / 1000)}`, base32], { encoding: 'utf8' }).trim();

async function watched(page: Page): Promise<Page> {
  page.on('console', (message) => {
    if (message.type() === 'error' || message.type() === 'warning') problems.push(message.text());
  });
  page.on('pageerror', (error) => problems.push(error.message));
  page.on('response', (response) => {
    if (response.status() >= 400) problems.push(`HTTP ${response.status()} ${response.request().method()} ${new URL(response.url()).pathname}`);
  });
  return page;
}

before(async () => {
  fx = await startConsole();
  fx.instance.services.ctx.now = () => NOW;
  await fx.importTokens([hardware]);
  password = await fx.createUser('ana', { displayName: 'Ana Lima' });
  await fx.instance.services.tokens.associate(OPERATOR, fx.account, 'ana', hardware.serial, oathCode(hardware.secretHex, 0));
});
after(async () => fx?.close());

async function signInWith(page: Page, passcode: string): Promise<void> {
  await page.goto('/login');
  await page.getByLabel('Username').fill('ana');
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByLabel('Passcode').fill(passcode);
  await page.getByRole('button', { name: 'Submit' }).click();
  assert.equal(new URL(page.url()).pathname, '/account');
}

test('step up, scan the QR code, activate with the app, sign in with its next code', async () => {
  const page = await watched(await (await fx.newContext()).newPage());
  await signInWith(page, oathCode(hardware.secretHex, 1));
  await page.getByRole('link', { name: 'Add an authenticator app' }).click();
  // Step-up: a wrong passcode is refused and starts nothing.
  await page.getByLabel('Password', { exact: true }).fill(password);
  await page.getByLabel(/Passcode from one of your tokens/).fill('000000' === oathCode(hardware.secretHex, 2) ? '111111' : '000000');
  await page.getByRole('button', { name: 'Continue' }).click();
  assert.match(await page.getByRole('alert').innerText(), /Not confirmed/);
  assert.equal(await page.locator('#app-qr').count(), 0);
  await page.getByLabel('Password', { exact: true }).fill(password);
  await page.getByLabel(/Passcode from one of your tokens/).fill(oathCode(hardware.secretHex, 2));
  const [shown] = await Promise.all([page.waitForResponse((r) => r.url().endsWith('/account/app') && r.request().method() === 'GET'), page.getByRole('button', { name: 'Continue' }).click()]);
  const headers = shown.headers();
  assert.equal(headers['cache-control'], 'no-store');
  assert.equal(headers['referrer-policy'], 'no-referrer');
  assert.match(headers['content-security-policy'] ?? '', /style-src 'self'/);

  // The QR code, decoded from a screenshot of its element by zbarimg.
  const svg = await page.locator('#app-qr svg').evaluate((element) => element.outerHTML);
  assert.doesNotMatch(svg, /style=|<script/i, 'no inline style or script in the SVG');
  const png = join(SCREENSHOT_DIR, 'authenticator-app-qr.png');
  await screenshot(page, 'authenticator-app-1100');
  await page.locator('#app-qr').screenshot({ path: png });
  const uri = execFileSync('zbarimg', ['--raw', '-q', png], { encoding: 'utf8' }).trim();
  const match = /^otpauth:\/\/totp\/default:ana\?secret=([A-Z2-7]{32})&issuer=default$/.exec(uri);
  assert.ok(match, uri);
  const secret = match[1]!;
  const grouped = (await page.locator('#app-secret').innerText()).trim();
  assert.equal(grouped.replace(/\s+/g, ''), secret, 'the grouped text is the same secret');

  // A reload shows the same secret; a wrong code keeps it.
  await page.reload();
  assert.equal((await page.locator('#app-secret').innerText()).trim(), grouped);
  const right = totpOf(secret, NOW);
  await page.getByLabel('Code from the app').fill(right === '123456' ? '654321' : '123456');
  await page.getByRole('button', { name: 'Activate' }).click();
  assert.match(await page.getByRole('alert').innerText(), /not the app's current code/);
  assert.equal((await page.locator('#app-secret').innerText()).trim(), grouped);
  await page.setViewportSize({ width: 390, height: 844 });
  await screenshot(page, 'authenticator-app-390');
  await page.setViewportSize({ width: 1100, height: 800 });

  await page.getByLabel('Code from the app').fill(right);
  await page.getByRole('button', { name: 'Activate' }).click();
  assert.equal(new URL(page.url()).pathname, '/account');
  assert.match(await page.locator('body').innerText(), /The authenticator app is added/);
  const held = await fx.instance.services.tokens.listOfUser(fx.account, 'ana');
  assert.deepEqual(held.map((t) => t.type).sort(), ['hotp', 'totp']);
  // /account lists both; the app has no re-sync form (its clock is the phone's), but can be reported lost.
  const appSerial = held.find((t) => t.type === 'totp')!.serial;
  const appSection = page.locator(`section.my-token[data-serial="${appSerial}"]`);
  assert.match(await appSection.innerText(), /Authenticator app \(TOTP\)/);
  assert.equal(await appSection.locator('form').count(), 0);
  assert.equal(await appSection.getByRole('link', { name: /Report token lost/ }).count(), 1);
  assert.equal(await page.locator(`section.my-token[data-serial="${hardware.serial}"] form[action="/account/token/resync"]`).count(), 1);

  // Signed out, the app's next code signs in (the activation's own step is spent).
  await page.getByRole('button', { name: 'Sign out' }).click();
  await signInWith(page, totpOf(secret, NOW + 30_000));
  // The only refusals are the two wrong codes' pages (400); no console error or CSP report anywhere.
  assert.deepEqual(problems.filter((p) => !/^Failed to load resource: the server responded with a status of 400/.test(p)), ['HTTP 400 POST /account/app/start', 'HTTP 400 POST /account/app/activate']);
});

test('the association prompt offers an authenticator app: added there, it completes the sign-in', async () => {
  const newcomerPassword = await fx.createUser('nia');
  await fx.instance.services.restrictions.setForUser(OPERATOR, fx.account, 'nia', { rules: [], default: 'require_otp' });
  const page = await watched(await (await fx.newContext()).newPage());
  await page.goto('/login');
  await page.getByLabel('Username').fill('nia');
  await page.getByLabel('Password').fill(newcomerPassword);
  await page.getByRole('button', { name: 'Sign in' }).click();
  assert.equal(new URL(page.url()).pathname, '/login/associate');
  await page.getByRole('link', { name: 'Use an authenticator app instead' }).click();
  const png = join(SCREENSHOT_DIR, 'authenticator-app-login-qr.png');
  await page.locator('#app-qr').screenshot({ path: png });
  const uri = execFileSync('zbarimg', ['--raw', '-q', png], { encoding: 'utf8' }).trim();
  const secret = /^otpauth:\/\/totp\/default:nia\?secret=([A-Z2-7]{32})&issuer=default$/.exec(uri)?.[1];
  assert.ok(secret, uri);
  await screenshot(page, 'authenticator-app-login');
  await page.getByLabel('Code from the app').fill(totpOf(secret, NOW));
  await page.getByRole('button', { name: 'Activate and sign in' }).click();
  assert.equal(new URL(page.url()).pathname, '/account');
  assert.deepEqual((await fx.instance.services.tokens.listOfUser(fx.account, 'nia')).map((t) => t.type), ['totp']);
});

test('a user who holds a token, at the passcode step, cannot add an app there (the password alone is not enough)', async () => {
  const page = await (await fx.newContext()).newPage();
  await page.goto('/login');
  await page.getByLabel('Username').fill('ana');
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  assert.equal(new URL(page.url()).pathname, '/login/passcode');
  await page.goto('/login/associate/app');
  assert.equal(await page.locator('#app-qr').count(), 0);
  assert.equal((await fx.instance.services.tokens.listOfUser(fx.account, 'ana')).length, 2, 'still the two tokens of the first test');
});
