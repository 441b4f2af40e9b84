// Migration 0011 on both engines (SPEC, "Several tokens per user": a database from milestone 2 migrates with
// every association kept): a database built at the last milestone-2 migration, with tokens associated,
// locked, disabled and in the inventory as the older otpgate wrote them, opens with every association,
// counter, state, lock, fail count and history kept; each user's count of wrong passcodes is their token's;
// and a user can then hold a second token, labelled, under the account's limit (default 3).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { OPERATOR } from '../../src/services/context.js';
import { settingsOf } from '../../src/services/account-settings.js';
import { ServiceError } from '../../src/services/errors.js';
import { findTokenBySerial } from '../../src/store/token-store.js';
import { engineCases, importTokens, type TestInstallation } from '../helpers/engines.js';
import { oathCode } from '../helpers/otp.js';
import { randomSecretHex } from '../helpers/secrets.js';

const LAST_MILESTONE_2 = '0007_admins_require_otp';
const PASSWORD = 'migration-password';

for (const engine of await engineCases()) {
  describe(`a milestone-2 database (one token per user), on ${engine.engine}`, { skip: engine.skip }, () => {
    let t: TestInstallation;
    const secrets = { ALICE001: randomSecretHex(), LOCKED01: randomSecretHex(), DISABLD1: randomSecretHex(), SPARE001: randomSecretHex(), SPARE002: randomSecretHex() };
    before(async () => {
      const associations = [['ALICE001', 'alice'], ['LOCKED01', 'locky'], ['DISABLD1', 'dora']] as const;
      // What goes through the services (the audit events need the chains) is written before the schema goes back.
      t = await engine.start({
        schemaAt: LAST_MILESTONE_2,
        prepare: async (services, account) => {
          await importTokens(services, account, Object.entries(secrets).map(([serial, secretHex]) => ({ serial, secretHex })));
          for (const name of ['alice', 'locky', 'dora']) await services.users.create(OPERATOR, account, { username: name, password: PASSWORD });
          for (const [serial, name] of associations) await services.audit.record(OPERATOR, { action: 'token.associate', outcome: 'success', accountId: account.id, targetUser: name, targetSerial: serial });
        },
      });
      assert.equal((await t.instance.database.appliedMigrations()).at(-1), LAST_MILESTONE_2);
      // The rows as the older otpgate left them: an association at counter 7 with 3 wrong passcodes, a token
      // locked after 10, a disabled one, and the association's audit event (the token's history, above).
      const db = t.services.ctx.db;
      const userId = async (name: string) => (await db.selectFrom('users').select('id').where('username_key', '=', name).executeTakeFirstOrThrow()).id;
      const associate = async (serial: string, name: string, set: { counter: number; fail_count: number; status: 'associated' | 'locked' | 'disabled'; locked_at?: number }) => {
        await db.updateTable('tokens').set({ user_id: await userId(name), associated_at: 1_700_000_000_000, ...set }).where('serial', '=', serial).execute();
      };
      await associate('ALICE001', 'alice', { counter: 7, fail_count: 3, status: 'associated' });
      await associate('LOCKED01', 'locky', { counter: 4, fail_count: 10, status: 'locked', locked_at: 1_700_000_100_000 });
      await associate('DISABLD1', 'dora', { counter: 2, fail_count: 0, status: 'disabled' });
    });
    after(() => t?.close());

    test('opening it migrates with every association, counter, state, lock, count and history kept', async () => {
      await t.reopen();
      assert.ok((await t.instance.database.appliedMigrations()).includes('0011_tokens_per_user'));
      const db = t.services.ctx.db;
      const row = async (serial: string) => (await findTokenBySerial(db, t.account.id, serial))!;
      const user = async (name: string) => db.selectFrom('users').select(['id', 'otp_fail_count']).where('username_key', '=', name).executeTakeFirstOrThrow();
      const alice = await row('ALICE001');
      assert.deepEqual([alice.user_id, Number(alice.counter), alice.fail_count, alice.status, alice.label], [(await user('alice')).id, 7, 3, 'associated', null]);
      const locked = await row('LOCKED01');
      assert.deepEqual([locked.user_id, Number(locked.counter), locked.status, Number(locked.locked_at)], [(await user('locky')).id, 4, 'locked', 1_700_000_100_000]);
      assert.equal((await row('DISABLD1')).status, 'disabled');
      assert.equal((await row('SPARE001')).status, 'available');
      assert.deepEqual([Number((await user('alice')).otp_fail_count), Number((await user('locky')).otp_fail_count), Number((await user('dora')).otp_fail_count)], [3, 10, 0]);
      for (const account of await t.services.accounts.list()) assert.equal(settingsOf(account).maxTokensPerUser, 3, account.name);
      const history = await t.services.tokens.history(t.account, 'ALICE001');
      assert.ok(history.events.some((e) => e.action === 'token.associate' && e.user === 'alice'));
      assert.equal((await t.services.users.show(t.account, 'alice')).token?.serial, 'ALICE001');

      // Sign-in reads the migrated rows: the lock holds; the association signs in from its counter on.
      const check = (username: string, passcode: string) => t.services.signIn.check({ accountId: t.account.id, username, password: PASSWORD, passcode, actor: OPERATOR });
      assert.equal((await check('locky', oathCode(secrets.LOCKED01, 4))).result, 'locked');
      assert.equal((await check('alice', oathCode(secrets.ALICE001, 6))).reason, 'passcode_replayed');
      assert.equal((await check('alice', oathCode(secrets.ALICE001, 7))).reason, 'passcode_accepted');
      assert.equal(Number((await user('alice')).otp_fail_count), 0, 'the success cleared the migrated count');
    });

    test('after it, a user holds a second and a third token, labelled (unique per user), and no more than the limit', async () => {
      const account = await t.services.accounts.resolve(OPERATOR);
      const view = await t.services.tokens.associate(OPERATOR, account, 'alice', 'SPARE001', oathCode(secrets.SPARE001, 0), true, 'spare');
      assert.deepEqual([view.username, view.label], ['alice', 'spare']);
      await assert.rejects(t.services.tokens.associate(OPERATOR, account, 'alice', 'SPARE002', oathCode(secrets.SPARE002, 0), true, 'spare'), (e: unknown) => e instanceof ServiceError && e.code === 'invalid_request');
      await t.services.tokens.associate(OPERATOR, account, 'alice', 'SPARE002', oathCode(secrets.SPARE002, 0), true, 'desk');
      assert.deepEqual((await t.services.users.show(account, 'alice')).tokens.map((x) => [x.serial, x.label]), [['ALICE001', null], ['SPARE001', 'spare'], ['SPARE002', 'desk']]);
      await t.reopen();
      assert.equal((await t.services.users.show(account, 'alice')).tokens.length, 3);
    });
  });
}
