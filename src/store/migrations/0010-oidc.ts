// The OpenID Provider (SPEC, "OpenID Connect provider"): the provider's models (codes, tokens, sessions,
// grants, interactions) as JSON payloads keyed by model and id, with the columns its look-ups and the
// one-time redemption need; clients per account; signing keys sealed under the master key; and how a
// console session was proven (otp_at: when its passcode step was passed, null for a password alone).
import type { Kysely, Migration } from 'kysely';
import type { ColumnTypes } from '../column-types.js';

export function oidcSchema(types: ColumnTypes): Migration {
  return {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('oidc_models')
        .addColumn('model', 'varchar(40)', (c) => c.notNull())
        .addColumn('id', 'varchar(255)', (c) => c.notNull())
        .addColumn('payload', 'text', (c) => c.notNull())
        .addColumn('grant_id', 'varchar(255)')
        .addColumn('uid', 'varchar(255)')
        .addColumn('user_id', types.bigint)
        .addColumn('expires_at', types.bigint)
        .addColumn('consumed_at', types.bigint)
        .addPrimaryKeyConstraint('oidc_models_pk', ['model', 'id'])
        .execute();
      await db.schema.createIndex('oidc_models_grant').on('oidc_models').column('grant_id').execute();
      await db.schema.createIndex('oidc_models_uid').on('oidc_models').column('uid').execute();
      await db.schema.createIndex('oidc_models_user').on('oidc_models').column('user_id').execute();
      await db.schema.createIndex('oidc_models_expiry').on('oidc_models').column('expires_at').execute();

      await db.schema
        .createTable('oidc_clients')
        .addColumn('id', types.id.type, types.id.primaryKey)
        .addColumn('account_id', types.bigint, (c) => c.notNull().references('accounts.id'))
        .addColumn('client_id', 'varchar(64)', (c) => c.notNull().unique())
        .addColumn('name', 'varchar(64)', (c) => c.notNull())
        .addColumn('public', 'integer', (c) => c.notNull())
        .addColumn('secret_sealed', types.bytes)
        .addColumn('redirect_uris', 'text', (c) => c.notNull())
        .addColumn('post_logout_redirect_uris', 'text', (c) => c.notNull())
        .addColumn('allowed_groups', 'text', (c) => c.notNull())
        .addColumn('created_at', types.bigint, (c) => c.notNull())
        .addUniqueConstraint('oidc_clients_name', ['account_id', 'name'])
        .execute();

      await db.schema
        .createTable('oidc_keys')
        .addColumn('kid', 'varchar(64)', (c) => c.primaryKey())
        .addColumn('private_sealed', types.bytes, (c) => c.notNull())
        // next: published, not yet signing; current: signing; retired: published for verification until retire_at.
        .addColumn('status', 'varchar(16)', (c) => c.notNull())
        .addColumn('created_at', types.bigint, (c) => c.notNull())
        .addColumn('retire_at', types.bigint)
        .execute();

      await db.schema.alterTable('sessions').addColumn('otp_at', types.bigint).execute();
    },
    async down(db: Kysely<unknown>) {
      await db.schema.alterTable('sessions').dropColumn('otp_at').execute();
      await db.schema.dropTable('oidc_keys').execute();
      await db.schema.dropTable('oidc_clients').execute();
      await db.schema.dropTable('oidc_models').execute();
    },
  };
}
