// The API app fixture, not product code: a real installation in a temp directory (SQLite file, master key), the
// real services and the real Fastify app, two accounts with users, tokens and API keys, a clock the test
// moves, and passcodes from Debian's oathtool.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import type { LightMyRequestResponse } from 'fastify';
import { buildServer, type App } from '../../src/http/app.js';
import { loadConfig, type Config } from '../../src/runtime/config.js';
import { initInstance, type Instance } from '../../src/runtime/instance.js';
import { OPERATOR } from '../../src/services/context.js';
import type { Services } from '../../src/services/services.js';
import type { AccountRow } from '../../src/store/schema.js';
import { BIN } from './cli.js';
import { oathCode } from './otp.js';
import { randomSecretHex } from './secrets.js';

export const PASSWORD = 'correct horse battery';

export interface SeedToken {
  serial: string;
  hex: string;
}

export function newToken(serial: string): SeedToken {
  return { serial, hex: randomSecretHex() };
}

export interface Clock {
  now: number;
  advance(seconds: number): void;
}

export interface Fixture {
  dir: string;
  config: Config;
  instance: Instance;
  services: Services;
  app: App;
  clock: Clock;
  acme: AccountRow;
  globex: AccountRow;
  /** API keys by name; the `*B` ones belong to globex, the others to acme. */
  keys: {
    admin: string;
    check: string;
    otpOnly: string;
    clientIp: string;
    adminB: string;
    checkB: string;
  };
  /** acme's tokens: alice's (associated at counter 0, so C = 1), and spares in the inventory. */
  aliceToken: SeedToken;
  spare: SeedToken[];
  /** globex's token (associated with zed). */
  zedToken: SeedToken;
  close(): Promise<void>;
}

export interface FixtureOptions {
  env?: Record<string, string>;
}

export function testEnv(dir: string, extra: Record<string, string> = {}): Record<string, string> {
  return { OTPGATE_DATA_DIR: dir, OTPGATE_SCRYPT_LOG2N: '10', OTPGATE_PORT: '0', OTPGATE_LOG_LEVEL: 'warn', ...extra };
}

function csvOf(tokens: SeedToken[]): string {
  return `# serial, secret, type, digits, counter, algorithm\n${tokens.map((t) => `${t.serial},${t.hex},hotp,6,0,sha1`).join('\n')}\n`;
}

function once(text: string): AsyncIterable<string> {
  return Readable.from([text]) as AsyncIterable<string>;
}

/**
 * acme: alice (token, no restriction), bob (no token, no restriction), carol (no token, restriction
 * require_otp by default), dave (no token, deny by default), admin-acme (admin). globex: zed (token).
 */
