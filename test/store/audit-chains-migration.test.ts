// Migration 0009 on both engines: a database at 0007 whose audit log is the older single chain (its head and
// anchor unauthenticated in `meta`, its oldest events in an archive of format 1) opens as chains: the single
// chain is kept, closed, as the `legacy` chain, whose head is MAC'd once at the first open with the key;
// `audit verify` proves what it holds, and with the old archive the whole history; new events go to the new
// chains; and tampering with the legacy chain afterwards is found, a removed MAC included.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { sql } from 'kysely';
import { chainValue, GENESIS, LEGACY_CHAIN } from '../../src/core/audit-chain.js';
import { OPERATOR } from '../../src/services/context.js';
import type { AuditEventRow } from '../../src/store/schema.js';
import { engineCases, type TestInstallation } from '../helpers/engines.js';

for (const engine of await engineCases()) {
  describe(`an audit log from before migration 0009, on ${engine.engine}`, { skip: engine.skip }, () => {
    let t: TestInstallation;
    let archive: string[] = [];
    let oldEvents = 0;
    const archivedCount = 3;
    before(async () => {
      t = await engine.start();
      for (const name of ['alice', 'bob', 'carol']) await t.services.users.create(OPERATOR, t.account, { username: name, password: 'correct horse battery' });
      for (let i = 0; i < 3; i++) await t.services.users.update(OPERATOR, t.account, 'bob', { displayName: `Bob ${i}` });
      // Back to 0007, and the log written as an older otpgate wrote it: one chain over every event in id order,
      // its head in meta; the oldest events archived (format 1) and the anchor in meta.
      await t.instance.database.migrate('0007_admins_require_otp');
      const db = t.services.ctx.db;
      const key = t.services.ctx.auditChainKey;
      const rows = (await sql<AuditEventRow>`select * from audit_events order by id`.execute(db)).rows;
      let previous = GENESIS;
      for (const row of rows) {
        previous = chainValue(key, previous, { ...row, account_id: row.account_id === null ? null : Number(row.account_id), at: Number(row.at) });
        await db.updateTable('audit_events').set({ chain: previous }).where('id', '=', row.id).execute();
        row.chain = previous;
      }
      await db.insertInto('meta').values({ key: 'audit_head', value: previous }).execute();
      const cut = rows.slice(0, archivedCount);
      const last = cut.at(-1)!;
      archive = [
        JSON.stringify({ otpgateAuditArchive: 1, previous: GENESIS, afterId: 0, lastId: Number(last.id), createdAt: new Date().toISOString() }),
        ...cut.map((row) => JSON.stringify({ ...row, id: Number(row.id), at: Number(row.at), account_id: row.account_id === null ? null : Number(row.account_id) })),
      ];
      await db.deleteFrom('audit_events').where('id', '<=', last.id).execute();
      await db.insertInto('meta').values({ key: 'audit_anchor', value: JSON.stringify({ id: Number(last.id), chain: last.chain }) }).execute();
      oldEvents = rows.length;
      assert.equal((await t.instance.database.appliedMigrations()).at(-1), '0007_admins_require_otp');
    });
    after(() => t?.close());
    const lines = () => (async function* () { yield* archive; })();
    const legacyOf = (report: { chains: { name: string; problem: string | null; events: number; startsAfter: number }[] }) => report.chains.find((c) => c.name === LEGACY_CHAIN);

    test('opening it migrates: the single chain is the sealed legacy chain, it verifies, and with its archive the whole history', async () => {
      await t.reopen();
      assert.ok((await t.instance.database.appliedMigrations()).includes('0009_audit_chains'));
      const report = await t.services.audit.verify();
      assert.equal(report.brokenAt, null);
      assert.deepEqual(report.problems, []);
      const legacy = legacyOf(report);
      assert.deepEqual(legacy && { events: legacy.events, problem: legacy.problem }, { events: oldEvents - archivedCount, problem: null });
      assert.ok(legacy!.startsAfter > 0, 'the legacy chain starts after its archived events');
      const sealed = await t.services.ctx.db.selectFrom('audit_events').select('reason').where('action', '=', 'audit.chain').where('reason', 'like', '%sealed%').execute();
      assert.equal(sealed.length, 1);
      assert.equal(await t.services.audit.sealLegacyChain(), false, 'sealed once');

      // New events go to the new chains; the legacy chain is closed.
      await t.services.users.update(OPERATOR, t.account, 'alice', { displayName: 'Alice after' });
      const after = await t.services.audit.verify();
      assert.ok(after.headMatches && after.problems.length === 0, JSON.stringify(after));
      assert.equal(legacyOf(after)?.events, oldEvents - archivedCount);
      const whole = await t.services.audit.verifyWithArchives([lines()]);
      assert.ok(whole.headMatches && whole.brokenAt === null && whole.problems.length === 0, JSON.stringify(whole));
      assert.equal(whole.archived, archivedCount);
      assert.equal(whole.events, report.events + 2 + archivedCount, 'the archive, the legacy chain, and the events since (with the chain opened for them)');
    });

    test('tampering with the legacy chain is found: an edited event, its head rolled back, its MAC removed', async () => {
      const db = t.services.ctx.db;
      const legacy = await db.selectFrom('audit_chains').selectAll().where('name', '=', LEGACY_CHAIN).executeTakeFirstOrThrow();
      const events = await db.selectFrom('audit_events').selectAll().where('chain_id', '=', legacy.id).orderBy('id').execute();
      const victim = events[1]!;
      await db.updateTable('audit_events').set({ reason: 'forged' }).where('id', '=', victim.id).execute();
      assert.equal((await t.services.audit.verify()).brokenAt, Number(victim.id));
      await db.updateTable('audit_events').set({ reason: victim.reason }).where('id', '=', victim.id).execute();

      const last = events.at(-1)!;
      await db.deleteFrom('audit_events').where('id', '=', last.id).execute();
      await db.updateTable('audit_chains').set({ head: events.at(-2)!.chain, events: Number(legacy.events) - 1 }).where('id', '=', legacy.id).execute();
      assert.match(legacyOf(await t.services.audit.verify())?.problem ?? '', /MAC does not verify/);

      // With its MAC removed too, the next open does not seal the rolled-back head again.
      await db.updateTable('audit_chains').set({ mac: null }).where('id', '=', legacy.id).execute();
      await t.reopen();
      const report = await t.services.audit.verify();
      assert.match(legacyOf(report)?.problem ?? '', /no MAC/);
      assert.equal(report.headMatches, false);
    });
  });
}
