// Property: under concurrency the database, not the process, decides. Of any number of racing uses of
// one passcode exactly one wins (compare-and-set on the counter), also between two instances with their
// own connections; failures are counted atomically; and concurrent audit appends from two instances form
// one unbroken chain (no fork, no deadlock); with group commit, each append resolves only once its own
// event is committed, and an event the database refuses fails alone. Run on SQLite and on PostgreSQL.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Kysely } from 'kysely';
import { loadConfig } from '../../src/runtime/config.js';
import { openInstance, type Instance } from '../../src/runtime/instance.js';
import type { Actor } from '../../src/services/context.js';
import { ChainDirectory, listAuditEvents } from '../../src/store/audit-log.js';
import { AuditedWriter, commitAuditedWrites, type AuditedWrite } from '../../src/store/audited-writes.js';
import { advanceCounterIn, findTokenBySerial, recordUserFailure } from '../../src/store/token-store.js';
import { inRawTransaction } from '../../src/store/raw-statements.js';
import type { Database } from '../../src/store/schema.js';
import { engineCases, importTokens, type TestInstallation } from '../helpers/engines.js';
import { oathCode } from '../helpers/otp.js';
import { randomSecretHex } from '../helpers/secrets.js';

const actor: Actor = { name: 'test', accountId: null, clientIp: null };

