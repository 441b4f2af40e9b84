// RADIUS accepts time-based passcodes (docs/time-based-tokens.md): through a real `otpgate serve`, Debian's
// radclient signs in a user holding a hardware TOTP card (imported from CSV: SHA-256, 8 digits, 30 s) and a
// user holding a hardware HOTP token and an authenticator app, with codes from `oathtool --totp` at the real
// time, computed just before sending (the server accepts its step ± 1, so a step boundary crossed between
// the two cannot fail it). The same code sent again is refused as a replay and does not count.
//
// The tokens are associated (and the app activated) with the services' clock set two steps in the past, so
// the step they spend is never the one the real clock shows when the test sends its code.
import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { after, before, test } from 'node:test';
import { OPERATOR } from '../../src/services/context.js';
import { RADIUS_SECRET, signInEvents, startRadiusE2e, tokenState, type Installation, type RadiusE2e, type RunningServer, type UserWithToken } from '../helpers/radius-e2e.js';
import { oathCode, oathTotpCode } from '../helpers/otp.js';

const CARD = { serial: 'TOTP0000000001', secretHex: randomBytes(32).toString('hex'), digits: 8, step: 30, algorithm: 'SHA256' as const };
const CARD_USER = { username: 'tess', password: 'tess password long enough' };
const BINDING = 'e'.repeat(64);
let e2e: RadiusE2e | undefined;
let installation: Installation;
let server: RunningServer;
let hank: UserWithToken;
/** The base32 secret of hank's authenticator app. */
let appSecret = '';
let appSerial = '';

/** The app's code now (oathtool --totp -b, SHA-1, 6 digits, 30 s) and the step it is for. */
function appCodeNow(): { code: string; step: number } {
  const seconds = Math.floor(Date.now() / 1000);
  return { code: execFileSync('oathtool', ['--totp', '-b', '-N', `@${seconds}`, appSecret], { encoding: 'utf8' }).trim(), step: Math.floor(seconds / 30) };
}

function cardCodeNow(): { code: string; step: number } {
  const now = new Date();
  return { code: oathTotpCode(CARD.secretHex, now, CARD.step, CARD.digits, CARD.algorithm), step: Math.floor(now.getTime() / 1000 / CARD.step) };
}

before(async () => {
  e2e = await startRadiusE2e({
    users: ['hank'],
    prepare: async (setUp) => {
      await setUp.withInstance(async ({ services }) => {
        const past = Date.now() - 2 * 30_000;
        services.ctx.now = () => past;
        const account = await services.accounts.resolve(OPERATOR);
        const csv = `${CARD.serial},${CARD.secretHex},totp,${CARD.digits},${CARD.step},${CARD.algorithm}\n`;
        await services.imports.import(OPERATOR, account, { input: Readable.from([csv]), format: 'csv' });
        await services.users.create(OPERATOR, account, { username: CARD_USER.username, password: CARD_USER.password, role: 'user' });
        await services.tokens.associate(OPERATOR, account, CARD_USER.username, CARD.serial, oathTotpCode(CARD.secretHex, new Date(past), CARD.step, CARD.digits, CARD.algorithm));
        // hank (an HOTP token from the fixture) adds an authenticator app.
        const shown = await services.appEnrolments.start(OPERATOR, account, 'hank', BINDING);
        appSecret = new URL(shown.uri).searchParams.get('secret')!;
        const code = execFileSync('oathtool', ['--totp', '-b', '-N', `@${Math.floor(past / 1000)}`, appSecret], { encoding: 'utf8' }).trim();
        appSerial = (await services.appEnrolments.activate(OPERATOR, account, 'hank', BINDING, code)).serial;
      });
    },
  });
  ({ installation, server } = e2e);
  hank = e2e.users[0]!;
});

after(() => e2e?.close());

/** Runs Debian's radclient once (PAP, password with the passcode appended); returns the reply's code. */
function radclient(username: string, password: string): Promise<string | null> {
  return new Promise((done) => {
    const child = execFile('radclient', ['-x', '-r', '1', '-t', '5', `127.0.0.1:${server.radiusPort}`, 'auth', RADIUS_SECRET], (_error, stdout, stderr) => {
      done(/Received (Access-\w+) Id/.exec(`${stdout}\n${stderr}`)?.[1] ?? null);
    });
    child.stdin?.end(`User-Name = "${username}"\nUser-Password = "${password}"\nMessage-Authenticator = 0x00\n`);
  });
}

test('a hardware TOTP card (SHA-256, 8 digits): its code now is accepted, the same code again is a replay', async () => {
  const { code, step } = cardCodeNow();
  assert.equal(await radclient(CARD_USER.username, `${CARD_USER.password}${code}`), 'Access-Accept');
  // The card's counter is the step after the one accepted: that code's step.
  assert.equal((await tokenState(installation, CARD.serial)).counter, step + 1);
  assert.equal(await radclient(CARD_USER.username, `${CARD_USER.password}${code}`), 'Access-Reject');
  const state = await tokenState(installation, CARD.serial);
  assert.equal(state.counter, step + 1);
  assert.equal(state.failCount, 0, 'a replay does not count toward the lock');
  const events = await signInEvents(installation, CARD_USER.username);
  assert.deepEqual(events.slice(0, 2).map((e) => [e.actor, e.outcome, e.reason]), [
    ['radius:vpn', 'reject', 'passcode_replayed'],
    ['radius:vpn', 'accept', 'passcode_accepted'],
  ]);
});

test('HOTP token and authenticator app: either signs in over RADIUS; the app code cannot be used twice', async () => {
  assert.equal(await radclient('hank', `${hank.password}${oathCode(hank.secretHex, 1)}`), 'Access-Accept');
  const { code, step } = appCodeNow();
  assert.equal(await radclient('hank', `${hank.password}${code}`), 'Access-Accept');
  assert.equal((await tokenState(installation, appSerial)).counter, step + 1);
  assert.equal((await tokenState(installation, hank.serial)).counter, 2, 'the app code moved only the app');
  assert.equal(await radclient('hank', `${hank.password}${code}`), 'Access-Reject');
  // A code of the app is not the HOTP token's, nor the other way round: the HOTP code, spent, is refused too.
  assert.equal(await radclient('hank', `${hank.password}${oathCode(hank.secretHex, 1)}`), 'Access-Reject');
  assert.equal((await tokenState(installation, appSerial)).failCount, 0);
  const reasons = (await signInEvents(installation, 'hank')).slice(0, 4).map((e) => [e.outcome, e.reason]);
  assert.deepEqual(reasons, [
    ['reject', 'passcode_replayed'],
    ['reject', 'passcode_replayed'],
    ['accept', 'passcode_accepted'],
    ['accept', 'passcode_accepted'],
  ]);
});
