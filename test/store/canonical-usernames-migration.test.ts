// Migration 0008 on both engines: username_key becomes the canonical form of core/username.ts (trimmed,
// NFKC, case-folded), so a user stored by an older otpgate under a fullwidth or mixed-case name is found by
// every spelling of it. Two users whose names become one key stop the migration, which then changes nothing
// and names them both.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { sql } from 'kysely';
import { loadConfig } from '../../src/runtime/config.js';
import { openDatabase } from '../../src/store/database.js';
import { PASSWORD } from '../helpers/installation.js';
import { engineCases, type TestInstallation } from '../helpers/engines.js';
import type { Services } from '../../src/services/services.js';
import type { AccountRow } from '../../src/store/schema.js';

const OLDER_NAMES = ['ｍｉｋｅ', 'Straße', 'ｎｉｎａ', 'Nina'];

/**
 * Users as an older otpgate wrote them: made through the services before the schema goes back (so each has
 * a real password hash), then renamed in SQL with the key the older otpgate stored, the name in lower case.
 */
async function makePlaceholders(services: Services, account: AccountRow): Promise<void> {
  for (const [i] of OLDER_NAMES.entries()) await services.users.create({ name: 'test', accountId: null, clientIp: null }, account, { username: `older${i}`, password: PASSWORD });
}

async function renameToOlderUsers(t: TestInstallation): Promise<void> {
  for (const [i, username] of OLDER_NAMES.entries()) {
    await sql`update users set username = ${username}, username_key = ${username.toLowerCase()} where username = ${`older${i}`}`.execute(t.instance.database.db);
  }
}

for (const engine of await engineCases()) {
  describe(`a database from before canonical usernames, on ${engine.engine}`, { skip: engine.skip }, () => {
    let t: TestInstallation;
    before(async () => {
      t = await engine.start({ schemaAt: '0007_admins_require_otp', prepare: makePlaceholders });
      await renameToOlderUsers(t);
    });
    after(() => t?.close());

    test('two names that become one key: the migration refuses, names both, and changes nothing', async () => {
      const database = openDatabase({ databaseUrl: loadConfig(t.env).databaseUrl, sqlitePath: loadConfig(t.env).sqlitePath });
      try {
        await assert.rejects(database.migrate(), (error: Error) => {
          assert.match(error.message, /"ｎｉｎａ" and "Nina" \(one name: "nina"\)/);
          assert.match(error.message, /Nothing was changed/);
          return true;
        });
      } finally {
        await database.close();
      }
      assert.equal((await t.instance.database.appliedMigrations()).at(-1), '0007_admins_require_otp');
      const keys = await t.instance.database.db.selectFrom('users').select('username_key').where('username', '=', 'ｍｉｋｅ').execute();
      assert.deepEqual(keys, [{ username_key: 'ｍｉｋｅ' }], 'no key was changed');
    });

    test('with the clash resolved, opening migrates every key; each spelling of a name signs in as its one user', async () => {
      await sql`delete from users where username = ${'ｎｉｎａ'}`.execute(t.instance.database.db);
      await t.reopen();
      assert.ok((await t.instance.database.appliedMigrations()).includes('0008_canonical_usernames'));
      const keys = await t.instance.database.db.selectFrom('users').select(['username', 'username_key']).where('username', 'in', ['ｍｉｋｅ', 'Straße', 'Nina']).orderBy('username').execute();
      assert.deepEqual(Object.fromEntries(keys.map((k) => [k.username, k.username_key])), { 'ｍｉｋｅ': 'mike', 'Straße': 'strasse', Nina: 'nina' });
      for (const spelling of ['mike', ' MIKE ', 'ｍｉｋｅ', 'STRASSE', 'strasse', 'ｎｉｎａ', 'NINA ']) {
        const outcome = await t.services.signIn.check({ accountId: t.account.id, username: spelling, password: PASSWORD, passcode: null, actor: { name: 'test', accountId: null, clientIp: null } });
        assert.equal(outcome.result, 'accept', spelling);
      }
      // The unique index holds the canonical key: a new user of an existing name's spelling is refused.
      await assert.rejects(t.services.users.create({ name: 'test', accountId: null, clientIp: null }, t.account, { username: 'MIKE', password: PASSWORD }), /already exists/);
    });
  });
}
