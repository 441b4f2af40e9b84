// The audit log becomes several chains, each with its own head row (issue 30, and issue 24 finding 12): one
// per account and stripe, one for the installation's own events, so sign-ins of different accounts (and of
// different users of one account) no longer queue on one head; each head and its anchor are MAC'd.
//
// The single chain an older otpgate kept is not rewritten: its events stay as they are, marked as the
// closed `legacy` chain, whose head row takes the old head and anchor from `meta`. A migration runs without
// the master key (`otpgate migrate`), so it cannot MAC that head: the row is left without a MAC, and the
// first open with the key MACs it once, recording that in the installation chain (store/audit-log.ts,
// sealLegacyChain); a head row without a MAC after that is reported by `audit verify`.
import { sql, type Kysely, type Migration } from 'kysely';
import type { ColumnTypes } from '../column-types.js';

// Written out here, not imported: a migration is a snapshot of its moment.
const LEGACY = 'legacy';
const GENESIS = 'genesis';

export function auditChainsSchema(types: ColumnTypes): Migration {
  // SQLite's migrations run outside a transaction (Kysely's SQLite adapter has no transactional DDL): this
  // one makes its own, so that a crash leaves the single chain or the chains, never half of the move.
  const atomically = (db: Kysely<unknown>, work: (db: Kysely<unknown>) => Promise<void>) => (types.engine === 'sqlite' ? db.transaction().execute(work) : work(db));
  return {
    up: (outer) =>
      atomically(outer, async (db) => {
        await db.schema
          .createTable('audit_chains')
          .addColumn('id', types.id.type, types.id.primaryKey)
          .addColumn('name', 'varchar(64)', (c) => c.notNull().unique())
          .addColumn('account_id', types.bigint)
          .addColumn('anchor_id', types.bigint, (c) => c.notNull())
          .addColumn('anchor_chain', 'varchar(80)', (c) => c.notNull())
          .addColumn('events', types.bigint, (c) => c.notNull())
          .addColumn('head', 'varchar(80)', (c) => c.notNull())
          .addColumn('mac', 'varchar(64)')
          .execute();
        await db.schema.alterTable('audit_events').addColumn('chain_id', types.bigint).execute();
        await db.schema.createIndex('audit_chain_id').on('audit_events').columns(['chain_id', 'id']).execute();

        const meta = async (key: string) =>
          (await sql<{ value: string }>`select value from meta where key = ${key}`.execute(db)).rows[0]?.value;
        const head = await meta('audit_head');
        const anchorText = await meta('audit_anchor');
        const { n } = (await sql<{ n: number | string }>`select count(*) as n from audit_events`.execute(db)).rows[0]!;
        if (head === undefined && anchorText === undefined && Number(n) === 0) return;
        const anchor = anchorText === undefined ? null : (JSON.parse(anchorText) as { id: number; chain: string });
        await sql`insert into audit_chains (name, account_id, anchor_id, anchor_chain, events, head, mac)
                  values (${LEGACY}, null, ${Number(anchor?.id ?? 0)}, ${String(anchor?.chain ?? GENESIS)}, ${Number(n)}, ${head ?? GENESIS}, null)`.execute(db);
        await sql`update audit_events set chain_id = (select id from audit_chains where name = ${LEGACY})`.execute(db);
        await sql`delete from meta where key in ('audit_head', 'audit_anchor')`.execute(db);
      }),
    down: (outer) =>
      atomically(outer, async (db) => {
        // Only the legacy chain can go back to being the single chain; events of the new chains would not verify.
        const legacy = (await sql<{ anchor_id: number; anchor_chain: string; head: string }>`select anchor_id, anchor_chain, head from audit_chains where name = ${LEGACY}`.execute(db)).rows[0];
        if (legacy) {
          await sql`insert into meta (key, value) values ('audit_head', ${legacy.head})`.execute(db);
          if (Number(legacy.anchor_id) > 0) await sql`insert into meta (key, value) values ('audit_anchor', ${JSON.stringify({ id: Number(legacy.anchor_id), chain: legacy.anchor_chain })})`.execute(db);
        }
        await db.schema.dropIndex('audit_chain_id').execute();
        await db.schema.alterTable('audit_events').dropColumn('chain_id').execute();
        await db.schema.dropTable('audit_chains').execute();
      }),
  };
}
