// Authenticator apps (SPEC, "Time-based tokens") through the service, on both engines: the otpauth URI
// exactly as SPEC gives it, the pending enrolment shown again (not regenerated) in its session, replaced from
// another, kept on a wrong code, gone after 15 minutes, counted nowhere at sign-in; activation with a code
// from `oathtool --totp -b` (the service clock at oathtool's -N time) makes a TOTP token whose step is spent,
// once only when two activations race; beside an HOTP token either signs in.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { rotateMasterKey } from '../../src/runtime/key-rotation.js';
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { OPERATOR } from '../../src/services/context.js';
import { ServiceError } from '../../src/services/errors.js';
import { engineCases, importTokens, type TestInstallation } from '../helpers/engines.js';
import { oathCode } from '../helpers/otp.js';
import { randomSecretHex } from '../helpers/secrets.js';
import { makeTempDir } from '../helpers/temp-dir.js';

const PASSWORD = 'app-enrolment password';
const T0 = Date.UTC(2027, 3, 1, 8, 0, 10);
const SESSION = 'a'.repeat(64);
const OTHER_SESSION = 'b'.repeat(64);

/** The app's code at `atMs` for the base32 secret of a URI, from oathtool. */
function appCode(uri: string, atMs: number): string {
  const secret = new URL(uri).searchParams.get('secret')!;
  return execFileSync('oathtool', ['--totp', '-b', '-N', `@${Math.floor(atMs / 1000)}`, secret], { encoding: 'utf8' }).trim();
}
const failsWith = (code: string) => (error: unknown) => error instanceof ServiceError && error.code === code;

