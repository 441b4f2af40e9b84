// The store and services behave the same on SQLite and PostgreSQL: the same calls, the same results, and
// 64-bit columns (counters, epoch-millisecond times, ids) read back as JavaScript numbers on both.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { OPERATOR, type Actor } from '../../src/services/context.js';
import { ServiceError } from '../../src/services/errors.js';
import { IDLE_TIMEOUT_MS } from '../../src/services/session-service.js';
import { findTokenBySerial, countTokensByStatus } from '../../src/store/token-store.js';
import { findUserByName } from '../../src/store/user-store.js';
import { clearThrottles, readThrottles, writeThrottle } from '../../src/store/throttle-store.js';
import { userThrottleKey } from '../../src/services/throttle-keys.js';
import type { ImportedKey } from '../../src/import/imported-key.js';
import { engineCases, importTokens, inputOf, type TestInstallation } from '../helpers/engines.js';
import { oathCode } from '../helpers/otp.js';
import { randomSecretHex } from '../helpers/secrets.js';

const admin: Actor = { name: 'test', accountId: null, clientIp: '192.0.2.10' };

for (const engine of await engineCases()) {
  describe(`store contract on ${engine.engine}`, { skip: engine.skip }, () => {
    let t: TestInstallation;
    let clock = Date.now();
    before(async () => {
      t = await engine.start();
      // A clock the tests move, shared by the services through the context.
      t.services.ctx.now = () => clock;
    });
    after(() => t?.close());

    test('users: create, find ignoring case, list with search, update, delete', async () => {
      const { users } = t.services;
      await users.create(admin, t.account, { username: 'Alice.Smith', password: 'correct horse', displayName: 'Alice Smith' });
      await users.create(admin, t.account, { username: 'bob', password: 'battery staple' });
      await assert.rejects(users.create(admin, t.account, { username: 'ALICE.smith', password: 'whatever1' }), (e: unknown) => e instanceof ServiceError && e.code === 'user_exists');

      const shown = await users.show(t.account, 'alice.smith');
      assert.equal(shown.username, 'Alice.Smith');
      assert.equal(shown.token, null);
      assert.deepEqual((await users.list(t.account, 'SMITH')).map((u) => u.username), ['Alice.Smith']);
      assert.deepEqual((await users.list(t.account)).map((u) => u.username), ['admin', 'Alice.Smith', 'bob']);
      // Paging and its total (the console's lists): a number on both engines, the same filter as the list.
      assert.equal(await users.count(t.account), 3);
      assert.equal(await users.count(t.account, 'SMITH'), 1);
      assert.deepEqual((await users.list(t.account, undefined, { limit: 2, offset: 1 })).map((u) => u.username), ['Alice.Smith', 'bob']);

      // `_` and `%` in a search are literal on both engines (LIKE's wildcards are escaped).
      await users.create(admin, t.account, { username: 'a_b', password: 'correct horse' });
      assert.deepEqual((await users.list(t.account, 'a_b')).map((u) => u.username), ['a_b']);
      assert.deepEqual((await users.list(t.account, '%')).map((u) => u.username), []);
      await users.delete(admin, t.account, 'a_b');

      await users.update(admin, t.account, 'alice.smith', { displayName: 'Alice S.' });
      assert.equal((await users.show(t.account, 'Alice.Smith')).displayName, 'Alice S.');

      await users.delete(admin, t.account, 'bob');
      await assert.rejects(users.show(t.account, 'bob'), (e: unknown) => e instanceof ServiceError && e.code === 'user_not_found');
    });

    test('tokens: import, associate with the next code, list, disassociate keeps the counter', async () => {
      const secret = randomSecretHex();
      await importTokens(t.services, t.account, [{ serial: 'CRUD0001', secretHex: secret }, { serial: 'CRUD0002', secretHex: randomSecretHex() }]);
      const { tokens } = t.services;
      assert.equal((await tokens.show(t.account, 'CRUD0001')).status, 'available');

      await t.services.users.create(admin, t.account, { username: 'carol', password: 'carol-password' });
      const associated = await tokens.associate(admin, t.account, 'carol', 'CRUD0001', oathCode(secret, 0));
      assert.equal(associated.status, 'associated');
      assert.equal(associated.username, 'carol');
      assert.equal(associated.counter, 1);
      assert.deepEqual((await t.services.users.show(t.account, 'carol')).token, { serial: 'CRUD0001', status: 'associated' });
      assert.deepEqual(
        (await tokens.list(t.account, { q: 'CRUD' })).map((v) => [v.serial, v.status, v.username]),
        [['CRUD0001', 'associated', 'carol'], ['CRUD0002', 'available', null]],
      );
      // A serial prefix is exact and case-sensitive on both engines.
      assert.deepEqual((await tokens.list(t.account, { q: 'crud' })).map((v) => v.serial), []);
      assert.deepEqual((await tokens.list(t.account, { q: 'CRUD0002' })).map((v) => v.serial), ['CRUD0002']);

      const released = await tokens.disassociate(admin, t.account, 'carol');
      assert.equal(released.status, 'available');
      assert.equal(released.username, null);
      assert.equal(released.counter, 1);
    });

    test('64-bit counters, times and ids read back as numbers, exactly', async () => {
      // 2^40 + 7: beyond 32 bits, as a token's counter can be after years of use (or a vendor's offset).
      const bigCounter = 2 ** 40 + 7;
      const secret = randomSecretHex();
      // A time beyond 2^32 milliseconds, as every epoch-millisecond time is.
      clock = 1_767_225_600_123;
      await importTokens(t.services, t.account, [{ serial: 'BIG00001', secretHex: secret, counter: bigCounter }]);
      await t.services.users.create(admin, t.account, { username: 'dave', password: 'dave-password' });
      await t.services.tokens.associate(admin, t.account, 'dave', 'BIG00001', oathCode(secret, bigCounter + 2));

      const row = await findTokenBySerial(t.services.ctx.db, t.account.id, 'BIG00001');
      assert.ok(row);
      for (const [field, value] of Object.entries({ id: row.id, counter: row.counter, created_at: row.created_at, associated_at: row.associated_at, user_id: row.user_id, account_id: row.account_id })) {
        assert.equal(typeof value, 'number', `${field} is read back as a number`);
      }
      assert.equal(row.counter, bigCounter + 3);
      assert.equal(row.created_at, clock);
      assert.equal(row.associated_at, clock);

      const outcome = await t.services.signIn.check({ accountId: t.account.id, username: 'dave', password: 'dave-password', passcode: oathCode(secret, bigCounter + 3), actor: admin });
      assert.equal(outcome.result, 'accept');
      assert.equal((await findTokenBySerial(t.services.ctx.db, t.account.id, 'BIG00001'))?.counter, bigCounter + 4);

      const counts = await countTokensByStatus(t.services.ctx.db, t.account.id);
      assert.equal(typeof counts.associated, 'number');
      const total = await t.services.tokens.count(t.account);
      assert.equal(total, Object.values(counts).reduce((a, b) => a + b, 0), 'the list total is the sum of the counts by status');
      assert.equal(await t.services.tokens.count(t.account, { status: 'associated' }), counts.associated);
      assert.equal(await t.services.tokens.count(t.account, { q: 'BIG0000' }), 1);
      const [event] = await t.services.audit.list({ accountId: t.account.id, limit: 1 });
      assert.equal(typeof event?.id, 'number');
      assert.equal(event?.at, new Date(clock).toISOString());
      clock = Date.now();
    });

    test('a wrong passcode counts toward the lock; at maxFailures the token is locked and a right code gives `locked`', async () => {
      const secret = randomSecretHex();
      await importTokens(t.services, t.account, [{ serial: 'LOCK0001', secretHex: secret }]);
      await t.services.users.create(admin, t.account, { username: 'erin', password: 'erin-password' });
      await t.services.tokens.associate(admin, t.account, 'erin', 'LOCK0001', oathCode(secret, 0));
      await t.services.accounts.updateSettings(admin, t.account, { maxFailures: 3 });
      const account = await t.services.accounts.byId(t.account.id);
      const check = (passcode: string) =>
        t.services.signIn.check({ accountId: account.id, username: 'erin', password: 'erin-password', passcode, actor: { ...admin, clientIp: null } });

      const wrong = oathCode(secret, 500);
      assert.equal((await check(wrong)).result, 'reject');
      assert.equal((await check(wrong)).result, 'reject');
      assert.equal((await t.services.tokens.show(account, 'LOCK0001')).failCount, 2);
      assert.equal((await check(wrong)).result, 'reject');
      const locked = await t.services.tokens.show(account, 'LOCK0001');
      assert.equal(locked.status, 'locked');
      assert.equal(locked.failCount, 3);
      assert.ok(locked.lockedAt);
      assert.equal((await check(oathCode(secret, 1))).result, 'locked');

      await t.services.tokenStates.unlock(admin, account, 'LOCK0001');
      assert.equal((await check(oathCode(secret, 1))).result, 'accept');
      assert.equal((await t.services.tokens.show(account, 'LOCK0001')).failCount, 0);
      await t.services.accounts.updateSettings(admin, account, { maxFailures: 10 });
      t.account = await t.services.accounts.byId(t.account.id);
    });

    test('throttle rows: failures are written per user and per address, upserted, forgotten and cleared', async () => {
      const { db } = t.services.ctx;
      const actor = { ...admin, clientIp: '198.51.100.7' };
      const userKey = userThrottleKey(t.account.id, 'nobody');
      for (let i = 0; i < 2; i++) {
        const outcome = await t.services.signIn.check({ accountId: t.account.id, username: 'nobody', password: 'not-a-password', passcode: null, actor });
        assert.equal(outcome.result, 'reject');
      }
      const states = await readThrottles(db, [userKey, `ip:${t.account.id}:198.51.100.7`], clock);
      assert.equal(states.get(userKey)?.consecutiveFailures, 2);
      assert.equal(states.get(`ip:${t.account.id}:198.51.100.7`)?.consecutiveFailures, 2);

      const blockedUntil = clock + 30_000;
      await writeThrottle(db, userKey, { consecutiveFailures: 9, blockedUntil }, clock);
      const upserted = (await readThrottles(db, [userKey], clock)).get(userKey);
      assert.deepEqual(upserted, { consecutiveFailures: 9, blockedUntil });
      const throttled = await t.services.signIn.check({ accountId: t.account.id, username: 'nobody', password: 'x', passcode: null, actor });
      assert.equal(throttled.reason, 'throttled');
      assert.equal(throttled.retryAfterSeconds, 30);

      // Fifteen minutes later the failures no longer count.
      assert.equal((await readThrottles(db, [userKey], clock + 16 * 60_000)).get(userKey)?.consecutiveFailures, 0);
      await clearThrottles(db, [userKey, `ip:${t.account.id}:198.51.100.7`]);
      assert.equal((await readThrottles(db, [userKey], clock)).get(userKey)?.consecutiveFailures, 0);
      assert.equal((await db.selectFrom('throttles').select('key').where('key', 'in', [userKey, `ip:${t.account.id}:198.51.100.7`]).execute()).length, 0);
    });

    test('sessions: start, resume, rotate, end, idle expiry, and removal with their user', async () => {
      const { sessions } = t.services;
      await t.services.users.create(admin, t.account, { username: 'frank', password: 'frank-password' });
      const frank = await findUserByName(t.services.ctx.db, 'frank');
      assert.ok(frank);
      const half = await sessions.start(frank, 'password');
      assert.equal((await sessions.resume(half.id))?.stage, 'password');
      const full = await sessions.start(frank, 'full', half.id);
      assert.equal(await sessions.resume(half.id), null, 'the replaced id is gone (rotation)');
      const resumed = await sessions.resume(full.id);
      assert.equal(resumed?.stage, 'full');
      assert.equal(resumed?.user.username, 'frank');
      assert.equal(resumed?.csrfToken, full.csrfToken);
      assert.equal(typeof resumed?.createdAt, 'number');

      await sessions.end(full.id);
      assert.equal(await sessions.resume(full.id), null);

      const idle = await sessions.start(frank, 'full');
      clock += IDLE_TIMEOUT_MS + 1000;
      assert.equal(await sessions.resume(idle.id), null);
      clock = Date.now();

      const doomed = await sessions.start(frank, 'full');
      await t.services.users.delete(admin, t.account, 'frank');
      assert.equal(await sessions.resume(doomed.id), null);
      assert.equal((await t.services.ctx.db.selectFrom('sessions').select('id_hash').where('user_id', '=', frank.id).execute()).length, 0);
    });

    test('the audit chain verifies, and a changed event breaks it there', async () => {
      const before = await t.services.audit.verify();
      assert.equal(before.brokenAt, null);
      assert.ok(before.headMatches);
      assert.ok(before.events > 5);

      const [victim] = await t.services.audit.list({ accountId: t.account.id, limit: 1 });
      assert.ok(victim);
      const { db } = t.services.ctx;
      const original = await db.selectFrom('audit_events').select('outcome').where('id', '=', victim.id).executeTakeFirstOrThrow();
      await db.updateTable('audit_events').set({ outcome: 'tampered' }).where('id', '=', victim.id).execute();
      assert.equal((await t.services.audit.verify()).brokenAt, victim.id);
      await db.updateTable('audit_events').set({ outcome: original.outcome }).where('id', '=', victim.id).execute();
      assert.equal((await t.services.audit.verify()).brokenAt, null);
    });

    test('import is all or nothing: a failure in a later batch leaves none of the file', async () => {
      const { db } = t.services.ctx;
      const countTokens = async () => Number((await db.selectFrom('tokens').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).n);
      const beforeCount = await countTokens();
      // A reader that lets a duplicate through (the CSV reader refuses those itself), so that the database's
      // unique serial fails the second batch after the first was written inside the transaction.
      const keys: ImportedKey[] = Array.from({ length: 700 }, (_, i) => ({
        serial: `ALL${String(i).padStart(5, '0')}`,
        type: 'hotp',
        algorithm: 'SHA1',
        digits: 6,
        counter: 0,
        periodInSeconds: null,
        timeOffsetInSeconds: 0,
        secret: Buffer.from(randomSecretHex(), 'hex'),
        source: `key ${i + 1}`,
      }));
      keys.push({ ...keys[0]!, secret: Buffer.from(randomSecretHex(), 'hex'), source: 'key 701' });
      t.services.imports.register('pskc', () => Promise.resolve({ keys, skipped: [] }));
      await assert.rejects(
        t.services.imports.import(OPERATOR, t.account, { input: inputOf('<unused/>'), format: 'pskc' }),
        (e: unknown) => e instanceof ServiceError && e.code === 'import_refused' && e.details?.category === 'duplicate_serial',
      );
      assert.equal(await countTokens(), beforeCount);
      assert.equal(await findTokenBySerial(db, t.account.id, 'ALL00000'), undefined);

      // A malformed CSV line refuses the whole file before anything is written.
      await assert.rejects(
        t.services.imports.import(OPERATOR, t.account, { input: inputOf(`GOOD0001,${randomSecretHex()}\nBAD,zz-not-hex\n`), format: 'csv' }),
        (e: unknown) => e instanceof ServiceError && e.code === 'import_refused',
      );
      assert.equal(await countTokens(), beforeCount);

      // A file with known serials imports the rest and skips, never overwrites, the known ones.
      const report = await t.services.imports.import(OPERATOR, t.account, { input: inputOf(`CRUD0001,${randomSecretHex()}\nNEW00001,${randomSecretHex()}\n`), format: 'csv' });
      assert.equal(report.imported, 1);
      assert.deepEqual(report.skipped.map((s) => s.serial), ['CRUD0001']);
      assert.equal(await countTokens(), beforeCount + 1);
    });
  });
}