for (const engine of await engineCases()) {
  describe(`concurrency on ${engine.engine}`, { skip: engine.skip }, () => {
    let t: TestInstallation;
    /**
     * On PostgreSQL, a second instance on the same database with its own pool, as a second process has.
     * On SQLite the same instance: better-sqlite3 waits for a busy file synchronously, so a second
     * connection in one process would stall the event loop that the first needs to finish (two processes
     * on one file are fine; several instances are what PostgreSQL is for).
     */
    let other: Instance;
    before(async () => {
      t = await engine.start();
      other = engine.engine === 'postgres' ? await openInstance(loadConfig(t.env)) : t.instance;
    });
    after(async () => {
      if (other !== t?.instance) await other?.close();
      await t?.close();
    });

    // The statement production runs (advanceCounterIn, in the sign-in check's transaction), in a transaction of its own.
    const advanceCounter = (db: Kysely<Database>, tokenId: number, expected: number, next: number, at: number) => inRawTransaction(db, (trx) => advanceCounterIn(trx, tokenId, expected, next, at));

    test('compare-and-set: of 50 concurrent attempts to move the counter from C, exactly one succeeds', async () => {
      await importTokens(t.services, t.account, [{ serial: 'CAS00001', secretHex: randomSecretHex(), counter: 40 }]);
      await t.services.users.create(actor, t.account, { username: 'cas', password: 'cas-password' });
      const token = await findTokenBySerial(t.services.ctx.db, t.account.id, 'CAS00001');
      assert.ok(token);
      const user = await t.services.ctx.db.selectFrom('users').select('id').where('username_key', '=', 'cas').executeTakeFirstOrThrow();
      await t.services.ctx.db.updateTable('tokens').set({ status: 'associated', user_id: user.id }).where('id', '=', token.id).execute();
      const dbs = [t.services.ctx.db, other.services.ctx.db];
      const results = await Promise.all(Array.from({ length: 50 }, (_, i) => advanceCounter(dbs[i % 2]!, token.id, 40, 41 + (i % 7), Date.now())));
      assert.equal(results.filter(Boolean).length, 1);
      const after = await findTokenBySerial(t.services.ctx.db, t.account.id, 'CAS00001');
      assert.ok(after && after.counter >= 41 && after.counter <= 47);
    });

    test('sign-in: 50 concurrent checks with one valid passcode over two instances give exactly one accept', async () => {
      const secret = randomSecretHex();
      await importTokens(t.services, t.account, [{ serial: 'RACE0001', secretHex: secret }]);
      await t.services.users.create(actor, t.account, { username: 'racer', password: 'racer-password' });
      await t.services.tokens.associate(actor, t.account, 'racer', 'RACE0001', oathCode(secret, 0));
      // The 49 losers count as replays; a lock must not get in the way of counting them.
      await t.services.accounts.updateSettings(actor, t.account, { maxFailures: 100 });
      const code = oathCode(secret, 1);
      const instances = [t.services, other.services];
      const outcomes = await Promise.all(
        Array.from({ length: 50 }, (_, i) =>
          instances[i % 2]!.signIn.check({ accountId: t.account.id, username: 'racer', password: 'racer-password', passcode: code, actor }),
        ),
      );
      assert.equal(outcomes.filter((o) => o.result === 'accept').length, 1);
      assert.ok(outcomes.every((o) => o.result === 'accept' || (o.result === 'reject' && (o.reason === 'passcode_replayed' || o.reason === 'throttled'))));
      assert.equal((await findTokenBySerial(t.services.ctx.db, t.account.id, 'RACE0001'))?.counter, 2);
    });

    test("failures are counted atomically, once per user: 30 concurrent failures add exactly 30, and the lock falls on every usable token at maxFailures", async () => {
      await importTokens(t.services, t.account, [{ serial: 'FAIL0001', secretHex: randomSecretHex() }, { serial: 'FAIL0002', secretHex: randomSecretHex() }]);
      await t.services.users.create(actor, t.account, { username: 'failer', password: 'failer-password' });
      const user = await t.services.ctx.db.selectFrom('users').select('id').where('username_key', '=', 'failer').executeTakeFirstOrThrow();
      await t.services.ctx.db.updateTable('tokens').set({ status: 'associated', user_id: user.id }).where('serial', 'in', ['FAIL0001', 'FAIL0002']).execute();
      const dbs = [t.services.ctx.db, other.services.ctx.db];
      const results = await Promise.all(Array.from({ length: 30 }, (_, i) => recordUserFailure(dbs[i % 2]!, user.id, 100, Date.now())));
      assert.deepEqual(results.map((r) => r.failCount).sort((a, b) => a - b), Array.from({ length: 30 }, (_, i) => i + 1));
      const count = async () => Number((await t.services.ctx.db.selectFrom('users').select('otp_fail_count').where('id', '=', user.id).executeTakeFirstOrThrow()).otp_fail_count);
      assert.equal(await count(), 30);

      const lockRace = await Promise.all(Array.from({ length: 20 }, (_, i) => recordUserFailure(dbs[i % 2]!, user.id, 35, Date.now())));
      assert.equal(lockRace.filter((r) => r.locked).length, 1, "exactly one failure locks the user's tokens");
      assert.equal(await count(), 50);
      for (const serial of ['FAIL0001', 'FAIL0002']) {
        const locked = await findTokenBySerial(t.services.ctx.db, t.account.id, serial);
        assert.equal(locked?.status, 'locked', serial);
        assert.equal(locked?.fail_count, 35, serial);
      }
    });

    test('audit: 2 x 40 concurrent appends from two instances form one chain that verifies', async () => {
      const before = await t.services.audit.verify();
      assert.equal(before.brokenAt, null);
      await Promise.all(
        Array.from({ length: 80 }, (_, i) =>
          (i % 2 === 0 ? t.services : other.services).audit.record({ name: `writer-${i % 2}`, accountId: null, clientIp: null }, { action: 'test.append', outcome: 'success', accountId: t.account.id, reason: `event ${i}` }),
        ),
      );
      const report = await other.services.audit.verify();
      assert.equal(report.brokenAt, null);
      assert.equal(report.events, before.events + 80);
      assert.ok(report.headMatches, 'the head is the last event: nothing forked off or got lost');
    });

    test('one batch: distinct tokens move in one statement, a double submit has one winner, a failure beside a success keeps the order', async () => {
      const serials = ['BATCH001', 'BATCH002', 'BATCH003', 'BATCH004', 'BATCH005'];
      await importTokens(t.services, t.account, serials.map((serial) => ({ serial, secretHex: randomSecretHex(), counter: 10 })));
      const ids: number[] = [];
      const userIds: number[] = [];
      for (const [i, serial] of serials.entries()) {
        await t.services.users.create(actor, t.account, { username: `batch${i}`, password: 'batch-password' });
        const user = await t.services.ctx.db.selectFrom('users').select('id').where('username_key', '=', `batch${i}`).executeTakeFirstOrThrow();
        const token = await findTokenBySerial(t.services.ctx.db, t.account.id, serial);
        await t.services.ctx.db.updateTable('tokens').set({ status: 'associated', user_id: user.id }).where('id', '=', token!.id).execute();
        ids.push(token!.id);
        userIds.push(user.id);
      }
      // Token 4 moved elsewhere first: its compare-and-set in the batch must lose.
      await advanceCounter(other.services.ctx.db, ids[3]!, 10, 12, Date.now());
      const event = (reason: string) => ({ accountId: t.account.id, at: Date.now(), actor: 'batch', action: 'test.batch', outcome: 'accept', reason });
      const lost = (reason: string) => ({ event: { ...event(reason), outcome: 'reject' } });
      const move = (i: number, next: number, reason: string): AuditedWrite => ({ at: Date.now(), counters: [{ tokenId: ids[i]!, expected: 10, next }], userOf: userIds[i]!, won: { event: event(reason), userFailuresClear: { userId: userIds[i]! } }, lost: lost(reason) });
      const units: AuditedWrite[] = [
        move(0, 11, 'first token'),
        move(1, 11, 'second token'),
        move(2, 11, 'double submit, first'),
        move(2, 11, 'double submit, second'),
        move(3, 11, 'moved elsewhere'),
        // A failure recorded for token 5's user before its success in the same batch: the success resets the count.
        { at: Date.now(), won: { event: { ...event('failure first'), outcome: 'reject' }, userFailure: { userId: userIds[4]!, maxFailures: 10 } } },
        move(4, 13, 'success after the failure'),
      ];
      const key = t.services.ctx.masterKey.keyFor('audit-chain');
      const results = await commitAuditedWrites(t.services.ctx.db, key, new ChainDirectory(t.services.ctx.db, key, Date.now), units);
      assert.deepEqual(results.map((r) => r.counterMoved), [true, true, true, false, false, null, true]);
      const tokens = await Promise.all(serials.map((serial) => findTokenBySerial(t.services.ctx.db, t.account.id, serial)));
      assert.deepEqual(tokens.map((tk) => Number(tk!.counter)), [11, 11, 11, 12, 13]);
      assert.equal(tokens[4]!.fail_count, 0, 'the success came after the failure in the batch');
      const written = (await listAuditEvents(t.services.ctx.db, { accountId: t.account.id, action: 'test.batch', limit: 20 })).reverse();
      assert.deepEqual(
        written.map((e) => `${e.reason}: ${e.outcome}`),
        ['first token: accept', 'second token: accept', 'double submit, first: accept', 'double submit, second: reject', 'moved elsewhere: reject', 'failure first: reject', 'success after the failure: accept'],
      );
      const report = await t.services.audit.verify();
      assert.equal(report.brokenAt, null);
      assert.ok(report.headMatches);
    });

    test('audit group commit: each append resolves after its own event is committed; a refused event fails alone', async () => {
      const db = t.services.ctx.db;
      const key = t.services.ctx.masterKey.keyFor('audit-chain');
      const writer = new AuditedWriter(db, key, new ChainDirectory(db, key, Date.now));
      const event = (i: number) => ({ accountId: t.account.id, at: Date.now(), actor: 'group-commit', action: 'test.batch', outcome: 'success', reason: `batch ${i}` });
      // NOT NULL on action: the database refuses this one event.
      const refused = { ...event(-1), action: null as unknown as string };
      const seen: boolean[] = [];
      const results = await Promise.allSettled(
        [...Array.from({ length: 30 }, (_, i) => event(i)), refused, ...Array.from({ length: 30 }, (_, i) => event(30 + i))].map((input) =>
          writer.write({ at: input.at, won: { event: input } }).then(async () => {
            // Read on another connection (PostgreSQL) or after the commit (SQLite): the event is there.
            const rows = await listAuditEvents(other.services.ctx.db, { accountId: t.account.id, limit: 1000 });
            seen.push(rows.some((r) => r.reason === input.reason && r.action === 'test.batch'));
          }),
        ),
      );
      assert.deepEqual(
        results.map((r) => r.status),
        [...Array<string>(30).fill('fulfilled'), 'rejected', ...Array<string>(30).fill('fulfilled')],
      );
      assert.equal(seen.length, 60);
      assert.ok(seen.every(Boolean), 'every resolved append found its event committed');
      const report = await t.services.audit.verify();
      assert.equal(report.brokenAt, null);
      assert.ok(report.headMatches);
    });
  });
}
