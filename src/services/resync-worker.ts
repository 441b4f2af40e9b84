// The worker thread that runs the re-sync search (see resync-search.ts): the pure core function, off the
// request thread. It receives a secret and two passcodes per job and answers with the counter or null;
// it logs nothing.
import { parentPort } from 'node:worker_threads';
import { findConsecutiveCounters, type CounterWindow } from '../core/otp-window.js';
import type { OtpParameters } from '../core/hotp.js';

export interface ResyncJob {
  id: number;
  secret: Uint8Array;
  first: string;
  second: string;
  window: CounterWindow;
  params: OtpParameters;
}

export type ResyncAnswer = { id: number; counter: number | null } | { id: number; error: string };

parentPort?.on('message', (job: ResyncJob) => {
  let answer: ResyncAnswer;
  try {
    answer = { id: job.id, counter: findConsecutiveCounters(job.secret, job.first, job.second, job.window, job.params) };
  } catch (error) {
    answer = { id: job.id, error: error instanceof Error ? error.message : 'search failed' };
  }
  parentPort?.postMessage(answer);
});
