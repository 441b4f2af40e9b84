// Notifications: the account's webhooks, the notifications written with their audit events, one delivery
// per notification and webhook, and one e-mail per notification and recipient, each tried until it succeeds
// or 24 hours have passed.
import { sql, type Kysely, type Migration } from 'kysely';
import type { ColumnTypes } from '../column-types.js';

export function notificationSchema(types: ColumnTypes): Migration {
  return {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('webhooks')
        .addColumn('id', types.id.type, types.id.primaryKey)
        .addColumn('account_id', types.bigint, (c) => c.notNull().references('accounts.id'))
        .addColumn('name', 'varchar(100)', (c) => c.notNull())
        .addColumn('url', 'varchar(2000)', (c) => c.notNull())
        // '*' or the types between commas: ',token.associated,token.locked,'
        .addColumn('events', 'varchar(1000)', (c) => c.notNull())
        .addColumn('secret_sealed', types.bytes, (c) => c.notNull())
        .addColumn('created_at', types.bigint, (c) => c.notNull())
        .addUniqueConstraint('webhooks_account_name', ['account_id', 'name'])
        .execute();

      await db.schema
        .createTable('notifications')
        .addColumn('id', types.id.type, types.id.primaryKey)
        .addColumn('account_id', types.bigint, (c) => c.notNull().references('accounts.id'))
        .addColumn('audit_event_id', types.bigint, (c) => c.notNull())
        .addColumn('type', 'varchar(64)', (c) => c.notNull())
        .addColumn('at', types.bigint, (c) => c.notNull())
        .addColumn('account_name', 'varchar(64)', (c) => c.notNull())
        .addColumn('username', 'varchar(64)')
        .addColumn('serial', 'varchar(64)')
        .addColumn('actor', 'varchar(200)', (c) => c.notNull())
        .addColumn('client_ip', 'varchar(64)')
        .execute();

      await db.schema
        .createTable('webhook_deliveries')
        .addColumn('id', types.id.type, types.id.primaryKey)
        .addColumn('notification_id', types.bigint, (c) => c.notNull().references('notifications.id').onDelete('cascade'))
        .addColumn('webhook_id', types.bigint, (c) => c.notNull().references('webhooks.id').onDelete('cascade'))
        // pending | delivered | failed
        .addColumn('status', 'varchar(16)', (c) => c.notNull())
        .addColumn('attempts', 'integer', (c) => c.notNull())
        .addColumn('next_attempt_at', types.bigint, (c) => c.notNull())
        // While a worker sends it: no other worker (this instance or another) claims it before then.
        .addColumn('claimed_until', types.bigint)
        .addColumn('last_status', 'integer')
        .addColumn('last_error', 'varchar(200)')
        .addColumn('created_at', types.bigint, (c) => c.notNull())
        .addColumn('delivered_at', types.bigint)
        .execute();
      await db.schema.createIndex('webhook_deliveries_due').on('webhook_deliveries').columns(['status', 'next_attempt_at']).execute();
      await db.schema.createIndex('webhook_deliveries_webhook').on('webhook_deliveries').column('webhook_id').execute();

      await db.schema
        .createTable('email_deliveries')
        .addColumn('id', types.id.type, types.id.primaryKey)
        .addColumn('notification_id', types.bigint, (c) => c.notNull().references('notifications.id').onDelete('cascade'))
        .addColumn('recipient', 'varchar(320)', (c) => c.notNull())
        .addColumn('status', 'varchar(16)', (c) => c.notNull())
        .addColumn('attempts', 'integer', (c) => c.notNull())
        .addColumn('next_attempt_at', types.bigint, (c) => c.notNull())
        .addColumn('claimed_until', types.bigint)
        .addColumn('last_error', 'varchar(200)')
        .addColumn('created_at', types.bigint, (c) => c.notNull())
        .addColumn('delivered_at', types.bigint)
        .execute();
      await db.schema.createIndex('email_deliveries_due').on('email_deliveries').columns(['status', 'next_attempt_at']).execute();
    },
    async down(db: Kysely<unknown>) {
      await sql`drop table if exists email_deliveries`.execute(db);
      await sql`drop table if exists webhook_deliveries`.execute(db);
      await sql`drop table if exists notifications`.execute(db);
      await sql`drop table if exists webhooks`.execute(db);
    },
  };
}
