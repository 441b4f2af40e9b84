// The API app fixture, not product code: the one builder's installation (installation.ts: SQLite file in a
// temp directory, master key, real services, a TestClock the test moves) with two accounts of users, tokens
// and API keys, and the real Fastify app on it.
import { spawn, type ChildProcess } from 'node:child_process';
import { Readable } from 'node:stream';
import type { LightMyRequestResponse } from 'fastify';
import { buildServer, type App } from '../../src/http/app.js';
import { OPERATOR } from '../../src/services/context.js';
import type { AccountRow } from '../../src/store/schema.js';
import { BIN } from './cli.js';
import { TestClock } from './clock.js';
import { buildInstallation, PASSWORD, type Installation, type InstallationOptions } from './installation.js';
import { oathCode } from './otp.js';
import { randomSecretHex } from './secrets.js';

export { PASSWORD, testEnv } from './installation.js';

export interface SeedToken {
  serial: string;
  hex: string;
}

export function newToken(serial: string): SeedToken {
  return { serial, hex: randomSecretHex() };
}

/** The former name of the fixture's clock type, kept for one release: the one clock is TestClock (clock.ts). */
export type Clock = TestClock;

export interface Fixture extends Installation {
  app: App;
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
}

/** The builder's options (a PostgreSQL database, more environment, a clock); the clock starts now by default. */
export type FixtureOptions = InstallationOptions;

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
  const inst = await buildInstallation({ clock: new TestClock(Date.now()), ...options });
  const { services } = inst;
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
    const app = await buildServer(services, inst.config, { logger: false });
    const closeInstallation = inst.close.bind(inst);
    await app.ready();
    const fixture: Fixture = Object.assign(inst, {
      app,
      acme,
      globex,
      keys,
      aliceToken,
      spare,
      zedToken,
      close: async () => {
        await app.close();
        await closeInstallation();
      },
    });
    return fixture;
  } catch (error) {
    await inst.close();
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
  const child = spawn(process.execPath, [BIN, 'serve'], { env: { OTPGATE_PORT: '0', OTPGATE_LOG_LEVEL: 'warn', ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
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
