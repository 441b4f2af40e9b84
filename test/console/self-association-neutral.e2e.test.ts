// Property: Self-association gives a half-signed-in user one neutral answer, whether the serial exists, belongs to
// someone else or the passcode is wrong.
// (From the console's first-hour review, issue 15.) Its own console and browser: no test here depends on another.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { BrowserContext } from 'playwright-core';
import { OPERATOR } from '../../src/services/context.js';
import { startConsole, type ConsoleFixture } from './fixtures.js';
import { atBothWidths, pathOf } from './widths.js';
import { oathCode } from '../helpers/otp.js';
import { randomSecretHex } from '../helpers/secrets.js';

let fx: ConsoleFixture;
let admin: BrowserContext;
const tokens = Array.from({ length: 3 }, (_, i) => ({ serial: `700000000000${i}`, secretHex: randomSecretHex() }));

before(async () => {
  fx = await startConsole();
  await fx.importTokens(tokens);
  await fx.createUser('dave');
  await fx.instance.services.tokens.associate(OPERATOR, fx.account, 'dave', tokens[1]!.serial, oathCode(tokens[1]!.secretHex, 0));
  admin = await fx.newContext();
  await fx.signIn(admin, 'admin', fx.adminPassword);
});
after(async () => fx?.close());

test('self-association: a half-signed-in user gets one neutral answer whether the serial exists, is taken or the passcode is wrong', async () => {
  const [taken, free] = [tokens[1]!, tokens[2]!];
  const password = await fx.createUser('erin');
  await fx.instance.services.restrictions.setForUser(OPERATOR, fx.account, 'erin', { rules: [], default: 'require_otp' });
  const context = await fx.newContext();
  const p = await fx.signIn(context, 'erin', password);
  assert.equal(pathOf(p), '/login/associate');
  const answers: { status: number; text: string }[] = [];
  for (const [serial, code] of [
    ['7999999999999', '123456'], // no such serial
    [taken.serial, oathCode(taken.secretHex, 5)], // dave's token
    [free.serial, oathCode(free.secretHex, 400)], // available, wrong passcode
  ] as const) {
    await p.getByLabel('Serial number').fill(serial);
    await p.getByLabel('OTP code').fill(code);
    const [response] = await Promise.all([p.waitForResponse((r) => r.url().endsWith('/login/associate') && r.request().method() === 'POST'), p.getByRole('button', { name: 'Submit' }).click()]);
    answers.push({ status: response.status(), text: await p.getByRole('alert').innerText() });
    assert.equal(await p.locator('#serial-error').count(), 0, 'no serial-specific message');
  }
  assert.equal(new Set(answers.map((a) => `${a.status} ${a.text}`)).size, 1, JSON.stringify(answers));
  assert.match(answers[0]!.text, /^That serial number and passcode do not match a token you can associate\./);
  assert.doesNotMatch(answers[0]!.text, /administrator|associated with a user|no token/i, 'no admin wording on an end-user page');
  await atBothWidths(p, 'self-association-neutral-self-association-neutral', async () => undefined);
});
