// Property: changing one account setting never undoes another changed in the meantime. The console and the
// CLI hand `updateSettings` the account row they read before the change; a second change made from an older
// read (another admin's open settings page, a CLI run beside the console) writes only the settings it names,
// and the guard judges the rest as the locked row holds them. Both engines; the stale read is made on
// purpose (deterministic), then the same two changes race.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { OPERATOR } from '../../src/services/context.js';
import type { AccountRow } from '../../src/store/schema.js';
import { engineCases, type TestInstallation } from '../helpers/engines.js';

for (const engine of await engineCases()) {
  describe(`account settings changed from an older read (${engine.engine})`, { skip: engine.skip }, () => {
    let installation: TestInstallation;
    let counter = 0;
    before(async () => {
      installation = await engine.start();
    });
    after(async () => installation?.close());

    async function freshAccount(): Promise<AccountRow> {
      return installation.services.accounts.create(OPERATOR, `settings${++counter}`);
    }
    async function reread(account: AccountRow): Promise<AccountRow> {
      return installation.services.accounts.byId(account.id);
    }

    test('a change made from a read older than another change keeps that other change', async () => {
      const stale = await freshAccount();
      const { accounts } = installation.services;
      await accounts.updateSettings(OPERATOR, stale, { lookAheadWindow: 25 });
      const returned = await accounts.updateSettings(OPERATOR, stale, { maxFailures: 7, selfAssociation: true });
      const row = await reread(stale);
      assert.equal(row.look_ahead_window, 25, 'the first change survives the second');
      assert.equal(row.max_failures, 7);
      assert.equal(row.self_association, 1);
      assert.equal(returned.lookAheadWindow, 25, 'what is returned is what the account now holds');
    });

    test('two changes of different settings fired together both stay', async () => {
      const { accounts } = installation.services;
      for (let trial = 0; trial < 5; trial++) {
        const account = await freshAccount();
        await Promise.all([
          accounts.updateSettings(OPERATOR, account, { syncWindow: 90 }),
          accounts.updateSettings(OPERATOR, account, { associateWindow: 40 }),
          accounts.updateSettings(OPERATOR, account, { maxTokensPerUser: 2 }),
        ]);
        const row = await reread(account);
        assert.deepEqual([row.sync_window, row.associate_window, row.max_tokens_per_user], [90, 40, 2]);
      }
    });
  });
}
