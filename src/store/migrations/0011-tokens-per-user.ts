// Several tokens per user (SPEC, third milestone, "Several tokens per user"; issue 26). `tokens.user_id` was
// unique (one token per user): the constraint goes, and a user holds up to the account's
// `max_tokens_per_user` (default 3) tokens, each with an optional label unique per user. Failed passcodes
// count once per user, not per token: `users.otp_fail_count` takes over from the token's count (the token's
// own column stays, kept equal to the user's count for every usable token so that lists still show it).
// Every association, counter, state, lock and history is kept: nothing but the constraint and new columns
// changes, and each user's count starts at their one token's count.
import { sql, type Kysely, type Migration } from 'kysely';
import type { ColumnTypes } from '../column-types.js';

const USER_INDEX = 'tokens_user';
const LABEL_INDEX = 'tokens_user_label';

/**
 * SQLite cannot drop a column's UNIQUE constraint: the table is rebuilt as in 0003 (create, copy, drop,
 * rename, in one transaction). The columns are those the tokens table has after 0007, written out on purpose:
 * a migration is a snapshot of its moment.
 */
async function rebuildSqliteTokens(db: Kysely<unknown>, types: ColumnTypes, userUnique: boolean): Promise<void> {
  const columns = await db.introspection.getTables().then((tables) => tables.find((t) => t.name === 'tokens')?.columns.map((c) => c.name) ?? []);
  // Kysely records a migration after it ran, outside this transaction: a crash in between runs it again.
  if (columns.includes('label') !== userUnique) return;
  await db.transaction().execute(async (trx) => {
    await trx.schema
      .createTable('tokens_rebuilt')
      .addColumn('id', types.id.type, types.id.primaryKey)
      .addColumn('account_id', types.bigint, (c) => c.notNull().references('accounts.id'))
      .addColumn('serial', 'varchar(64)', (c) => c.notNull())
      .addColumn('type', 'varchar(8)', (c) => c.notNull())
      .addColumn('algorithm', 'varchar(8)', (c) => c.notNull())
      .addColumn('digits', 'integer', (c) => c.notNull())
      .addColumn('counter', types.bigint, (c) => c.notNull())
      .addColumn('period_in_seconds', 'integer')
      .addColumn('time_offset_in_seconds', types.bigint, (c) => c.notNull().defaultTo(0))
      .addColumn('secret_sealed', types.bytes, (c) => c.notNull())
      .addColumn('status', 'varchar(16)', (c) => c.notNull())
      .addColumn('user_id', types.bigint, (c) => (userUnique ? c.unique().references('users.id') : c.references('users.id')))
      .addColumn('fail_count', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('locked_at', types.bigint)
      .addColumn('last_used_at', types.bigint)
      .addColumn('associated_at', types.bigint)
      .addColumn('manufacturer', 'varchar(200)')
      .addColumn('model', 'varchar(200)')
      .addColumn('issuer', 'varchar(200)')
      .addColumn('friendly_name', 'varchar(200)')
      .addColumn('created_at', types.bigint, (c) => c.notNull())
      .addColumn('seal_version', 'integer', (c) => c.notNull().defaultTo(1))
      .addColumn('valid_from', types.bigint)
      .addColumn('valid_until', types.bigint)
      .addColumn('retired_at', types.bigint)
      .addColumn('retired_reason', 'varchar(16)')
      .$call((builder) => (userUnique ? builder : builder.addColumn('label', 'varchar(64)')))
      .execute();
    const copied = columns.filter((c) => c !== 'label').map((c) => sql.ref(c));
    await sql`insert into tokens_rebuilt (${sql.join(copied)}) select ${sql.join(copied)} from tokens`.execute(trx);
    await sql`drop table tokens`.execute(trx);
    await sql`alter table tokens_rebuilt rename to tokens`.execute(trx);
    // The indexes tokens had after 0003 (the rename keeps none of the dropped table's).
    await trx.schema.createIndex('tokens_account_status').on('tokens').columns(['account_id', 'status']).execute();
    await trx.schema.createIndex('tokens_account_serial').on('tokens').columns(['account_id', 'serial']).unique().execute();
    await trx.schema.createIndex('tokens_legacy_seal').on('tokens').column('id').where(sql.ref('seal_version'), '=', 1).execute();
    if (!userUnique) await addUserIndexes(trx);
  });
}

async function addUserIndexes(db: Kysely<unknown>): Promise<void> {
  // The sign-in read finds a user's tokens by user_id (the unique constraint's index did that before).
  await db.schema.createIndex(USER_INDEX).on('tokens').column('user_id').execute();
  // A label is unique per user; tokens without one (NULL) never collide, on either engine.
  await db.schema.createIndex(LABEL_INDEX).on('tokens').columns(['user_id', 'label']).unique().execute();
}

export function tokensPerUserSchema(types: ColumnTypes): Migration {
  return {
    async up(db: Kysely<unknown>) {
      if (types.engine === 'sqlite') await rebuildSqliteTokens(db, types, false);
      else {
        // PostgreSQL names a column's UNIQUE constraint <table>_<column>_key.
        await db.schema.alterTable('tokens').dropConstraint('tokens_user_id_key').execute();
        await db.schema.alterTable('tokens').addColumn('label', 'varchar(64)').execute();
        await addUserIndexes(db);
      }
      await db.schema.alterTable('accounts').addColumn('max_tokens_per_user', 'integer', (c) => c.notNull().defaultTo(3)).execute();
      await db.schema.alterTable('users').addColumn('otp_fail_count', 'integer', (c) => c.notNull().defaultTo(0)).execute();
      // Each user's count is their one token's (a locked token keeps its count, and its lock).
      await sql`update users set otp_fail_count = (select t.fail_count from tokens t where t.user_id = users.id)
                where exists (select 1 from tokens t where t.user_id = users.id)`.execute(db);
    },
    async down(db: Kysely<unknown>) {
      // Back to one token per user: refused by the database while a user holds two.
      await db.schema.alterTable('users').dropColumn('otp_fail_count').execute();
      await db.schema.alterTable('accounts').dropColumn('max_tokens_per_user').execute();
      if (types.engine === 'sqlite') return rebuildSqliteTokens(db, types, true);
      await db.schema.dropIndex(LABEL_INDEX).execute();
      await db.schema.dropIndex(USER_INDEX).execute();
      await db.schema.alterTable('tokens').dropColumn('label').execute();
      await db.schema.alterTable('tokens').addUniqueConstraint('tokens_user_id_key', ['user_id']).execute();
    },
  };
}
