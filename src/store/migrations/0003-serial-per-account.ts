// Serials unique per account (issue 11, finding 7): a serial was unique across the installation, so importing
// a serial that another account owns told a tenant it existed there, and let a tenant squat another's serials.
// The unique constraint moves from (serial) to (account_id, serial).
//
// The sealed seed's associated data now binds the account too. A migration cannot re-seal (it runs without
// the master key: `otpgate migrate`), so it adds `seal_version`: 1 for the rows it finds (sealed with the
// serial alone as associated data; also the column's default, which is what a row inserted by an older
// otpgate gets), 2 for rows sealed with the account and the serial. Opening an instance re-seals every
// version-1 row (services/token-service.ts, resealLegacySecrets); the partial index finds them at no cost
// once there are none.
import { sql, type Kysely, type Migration } from 'kysely';
import type { ColumnTypes } from '../column-types.js';

const INDEX = 'tokens_account_serial';
const LEGACY_INDEX = 'tokens_legacy_seal';

/**
 * SQLite cannot drop a column's UNIQUE constraint: the table is rebuilt (the documented procedure: create the
 * new table, copy, drop the old, rename), in one transaction so that a crash leaves the old table or the new.
 * Nothing references tokens, so the foreign keys need no care; its own indexes are made again. The columns
 * are 0001's, written out again on purpose: a migration is a snapshot of its moment, not shared code that a
 * later edit could change under databases it already ran on.
 */
async function rebuildSqliteTokens(db: Kysely<unknown>, types: ColumnTypes, perAccount: boolean): Promise<void> {
  const columns = await db.introspection.getTables().then((tables) => tables.find((t) => t.name === 'tokens')?.columns.map((c) => c.name) ?? []);
  // Kysely records a migration after it ran, outside this transaction: a crash in between runs it again.
  if (columns.includes('seal_version') === perAccount) return;
  await db.transaction().execute(async (trx) => {
    await trx.schema
      .createTable('tokens_rebuilt')
      .addColumn('id', types.id.type, types.id.primaryKey)
      .addColumn('account_id', types.bigint, (c) => c.notNull().references('accounts.id'))
      .addColumn('serial', 'varchar(64)', (c) => (perAccount ? c.notNull() : c.notNull().unique()))
      .addColumn('type', 'varchar(8)', (c) => c.notNull())
      .addColumn('algorithm', 'varchar(8)', (c) => c.notNull())
      .addColumn('digits', 'integer', (c) => c.notNull())
      .addColumn('counter', types.bigint, (c) => c.notNull())
      .addColumn('period_in_seconds', 'integer')
      .addColumn('time_offset_in_seconds', types.bigint, (c) => c.notNull().defaultTo(0))
      .addColumn('secret_sealed', types.bytes, (c) => c.notNull())
      .addColumn('status', 'varchar(16)', (c) => c.notNull())
      .addColumn('user_id', types.bigint, (c) => c.unique().references('users.id'))
      .addColumn('fail_count', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('locked_at', types.bigint)
      .addColumn('last_used_at', types.bigint)
      .addColumn('associated_at', types.bigint)
      .addColumn('manufacturer', 'varchar(200)')
      .addColumn('model', 'varchar(200)')
      .addColumn('issuer', 'varchar(200)')
      .addColumn('friendly_name', 'varchar(200)')
      .addColumn('created_at', types.bigint, (c) => c.notNull())
      .$call((builder) => (perAccount ? builder.addColumn('seal_version', 'integer', (c) => c.notNull().defaultTo(1)) : builder))
      .execute();
    const copied = columns.filter((c) => c !== 'seal_version').map((c) => sql.ref(c));
    await sql`insert into tokens_rebuilt (${sql.join(copied)}) select ${sql.join(copied)} from tokens`.execute(trx);
    await sql`drop table tokens`.execute(trx);
    await sql`alter table tokens_rebuilt rename to tokens`.execute(trx);
    await trx.schema.createIndex('tokens_account_status').on('tokens').columns(['account_id', 'status']).execute();
    if (perAccount) await addPerAccountIndexes(trx);
  });
}

async function addPerAccountIndexes(db: Kysely<unknown>): Promise<void> {
  await db.schema.createIndex(INDEX).on('tokens').columns(['account_id', 'serial']).unique().execute();
  await db.schema.createIndex(LEGACY_INDEX).on('tokens').column('id').where(sql.ref('seal_version'), '=', 1).execute();
}

export function serialPerAccount(types: ColumnTypes): Migration {
  return {
    async up(db: Kysely<unknown>) {
      if (types.engine === 'sqlite') return rebuildSqliteTokens(db, types, true);
      // PostgreSQL names a column's UNIQUE constraint <table>_<column>_key.
      await db.schema.alterTable('tokens').dropConstraint('tokens_serial_key').execute();
      await db.schema.alterTable('tokens').addColumn('seal_version', 'integer', (c) => c.notNull().defaultTo(1)).execute();
      await addPerAccountIndexes(db);
    },
    async down(db: Kysely<unknown>) {
      // Back to one serial per installation: refused by the database while two accounts share a serial. The
      // re-sealed rows do not open under the older otpgate (their associated data names the account).
      if (types.engine === 'sqlite') return rebuildSqliteTokens(db, types, false);
      await db.schema.dropIndex(LEGACY_INDEX).execute();
      await db.schema.dropIndex(INDEX).execute();
      await db.schema.alterTable('tokens').dropColumn('seal_version').execute();
      await db.schema.alterTable('tokens').addUniqueConstraint('tokens_serial_key', ['serial']).execute();
    },
  };
}
