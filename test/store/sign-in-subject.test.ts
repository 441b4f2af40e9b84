// The sign-in check's one read, on SQLite and PostgreSQL alike: the user, the account's settings and
// restriction, and of each token only what the check uses (no labels, maker or dates of use), with the
// values the tables hold.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { OPERATOR } from '../../src/services/context.js';
import { findSignInSubject } from '../../src/store/sign-in-store.js';
import { engineCases, importTokens, type TestInstallation } from '../helpers/engines.js';
import { oathCode } from '../helpers/otp.js';
import { randomSecretHex } from '../helpers/secrets.js';

for (const engine of await engineCases()) {
  describe(`the sign-in read on ${engine.engine}`, { skip: engine.skip }, () => {
    let t: TestInstallation;
    const secretHex = randomSecretHex();

    before(async () => {
      t = await engine.start();
      await importTokens(t.services, t.account, [{ serial: 'SUBJ0001', secretHex }]);
      await t.services.users.create(OPERATOR, t.account, { username: 'sally', password: 'sally-password' });
      await t.services.tokens.associate(OPERATOR, t.account, 'sally', 'SUBJ0001', oathCode(secretHex, 0));
    });
    after(() => t?.close());

    test('reads the columns the check uses, and only those of the account and the token', async () => {
      const subject = await findSignInSubject(t.services.ctx.db, 'SALLY');
      assert.ok(subject);
      assert.equal(subject.user.username, 'sally');
      assert.deepEqual(Object.keys(subject.account).sort(), ['admins_require_otp', 'app_enrolment', 'associate_window', 'help_contact', 'id', 'look_ahead_window', 'max_failures', 'max_tokens_per_user', 'restriction', 'self_association', 'sync_window', 'totp_issuer', 'totp_sync_steps', 'totp_window']);
      assert.equal(subject.account.id, t.account.id);
      assert.equal(subject.account.look_ahead_window, t.account.look_ahead_window);
      assert.equal(subject.tokens.length, 1);
      const [token] = subject.tokens;
      assert.deepEqual(Object.keys(token!).sort(), ['account_id', 'algorithm', 'counter', 'digits', 'drift_steps', 'id', 'period_in_seconds', 'seal_version', 'secret_sealed', 'serial', 'status', 'time_offset_in_seconds', 'type', 'user_id', 'valid_from', 'valid_until']);
      assert.equal(token!.serial, 'SUBJ0001');
      assert.equal(token!.status, 'associated');
      assert.equal(Number(token!.counter), 1);
      assert.equal(token!.user_id, subject.user.id);
    });

    test('the check accepts the next passcode and refuses it again', async () => {
      const check = () => t.services.signIn.check({ accountId: t.account.id, username: 'sally', password: null, passcode: oathCode(secretHex, 1), actor: { name: 'test', accountId: t.account.id, clientIp: null } });
      assert.equal((await check()).reason, 'passcode_accepted');
      assert.equal((await check()).reason, 'passcode_replayed');
    });
  });
}
