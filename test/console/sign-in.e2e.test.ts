// The sign-in pages in a real browser: a user whose restriction requires OTP and who has no token is
// asked to associate one right after the password step and is then signed in; the next time they get the
// passcode step; a replayed passcode does not sign in; a locked token says to contact an administrator;
// self-association switched off says to ask the administrator. Disassociating or locking ends sessions.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { BrowserContext, Page } from 'playwright-core';
import { OPERATOR } from '../../src/services/context.js';
import { screenshot, startConsole, type ConsoleFixture } from './fixtures.js';
import { oathCode } from '../helpers/otp.js';
import { randomSecretHex } from '../helpers/secrets.js';

let fx: ConsoleFixture;
const tokens = Array.from({ length: 4 }, (_, i) => ({ serial: `200000000000${i}`, secretHex: randomSecretHex() }));
const requireOtp = { rules: [], default: 'require_otp' };

before(async () => {
  fx = await startConsole();
  await fx.importTokens(tokens);
  await fx.instance.services.accounts.updateSettings(OPERATOR, fx.account, { maxFailures: 3 });
});
after(async () => fx?.close());

const path = (page: Page) => new URL(page.url()).pathname;

async function passwordStep(context: BrowserContext, username: string, password: string): Promise<Page> {
  return fx.signIn(context, username, password);
}

async function isSignedIn(context: BrowserContext): Promise<boolean> {
  const page = await context.newPage();
  await page.goto('/account');
  const signedIn = path(page) === '/account';
  await page.close();
  return signedIn;
}

test('the sign-in page, and a wrong password gives one plain refusal', async () => {
  const password = await fx.createUser('ann');
  const context = await fx.newContext();
  const page = await context.newPage();
  await page.goto('/login');
  await screenshot(page, 'login');
  await page.getByLabel('Username').fill('ann');
  await page.getByLabel('Password').fill('not the password');
  await page.getByRole('button', { name: 'Sign in' }).click();
  assert.match(await page.getByRole('alert').innerText(), /Sign-in refused/);
  assert.equal(await page.getByLabel('Username').inputValue(), 'ann');
  assert.equal(await page.getByLabel('Password').inputValue(), '', 'the password is not sent back');
  await screenshot(page, 'login-refused');
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  assert.equal(path(page), '/account');
  assert.match(await page.locator('main').innerText(), /No token is associated with your account/);
  await screenshot(page, 'account-no-token');
});

test('required but no token: associate at sign-in, then signed in; next time the passcode step; a replayed passcode fails', async () => {
  const token = tokens[0]!;
  const password = await fx.createUser('gina', { displayName: 'Gina' });
  await fx.instance.services.restrictions.setForUser(OPERATOR, fx.account, 'gina', requireOtp);

  const context = await fx.newContext();
  let page = await passwordStep(context, 'gina', password);
  assert.equal(path(page), '/login/associate');
  assert.equal(await isSignedIn(context), false, 'the password step alone does not sign in');
  await screenshot(page, 'login-associate');

  await page.getByLabel('Serial number').fill('9999999999999');
  await page.getByLabel('OTP code').fill(oathCode(token.secretHex, 0));
  await page.getByRole('button', { name: 'Submit' }).click();
  // One neutral answer whether the serial exists or not (see console-first-hour.test.ts).
  assert.match(await page.getByRole('alert').innerText(), /That serial number and passcode do not match a token you can associate/);
  await screenshot(page, 'login-associate-error');

  await page.getByLabel('Serial number').fill(token.serial);
  await page.getByLabel('OTP code').fill(oathCode(token.secretHex, 0));
  await page.getByRole('button', { name: 'Submit' }).click();
  assert.equal(path(page), '/account');
  assert.match(await page.locator('main').innerText(), /Assigned[\s\S]*2000000000000/);
  await screenshot(page, 'account-token');
  const view = await fx.instance.services.tokens.ofUser(fx.account, 'gina');
  assert.equal(view.status, 'associated');

  await page.getByRole('button', { name: 'Sign out' }).click();
  assert.equal(path(page), '/login');
  assert.equal(await isSignedIn(context), false);

  // Next time: the passcode step.
  page = await passwordStep(context, 'gina', password);
  assert.equal(path(page), '/login/passcode');
  await screenshot(page, 'login-passcode');
  const code = oathCode(token.secretHex, 1);
  await page.getByLabel('Passcode').fill(code);
  await page.getByRole('button', { name: 'Submit' }).click();
  assert.equal(path(page), '/account');
  await page.getByRole('button', { name: 'Sign out' }).click();

  // The same passcode again is a replay: refused, not echoed, not signed in.
  page = await passwordStep(context, 'gina', password);
  await page.getByLabel('Passcode').fill(code);
  await page.getByRole('button', { name: 'Submit' }).click();
  assert.equal(path(page), '/login/passcode');
  assert.match(await page.getByRole('alert').innerText(), /not accepted/);
  assert.ok(!(await page.content()).includes(code), 'the passcode is never echoed');
  await screenshot(page, 'login-passcode-refused');
  assert.equal(await isSignedIn(context), false);
});

