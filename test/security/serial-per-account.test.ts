// Serials are unique per account (issue 11, finding 7), on both engines. Two accounts import the same serial
// and each sees only its own token; an import never reports or reads another account's token; associate,
// sign-in, re-sync, unlock and disassociate by serial in one account leave the other's token of that serial
// as it was; a sealed seed moved onto another account's row of the same serial does not open (the account is
// in the associated data); and a database from before the change (schema at 0002, seeds sealed with the
// serial alone) is migrated, re-sealed, and still signs in.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { knownMigrations } from '../../src/store/database.js';
import { sql } from 'kysely';
import { seal } from '../../src/crypto/secret-box.js';
import { OPERATOR } from '../../src/services/context.js';
import { ServiceError } from '../../src/services/errors.js';
import type { SignInOutcome } from '../../src/services/sign-in-service.js';
import type { AccountRow } from '../../src/store/schema.js';
import { engineCases, importTokens, inputOf, type TestInstallation } from '../helpers/engines.js';
import { PASSWORD } from '../helpers/installation.js';
import { oathCode } from '../helpers/otp.js';
import { randomSecretHex } from '../helpers/secrets.js';

const SERIAL = '7700000000001';

interface RawToken {
  id: number;
  account_id: number;
  counter: number;
  status: string;
  user_id: number | null;
  fail_count: number;
  secret_sealed: Uint8Array;
  seal_version: number;
}

/** The token row of this account and serial, as stored (the secret's bytes as a Buffer, to compare). */
async function rawToken(t: TestInstallation, accountId: number, serial: string): Promise<RawToken | undefined> {
  const row = await t.instance.database.db
    .selectFrom('tokens')
    .select(['id', 'account_id', 'counter', 'status', 'user_id', 'fail_count', 'secret_sealed', 'seal_version'])
    .where('account_id', '=', accountId)
    .where('serial', '=', serial)
    .executeTakeFirst();
  return row && { ...row, secret_sealed: Buffer.from(row.secret_sealed) };
}

function signIn(t: TestInstallation, username: string, passcode: string): Promise<SignInOutcome> {
  return t.services.signIn.check({ accountId: null, username, password: PASSWORD, passcode, actor: { name: 'test', accountId: null, clientIp: null } });
}

const refusedWith = (code: string) => (error: unknown) => error instanceof ServiceError && error.code === code;