export async function makeFixture(options: FixtureOptions = {}): Promise<Fixture> {
  const dir = await mkdtemp(join(tmpdir(), 'otpgate-api-'));
  const config = loadConfig(testEnv(dir, options.env));
  const clock: Clock = {
    now: Date.now(),
    advance(seconds) {
      this.now += seconds * 1000;
    },
  };
  const { instance } = await initInstance(config, { now: () => clock.now });
  const services = instance.services;
  try {
    const acme = await services.accounts.create(OPERATOR, 'acme');
    const globex = await services.accounts.create(OPERATOR, 'globex');
    const user = (account: AccountRow, username: string, role: 'admin' | 'user' = 'user') =>
      services.users.create(OPERATOR, account, { username, password: PASSWORD, role });
    for (const name of ['alice', 'bob', 'carol', 'dave']) await user(acme, name);
    await user(acme, 'admin-acme', 'admin');
    await user(globex, 'zed');
    await services.restrictions.setForUser(OPERATOR, acme, 'carol', { rules: [], default: 'require_otp' });
    await services.restrictions.setForUser(OPERATOR, acme, 'dave', { rules: [], default: 'deny' });

    const aliceToken = newToken('1000000000001');
    const spare = [newToken('1000000000002'), newToken('1000000000003'), newToken('1000000000004')];
    const zedToken = newToken('2000000000001');
    await services.imports.import(OPERATOR, acme, { input: once(csvOf([aliceToken, ...spare])), format: 'csv' });
    await services.imports.import(OPERATOR, globex, { input: once(csvOf([zedToken])), format: 'csv' });
    await services.tokens.associate(OPERATOR, acme, 'alice', aliceToken.serial, oathCode(aliceToken.hex, 0));
    await services.tokens.associate(OPERATOR, globex, 'zed', zedToken.serial, oathCode(zedToken.hex, 0));

    const key = async (account: AccountRow, name: string, scopes: string[], allowClientIp = false) =>
      (await services.apiKeys.create(OPERATOR, account, name, scopes, allowClientIp)).key;
    const keys = {
      admin: await key(acme, 'acme-admin', ['admin']),
      check: await key(acme, 'acme-app', ['check']),
      otpOnly: await key(acme, 'acme-otp', ['otp-only']),
      clientIp: await key(acme, 'acme-portal', ['check'], true),
      adminB: await key(globex, 'globex-admin', ['admin']),
      checkB: await key(globex, 'globex-app', ['check']),
    };
    const app = await buildServer(services, config, { logger: false });
    await app.ready();
    return {
      dir,
      config,
      instance,
      services,
      app,
      clock,
      acme,
      globex,
      keys,
      aliceToken,
      spare,
      zedToken,
      async close() {
        await app.close();
        await instance.close();
        await rm(dir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    await instance.close();
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
}

export interface CallOptions {
  key?: string | undefined;
  body?: unknown;
  headers?: Record<string, string>;
  remoteAddress?: string;
}

/** One request through app.inject, JSON in and out. */
export async function call(app: App, method: string, url: string, options: CallOptions = {}): Promise<LightMyRequestResponse> {
  const headers: Record<string, string> = { ...options.headers };
  if (options.key !== undefined) headers.authorization = `Bearer ${options.key}`;
  if (options.body !== undefined) headers['content-type'] ??= 'application/json';
  return app.inject({
    method: method as 'GET',
    url,
    headers,
    ...(options.body !== undefined ? { payload: typeof options.body === 'string' ? options.body : JSON.stringify(options.body) } : {}),
    ...(options.remoteAddress ? { remoteAddress: options.remoteAddress } : {}),
  });
}

/** POST /api/v1/auth/check; returns the status and the parsed body. */
export async function check(app: App, key: string, body: Record<string, unknown>, extra: Omit<CallOptions, 'key' | 'body'> = {}): Promise<{ status: number; body: { result?: string; error?: { code: string } }; response: LightMyRequestResponse }> {
  const response = await call(app, 'POST', '/api/v1/auth/check', { key, body, ...extra });
  return { status: response.statusCode, body: response.json(), response };
}

// ---- real processes -------------------------------------------------------------------------------------

export interface Served {
  child: ChildProcess;
  url: string;
  stdout: () => string;
  stderr: () => string;
  /** Resolves with the exit code. */
  exited: Promise<number | null>;
  stop(): Promise<number | null>;
}

/** Starts `otpgate serve` and waits for "otpgate listening on URL". */
export async function serve(env: Record<string, string>): Promise<Served> {
  const child = spawn(process.execPath, [BIN, 'serve'], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`serve did not start in 60 s: ${out} ${err}`)), 60_000);
    const look = () => {
      const match = /otpgate listening on (http:\/\/\S+?)(,|\s)/.exec(out);
      if (match?.[1]) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    };
    child.stdout.on('data', look);
    void exited.then(() => {
      clearTimeout(timer);
      reject(new Error(`serve exited early: ${out} ${err}`));
    });
  });
  return {
    child,
    url,
    stdout: () => out,
    stderr: () => err,
    exited,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      return exited;
    },
  };
}