test('self-association off: the user is told to ask the administrator', async () => {
  const password = await fx.createUser('harry');
  await fx.instance.services.restrictions.setForUser(OPERATOR, fx.account, 'harry', requireOtp);
  const account = await fx.instance.services.accounts.resolve(OPERATOR, 'default');
  await fx.instance.services.accounts.updateSettings(OPERATOR, account, { selfAssociation: false });
  try {
    const context = await fx.newContext();
    const page = await passwordStep(context, 'harry', password);
    assert.match(await page.locator('h1').innerText(), /Ask your administrator/);
    assert.match(await page.locator('main').innerText(), /Ask your administrator to associate a token/);
    await screenshot(page, 'login-ask-administrator');
    assert.equal(await isSignedIn(context), false);
  } finally {
    await fx.instance.services.accounts.updateSettings(OPERATOR, await fx.instance.services.accounts.resolve(OPERATOR, 'default'), { selfAssociation: true });
  }
});

test('wrong passcodes lock the token: the page says so and to contact an administrator; the password step then says locked', async () => {
  const token = tokens[1]!;
  const password = await fx.createUser('ivan');
  await fx.instance.services.tokens.associate(OPERATOR, fx.account, 'ivan', token.serial, oathCode(token.secretHex, 0));
  const context = await fx.newContext();
  let page = await passwordStep(context, 'ivan', password);
  for (let i = 0; i < 3; i++) {
    await page.getByLabel('Passcode').fill(oathCode(token.secretHex, 700 + i));
    await page.getByRole('button', { name: 'Submit' }).click();
  }
  assert.match(await page.locator('h1').innerText(), /Token locked/);
  assert.match(await page.locator('main').innerText(), /Contact an administrator/);
  await screenshot(page, 'login-locked');
  assert.equal((await fx.instance.services.tokens.ofUser(fx.account, 'ivan')).status, 'locked');

  page = await passwordStep(context, 'ivan', password);
  assert.match(await page.locator('h1').innerText(), /Token locked/);
  assert.equal(await isSignedIn(context), false);
});

test("disassociating or locking a user's token ends that user's console sessions", async () => {
  const services = fx.instance.services;
  for (const [name, token] of [['kim', tokens[2]!], ['lee', tokens[3]!]] as const) {
    const password = await fx.createUser(name);
    await services.tokens.associate(OPERATOR, fx.account, name, token.serial, oathCode(token.secretHex, 0));
    const context = await fx.newContext();
    const page = await passwordStep(context, name, password);
    await page.getByLabel('Passcode').fill(oathCode(token.secretHex, 1));
    await page.getByRole('button', { name: 'Submit' }).click();
    assert.equal(await isSignedIn(context), true);
    if (name === 'kim') {
      await services.tokens.disassociate(OPERATOR, fx.account, name);
    } else {
      for (let i = 0; i < 3; i++) {
        await services.signIn.check({ accountId: null, username: name, password: null, passcode: oathCode(token.secretHex, 800 + i), actor: { name: 'test', accountId: null, clientIp: null } });
      }
      assert.equal((await services.tokens.ofUser(fx.account, name)).status, 'locked');
    }
    assert.equal(await isSignedIn(context), false, `${name}'s session ended`);
  }
});
