// The audit log as chains (one per account and stripe, one for the installation), on both engines: each
// chain's events, its head and its anchor are checked by `audit verify`, and each way of tampering is found:
// an edited, deleted, reordered or inserted event; the newest events cut; the head rolled back; the anchor
// moved (the oldest events cut); a whole chain removed; a missing archive. A head that does not verify stays
// reported after more events are appended (the writer does not MAC it again), and sign-ins of different
// users append to different chains.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { chainName, stripeOf } from '../../src/core/audit-chain.js';
import { OPERATOR } from '../../src/services/context.js';
import type { ArchiveSink } from '../../src/services/audit-service.js';
import type { AuditEventRow } from '../../src/store/schema.js';
import { engineCases, type TestInstallation } from '../helpers/engines.js';

/** An archive sink kept in memory, read back as lines. */
function memorySink(): ArchiveSink & { lines(): AsyncIterable<string> } {
  let text = '';
  return {
    write: async (chunk) => void (text += chunk),
    finish: async () => undefined,
    async *lines() {
      yield* text.split('\n');
    },
  };
}

for (const engine of await engineCases()) {
  describe(`audit chains (${engine.engine})`, { skip: engine.skip }, () => {
    const open: TestInstallation[] = [];
    after(async () => {
      for (const t of open) await t.close();
    });

    /** A new installation whose user alice has 6 events in her chain, and bob, carol and erin one each. */
    async function installation(): Promise<{ t: TestInstallation; alice: AuditEventRow[]; aliceChain: number }> {
      const t = await engine.start();
      open.push(t);
      const { users } = t.services;
      for (const name of ['alice', 'bob', 'carol', 'erin']) await users.create(OPERATOR, t.account, { username: name, password: 'correct horse battery' });
      for (let i = 0; i < 5; i++) await users.update(OPERATOR, t.account, 'alice', { displayName: `Alice ${i}` });
      const chain = await t.services.ctx.db.selectFrom('audit_chains').select('id').where('name', '=', chainName(t.account.id, stripeOf('alice'))).executeTakeFirstOrThrow();
      const alice = await t.services.ctx.db.selectFrom('audit_events').selectAll().where('chain_id', '=', chain.id).orderBy('id').execute();
      assert.equal(alice.length, 6, 'alice has her own chain (no other user shares her stripe)');
      const report = await t.services.audit.verify();
      assert.equal(report.brokenAt, null);
      assert.ok(report.headMatches && report.problems.length === 0, JSON.stringify(report));
      return { t, alice, aliceChain: Number(chain.id) };
    }
    const last = <T>(list: T[]) => list.at(-1)!;
    const problemOf = (report: { chains: { id: number; problem: string | null }[] }, chainId: number) => report.chains.find((c) => c.id === chainId)?.problem ?? null;

    test('users of one account append to different chains, each opened in the installation chain', async () => {
      const { t } = await installation();
      const report = await t.services.audit.verify();
      const names = report.chains.map((c) => c.name);
      assert.ok(names.includes('installation'));
      const accountChains = new Set(['alice', 'bob', 'carol', 'erin', 'admin'].map((u) => chainName(t.account.id, stripeOf(u))));
      assert.ok(accountChains.size >= 3, 'the test users fall in several stripes');
      for (const name of accountChains) assert.ok(names.includes(name), `${name} in ${names.join(', ')}`);
      const opened = await t.services.ctx.db.selectFrom('audit_events').select('reason').where('action', '=', 'audit.chain').execute();
      assert.equal(opened.length, report.chains.length - 1, 'every chain but the installation one was opened there');
    });

    test('an edited, a deleted, a reordered and an inserted event are found at the event', async () => {
      const { t, alice, aliceChain } = await installation();
      const db = t.services.ctx.db;
      const verifyAfter = async (tamper: () => Promise<unknown>, undo: () => Promise<unknown>) => {
        await tamper();
        const report = await t.services.audit.verify();
        await undo();
        const undone = await t.services.audit.verify();
        assert.ok(undone.headMatches && undone.brokenAt === null && undone.problems.length === 0, 'undone');
        return report;
      };
      const [, second, third, fourth] = alice as [AuditEventRow, AuditEventRow, AuditEventRow, AuditEventRow];

      const edited = await verifyAfter(
        () => db.updateTable('audit_events').set({ reason: 'forged' }).where('id', '=', third.id).execute(),
        () => db.updateTable('audit_events').set({ reason: third.reason }).where('id', '=', third.id).execute(),
      );
      assert.equal(edited.brokenAt, Number(third.id));

      const deleted = await verifyAfter(
        () => db.deleteFrom('audit_events').where('id', '=', third.id).execute(),
        () => db.insertInto('audit_events').values(third).execute(),
      );
      assert.equal(deleted.brokenAt, Number(fourth.id));

      /** Each row's id given the other's contents (or, with `back`, its own again). */
      const swap = async (a: AuditEventRow, b: AuditEventRow, back = false) => {
        const fieldsOf = (row: AuditEventRow) => Object.fromEntries(Object.entries(row).filter(([column]) => column !== 'id'));
        const [aFields, bFields] = [fieldsOf(a), fieldsOf(b)];
        await db.updateTable('audit_events').set(back ? aFields : bFields).where('id', '=', a.id).execute();
        await db.updateTable('audit_events').set(back ? bFields : aFields).where('id', '=', b.id).execute();
      };
      const reordered = await verifyAfter(() => swap(second, fourth), () => swap(second, fourth, true));
      assert.equal(reordered.brokenAt, Number(second.id));

      // A copy of an event put back between two others (its chain value is a real one, from elsewhere).
      let insertedId = 0;
      const inserted = await verifyAfter(
        async () => {
          await db.deleteFrom('audit_events').where('id', '=', fourth.id).execute();
          await db.insertInto('audit_events').values({ ...second, id: Number(fourth.id) }).execute();
          insertedId = Number(fourth.id);
        },
        async () => {
          await db.deleteFrom('audit_events').where('id', '=', fourth.id).execute();
          await db.insertInto('audit_events').values(fourth).execute();
        },
      );
      assert.equal(inserted.brokenAt, insertedId);
      assert.equal(problemOf(inserted, aliceChain) !== null, true);

      // An event inserted in no chain (as an older otpgate writing after the migration would): reported too.
      const stray = await verifyAfter(
        () => db.insertInto('audit_events').values({ ...second, id: Number(last(alice).id) + 1000, chain_id: null }).execute(),
        () => db.deleteFrom('audit_events').where('id', '=', Number(last(alice).id) + 1000).execute(),
      );
      assert.equal(stray.brokenAt, null);
      assert.match(stray.problems.join('\n'), /1 events belong to no chain \(the first: event \d+\)/);
    });

    test('the newest events cut, the head rolled back, the anchor moved, a chain removed: each is found', async () => {
      const { t, alice, aliceChain } = await installation();
      const db = t.services.ctx.db;
      const head = await db.selectFrom('audit_chains').selectAll().where('id', '=', aliceChain).executeTakeFirstOrThrow();
      const restoreHead = () => db.updateTable('audit_chains').set(head).where('id', '=', aliceChain).execute();
      const last = alice.at(-1)!;
      const beforeLast = alice.at(-2)!;

      // The newest event deleted, the head left as it was.
      await db.deleteFrom('audit_events').where('id', '=', last.id).execute();
      let report = await t.services.audit.verify();
      assert.equal(report.headMatches, false);
      assert.match(problemOf(report, aliceChain) ?? '', /last events were removed \(5 of 6 remain\)/);

      // ... and the head rolled back to the event before it, with its count: the MAC does not verify.
      await db.updateTable('audit_chains').set({ head: beforeLast.chain, events: 5 }).where('id', '=', aliceChain).execute();
      report = await t.services.audit.verify();
      assert.equal(report.brokenAt, null, 'the events that remain do verify');
      assert.match(problemOf(report, aliceChain) ?? '', /MAC does not verify/);

      // More events appended after the rolled-back head: the head keeps a MAC that does not verify.
      await t.services.users.update(OPERATOR, t.account, 'alice', { displayName: 'Alice again' });
      report = await t.services.audit.verify();
      assert.match(problemOf(report, aliceChain) ?? '', /MAC does not verify/, 'appending does not MAC a rolled-back head again');
      await db.deleteFrom('audit_events').where('chain_id', '=', aliceChain).where('id', '>', last.id).execute();
      await db.insertInto('audit_events').values(last).execute();
      await restoreHead();
      assert.ok((await t.services.audit.verify()).headMatches);

      // The oldest two events cut and the anchor moved to the second: the MAC does not verify.
      await db.deleteFrom('audit_events').where('id', 'in', [alice[0]!.id, alice[1]!.id]).execute();
      await db.updateTable('audit_chains').set({ anchor_id: alice[1]!.id, anchor_chain: alice[1]!.chain, events: 4 }).where('id', '=', aliceChain).execute();
      report = await t.services.audit.verify();
      assert.equal(report.brokenAt, null);
      assert.match(problemOf(report, aliceChain) ?? '', /MAC does not verify/);
      // Without moving the anchor, the first event left is found.
      await restoreHead();
      report = await t.services.audit.verify();
      assert.equal(report.brokenAt, Number(alice[2]!.id));
      await db.insertInto('audit_events').values([alice[0]!, alice[1]!]).execute();

      // A whole chain removed: its events and its head row.
      await db.deleteFrom('audit_events').where('chain_id', '=', aliceChain).execute();
      await db.deleteFrom('audit_chains').where('id', '=', aliceChain).execute();
      report = await t.services.audit.verify();
      assert.equal(report.brokenAt, null);
      assert.deepEqual(report.problems, [`chain ${aliceChain} was removed (the installation chain records its opening)`]);
    });

    test('archives over all chains; a missing archive and a moved anchor are found; the whole history verifies', async () => {
      const { t, aliceChain } = await installation();
      const all = (await t.services.audit.verify()).events;
      const first = memorySink();
      const cut = await t.services.audit.archive(Date.now() + 60_000, first);
      assert.ok(cut && cut.events === all && cut.chains >= 3, JSON.stringify(cut));
      await t.services.users.update(OPERATOR, t.account, 'alice', { displayName: 'Alice later' });
      const rest = await t.services.audit.verify();
      assert.ok(rest.headMatches && rest.brokenAt === null, JSON.stringify(rest));
      assert.equal(rest.chains.find((c) => c.id === aliceChain)?.startsAfter !== 0, true, 'alice’s chain starts after its archived events');

      const whole = await t.services.audit.verifyWithArchives([first.lines()]);
      assert.equal(whole.events, all + 1);
      assert.ok(whole.headMatches && whole.problems.length === 0, JSON.stringify(whole));

      const second = memorySink();
      await t.services.users.update(OPERATOR, t.account, 'bob', { displayName: 'Bob later' });
      assert.ok(await t.services.audit.archive(Date.now() + 120_000, second));
      const missing = await t.services.audit.verifyWithArchives([second.lines()]).catch((error: Error) => error);
      assert.ok(missing instanceof Error && /does not follow/.test(missing.message), missing instanceof Error ? missing.message : JSON.stringify(missing));
      const firstOnly = await t.services.audit.verifyWithArchives([first.lines()]);
      assert.equal(firstOnly.headMatches, false);
      assert.ok(firstOnly.chains.some((c) => /an archive is missing/.test(c.problem ?? '')));
      const both = await t.services.audit.verifyWithArchives([first.lines(), second.lines()]);
      assert.ok(both.headMatches && both.brokenAt === null, JSON.stringify(both));
    });
  });
}
