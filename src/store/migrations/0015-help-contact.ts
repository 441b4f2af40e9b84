// The account setting `helpContact` (issue 29, item 9): whom a user asks when a sign-in is refused or a token
// is lost, shown on the sign-in page (null: nothing shown).
import type { Kysely, Migration } from 'kysely';

export function helpContactSchema(): Migration {
  return {
    async up(db: Kysely<unknown>) {
      await db.schema.alterTable('accounts').addColumn('help_contact', 'varchar(200)').execute();
    },
    async down(db: Kysely<unknown>) {
      await db.schema.alterTable('accounts').dropColumn('help_contact').execute();
    },
  };
}
