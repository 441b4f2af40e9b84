// When a token's user reported it lost (issue #29): the console and the API show such a disabled token as
// "Reported lost" rather than as one an administrator disabled. Null for every existing token (a report made
// before this migration stays shown as disabled; its audit event remains).
import type { Kysely, Migration } from 'kysely';
import type { ColumnTypes } from '../column-types.js';

export function lostReportedSchema(types: ColumnTypes): Migration {
  return {
    async up(db: Kysely<unknown>) {
      await db.schema.alterTable('tokens').addColumn('lost_reported_at', types.bigint).execute();
    },
    async down(db: Kysely<unknown>) {
      await db.schema.alterTable('tokens').dropColumn('lost_reported_at').execute();
    },
  };
}
