// Waiting for a condition instead of sleeping a fixed time: a loaded machine only makes the wait longer,
// never the test wrong. The bound is generous; it exists so that a condition that never comes fails the
// test with a message instead of hanging it.
import { setTimeout as sleep } from 'node:timers/promises';

export interface WaitOptions {
  /** Give up after this long (default 30 s). */
  timeoutMs?: number;
  /** How often to look (default 20 ms). */
  intervalMs?: number;
}

/** Resolves once `condition()` is true (it may be async); throws "timed out waiting for WHAT" after the bound. */
export async function waitFor(what: string, condition: () => boolean | Promise<boolean>, options: WaitOptions = {}): Promise<void> {
  const deadline = performance.now() + (options.timeoutMs ?? 30_000);
  for (;;) {
    if (await condition()) return;
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(options.intervalMs ?? 20);
  }
}
