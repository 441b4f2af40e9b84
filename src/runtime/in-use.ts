// A running server marks the database as in use (a lease it renews, store/lease-store.ts), so that
// `otpgate restore` refuses to replace the file under it: writes the server made after the swap would
// vanish at its next start (docs/operations.md, "Backup and restore").
import { hostname } from 'node:os';
import type { Kysely } from 'kysely';
import { holdLease, releaseLease } from '../store/lease-store.js';
import type { Database } from '../store/schema.js';

/** Lease names of running servers start so; restore looks for any that has not expired. */
export const SERVER_LEASE_PREFIX = 'server:';
/** A server renews its mark this often; one killed without a shutdown holds the database for up to SERVER_LEASE_MS. */
const RENEW_MS = 10_000;
export const SERVER_LEASE_MS = 30_000;

export interface InUseMark {
  stop(): Promise<void>;
}

/** Marks the database as in use by this server until `stop` (at shutdown). */
export async function markInUse(db: Kysely<Database>, onError: (error: unknown) => void): Promise<InUseMark> {
  const name = `${SERVER_LEASE_PREFIX}${hostname()}:${process.pid}`;
  const holder = `otpgate serve, pid ${process.pid} on ${hostname()}`;
  const renew = () => holdLease(db, name, holder, Date.now(), SERVER_LEASE_MS);
  await renew();
  const timer = setInterval(() => void renew().catch(onError), RENEW_MS);
  timer.unref();
  return {
    async stop() {
      clearInterval(timer);
      await releaseLease(db, name).catch(onError);
    },
  };
}
