// nginx as the load balancer in front of several servers, as operators deploy otpgate (docs/several-instances.md):
// Debian's nginx-light (scripts/install-test-tools.sh installs it), started from a configuration written in a
// directory of the benchmark's work directory, one worker, upstream keep-alive, listening on 127.0.0.1.
import { execFile } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { startProcess } from './common.mjs';

/**
 * A started nginx: its master process, its URL, its directory, and its worker processes' ids.
 * @typedef {{ child: import('node:child_process').ChildProcess, url: string, dir: string, workerPids: () => Promise<number[]> }} Nginx
 */

export const NGINX = process.env.BENCH_NGINX ?? '/usr/sbin/nginx';

export function nginxAvailable() {
  return existsSync(NGINX);
}

/** A port free on 127.0.0.1 now (bound to port 0, then closed). */
async function freePort() {
  const server = createServer();
  await new Promise((resolve, reject) => server.once('error', reject).listen(0, '127.0.0.1', () => resolve(undefined)));
  const { port } = /** @type {import('node:net').AddressInfo} */ (server.address());
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/**
 * Whether 127.0.0.1:`port` accepts a connection now.
 * @param {number} port
 * @returns {Promise<boolean>}
 */
function accepts(port) {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/**
 * The child processes of `pid` (nginx's workers: the master's /proc/PID/stat does not count their CPU).
 * @param {number | undefined} pid
 * @returns {Promise<number[]>}
 */
export async function childPids(pid) {
  try {
    const { stdout } = await promisify(execFile)('pgrep', ['-P', String(pid)]);
    return stdout.split('\n').filter(Boolean).map(Number);
  } catch {
    return []; // pgrep exits with 1 when there is none
  }
}

/**
 * The configuration: every path nginx writes inside `dir`, no access log, one upstream of `servers`
 * ("127.0.0.1:PORT") with keep-alive connections, the client's address in X-Forwarded-For.
 */
/**
 * @param {string} dir
 * @param {string[]} servers
 * @param {number} port
 */
function configuration(dir, servers, port) {
  const temp = join(dir, 'temp');
  return [
    'daemon off;',
    'master_process on;',
    'worker_processes 1;',
    // As root the workers would run as nobody, who cannot enter the work directory (mode 0700).
    ...(process.getuid?.() === 0 ? ['user root;'] : []),
    `pid ${join(dir, 'nginx.pid')};`,
    `error_log ${join(dir, 'error.log')} warn;`,
    'events { worker_connections 1024; }',
    'http {',
    '    access_log off;',
    ...['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map((kind) => `    ${kind}_temp_path ${join(temp, kind)};`),
    '    upstream backends {',
    ...servers.map((server) => `        server ${server};`),
    '        keepalive 64;',
    '    }',
    '    server {',
    `        listen 127.0.0.1:${port};`,
    '        location / {',
    '            proxy_pass http://backends;',
    '            proxy_http_version 1.1;',
    '            proxy_set_header Connection "";',
    '            proxy_set_header X-Forwarded-For $remote_addr;',
    '        }',
    '    }',
    '}',
    '',
  ].join('\n');
}

/**
 * Starts nginx in front of `servers` (URLs). `wrap(command, args)` gives the command line actually run
 * (taskset). Resolves once it accepts connections and its worker runs: { child, url, dir, workerPids() }.
 * @param {string} dir
 * @param {string[]} servers
 * @param {(command: string, args: string[]) => [string, string[]]} [wrap]
 * @returns {Promise<Nginx>}
 */
export async function startNginx(dir, servers, wrap = (command, args) => [command, args]) {
  mkdirSync(join(dir, 'temp'), { recursive: true });
  const conf = join(dir, 'nginx.conf');
  const errorLog = join(dir, 'error.log');
  // Several tries: another process may take the port between freePort and nginx's bind.
  for (let attempt = 1; ; attempt++) {
    const port = await freePort();
    writeFileSync(conf, configuration(dir, servers.map((url) => new URL(url).host), port));
    const [command, args] = wrap(NGINX, ['-p', dir, '-e', errorLog, '-c', conf]);
    try {
      const { child } = await startProcess(command, args, {
        probe: async (c) => (await accepts(port)) && (await childPids(c.pid)).length > 0,
        timeoutMs: 15_000,
      });
      return { child, url: `http://127.0.0.1:${port}`, dir, workerPids: () => childPids(child.pid) };
    } catch (error) {
      if (attempt >= 3 || !/Address already in use/.test(String(/** @type {Error} */ (error).message))) throw error;
    }
  }
}

/**
 * Stops nginx: SIGQUIT (graceful), SIGTERM (fast) after 5 s, then SIGKILL to the master and its workers (a
 * worker outlives a killed master), and waits for the master to exit.
 * @param {Nginx} nginx
 */
export async function stopNginx(nginx) {
  const { child } = nginx;
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  const workers = await childPids(child.pid);
  const wait = (/** @type {number} */ ms) => Promise.race([exited.then(() => true), new Promise((resolve) => setTimeout(() => resolve(false), ms).unref())]);
  child.kill('SIGQUIT');
  if (await wait(5000)) return;
  child.kill('SIGTERM');
  if (await wait(5000)) return;
  for (const pid of [...workers, ...(await childPids(child.pid))]) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  child.kill('SIGKILL');
  await exited;
}
