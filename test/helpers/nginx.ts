// A real nginx (Debian's nginx-light) on a free loopback port, round-robin in front of the given upstreams
// (host:port), with an access log naming the upstream that served each request. For tests that race requests
// across instances the way a load balancer spreads them. `stop` ends it and removes its directory.
import { spawn } from 'node:child_process';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { freePort } from './ports.js';
import { makeTempDir } from './temp-dir.js';

export interface Nginx {
  /** `http://127.0.0.1:PORT` */
  url: string;
  /** The upstream (host:port) that served each request so far, in order. */
  servedBy(): Promise<string[]>;
  stop(): Promise<void>;
}

export async function startNginx(upstreams: string[]): Promise<Nginx> {
  const prefix = makeTempDir('otpgate-nginx-');
  await mkdir(join(prefix, 'temp'), { recursive: true });
  const port = await freePort();
  const accessLog = join(prefix, 'access.log');
  const conf = [
    'daemon off;',
    'worker_processes 1;',
    `pid ${join(prefix, 'nginx.pid')};`,
    `error_log ${join(prefix, 'error.log')} warn;`,
    'events { worker_connections 512; }',
    'http {',
    "    log_format upstream '$upstream_addr';",
    `    access_log ${accessLog} upstream;`,
    ...['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map((t) => `    ${t}_temp_path ${join(prefix, 'temp', t)};`),
    `    upstream otpgate { ${upstreams.map((u) => `server ${u};`).join(' ')} }`,
    `    server { listen 127.0.0.1:${port}; location / { proxy_pass http://otpgate; proxy_set_header Host $http_host; } }`,
    '}',
  ].join('\n');
  await writeFile(join(prefix, 'nginx.conf'), conf);
  const nginx = spawn('/usr/sbin/nginx', ['-p', prefix, '-e', join(prefix, 'error.log'), '-c', join(prefix, 'nginx.conf')], { stdio: 'ignore' });
  const url = `http://127.0.0.1:${port}`;
  const stop = async () => {
    if (nginx.exitCode === null) {
      const exited = new Promise((resolve) => nginx.once('exit', resolve));
      nginx.kill('SIGQUIT');
      await exited;
    }
    await rm(prefix, { recursive: true, force: true });
  };
  for (let attempt = 0; ; attempt++) {
    const up = await fetch(url, { signal: AbortSignal.timeout(2000) }).catch(() => null);
    if (up) break;
    if (attempt > 100 || nginx.exitCode !== null) {
      const log = await readFile(join(prefix, 'error.log'), 'utf8').catch(() => '');
      await stop();
      throw new Error(`nginx did not start: ${log}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  const servedBy = async () => (await readFile(accessLog, 'utf8')).split('\n').filter((line) => line !== '');
  return { url, servedBy, stop };
}
