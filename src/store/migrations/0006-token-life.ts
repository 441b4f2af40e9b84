// A token's life at the help desk: validity dates (kept from the seed file), why and when a token was
// retired, and the temporary codes issued for a forgotten or lost token (one per user, only its keyed hash).
import { sql, type Kysely, type Migration } from 'kysely';
import type { ColumnTypes } from '../column-types.js';

export function tokenLifeSchema(types: ColumnTypes): Migration {
  return {
    async up(db: Kysely<unknown>) {
      await db.schema.alterTable('tokens').addColumn('valid_from', types.bigint).execute();
      await db.schema.alterTable('tokens').addColumn('valid_until', types.bigint).execute();
      await db.schema.alterTable('tokens').addColumn('retired_at', types.bigint).execute();
      await db.schema.alterTable('tokens').addColumn('retired_reason', 'varchar(16)').execute();
      // A token's history (token show, the console's token page) is read by its serial.
      await db.schema.createIndex('audit_account_serial').on('audit_events').columns(['account_id', 'target_serial', 'id']).execute();

      await db.schema
        .createTable('temp_codes')
        // One live code per user: issuing another replaces it.
        .addColumn('user_id', types.bigint, (c) => c.primaryKey().references('users.id').onDelete('cascade'))
        .addColumn('account_id', types.bigint, (c) => c.notNull().references('accounts.id'))
        // HMAC-SHA256 of the code under a key derived from the master key (hex).
        .addColumn('code_hash', 'varchar(64)', (c) => c.notNull())
        // Moves only by compare-and-set: of two uses of the last one, exactly one wins.
        .addColumn('uses_left', 'integer', (c) => c.notNull())
        .addColumn('expires_at', types.bigint, (c) => c.notNull())
        .addColumn('created_at', types.bigint, (c) => c.notNull())
        .execute();
    },
    async down(db: Kysely<unknown>) {
      await sql`drop table if exists temp_codes`.execute(db);
      await db.schema.dropIndex('audit_account_serial').execute();
      for (const column of ['valid_from', 'valid_until', 'retired_at', 'retired_reason']) {
        await db.schema.alterTable('tokens').dropColumn(column).execute();
      }
    },
  };
}
