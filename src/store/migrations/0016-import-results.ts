// The console's seed-file import results (issue 29, item 12): the page after an upload redirects to its
// result (post/redirect/get), which is kept here for a short time under the hash of an id in the URL, bound
// to the session that uploaded; a dry run's upload (file, key or password, options) is kept sealed beside
// it, so that "Import now" runs it without sending the file and key again.
import type { Kysely, Migration } from 'kysely';
import type { ColumnTypes } from '../column-types.js';

export function importResultsSchema(types: ColumnTypes): Migration {
  return {
    async up(db: Kysely<unknown>) {
      await db.schema
        .createTable('import_results')
        .addColumn('id_hash', 'varchar(64)', (c) => c.primaryKey())
        .addColumn('account_id', types.bigint, (c) => c.notNull().references('accounts.id').onDelete('cascade'))
        .addColumn('binding', 'varchar(64)', (c) => c.notNull())
        .addColumn('report', 'text', (c) => c.notNull())
        .addColumn('upload_sealed', types.bytes)
        .addColumn('expires_at', types.bigint, (c) => c.notNull())
        .addColumn('created_at', types.bigint, (c) => c.notNull())
        .execute();
    },
    async down(db: Kysely<unknown>) {
      await db.schema.dropTable('import_results').execute();
    },
  };
}
