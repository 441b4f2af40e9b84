// Migration 0007 on both engines: a database from before adminsRequireOtp opens with the setting off for its
// accounts, and the setting can then be switched on and stays on across a reopen.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { OPERATOR } from '../../src/services/context.js';
import { settingsOf } from '../../src/services/account-settings.js';
import { engineCases, type TestInstallation } from './engines.js';

for (const engine of await engineCases()) {
  describe(`a database from before adminsRequireOtp, on ${engine.engine}`, { skip: engine.skip }, () => {
    let t: TestInstallation;
    before(async () => {
      t = await engine.start({ schemaAt: '0006_token_life' });
      assert.equal((await t.instance.database.appliedMigrations()).at(-1), '0006_token_life');
      // An account as the older otpgate wrote it (the installation's default account is one too).
      await t.services.accounts.create(OPERATOR, 'older');
    });
    after(() => t?.close());

    test('opening it migrates; every account has adminsRequireOtp off, and it can be switched on', async () => {
      await t.reopen();
      assert.equal((await t.instance.database.appliedMigrations()).includes('0007_admins_require_otp'), true);
      for (const account of await t.services.accounts.list()) assert.equal(settingsOf(account).adminsRequireOtp, false, account.name);
      const older = await t.services.accounts.resolve(OPERATOR, 'older');
      assert.equal((await t.services.accounts.updateSettings(OPERATOR, older, { adminsRequireOtp: true })).adminsRequireOtp, true);
      await t.reopen();
      assert.equal(settingsOf(await t.services.accounts.resolve(OPERATOR, 'older')).adminsRequireOtp, true);
    });
  });
}
