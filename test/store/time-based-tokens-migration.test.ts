// Migration 0013 on both engines (SPEC, "Time-based tokens"): a database from before it, with a TOTP token
// associated and having signed in (its next allowed step stored), opens with every token kept, no drift
// recorded, and the account's TOTP windows at their defaults (totpWindow 1, totpSyncSteps 2,880); the token's
// spent step stays spent, and a re-sync then records a drift that survives a reopen.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { OPERATOR } from '../../src/services/context.js';
import { settingsOf } from '../../src/services/account-settings.js';
import { knownMigrations } from '../../src/store/database.js';
import { findTokenBySerial } from '../../src/store/token-store.js';
import { engineCases, inputOf, type TestInstallation } from '../helpers/engines.js';
import { oathTotpCode } from '../helpers/otp.js';
import { randomSecretHex } from '../helpers/secrets.js';

const THIS_MIGRATION = '0013_time_based_tokens';
/** The migration just before this one, whichever it is (the test does not assume what comes after). */
const names = await knownMigrations();
const BEFORE = names[names.indexOf(THIS_MIGRATION) - 1]!;
const PASSWORD = 'migration-password';
const SECRET = randomSecretHex();
const T = Date.UTC(2027, 5, 1, 12, 0, 10);
const code = (atMs: number) => oathTotpCode(SECRET, new Date(atMs), 30);

for (const engine of await engineCases()) {
  describe(`a database from before time-based drift, on ${engine.engine}`, { skip: engine.skip }, () => {
    let t: TestInstallation;
    let now = T;
    before(async () => {
      t = await engine.start({
        schemaAt: BEFORE,
        prepare: async (services, account) => {
          services.ctx.now = () => now;
          await services.imports.import(OPERATOR, account, { input: inputOf(`TOTPMIG1,${SECRET},totp,6,30\n`), format: 'csv' });
          await services.users.create(OPERATOR, account, { username: 'clocky', password: PASSWORD });
          await services.tokens.associate(OPERATOR, account, 'clocky', 'TOTPMIG1', code(T));
        },
      });
      assert.equal((await t.instance.database.appliedMigrations()).at(-1), BEFORE);
    });
    after(() => t?.close());

    test('opening it migrates: no drift, default windows, the spent step stays spent, and a re-sync records a drift', async () => {
      await t.reopen();
      assert.ok((await t.instance.database.appliedMigrations()).includes(THIS_MIGRATION));
      t.services.ctx.now = () => now;
      const settings = settingsOf(t.account);
      assert.deepEqual([settings.totpWindow, settings.totpSyncSteps], [1, 2880]);
      const row = (await findTokenBySerial(t.services.ctx.db, t.account.id, 'TOTPMIG1'))!;
      assert.deepEqual([row.status, Number(row.drift_steps), Number(row.counter)], ['associated', 0, Math.floor(T / 30_000) + 1]);
      const signIn = (passcode: string) => t.services.signIn.check({ accountId: t.account.id, username: 'clocky', password: PASSWORD, passcode, actor: { name: 'test', accountId: null, clientIp: null } });
      assert.equal((await signIn(code(T))).reason, 'passcode_replayed');
      now = T + 60 * 60_000;
      const fast = (atMs: number) => code(atMs + 5 * 30_000);
      assert.equal((await t.services.tokens.resync(OPERATOR, t.account, 'clocky', fast(now - 30_000), fast(now))).driftSteps, 5);
      await t.reopen();
      t.services.ctx.now = () => now + 30_000;
      assert.equal(Number((await findTokenBySerial(t.services.ctx.db, t.account.id, 'TOTPMIG1'))!.drift_steps), 5);
      assert.equal((await signIn(fast(now + 30_000))).result, 'accept');
    });
  });
}
