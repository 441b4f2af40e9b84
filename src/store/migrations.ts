// Versioned schema migrations. The statements are written once over Kysely's schema builder; the column
// types that differ per engine come from the engine's folder (sqlite/ or postgres/).
import { sql, type Kysely, type Migration, type MigrationProvider } from 'kysely';
import type { ColumnTypes } from './column-types.js';
import { directorySchema } from './migrations/0002-directory.js';
import { serialPerAccount } from './migrations/0003-serial-per-account.js';
import { groupRestrictionSchema } from './migrations/0004-group-restrictions.js';
import { notificationSchema } from './migrations/0005-notifications.js';
import { tokenLifeSchema } from './migrations/0006-token-life.js';
import { adminsRequireOtpSchema } from './migrations/0007-admins-require-otp.js';
import { canonicalUsernameSchema } from './migrations/0008-canonical-usernames.js';
import { auditChainsSchema } from './migrations/0009-audit-chains.js';
import { tokensPerUserSchema } from './migrations/0011-tokens-per-user.js';
import { oidcSchema } from './migrations/0010-oidc.js';
import { lostReportedSchema } from './migrations/0012-lost-reported.js';
import { timeBasedTokensSchema } from './migrations/0013-time-based-tokens.js';
import { appEnrolmentsSchema } from './migrations/0014-app-enrolments.js';
import { helpContactSchema } from './migrations/0015-help-contact.js';
import { importResultsSchema } from './migrations/0016-import-results.js';

