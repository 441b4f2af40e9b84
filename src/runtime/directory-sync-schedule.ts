// The scheduled directory sync of `serve`: every OTPGATE_DIRECTORY_SYNC_MINUTES, the instance that takes
// the database lease syncs every account that has a directory; the others skip that round.
import { randomUUID } from 'node:crypto';
import type { Services } from '../services/services.js';
import { listDirectories } from '../store/directory-store.js';
import { takeLease } from '../store/lease-store.js';

const LEASE = 'directory-sync';

export interface SyncLog {
  info(event: object, message: string): void;
  error(event: object, message: string): void;
}

/** One round: take the lease for most of the interval, then sync each account; returns whether this instance ran it. */
export async function runScheduledSync(services: Services, intervalMs: number, holder: string, log: SyncLog): Promise<boolean> {
  // The lease outlives this round's work but expires before the next round, whoever holds it then.
  if (!(await takeLease(services.ctx.db, LEASE, holder, services.ctx.now(), Math.max(1000, intervalMs - 5000)))) return false;
  for (const directory of await listDirectories(services.ctx.db)) {
    const account = await services.accounts.byId(Number(directory.account_id));
    try {
      const report = await services.directorySync.sync({ name: 'directory-sync', accountId: null, clientIp: null }, account);
      const { plan } = report;
      log.info({ account: account.name, applied: report.applied, refused: report.refused, create: plan.create.length, update: plan.update.length, disable: plan.disable.length, enable: plan.enable.length }, 'directory sync');
    } catch (error) {
      // Audited by the sync itself; one account's failure does not stop the others.
      log.error({ account: account.name, err: error }, 'directory sync failed; nothing applied');
    }
  }
  return true;
}

export function scheduleDirectorySync(services: Services, minutes: number, log: SyncLog): { stop(): void } {
  if (minutes <= 0) return { stop() {} };
  const intervalMs = minutes * 60_000;
  const holder = randomUUID();
  let running = false;
  const timer = setInterval(() => {
    if (running) return;
    running = true;
    void runScheduledSync(services, intervalMs, holder, log)
      .catch((error: unknown) => log.error({ err: error }, 'directory sync round failed'))
      .finally(() => (running = false));
  }, intervalMs);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}
