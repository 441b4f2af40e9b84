// Time-based tokens (SPEC, third milestone, "Time-based tokens"; issue 27). A TOTP token keeps its clock's
// drift (`tokens.drift_steps`: the steps its clock runs ahead of the server's, negative when behind; recorded
// by a re-sync, 0 until then), and each account gets the two TOTP windows: `totp_window` (steps accepted either
// side of the token's drifted step, default 1) and `totp_sync_steps` (how far a re-sync searches either side,
// default 2,880: a day at 30 s). Nothing existing changes: every token starts with no drift.
import type { Kysely, Migration } from 'kysely';

export function timeBasedTokensSchema(): Migration {
  return {
    async up(db: Kysely<unknown>) {
      await db.schema.alterTable('tokens').addColumn('drift_steps', 'integer', (c) => c.notNull().defaultTo(0)).execute();
      await db.schema.alterTable('accounts').addColumn('totp_window', 'integer', (c) => c.notNull().defaultTo(1)).execute();
      await db.schema.alterTable('accounts').addColumn('totp_sync_steps', 'integer', (c) => c.notNull().defaultTo(2880)).execute();
    },
    async down(db: Kysely<unknown>) {
      await db.schema.alterTable('accounts').dropColumn('totp_sync_steps').execute();
      await db.schema.alterTable('accounts').dropColumn('totp_window').execute();
      await db.schema.alterTable('tokens').dropColumn('drift_steps').execute();
    },
  };
}
