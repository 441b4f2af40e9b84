// Several real `otpgate serve` processes on one fresh PostgreSQL database, and plain HTTP requests to them
// (from a chosen local address when a test needs the client to be someone other than 127.0.0.1).
import { spawn, type ChildProcess } from 'node:child_process';
import { rm } from 'node:fs/promises';
import { request as httpRequest } from 'node:http';
import { join } from 'node:path';
import { loadConfig } from '../../src/runtime/config.js';
import { openInstance, type Instance } from '../../src/runtime/instance.js';
import { BIN } from '../helpers/cli.js';
import { createTestDatabase, type TestDatabase } from './test-database.js';
import { makeTempDir } from '../helpers/temp-dir.js';

export interface Server {
  url: string;
  /** Everything the process printed on stdout so far. */
  output(): string;
  /** Everything the process printed on stderr so far (its error log). */
  errorOutput(): string;
  /** True while the process runs. */
  alive(): boolean;
  stop(): Promise<void>;
}

/** Starts `otpgate serve` and waits for "otpgate listening on URL". */
export function startServer(env: NodeJS.ProcessEnv, label: string): Promise<Server> {
  const child: ChildProcess = spawn(process.execPath, [BIN, 'serve'], {
    env: { PATH: process.env.PATH, OTPGATE_PORT: '0', OTPGATE_LOG_LEVEL: 'error', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    }
  };
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      void stop().then(() => reject(new Error(`${label} did not start in 60 s; stdout: ${stdout} stderr: ${stderr}`)));
    }, 60_000);
    child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.stdout!.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      const match = /otpgate listening on (http:\/\/\S+?)(,|\s)/.exec(stdout);
      if (match?.[1]) {
        clearTimeout(timer);
        resolve({ url: match[1], output: () => stdout, errorOutput: () => stderr, alive: () => child.exitCode === null && child.signalCode === null, stop });
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${label} exited with ${code} before listening; stdout: ${stdout} stderr: ${stderr}`));
    });
  });
}

export interface Response {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: unknown;
}

export interface RequestOptions {
  method?: string;
  headers?: Record<string, string>;
  json?: unknown;
  /** The client socket's own address, e.g. 127.0.0.2. */
  localAddress?: string;
}

export function request(url: string, options: RequestOptions = {}): Promise<Response> {
  const body = options.json === undefined ? undefined : JSON.stringify(options.json);
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      url,
      {
        method: options.method ?? (body ? 'POST' : 'GET'),
        headers: { ...(body ? { 'content-type': 'application/json' } : {}), ...options.headers },
        ...(options.localAddress ? { localAddress: options.localAddress } : {}),
        agent: false,
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (text += chunk));
        res.on('end', () => {
          let parsed: unknown = text;
          try {
            parsed = JSON.parse(text);
          } catch {
            // not JSON: keep the text
          }
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: parsed });
        });
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

export interface Cluster {
  database: TestDatabase;
  dir: string;
  /** The environment every instance runs with (same database, same master key file). */
  env: NodeJS.ProcessEnv;
  servers: Server[];
  /** An in-process instance on the same database, for setting up users, tokens and keys. */
  admin: Instance;
  close(): Promise<void>;
}

/**
 * Starts `count` instances together on an empty database (they race to initialise it) and opens an
 * in-process instance on it. `databaseUrl` replaces the database's own URL for the servers (a proxy).
 */
export async function startCluster(count: number, extraEnv: NodeJS.ProcessEnv = {}, serverUrl?: (database: TestDatabase) => string): Promise<Cluster> {
  const database = await createTestDatabase();
  const dir = makeTempDir('otpgate-cluster-');
  const env: NodeJS.ProcessEnv = {
    OTPGATE_DATABASE_URL: database.url,
    OTPGATE_DATA_DIR: join(dir, 'data'),
    OTPGATE_KEY_FILE: join(dir, 'keys', 'master.key'),
    OTPGATE_SCRYPT_LOG2N: '10',
    ...extraEnv,
  };
  const servers: Server[] = [];
  let admin: Instance | undefined;
  const close = async () => {
    await Promise.all(servers.map((s) => s.stop()));
    await admin?.close();
    await database.drop();
    await rm(dir, { recursive: true, force: true });
  };
  try {
    const serverEnv = { ...env, ...(serverUrl ? { OTPGATE_DATABASE_URL: serverUrl(database) } : {}) };
    const started = await Promise.allSettled(Array.from({ length: count }, (_, i) => startServer(serverEnv, `instance ${String.fromCharCode(65 + i)}`)));
    for (const result of started) if (result.status === 'fulfilled') servers.push(result.value);
    const failed = started.find((r) => r.status === 'rejected');
    if (failed) throw failed.reason;
    admin = await openInstance(loadConfig(env));
    return { database, dir, env, servers, admin, close };
  } catch (error) {
    await close();
    throw error;
  }
}
