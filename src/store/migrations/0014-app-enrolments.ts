// Authenticator apps (SPEC, "Time-based tokens"; issue 27): a user's pending enrolment (at most one: the
// sealed secret, the session it is bound to, when it ends), and the account settings `appEnrolment` (on by
// default) and `totpIssuer` (null: the account's name).
import type { Kysely, Migration } from 'kysely';
import type { ColumnTypes } from '../column-types.js';

export function appEnrolmentsSchema(types: ColumnTypes): Migration {
  return {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('app_enrolments')
        .addColumn('user_id', types.bigint, (c) => c.primaryKey().references('users.id').onDelete('cascade'))
        .addColumn('account_id', types.bigint, (c) => c.notNull())
        .addColumn('binding', 'varchar(64)', (c) => c.notNull())
        .addColumn('secret_sealed', types.bytes, (c) => c.notNull())
        .addColumn('expires_at', types.bigint, (c) => c.notNull())
        .addColumn('created_at', types.bigint, (c) => c.notNull())
        .execute();
      await db.schema.alterTable('accounts').addColumn('app_enrolment', 'integer', (c) => c.notNull().defaultTo(1)).execute();
      await db.schema.alterTable('accounts').addColumn('totp_issuer', 'varchar(64)').execute();
    },
    async down(db: Kysely<unknown>) {
      await db.schema.alterTable('accounts').dropColumn('totp_issuer').execute();
      await db.schema.alterTable('accounts').dropColumn('app_enrolment').execute();
      await db.schema.dropTable('app_enrolments').execute();
    },
  };
}
