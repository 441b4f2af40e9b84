// The re-sync search off the request thread. With a sync window of thousands of counters the search takes
// one HMAC per counter (about 15 ms per 10,000 on an idle core, far more under load), and on the event
// loop it held up every other request meanwhile. Large searches run in one worker thread, started on first
// use and not keeping the process alive; small ones run inline (posting them would cost more than the search).
import { Worker } from 'node:worker_threads';
import { findConsecutiveCounters, type CounterWindow } from '../core/otp-window.js';
import type { OtpParameters } from '../core/hotp.js';
import type { ResyncAnswer, ResyncJob } from './resync-worker.js';

/** Windows up to this many counters are searched inline. */
const INLINE_WINDOW = 256;

// Built, the worker is resync-worker.js beside this file. Under tsx (tests, development) this module and
// its worker are .ts files, and a worker does not inherit tsx's loader: it registers it, then imports.
const fromSource = import.meta.url.endsWith('.ts');

function startWorker(): Worker {
  if (!fromSource) return new Worker(new URL('./resync-worker.js', import.meta.url));
  const source = new URL('./resync-worker.ts', import.meta.url).href;
  const boot = `import('tsx/esm/api').then(({ register }) => { register(); return import(${JSON.stringify(source)}); });`;
  return new Worker(boot, { eval: true });
}

let worker: Worker | null = null;
let nextId = 1;
const pending = new Map<number, { resolve: (counter: number | null) => void; reject: (error: Error) => void }>();

function failAll(error: Error): void {
  for (const job of pending.values()) job.reject(error);
  pending.clear();
}

function theWorker(): Worker {
  if (worker) return worker;
  const started = startWorker();
  started.unref();
  started.on('message', (answer: ResyncAnswer) => {
    const job = pending.get(answer.id);
    if (!job) return;
    pending.delete(answer.id);
    if ('error' in answer) job.reject(new Error(answer.error));
    else job.resolve(answer.counter);
    if (pending.size === 0) started.unref();
  });
  // A worker that fails or exits fails the searches it held; the next search starts a new one.
  const lost = (error: Error): void => {
    if (worker === started) worker = null;
    failAll(error);
  };
  started.on('error', lost);
  started.on('exit', (code) => lost(new Error(`re-sync worker exited (${code})`)));
  worker = started;
  return started;
}

/** findConsecutiveCounters, in the worker thread when the window is large. Same answer either way. */
export function searchConsecutiveCounters(secret: Uint8Array, first: string, second: string, window: CounterWindow, params: OtpParameters): Promise<number | null> {
  if (window.size <= INLINE_WINDOW) return Promise.resolve(findConsecutiveCounters(secret, first, second, window, params));
  return new Promise((resolve, reject) => {
    const job: ResyncJob = { id: nextId++, secret: Uint8Array.from(secret), first, second, window, params };
    const target = theWorker();
    pending.set(job.id, { resolve, reject });
    // Referenced while a search is pending, so a process waiting for one does not exit under it.
    target.ref();
    target.postMessage(job);
  });
}