function initialSchema(types: ColumnTypes): Migration {
  return {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('meta')
        .addColumn('key', 'varchar(64)', (c) => c.primaryKey())
        .addColumn('value', 'text', (c) => c.notNull())
        .execute();

      await db.schema
        .createTable('accounts')
        .addColumn('id', types.id.type, types.id.primaryKey)
        .addColumn('name', 'varchar(64)', (c) => c.notNull().unique())
        .addColumn('look_ahead_window', 'integer', (c) => c.notNull())
        .addColumn('associate_window', 'integer', (c) => c.notNull())
        .addColumn('sync_window', 'integer', (c) => c.notNull())
        .addColumn('max_failures', 'integer', (c) => c.notNull())
        .addColumn('self_association', 'integer', (c) => c.notNull())
        .addColumn('restriction', 'text')
        .addColumn('created_at', types.bigint, (c) => c.notNull())
        .execute();

      await db.schema
        .createTable('users')
        .addColumn('id', types.id.type, types.id.primaryKey)
        .addColumn('account_id', types.bigint, (c) => c.notNull().references('accounts.id'))
        .addColumn('username', 'varchar(64)', (c) => c.notNull())
        .addColumn('username_key', 'varchar(64)', (c) => c.notNull().unique())
        .addColumn('display_name', 'varchar(200)', (c) => c.notNull())
        .addColumn('role', 'varchar(16)', (c) => c.notNull())
        .addColumn('password_hash', 'text', (c) => c.notNull())
        .addColumn('restriction', 'text')
        .addColumn('created_at', types.bigint, (c) => c.notNull())
        .execute();
      await db.schema.createIndex('users_account').on('users').columns(['account_id', 'username_key']).execute();

      await db.schema
        .createTable('tokens')
        .addColumn('id', types.id.type, types.id.primaryKey)
        .addColumn('account_id', types.bigint, (c) => c.notNull().references('accounts.id'))
        .addColumn('serial', 'varchar(64)', (c) => c.notNull().unique())
        .addColumn('type', 'varchar(8)', (c) => c.notNull())
        .addColumn('algorithm', 'varchar(8)', (c) => c.notNull())
        .addColumn('digits', 'integer', (c) => c.notNull())
        .addColumn('counter', types.bigint, (c) => c.notNull())
        .addColumn('period_in_seconds', 'integer')
        .addColumn('time_offset_in_seconds', types.bigint, (c) => c.notNull().defaultTo(0))
        .addColumn('secret_sealed', types.bytes, (c) => c.notNull())
        .addColumn('status', 'varchar(16)', (c) => c.notNull())
        // One user per token and one token per user: a unique user_id (NULLs do not collide).
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
        .execute();
      await db.schema.createIndex('tokens_account_status').on('tokens').columns(['account_id', 'status']).execute();

      await db.schema
        .createTable('audit_events')
        .addColumn('id', types.id.type, types.id.primaryKey)
        .addColumn('account_id', types.bigint)
        .addColumn('at', types.bigint, (c) => c.notNull())
        .addColumn('actor', 'varchar(200)', (c) => c.notNull())
        .addColumn('action', 'varchar(64)', (c) => c.notNull())
        .addColumn('target_user', 'varchar(64)')
        .addColumn('target_serial', 'varchar(64)')
        .addColumn('client_ip', 'varchar(64)')
        .addColumn('outcome', 'varchar(32)', (c) => c.notNull())
        .addColumn('reason', 'varchar(200)')
        .addColumn('chain', 'varchar(64)', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('audit_account_at').on('audit_events').columns(['account_id', 'at']).execute();

      await db.schema
        .createTable('throttles')
        .addColumn('key', 'varchar(200)', (c) => c.primaryKey())
        .addColumn('consecutive_failures', 'integer', (c) => c.notNull())
        .addColumn('blocked_until', types.bigint, (c) => c.notNull())
        .addColumn('updated_at', types.bigint, (c) => c.notNull())
        .execute();

      await db.schema
        .createTable('api_keys')
        .addColumn('id', types.id.type, types.id.primaryKey)
        .addColumn('account_id', types.bigint, (c) => c.notNull().references('accounts.id'))
        .addColumn('name', 'varchar(100)', (c) => c.notNull())
        .addColumn('key_hash', 'varchar(64)', (c) => c.notNull().unique())
        .addColumn('scopes', 'varchar(100)', (c) => c.notNull())
        .addColumn('allow_client_ip', 'integer', (c) => c.notNull())
        .addColumn('created_at', types.bigint, (c) => c.notNull())
        .addColumn('last_used_at', types.bigint)
        .execute();

      await db.schema
        .createTable('sessions')
        .addColumn('id_hash', 'varchar(64)', (c) => c.primaryKey())
        .addColumn('account_id', types.bigint, (c) => c.notNull())
        .addColumn('user_id', types.bigint, (c) => c.notNull().references('users.id').onDelete('cascade'))
        .addColumn('stage', 'varchar(16)', (c) => c.notNull())
        .addColumn('csrf_token', 'varchar(64)', (c) => c.notNull())
        .addColumn('created_at', types.bigint, (c) => c.notNull())
        .addColumn('last_seen_at', types.bigint, (c) => c.notNull())
        .execute();
      await db.schema.createIndex('sessions_user').on('sessions').column('user_id').execute();

      await db.schema
        .createTable('radius_clients')
        .addColumn('id', types.id.type, types.id.primaryKey)
        .addColumn('account_id', types.bigint, (c) => c.notNull().references('accounts.id'))
        .addColumn('name', 'varchar(100)', (c) => c.notNull().unique())
        .addColumn('cidr', 'varchar(64)', (c) => c.notNull())
        .addColumn('secret_sealed', types.bytes, (c) => c.notNull())
        .addColumn('challenge', 'integer', (c) => c.notNull())
        .addColumn('require_message_authenticator', 'integer', (c) => c.notNull())
        .addColumn('trust_calling_station_id', 'integer', (c) => c.notNull())
        .addColumn('created_at', types.bigint, (c) => c.notNull())
        .execute();

      await db.schema
        .createTable('radius_challenges')
        .addColumn('state_hash', 'varchar(64)', (c) => c.primaryKey())
        .addColumn('client_id', types.bigint, (c) => c.notNull())
        .addColumn('username_key', 'varchar(64)', (c) => c.notNull())
        .addColumn('expires_at', types.bigint, (c) => c.notNull())
        .execute();
    },
    async down(db: Kysely<unknown>) {
      for (const table of ['radius_challenges', 'radius_clients', 'sessions', 'api_keys', 'throttles', 'audit_events', 'tokens', 'users', 'accounts', 'meta']) {
        await sql`drop table if exists ${sql.table(table)}`.execute(db);
      }
    },
  };
}

/** Migrations by name; names sort in the order they apply. */
export function migrationProvider(types: ColumnTypes): MigrationProvider {
  return {
    getMigrations: () =>
      Promise.resolve({
        '0001_initial_schema': initialSchema(types),
        '0002_directory': directorySchema(types),
        '0003_serial_per_account': serialPerAccount(types),
        '0004_group_restrictions': groupRestrictionSchema(types),
        '0005_notifications': notificationSchema(types),
        '0006_token_life': tokenLifeSchema(types),
        '0007_admins_require_otp': adminsRequireOtpSchema(),
        '0008_canonical_usernames': canonicalUsernameSchema(),
        '0009_audit_chains': auditChainsSchema(types),
        '0011_tokens_per_user': tokensPerUserSchema(types),
        '0010_oidc': oidcSchema(types),
        '0012_lost_reported': lostReportedSchema(types),
        '0013_time_based_tokens': timeBasedTokensSchema(),
        '0014_app_enrolments': appEnrolmentsSchema(types),
        '0015_help_contact': helpContactSchema(),
        '0016_import_results': importResultsSchema(types),
      }),
  };
}