for (const engine of await engineCases()) {
  describe(`authenticator-app enrolment on ${engine.engine}`, { skip: engine.skip }, () => {
    let t: TestInstallation;
    let now = T0;
    let users = 0;
    before(async () => {
      t = await engine.start();
      t.services.ctx.now = () => now;
    });
    after(() => t?.close());
    const newUser = async () => {
      const username = `appuser${++users}`;
      await t.services.users.create(OPERATOR, t.account, { username, password: PASSWORD });
      return username;
    };
    const signIn = (username: string, passcode: string | null) =>
      t.services.signIn.check({ accountId: t.account.id, username, password: PASSWORD, passcode, actor: { name: 'test', accountId: null, clientIp: null } });
    const apps = () => t.services.appEnrolments;

    test('the URI is exactly otpauth://totp/ISSUER:USERNAME?secret=BASE32&issuer=ISSUER, 20 random bytes, shown grouped', async () => {
      const username = await newUser();
      const shown = await apps().start(OPERATOR, t.account, username, SESSION);
      const match = /^otpauth:\/\/totp\/default:([^?]+)\?secret=([A-Z2-7]{32})&issuer=default$/.exec(shown.uri);
      assert.ok(match, shown.uri);
      assert.equal(match[1], username);
      assert.equal(shown.secretText, match[2]!.match(/.{4}/g)!.join(' '));
      assert.equal(shown.issuer, 'default');
      assert.equal(shown.expiresAt, new Date(now + 15 * 60_000).toISOString());
      // Another user's secret differs (random, not derived).
      assert.notEqual((await apps().start(OPERATOR, t.account, await newUser(), SESSION)).uri.split('secret=')[1], match[2]);
    });

    test('shown again in its session, replaced from another; a wrong code keeps it; it counts nowhere; 15 minutes end it', async () => {
      const username = await newUser();
      const first = await apps().start(OPERATOR, t.account, username, SESSION);
      assert.equal((await apps().start(OPERATOR, t.account, username, SESSION)).uri, first.uri, 'a reload shows the same secret');
      assert.equal((await apps().pending(t.account, username, SESSION))?.uri, first.uri);
      await assert.rejects(apps().activate(OPERATOR, t.account, username, SESSION, '000000' === appCode(first.uri, now) ? '111111' : '000000'), failsWith('passcode_not_accepted'));
      assert.equal((await apps().pending(t.account, username, SESSION))?.uri, first.uri, 'a wrong code keeps the secret');
      // No token: the sign-in is as for a user without one (password alone, or the association prompt).
      assert.deepEqual(await t.services.tokens.listOfUser(t.account, username), []);
      const withoutToken = await signIn(username, null);
      const code = appCode(first.uri, now);
      const byCode = await signIn(username, code);
      assert.notEqual(byCode.reason, 'passcode_accepted');
      assert.equal((await signIn(username, null)).reason, withoutToken.reason);
      // Another session cannot see or activate it; starting there replaces it (one per user).
      assert.equal(await apps().pending(t.account, username, OTHER_SESSION), null);
      await assert.rejects(apps().activate(OPERATOR, t.account, username, OTHER_SESSION, code), failsWith('enrolment_not_found'));
      const second = await apps().start(OPERATOR, t.account, username, OTHER_SESSION);
      assert.notEqual(second.uri, first.uri);
      assert.equal(await apps().pending(t.account, username, SESSION), null);
      // After 15 minutes it is gone.
      now += 15 * 60_000;
      assert.equal(await apps().pending(t.account, username, OTHER_SESSION), null);
      await assert.rejects(apps().activate(OPERATOR, t.account, username, OTHER_SESSION, appCode(second.uri, now)), failsWith('enrolment_not_found'));
      await t.services.tokenStates.unlockHolder(OPERATOR, t.account, username).catch(() => undefined);
    });

    test("activated with the app's code: a TOTP token whose step is spent; the next code signs in; the enrolment is gone", async () => {
      const username = await newUser();
      now = T0 + 60 * 60_000;
      const shown = await apps().start(OPERATOR, t.account, username, SESSION);
      now += 40_000;
      const code = appCode(shown.uri, now);
      const token = await apps().activate(OPERATOR, t.account, username, SESSION, code);
      assert.deepEqual([token.type, token.algorithm, token.digits, token.periodInSeconds, token.status, token.username], ['totp', 'SHA1', 6, 30, 'associated', username]);
      assert.match(token.serial, /^APP-[0-9A-F]{10}$/);
      assert.equal(await apps().pending(t.account, username, SESSION), null);
      assert.equal((await signIn(username, code)).reason, 'passcode_replayed');
      now += 30_000;
      assert.equal((await signIn(username, appCode(shown.uri, now))).reason, 'passcode_accepted');
      const events = await t.services.audit.list({ accountId: t.account.id, username, limit: 50 });
      assert.ok(events.some((e) => e.action === 'token.enrol' && e.outcome === 'success' && e.serial === token.serial));
      // The secret is in no audit event.
      const secret = new URL(shown.uri).searchParams.get('secret')!;
      assert.ok(events.every((e) => !JSON.stringify(e).includes(secret)));
    });

    test('two activations racing with one code: exactly one token', async () => {
      const username = await newUser();
      const shown = await apps().start(OPERATOR, t.account, username, SESSION);
      const code = appCode(shown.uri, now);
      const results = await Promise.allSettled(Array.from({ length: 6 }, () => apps().activate(OPERATOR, t.account, username, SESSION, code)));
      assert.equal(results.filter((r) => r.status === 'fulfilled').length, 1);
      for (const r of results) if (r.status === 'rejected') assert.ok(failsWith('enrolment_not_found')(r.reason), String(r.reason));
      assert.equal((await t.services.tokens.listOfUser(t.account, username)).length, 1);
    });

    test('beside a hardware HOTP token either signs in, and an app code cannot be used twice', async () => {
      const username = await newUser();
      const secretHex = randomSecretHex();
      await importTokens(t.services, t.account, [{ serial: `HW${users}`, secretHex }]);
      await t.services.tokens.associate(OPERATOR, t.account, username, `HW${users}`, oathCode(secretHex, 0));
      const shown = await apps().start(OPERATOR, t.account, username, SESSION);
      await apps().activate(OPERATOR, t.account, username, SESSION, appCode(shown.uri, now));
      assert.equal((await t.services.tokens.listOfUser(t.account, username)).length, 2);
      assert.equal((await signIn(username, oathCode(secretHex, 1))).reason, 'passcode_accepted');
      now += 30_000;
      const code = appCode(shown.uri, now);
      assert.equal((await signIn(username, code)).reason, 'passcode_accepted');
      assert.equal((await signIn(username, code)).reason, 'passcode_replayed');
    });

    test('appEnrolment off refuses; totpIssuer names the issuer; a colon in it is refused', async () => {
      const username = await newUser();
      await t.services.accounts.updateSettings(OPERATOR, t.account, { appEnrolment: false });
      t.account = await t.services.accounts.resolve(OPERATOR);
      await assert.rejects(apps().start(OPERATOR, t.account, username, SESSION), failsWith('app_enrolment_disabled'));
      await t.services.accounts.updateSettings(OPERATOR, t.account, { appEnrolment: true, totpIssuer: 'Example Corp' });
      t.account = await t.services.accounts.resolve(OPERATOR);
      const shown = await apps().start(OPERATOR, t.account, username, SESSION);
      assert.ok(shown.uri.startsWith(`otpauth://totp/Example%20Corp:${username}?secret=`) && shown.uri.endsWith('&issuer=Example%20Corp'), shown.uri);
      await assert.rejects(t.services.accounts.updateSettings(OPERATOR, t.account, { totpIssuer: 'Evil:Corp' }), (e: unknown) => e instanceof ServiceError && e.details?.field === 'totpIssuer');
      await t.services.accounts.updateSettings(OPERATOR, t.account, { totpIssuer: null });
      t.account = await t.services.accounts.resolve(OPERATOR);
    });

    test('a master-key rotation ends a pending enrolment (it is not left sealed under the old key)', async () => {
      const username = await newUser();
      const shown = await apps().start(OPERATOR, t.account, username, SESSION);
      const dir = makeTempDir('otpgate-newkey-');
      try {
        const keyFile = join(dir, 'new.key');
        writeFileSync(keyFile, `${randomBytes(32).toString('base64')}\n`, { mode: 0o600 });
        await rotateMasterKey(t.instance, keyFile);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
      assert.deepEqual(await t.services.ctx.db.selectFrom('app_enrolments').select('user_id').execute(), [], 'every pending enrolment ended in the rotation');
      assert.equal(await apps().pending(t.account, username, SESSION), null);
      await assert.rejects(apps().activate(OPERATOR, t.account, username, SESSION, appCode(shown.uri, now)), failsWith('enrolment_not_found'));
      assert.notEqual((await apps().start(OPERATOR, t.account, username, SESSION)).uri, shown.uri, 'a new enrolment starts under the new key');
    });
  });
}
