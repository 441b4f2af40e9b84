// Named leases: work that exactly one of several instances does at a time (the scheduled directory sync).
// Taken by a conditional update whose affected-row count decides who won, on SQLite and PostgreSQL alike.
import type { Executor } from './transaction.js';

/** Takes the lease when it is free or expired; true for the one caller that got it. */
export async function takeLease(db: Executor, name: string, holder: string, now: number, durationMs: number): Promise<boolean> {
  await db
    .insertInto('leases')
    .values({ name, holder: '', expires_at: 0 })
    .onConflict((oc) => oc.column('name').doNothing())
    .execute();
  const result = await db.updateTable('leases').set({ holder, expires_at: now + durationMs }).where('name', '=', name).where('expires_at', '<=', now).executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

/** Holds (or renews) a lease that is its holder's alone by name (a running server's "in use" mark). */
export async function holdLease(db: Executor, name: string, holder: string, now: number, durationMs: number): Promise<void> {
  await db
    .insertInto('leases')
    .values({ name, holder, expires_at: now + durationMs })
    .onConflict((oc) => oc.column('name').doUpdateSet({ holder, expires_at: now + durationMs }))
    .execute();
}

export async function releaseLease(db: Executor, name: string): Promise<void> {
  await db.deleteFrom('leases').where('name', '=', name).execute();
}
