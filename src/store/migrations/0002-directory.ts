// Directory users (LDAP, Active Directory): one directory per account, users that come from it, their groups.
import { sql, type Kysely, type Migration } from 'kysely';
import type { ColumnTypes } from '../column-types.js';

export function directorySchema(types: ColumnTypes): Migration {
  return {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('directories')
        .addColumn('id', types.id.type, types.id.primaryKey)
        .addColumn('account_id', types.bigint, (c) => c.notNull().unique().references('accounts.id'))
        .addColumn('kind', 'varchar(16)', (c) => c.notNull())
        .addColumn('url', 'varchar(500)', (c) => c.notNull())
        .addColumn('bind_dn', 'varchar(1000)', (c) => c.notNull())
        .addColumn('bind_password_sealed', types.bytes, (c) => c.notNull())
        .addColumn('base_dn', 'varchar(1000)', (c) => c.notNull())
        .addColumn('user_filter', 'varchar(1000)', (c) => c.notNull())
        .addColumn('username_attribute', 'varchar(100)', (c) => c.notNull())
        .addColumn('display_name_attribute', 'varchar(100)', (c) => c.notNull())
        .addColumn('email_attribute', 'varchar(100)', (c) => c.notNull())
        .addColumn('group_attribute', 'varchar(100)', (c) => c.notNull())
        .addColumn('start_tls', 'integer', (c) => c.notNull())
        .addColumn('ca_pem', 'text')
        .addColumn('created_at', types.bigint, (c) => c.notNull())
        .addColumn('updated_at', types.bigint, (c) => c.notNull())
        .execute();

      // Existing users are local users with a password of otpgate's own.
      await db.schema.alterTable('users').addColumn('source', 'varchar(16)', (c) => c.notNull().defaultTo('local')).execute();
      await db.schema.alterTable('users').addColumn('dn', 'varchar(1000)').execute();
      await db.schema.alterTable('users').addColumn('email', 'varchar(320)').execute();
      await db.schema.alterTable('users').addColumn('disabled_at', types.bigint).execute();
      await db.schema.alterTable('users').addColumn('disabled_reason', 'varchar(200)').execute();

      await db.schema
        .createTable('user_groups')
        .addColumn('user_id', types.bigint, (c) => c.notNull().references('users.id').onDelete('cascade'))
        .addColumn('group_name', 'varchar(200)', (c) => c.notNull())
        .addPrimaryKeyConstraint('user_groups_pk', ['user_id', 'group_name'])
        .execute();
      await db.schema.createIndex('user_groups_group').on('user_groups').column('group_name').execute();

      // Work that one instance of several does at a time (the scheduled directory sync): a named lease.
      await db.schema
        .createTable('leases')
        .addColumn('name', 'varchar(100)', (c) => c.primaryKey())
        .addColumn('holder', 'varchar(100)', (c) => c.notNull())
        .addColumn('expires_at', types.bigint, (c) => c.notNull())
        .execute();

      // RADIUS clients that checked the password themselves: User-Password is the passcode alone.
      await db.schema.alterTable('radius_clients').addColumn('otp_only', 'integer', (c) => c.notNull().defaultTo(0)).execute();
    },
    async down(db: Kysely<unknown>) {
      await db.schema.alterTable('radius_clients').dropColumn('otp_only').execute();
      await sql`drop table if exists leases`.execute(db);
      await sql`drop table if exists user_groups`.execute(db);
      for (const column of ['disabled_reason', 'disabled_at', 'email', 'dn', 'source']) {
        await db.schema.alterTable('users').dropColumn(column).execute();
      }
      await sql`drop table if exists directories`.execute(db);
    },
  };
}
