// Temporary codes on both engines: issued once (10 digits), stored only as a keyed hash; they sign in with a
// token (even a disabled one) or without one where a restriction requires OTP; uses and hours run out; a
// revoked code and another user's code do not sign in; a wrong one counts toward the back-off; the real
// token's next success ends it; two concurrent uses of a one-use code: exactly one wins.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { OPERATOR, type Actor } from '../../src/services/context.js';
import { ServiceError } from '../../src/services/errors.js';
import type { Services } from '../../src/services/services.js';
import type { AccountRow } from '../../src/store/schema.js';
import { engineCases, importTokens, type TestInstallation } from '../helpers/engines.js';
import { oathCode } from '../helpers/otp.js';
import { randomSecretHex } from '../helpers/secrets.js';

const PASSWORD = 'correct horse battery';

function refusedWith(code: string) {
  return (error: unknown) => error instanceof ServiceError && error.code === code;
}

for (const engine of await engineCases()) {
  describe(`temporary codes (${engine.engine})`, { skip: engine.skip }, () => {
    let installation: TestInstallation;
    let services: Services;
    let account: AccountRow;
    let other: AccountRow;
    const token = { serial: '6700000000001', secretHex: randomSecretHex() };

    before(async () => {
      installation = await engine.start();
      services = installation.services;
      account = installation.account;
      other = await services.accounts.create(OPERATOR, 'other');
      await importTokens(services, account, [token]);
      for (const name of ['tc-tom', 'tc-lin', 'tc-ann', 'tc-max']) await services.users.create(OPERATOR, account, { username: name, password: PASSWORD, role: 'user' });
      await services.users.create(OPERATOR, other, { username: 'tc-zed', password: PASSWORD, role: 'user' });
      await services.tokens.associate(OPERATOR, account, 'tc-tom', token.serial, oathCode(token.secretHex, 0));
    });
    after(() => installation?.close());

    const actor = (ip: string): Actor => ({ name: 'api:test', accountId: account.id, clientIp: ip });
    const check = (username: string, passcode: string | null, ip = '192.0.2.30') =>
      services.signIn.check({ accountId: account.id, username, password: PASSWORD, passcode, actor: actor(ip), clientIpIsEndUser: false });

    test('issue: 10 digits shown once, only a keyed hash stored; defaults 1 use and 8 hours; limits 10 and 72', async () => {
      const issued = await services.tempCodes.issue(OPERATOR, account, 'tc-tom');
      assert.match(issued.code, /^[0-9]{10}$/);
      assert.equal(issued.usesLeft, 1);
      assert.ok(Math.abs(Date.parse(issued.expiresAt) - (Date.now() + 8 * 3_600_000)) < 60_000);
      const stored = await installation.instance.database.db.selectFrom('temp_codes').selectAll().execute();
      assert.equal(stored.length, 1);
      assert.ok(!JSON.stringify(stored).includes(issued.code), 'the code itself is not stored');
      assert.match(stored[0]!.code_hash, /^[0-9a-f]{64}$/);
      const view = await services.tempCodes.show(account, 'tc-tom');
      assert.ok(view && !JSON.stringify(view).includes(issued.code), 'show never gives the code');
      for (const options of [{ uses: 11 }, { uses: 0 }, { hours: 73 }, { hours: 1.5 }]) await assert.rejects(services.tempCodes.issue(OPERATOR, account, 'tc-tom', options), refusedWith('invalid_request'));
      await assert.rejects(services.tempCodes.issue(OPERATOR, other, 'tc-tom'), refusedWith('user_not_found'), 'a user of another account is not found');
      const audit = await services.audit.list({ accountId: account.id, username: 'tc-tom', limit: 10 });
      assert.ok(!JSON.stringify(audit).includes(issued.code), 'the audit log never holds the code');
      await services.tempCodes.revoke(OPERATOR, account, 'tc-tom');
    });

    test('a code signs in a user whose token is disabled; its one use is then spent', async () => {
      await services.tokenStates.disable(OPERATOR, account, token.serial);
      const { code } = await services.tempCodes.issue(OPERATOR, account, 'tc-tom');
      assert.equal((await check('tc-tom', null)).result, 'otp_required');
      const used = await check('tc-tom', code);
      assert.deepEqual([used.result, used.reason], ['accept', 'temp_code_accepted']);
      const again = await check('tc-tom', code);
      assert.deepEqual([again.result, again.reason], ['reject', 'temp_code_wrong'], 'a used-up code does not sign in');
      assert.equal((await services.tempCodes.show(account, 'tc-tom'))?.live, false);
      await services.tokenStates.enable(OPERATOR, account, token.serial);
    });

    test("the real token's next success ends the code (audited); a revoked code does not sign in", async () => {
      const { code } = await services.tempCodes.issue(OPERATOR, account, 'tc-tom', { uses: 5 });
      assert.equal((await check('tc-tom', code)).result, 'accept');
      assert.equal((await services.tempCodes.show(account, 'tc-tom'))?.usesLeft, 4);
      assert.equal((await check('tc-tom', oathCode(token.secretHex, 1))).reason, 'passcode_accepted');
      assert.equal(await services.tempCodes.show(account, 'tc-tom'), null, 'ended by the token');
      const ended = (await services.audit.list({ accountId: account.id, username: 'tc-tom', limit: 5 })).find((e) => e.action === 'temp_code.revoke');
      assert.match(ended?.reason ?? '', /token's next successful sign-in/);
      assert.equal((await check('tc-tom', code)).reason, 'temp_code_wrong');

      const second = await services.tempCodes.issue(OPERATOR, account, 'tc-tom', { uses: 3 });
      await services.tempCodes.revoke(OPERATOR, account, 'tc-tom');
      assert.equal((await check('tc-tom', second.code)).reason, 'temp_code_wrong');
      await assert.rejects(services.tempCodes.revoke(OPERATOR, account, 'tc-tom'), refusedWith('temp_code_not_found'));
    });

    test('a user without a token signs in with a code where a restriction requires OTP; without one they are asked to enrol', async () => {
      await services.restrictions.setForUser(OPERATOR, account, 'tc-lin', { rules: [], default: 'require_otp' });
      assert.equal((await check('tc-lin', null)).result, 'enroll_required');
      const { code } = await services.tempCodes.issue(OPERATOR, account, 'tc-lin', { uses: 2 });
      assert.equal((await check('tc-lin', null)).result, 'otp_required', 'asked for the code rather than a token');
      assert.deepEqual([(await check('tc-lin', code)).reason], ['temp_code_accepted']);
      // Another user's code is not theirs (the hash binds the user).
      assert.equal((await check('tc-ann', code)).result, 'accept', 'tc-ann has no restriction: the password alone signs in');
      await services.restrictions.setForUser(OPERATOR, account, 'tc-ann', { rules: [], default: 'require_otp' });
      await services.tempCodes.issue(OPERATOR, account, 'tc-ann');
      assert.equal((await check('tc-ann', code)).reason, 'temp_code_wrong', "tc-lin's code does not sign in tc-ann");
    });

    test('hours run out', async () => {
      const { code } = await services.tempCodes.issue(OPERATOR, account, 'tc-max', { hours: 1 });
      await installation.instance.database.db.updateTable('temp_codes').set({ expires_at: Date.now() - 1 }).execute();
      await services.restrictions.setForUser(OPERATOR, account, 'tc-max', { rules: [], default: 'require_otp' });
      assert.equal((await check('tc-max', null)).result, 'enroll_required', 'an expired code is as none');
      assert.equal((await check('tc-max', code)).result, 'enroll_required');
      // With a token, an expired code is a wrong one.
      const { code: tomCode } = await services.tempCodes.issue(OPERATOR, account, 'tc-tom', { hours: 1 });
      await installation.instance.database.db.updateTable('temp_codes').set({ expires_at: Date.now() - 1 }).execute();
      assert.equal((await check('tc-tom', tomCode)).reason, 'temp_code_wrong');
    });

    test('wrong codes count toward the back-off like wrong passcodes', async () => {
      await services.tempCodes.issue(OPERATOR, account, 'tc-ann', { uses: 10 });
      const outcomes: string[] = [];
      for (let i = 0; i < 5; i++) outcomes.push((await check('tc-ann', '0000000000')).reason);
      assert.deepEqual(outcomes.slice(0, 3), ['temp_code_wrong', 'temp_code_wrong', 'temp_code_wrong']);
      assert.ok(outcomes.includes('throttled'), `backed off after three: ${outcomes.join(', ')}`);
    });

    test('two concurrent uses of a one-use code: exactly one wins', async () => {
      for (let round = 0; round < 3; round++) {
        const username = `tc-race${round}`;
        await services.users.create(OPERATOR, account, { username, password: PASSWORD, role: 'user' });
        // OTP required and no token: only the code lets them in.
        await services.restrictions.setForUser(OPERATOR, account, username, { rules: [], default: 'require_otp' });
        const { code } = await services.tempCodes.issue(OPERATOR, account, username);
        const outcomes = await Promise.all(Array.from({ length: 4 }, (_, i) => check(username, code, `192.0.2.${40 + i}`)));
        assert.equal(outcomes.filter((o) => o.result === 'accept').length, 1, outcomes.map((o) => o.reason).join(', '));
        // The others lost the compare-and-set (temp_code_wrong), or read after the use and found no live code.
        assert.ok(outcomes.filter((o) => o.result !== 'accept').every((o) => ['temp_code_wrong', 'enroll_required'].includes(o.reason)));
        const uses = (await services.audit.list({ accountId: account.id, username, limit: 10 })).filter((e) => e.reason === 'temp_code_accepted');
        assert.equal(uses.length, 1, 'one use audited');
      }
      assert.equal((await services.audit.verify()).brokenAt, null);
    });
  });
}
