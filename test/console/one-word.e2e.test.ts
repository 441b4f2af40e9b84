// One word for one thing, and the main action looks like one (issue #29 item 16), in a real browser at 1100
// and 390 px: on a user's Access tab "Associate OTP token" (a link, as the seed calls it) is styled as the
// primary button and "Issue temporary code" as a secondary one; "Disable user" is styled as a danger, not
// like Save; the sign-in's passcode step and the disable confirmation say "passcode" only (no "OTP code",
// no "one-time passcode"); enabling a token that was locked when disabled says it unlocks it too.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Locator, Page } from 'playwright-core';
import { OPERATOR } from '../../src/services/context.js';
import { screenshot, startConsole, type ConsoleFixture } from './fixtures.js';
import { oathCode } from '../helpers/otp.js';
import { randomSecretHex } from '../helpers/secrets.js';

let fx: ConsoleFixture;
let admin: Page;
const token = { serial: '4500000000001', secretHex: randomSecretHex() };
const SIZES = [['desktop', { width: 1100, height: 800 }], ['phone', { width: 390, height: 844 }]] as const;
let monaPassword = '';

before(async () => {
  fx = await startConsole();
  await fx.importTokens([token]);
  await fx.createUser('nils', { displayName: 'Nils' });
  monaPassword = await fx.createUser('mona', { displayName: 'Mona' });
  await fx.instance.services.tokens.associate(OPERATOR, fx.account, 'mona', token.serial, oathCode(token.secretHex, 0));
  admin = await fx.signIn(await fx.newContext(), 'admin', fx.adminPassword);
});
after(async () => fx?.close());

const background = (locator: Locator) => locator.evaluate((el) => getComputedStyle(el).backgroundColor);
const WHITE = 'rgb(255, 255, 255)';

test('Access tab: Associate OTP token is the primary button (a link), Issue temporary code a secondary one', async () => {
  for (const [name, size] of SIZES) {
    await admin.setViewportSize(size);
    await admin.goto('/admin/users/nils/access');
    const associate = admin.getByRole('link', { name: 'Associate OTP token' });
    const issue = admin.getByRole('button', { name: 'Issue temporary code' });
    const primary = await background(associate);
    assert.notEqual(primary, 'rgba(0, 0, 0, 0)', `${name}: the link has a button's fill`);
    assert.notEqual(primary, WHITE, name);
    assert.equal(await background(issue), WHITE, `${name}: the temporary code is a secondary action`);
    const box = await associate.boundingBox();
    assert.ok(box && box.height >= 30 && box.x + box.width <= size.width, `${name}: a button-sized target, within the page`);
    await screenshot(admin, `one-word-access-${name}`);
  }
});

test('Details tab: Disable user is styled as a danger, unlike Save', async () => {
  for (const [name, size] of SIZES) {
    await admin.setViewportSize(size);
    await admin.goto('/admin/users/nils');
    const save = await background(admin.getByRole('button', { name: 'Save', exact: true }));
    const disable = await background(admin.getByRole('button', { name: 'Disable user' }));
    assert.notEqual(disable, save, `${name}: not styled like Save`);
    await screenshot(admin, `one-word-details-${name}`);
  }
});

test('the passcode step and the disable confirmation say "passcode" only', async () => {
  const user = await fx.newContext();
  for (const [name, size] of SIZES) {
    const p = await fx.signIn(user, 'mona', monaPassword);
    await p.setViewportSize(size);
    assert.equal(new URL(p.url()).pathname, '/login/passcode');
    const text = await p.locator('main').innerText();
    assert.doesNotMatch(text, /OTP code|one-time/i, name);
    assert.equal(await p.getByLabel('Passcode', { exact: true }).count(), 1, `${name}: the field is labelled Passcode`);
    await screenshot(p, `one-word-passcode-${name}`);
    await user.clearCookies();
  }
  await admin.goto(`/admin/users/mona/token/disable`);
  assert.doesNotMatch(await admin.locator('main').innerText(), /one-time/i);
  assert.match(await admin.locator('main').innerText(), /a passcode is still required/);
});

test('enabling a token that was locked when disabled says it is unlocked too', async () => {
  await fx.instance.services.accounts.updateSettings(OPERATOR, fx.account, { maxFailures: 1 });
  const user = await fx.newContext();
  const p = await fx.signIn(user, 'mona', monaPassword);
  await p.getByLabel('Passcode', { exact: true }).fill(oathCode(token.secretHex, 400));
  await p.getByRole('button', { name: 'Submit' }).click();
  assert.equal((await fx.instance.services.tokens.show(fx.account, token.serial)).status, 'locked');
  await fx.instance.services.tokenStates.disable(OPERATOR, fx.account, token.serial);
  for (const [name, size] of SIZES) {
    await admin.setViewportSize(size);
    await admin.goto('/admin/users/mona/access');
    await admin.getByRole('button', { name: 'Enable token' }).click();
    assert.match(await admin.getByRole('status').first().innerText(), /The token is enabled and unlocked: it was locked by wrong passcodes when it was disabled/);
    assert.equal((await fx.instance.services.tokens.show(fx.account, token.serial)).status, 'associated');
    await screenshot(admin, `one-word-enabled-unlocked-${name}`);
    // Disabled again (not locked): enabling says only that.
    await fx.instance.services.tokenStates.disable(OPERATOR, fx.account, token.serial);
    if (name === 'desktop') {
      await admin.goto('/admin/users/mona/access');
      await admin.getByRole('button', { name: 'Enable token' }).click();
      assert.match(await admin.getByRole('status').first().innerText(), /^The token is enabled\.$/);
      // Locked, then disabled, for the phone round.
      await fx.instance.services.accounts.updateSettings(OPERATOR, fx.account, { maxFailures: 1 });
      const again = await fx.signIn(user, 'mona', monaPassword);
      await again.getByLabel('Passcode', { exact: true }).fill(oathCode(token.secretHex, 800));
      await again.getByRole('button', { name: 'Submit' }).click();
      assert.equal((await fx.instance.services.tokens.show(fx.account, token.serial)).status, 'locked');
      await fx.instance.services.tokenStates.disable(OPERATOR, fx.account, token.serial);
    }
  }
});
