// The delivery worker of `serve`: every second it sends the webhook deliveries and e-mails that are due (new ones, and
// failed ones whose wait is over). Several instances each run one; a delivery is claimed by exactly one.
// It runs beside the request path and never delays a sign-in: a notification was committed with its audit
// event, and sending it is this worker's work alone.
import type { Services } from '../services/services.js';

const POLL_MS = 1000;

export interface DeliveryLog {
  info(event: object, message: string): void;
  error(event: object, message: string): void;
}

export function startDeliveryWorker(services: Services, log: DeliveryLog, pollMs = POLL_MS): { stop(): Promise<void> } {
  let round: Promise<void> | null = null;
  let stopped = false;
  const run = async () => {
    // Rounds follow one another while work is due, then the worker waits for the next tick.
    for (;;) {
      const done = await services.notifications.deliverDue();
      if (done.claimed > 0) log.info({ ...done }, 'webhook deliveries');
      if (stopped || done.claimed === 0) return;
    }
  };
  const timer = setInterval(() => {
    if (round !== null || stopped) return;
    round = run()
      .catch((error: unknown) => log.error({ err: error }, 'webhook delivery round failed; retried next round'))
      .finally(() => (round = null));
  }, pollMs);
  timer.unref();
  return {
    // Attempts in flight finish (each is bounded by its 5 s timeout); their results are recorded.
    async stop() {
      stopped = true;
      clearInterval(timer);
      await round;
      services.notifications.close();
    },
  };
}
