// A user with a hardware HOTP token and an authenticator app (docs/time-based-tokens.md) through the API's
// sign-in check: a passcode of either is accepted and moves only its own token; a code of the app, once
// accepted, is refused when sent again (it is a replay, not a failure), as is a spent HOTP code.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { after, before, test } from 'node:test';
import { OPERATOR } from '../../src/services/context.js';
import { check, makeFixture, PASSWORD, type Fixture } from '../helpers/app.js';
import { oathCode } from '../helpers/otp.js';

let f: Fixture;
let secret = '';
let appSerial = '';
const appCode = () => execFileSync('oathtool', ['--totp', '-b', '-N', `@${Math.floor(f.clock.now / 1000)}`, secret], { encoding: 'utf8' }).trim();

before(async () => {
  f = await makeFixture();
  // alice holds the fixture's HOTP token (C = 1); she adds an app (activated with its code now: that step is spent).
  const shown = await f.services.appEnrolments.start(OPERATOR, f.acme, 'alice', 'd'.repeat(64));
  secret = new URL(shown.uri).searchParams.get('secret')!;
  appSerial = (await f.services.appEnrolments.activate(OPERATOR, f.acme, 'alice', 'd'.repeat(64), appCode())).serial;
});
after(() => f?.close());

const counterOf = async (serial: string) => (await f.services.tokens.show(f.acme, serial)).counter;

test('HOTP token and app: either is accepted by /api/v1/auth/check; an app code cannot be used twice', async () => {
  const signIn = (passcode: string) => check(f.app, f.keys.check, { username: 'alice', password: PASSWORD, otp: passcode });
  const appCounter = await counterOf(appSerial);
  assert.equal((await signIn(oathCode(f.aliceToken.hex, 1))).body.result, 'accept');
  assert.equal(await counterOf(f.aliceToken.serial), 2);
  assert.equal(await counterOf(appSerial), appCounter, 'the HOTP code moved only the HOTP token');
  f.clock.advance(30);
  const code = appCode();
  assert.equal((await signIn(code)).body.result, 'accept');
  assert.equal(await counterOf(appSerial), appCounter + 1);
  assert.equal(await counterOf(f.aliceToken.serial), 2, 'the app code moved only the app');
  assert.equal((await signIn(code)).body.result, 'reject');
  assert.equal((await signIn(oathCode(f.aliceToken.hex, 1))).body.result, 'reject');
  const events = (await f.services.audit.list({ accountId: f.acme.id, username: 'alice', limit: 10 })).filter((e) => e.action === 'signin');
  assert.deepEqual(events.slice(0, 4).map((e) => `${e.outcome} ${e.reason}`), ['reject passcode_replayed', 'reject passcode_replayed', 'accept passcode_accepted', 'accept passcode_accepted']);
  assert.equal((await f.services.tokens.show(f.acme, appSerial)).failCount, 0, 'a replay does not count');
});
