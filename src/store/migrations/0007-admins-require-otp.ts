// The account setting `adminsRequireOtp` (SPEC, "Administrators keep a way in"): administrators need a
// passcode at every console sign-in. Off (0) for every existing account.
import type { Kysely, Migration } from 'kysely';

export function adminsRequireOtpSchema(): Migration {
  return {
    async up(db: Kysely<unknown>) {
      await db.schema.alterTable('accounts').addColumn('admins_require_otp', 'integer', (c) => c.notNull().defaultTo(0)).execute();
    },
    async down(db: Kysely<unknown>) {
      await db.schema.alterTable('accounts').dropColumn('admins_require_otp').execute();
    },
  };
}
