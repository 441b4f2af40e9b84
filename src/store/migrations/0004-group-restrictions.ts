// IP restrictions per directory group: one per group name (compared in lower case) and account.
import { sql, type Kysely, type Migration } from 'kysely';
import type { ColumnTypes } from '../column-types.js';

export function groupRestrictionSchema(types: ColumnTypes): Migration {
  return {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('group_restrictions')
        .addColumn('id', types.id.type, types.id.primaryKey)
        .addColumn('account_id', types.bigint, (c) => c.notNull().references('accounts.id'))
        .addColumn('group_name', 'varchar(200)', (c) => c.notNull())
        .addColumn('group_key', 'varchar(200)', (c) => c.notNull())
        .addColumn('restriction', 'text', (c) => c.notNull())
        .addColumn('created_at', types.bigint, (c) => c.notNull())
        .addColumn('updated_at', types.bigint, (c) => c.notNull())
        .addUniqueConstraint('group_restrictions_account_group', ['account_id', 'group_key'])
        .execute();
    },
    async down(db: Kysely<unknown>) {
      await sql`drop table if exists group_restrictions`.execute(db);
    },
  };
}
