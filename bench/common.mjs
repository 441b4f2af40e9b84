// Shared helpers for the benchmark: statistics, an independent HOTP for making test codes, child processes.
import { createHmac } from 'node:crypto';
import { spawn } from 'node:child_process';
import { once } from 'node:events';

/**
 * The compiled otpgate module at `path` under dist/: the benchmark measures the build, not src/. Loaded by a
 * computed path, so the type-check (tsconfig.scripts.json) reads its types from src/ (each caller says which
 * module: `typeof import('../src/…')`) instead of checking dist/'s JavaScript.
 * @param {string} path
 * @returns {Promise<unknown>}
 */
export function fromDist(path) {
  return import(new URL(`../dist/${path}`, import.meta.url).href);
}

/**
 * A user in a plan of the load generator (bench/load.mjs) or the re-sync driver (bench/resync-driver.mjs):
 * its token's secret in hex, the next counter to send and the passcode's digits.
 * @typedef {{ username: string, secretHex: string, counter: number, digits: number }} PlanUser
 */

/**
 * Median, min, max and the spread (max - min) / median of a list of round figures (at least one).
 * @param {number[]} values
 */
export function summarize(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (/** @type {number} */ i) => /** @type {number} */ (sorted[i]);
  const mid = sorted.length >> 1;
  const median = sorted.length % 2 ? at(mid) : (at(mid - 1) + at(mid)) / 2;
  const min = at(0);
  const max = at(sorted.length - 1);
  return { median, min, max, spread: median === 0 ? 0 : (max - min) / median, rounds: values };
}

/**
 * HOTP (RFC 4226) written here from node:crypto alone, so the codes the load generator sends do not come
 * from the code under test.
 */
/**
 * @param {Buffer} secret
 * @param {number} counter
 * @param {number} [digits]
 */
export function hotp(secret, counter, digits = 6) {
  const message = Buffer.alloc(8);
  message.writeUInt32BE(Math.floor(counter / 2 ** 32), 0);
  message.writeUInt32BE(counter >>> 0, 4);
  const mac = createHmac('sha1', secret).update(message).digest();
  const offset = /** @type {number} */ (mac[mac.length - 1]) & 0x0f;
  return ((mac.readUInt32BE(offset) & 0x7fffffff) % 10 ** digits).toString().padStart(digits, '0');
}

/**
 * Starts a child process and resolves once `ready` matches a line of its standard output, or (for a
 * process that prints nothing when ready, like nginx) once `probe(child)`, polled every 100 ms, resolves to
 * a truthy value (given as `match`). The child is registered so that `stopAll` ends it even when the
 * benchmark fails.
 */
/** @type {Set<import('node:child_process').ChildProcess>} */
const children = new Set();

/**
 * @typedef {object} StartOptions
 * @property {NodeJS.ProcessEnv} [env]
 * @property {RegExp} [ready]
 * @property {(child: import('node:child_process').ChildProcess) => Promise<unknown>} [probe]
 * @property {number} [timeoutMs]
 * @property {string} [cwd]
 */

/**
 * @param {string} command
 * @param {string[]} args
 * @param {StartOptions} [options]
 * @returns {Promise<{ child: import('node:child_process').ChildProcess, match: any }>}
 */
export function startProcess(command, args, { env = process.env, ready, probe, timeoutMs = 30_000, cwd } = {}) {
  const child = spawn(command, args, { env, cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(child);
  child.once('exit', () => children.delete(child));
  let stdout = '';
  let stderr = '';
  const out = /** @type {import('node:stream').Readable} */ (child.stdout);
  const err = /** @type {import('node:stream').Readable} */ (child.stderr);
  out.setEncoding('utf8');
  err.setEncoding('utf8');
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      stop(child);
      reject(new Error(`${args.join(' ')} did not start within ${timeoutMs} ms\n${stderr}`));
    }, timeoutMs);
    out.on('data', (/** @type {string} */ chunk) => {
      // Only the start-up lines are kept; afterwards the output is drained and dropped.
      if (stdout.length < 64 * 1024) stdout += chunk;
      const match = ready && ready.exec(stdout);
      if (match) {
        clearTimeout(timer);
        resolve({ child, match });
      }
    });
    err.on('data', (/** @type {string} */ chunk) => {
      if (stderr.length < 64 * 1024) stderr += chunk;
    });
    let settled = false;
    child.once('exit', (code) => {
      settled = true;
      clearTimeout(timer);
      reject(new Error(`${args.join(' ')} exited with ${code} before it was ready\n${stderr}`));
    });
    if (probe) {
      const poll = async () => {
        if (settled) return;
        const match = await probe(child).catch(() => null);
        if (settled) return;
        if (match) {
          settled = true;
          clearTimeout(timer);
          resolve({ child, match });
        } else setTimeout(poll, 100);
      };
      void poll();
    }
  });
}

/**
 * Stops one child we started (`signal`, SIGTERM by default, then SIGKILL after 5 s) and waits for it to exit.
 * @param {import('node:child_process').ChildProcess} child
 * @param {NodeJS.Signals} [signal]
 */
export async function stop(child, signal = 'SIGTERM') {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill(signal);
  const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
  await exited;
  clearTimeout(timer);
}

export async function stopAll() {
  await Promise.all([...children].map((child) => stop(child)));
}

/**
 * @typedef {object} RunOptions
 * @property {NodeJS.ProcessEnv} [env]
 * @property {string} [cwd]
 * @property {string} [input]
 * @property {number} [timeoutMs]
 */

/**
 * Runs a child to completion; resolves with its exit code, standard output and error.
 * @param {string} command
 * @param {string[]} args
 * @param {RunOptions} [options]
 * @returns {Promise<{ code: number, stdout: string, stderr: string }>}
 */
export function runProcess(command, args, { env = process.env, cwd, input, timeoutMs = 300_000 } = {}) {
  const child = spawn(command, args, { env, cwd, stdio: [input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'] });
  children.add(child);
  let stdout = '';
  let stderr = '';
  /** @type {import('node:stream').Readable} */ (child.stdout).setEncoding('utf8').on('data', (/** @type {string} */ c) => (stdout += c));
  /** @type {import('node:stream').Readable} */ (child.stderr).setEncoding('utf8').on('data', (/** @type {string} */ c) => (stderr += c));
  if (input !== undefined) /** @type {import('node:stream').Writable} */ (child.stdin).end(input);
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  return new Promise((resolve) => {
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      children.delete(child);
      resolve({ code: code ?? (signal ? 128 : 1), stdout, stderr });
    });
  });
}

/**
 * Runs a bench child that prints one JSON document on its last output line.
 * @param {string} command
 * @param {string[]} args
 * @param {RunOptions} [options]
 * @returns {Promise<any>}
 */
export async function runJson(command, args, options) {
  const { code, stdout, stderr } = await runProcess(command, args, options);
  if (code !== 0) throw new Error(`${args.join(' ')} exited with ${code}\n${stderr}${stdout}`);
  const last = stdout.trim().split('\n').pop();
  return JSON.parse(last ?? '');
}