for (const engine of await engineCases()) {
  describe(`serials unique per account on ${engine.engine}`, { skip: engine.skip }, () => {
    let t: TestInstallation;
    let a: AccountRow;
    let b: AccountRow;
    const secretA = randomSecretHex();
    const secretB = randomSecretHex();
    before(async () => {
      t = await engine.start();
      a = t.account;
      b = await t.services.accounts.create(OPERATOR, 'tenant-b');
      await t.services.users.create(OPERATOR, a, { username: 'alice', password: PASSWORD });
      await t.services.users.create(OPERATOR, b, { username: 'bob', password: PASSWORD });
    });
    after(() => t?.close());

    test('two accounts import the same serial: both succeed, and each sees only its own token', async () => {
      await importTokens(t.services, b, [{ serial: SERIAL, secretHex: secretB, counter: 10 }]);
      const dryRun = await t.services.imports.import(OPERATOR, a, { input: inputOf(`${SERIAL},${secretA}\n`), format: 'csv', dryRun: true });
      assert.deepEqual([dryRun.imported, dryRun.skipped], [1, []], "a dry run in A does not see B's serial");
      await importTokens(t.services, a, [{ serial: SERIAL, secretHex: secretA }]);

      assert.deepEqual((await t.services.tokens.list(a)).map((v) => [v.serial, v.counter]), [[SERIAL, 0]]);
      assert.deepEqual((await t.services.tokens.list(b)).map((v) => [v.serial, v.counter]), [[SERIAL, 10]]);
      assert.equal((await t.services.tokens.show(a, SERIAL)).counter, 0);
      assert.equal((await t.services.tokens.show(b, SERIAL)).counter, 10);
      const rowA = await rawToken(t, a.id, SERIAL);
      const rowB = await rawToken(t, b.id, SERIAL);
      assert.ok(rowA && rowB && rowA.id !== rowB.id, 'two rows, one per account');
      assert.deepEqual([rowA.seal_version, rowB.seal_version], [2, 2]);
    });

    test("an import into one account never reports or reads another account's token", async () => {
      const before = await rawToken(t, b.id, SERIAL);
      // A's own serial is skipped (A's inventory); B's row is neither read nor written.
      const again = await t.services.imports.import(OPERATOR, a, { input: inputOf(`${SERIAL},${randomSecretHex()}\n`), format: 'csv' });
      assert.equal(again.imported, 0);
      assert.deepEqual(again.skipped.map((s) => [s.serial, s.reason]), [[SERIAL, 'serial already in the inventory (not overwritten)']]);
      // A third account imports it as new, whatever A and B hold.
      const c = await t.services.accounts.create(OPERATOR, 'tenant-c');
      await importTokens(t.services, c, [{ serial: SERIAL, secretHex: randomSecretHex() }]);
      assert.deepEqual(await rawToken(t, b.id, SERIAL), before);
      // Nothing in A's audit log names B's token.
      const audit = await t.services.audit.list({ accountId: a.id, limit: 1000 });
      assert.ok(audit.every((e) => !JSON.stringify(e).includes('tenant-b')), JSON.stringify(audit));
    });

    test("associate, sign-in, re-sync, unlock and disassociate by serial in A leave B's token of that serial as it was", async () => {
      const untouched = await rawToken(t, b.id, SERIAL);
      // B's code is no code of A's token: A's token is read with A's secret, never B's.
      await assert.rejects(t.services.tokens.associate(OPERATOR, a, 'alice', SERIAL, oathCode(secretB, 10)), refusedWith('passcode_not_accepted'));
      assert.equal((await t.services.tokens.associate(OPERATOR, a, 'alice', SERIAL, oathCode(secretA, 0))).username, 'alice');
      assert.equal((await signIn(t, 'alice', oathCode(secretA, 1))).result, 'accept');
      assert.equal((await signIn(t, 'alice', oathCode(secretB, 10))).result, 'reject');
      assert.equal((await t.services.tokens.resync(OPERATOR, a, 'alice', oathCode(secretA, 5), oathCode(secretA, 6))).counter, 7);
      assert.equal((await t.services.tokenStates.unlock(OPERATOR, a, SERIAL)).status, 'associated');
      assert.equal((await t.services.tokens.disassociate(OPERATOR, a, 'alice')).status, 'available');
      assert.deepEqual(await rawToken(t, b.id, SERIAL), untouched);
      assert.equal((await t.services.tokens.show(b, SERIAL)).status, 'available');

      // And the other way: B's token works with B's secret and leaves A's as it was.
      const untouchedA = await rawToken(t, a.id, SERIAL);
      assert.equal((await t.services.tokens.associate(OPERATOR, b, 'bob', SERIAL, oathCode(secretB, 10))).username, 'bob');
      assert.equal((await signIn(t, 'bob', oathCode(secretB, 11))).result, 'accept');
      assert.deepEqual(await rawToken(t, a.id, SERIAL), untouchedA);
      // A's serial still names A's own token (available), not B's (now bob's).
      assert.equal((await t.services.tokens.show(a, SERIAL)).username, null);
    });

    test("a sealed seed moved onto another account's row of the same serial does not open", async () => {
      const own = (await rawToken(t, b.id, SERIAL))!;
      const foreign = (await rawToken(t, a.id, SERIAL))!;
      const db = t.instance.database.db;
      const put = (sealed: Uint8Array, version: number) => db.updateTable('tokens').set({ secret_sealed: sealed, seal_version: version }).where('id', '=', own.id).execute();
      // A's sealed seed on B's row: same serial, same master key, another account.
      await put(foreign.secret_sealed, 2);
      await assert.rejects(signIn(t, 'bob', oathCode(secretB, 12)), new RegExp(`token ${SERIAL}.*does not open`));
      // Nor as a row from before the change (the serial alone): it was sealed with the account in it.
      await put(foreign.secret_sealed, 1);
      await assert.rejects(signIn(t, 'bob', oathCode(secretB, 12)), new RegExp(`token ${SERIAL}.*does not open`));
      // Put back, B signs in again: nothing else was changed by the refusals.
      await put(own.secret_sealed, 2);
      assert.equal((await signIn(t, 'bob', oathCode(secretB, 12))).result, 'accept');
    });
  });

  describe(`a database from before serials per account, on ${engine.engine}`, { skip: engine.skip }, () => {
    let t: TestInstallation;
    const associated = { serial: '7800000000001', secret: randomSecretHex() };
    const spare = { serial: '7800000000002', secret: randomSecretHex() };
    const altered = { serial: '7800000000003', secret: randomSecretHex() };
    before(async () => {
      t = await engine.start({ schemaAt: '0002_directory', prepare: async (services, account) => void (await services.users.create(OPERATOR, account, { username: 'olduser', password: PASSWORD })) });
      assert.deepEqual(await t.instance.database.appliedMigrations(), ['0001_initial_schema', '0002_directory']);
      const user = await t.services.users.require(t.account, 'olduser');
      // Rows as the older otpgate wrote them: the seed sealed with "otpgate token <serial>" as associated data.
      const key = t.services.ctx.masterKey.keyFor('token-secrets');
      const legacy = (serial: string, secretHex: string) => seal(key, Buffer.from(secretHex, 'hex'), `otpgate token ${serial}`);
      const rows = [
        { serial: associated.serial, sealed: legacy(associated.serial, associated.secret), status: 'associated', userId: user.id, counter: 3 },
        { serial: spare.serial, sealed: legacy(spare.serial, spare.secret), status: 'available', userId: null, counter: 0 },
        // Sealed for another serial: altered before the upgrade. It must not stop the upgrade.
        { serial: altered.serial, sealed: legacy(spare.serial, altered.secret), status: 'available', userId: null, counter: 0 },
      ];
      for (const row of rows) {
        await sql`insert into tokens (account_id, serial, type, algorithm, digits, counter, time_offset_in_seconds, secret_sealed, status, user_id, fail_count, created_at)
          values (${t.account.id}, ${row.serial}, 'hotp', 'SHA1', 6, ${row.counter}, 0, ${row.sealed}, ${row.status}, ${row.userId}, 0, ${Date.now()})`.execute(t.instance.database.db);
      }
    });
    after(() => t?.close());

    test('opening it migrates and re-seals; its users still sign in, and another account may import its serials', async () => {
      await t.reopen();
      assert.deepEqual(await t.instance.database.appliedMigrations(), await knownMigrations());
      assert.deepEqual(
        [(await rawToken(t, t.account.id, associated.serial))?.seal_version, (await rawToken(t, t.account.id, spare.serial))?.seal_version],
        [2, 2],
        'the rows that open are re-sealed with their account',
      );
      assert.equal((await rawToken(t, t.account.id, altered.serial))?.seal_version, 1, 'the altered row is left as it was');

      assert.equal((await signIn(t, 'olduser', oathCode(associated.secret, 3))).result, 'accept');
      await t.services.users.create(OPERATOR, t.account, { username: 'newuser', password: PASSWORD });
      assert.equal((await t.services.tokens.associate(OPERATOR, t.account, 'newuser', spare.serial, oathCode(spare.secret, 0))).username, 'newuser');
      await t.services.users.create(OPERATOR, t.account, { username: 'third', password: PASSWORD });
      await assert.rejects(t.services.tokens.associate(OPERATOR, t.account, 'third', altered.serial, oathCode(altered.secret, 0)), new RegExp(`token ${altered.serial}.*does not open`));

      // The unique constraint is per account now: a second account imports the same serial.
      const other = await t.services.accounts.create(OPERATOR, 'after-upgrade');
      await importTokens(t.services, other, [{ serial: associated.serial, secretHex: randomSecretHex() }]);
      // Within one account it still holds, on the database itself.
      const copy = (await rawToken(t, t.account.id, spare.serial))!;
      await assert.rejects(
        sql`insert into tokens (account_id, serial, type, algorithm, digits, counter, time_offset_in_seconds, secret_sealed, seal_version, status, fail_count, created_at)
          values (${t.account.id}, ${spare.serial}, 'hotp', 'SHA1', 6, 0, 0, ${copy.secret_sealed}, 2, 'available', 0, ${Date.now()})`.execute(t.instance.database.db),
        /unique|UNIQUE/,
      );

      // A second opening has nothing left to re-seal and changes nothing.
      const before = await rawToken(t, t.account.id, associated.serial);
      await t.reopen();
      assert.equal(await t.services.tokens.resealLegacySecrets(), 0);
      assert.deepEqual(await rawToken(t, t.account.id, associated.serial), before);
    });
  });
}
