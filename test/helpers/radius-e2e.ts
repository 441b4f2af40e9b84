// The RADIUS end-to-end fixture: a real otpgate installation in a temp directory (set up through the
// services in this process), a real `node bin/otpgate.js serve` with RADIUS on an ephemeral UDP port, raw
// UDP clients on loopback addresses, the command line run as a child process, and passcodes from Debian's
// oathtool. startRadiusE2e puts them together the way every RADIUS end-to-end test file needs them.
import { spawn, type ChildProcess } from 'node:child_process';
import { rm } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { loadConfig } from '../../src/runtime/config.js';
import { initInstance, openInstance, type Instance } from '../../src/runtime/instance.js';
import { OPERATOR } from '../../src/services/context.js';
import type { RadiusClientOptions } from '../../src/services/radius-client-service.js';
import { rawClient, type RawClient } from '../radius/fixture.js';
import { BIN, runCli, type CliResult } from './cli.js';
import { oathCode } from './otp.js';
import { makeTempDir } from './temp-dir.js';


export const RADIUS_SECRET = 'e2e-shared-secret-0123456789';
export const PASSWORD_SUFFIX = ' password';

export interface UserWithToken {
  username: string;
  password: string;
  serial: string;
  secretHex: string;
}

export interface Installation {
  dir: string;
  env: NodeJS.ProcessEnv;
  /** Runs `node bin/otpgate.js ARGS` against this installation. */
  cli(args: string[], input?: string): Promise<CliResult>;
  /** Work on the installation in this process (only while no server holds it busy). */
  withInstance<T>(work: (instance: Instance) => Promise<T>): Promise<T>;
  remove(): Promise<void>;
}

export async function createInstallation(): Promise<Installation> {
  const dir = makeTempDir('otpgate-radius-e2e-');
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    OTPGATE_DATA_DIR: dir,
    OTPGATE_SCRYPT_LOG2N: '10',
    OTPGATE_HOST: '127.0.0.1',
    OTPGATE_PORT: '0',
    OTPGATE_LOG_LEVEL: 'warn',
  };
  delete env.OTPGATE_DATABASE_URL;
  delete env.OTPGATE_KEY_FILE;
  const { instance } = await initInstance(loadConfig(env));
  await instance.close();
  return {
    dir,
    env,
    cli: (args, input) => runCli(args, env, input ?? '', dir),
    async withInstance(work) {
      const instance = await openInstance(loadConfig(env));
      try {
        return await work(instance);
      } finally {
        await instance.close();
      }
    },
    remove: () => rm(dir, { recursive: true, force: true }),
  };
}

/** Creates users, each with their own HOTP token (counter 0, then associated with the code for 0: C = 1). */
export async function addUsersWithTokens(installation: Installation, usernames: string[]): Promise<UserWithToken[]> {
  return installation.withInstance(async ({ services }) => {
    const account = await services.accounts.resolve(OPERATOR);
    const users = usernames.map((username, index) => ({
      username,
      password: `${username}${PASSWORD_SUFFIX}`,
      serial: `77000000000${String(index + 10)}`,
      // A distinct 20-byte seed per user, so one user's codes say nothing about another's.
      secretHex: Buffer.from(`seed-of-${username}`.padEnd(20, '.').slice(0, 20)).toString('hex'),
    }));
    const csv = users.map((u) => `${u.serial}, ${u.secretHex}\n`).join('');
    await services.imports.import(OPERATOR, account, { input: Readable.from([csv]), format: 'csv' });
    for (const user of users) {
      await services.users.create(OPERATOR, account, { username: user.username, password: user.password, role: 'user', displayName: user.username });
      await services.tokens.associate(OPERATOR, account, user.username, user.serial, oathCode(user.secretHex, 0));
    }
    return users;
  });
}

export async function addRadiusClient(installation: Installation, name: string, cidr: string, options: Partial<RadiusClientOptions> = {}): Promise<void> {
  await installation.withInstance(async ({ services }) => {
    const account = await services.accounts.resolve(OPERATOR);
    await services.radiusClients.add(OPERATOR, account, name, cidr, RADIUS_SECRET, {
      challenge: false,
      requireMessageAuthenticator: true,
      trustCallingStationId: false,
      ...options,
    });
  });
}

export interface RunningServer {
  httpUrl: string;
  radiusPort: number;
  output(): string;
  stop(): Promise<void>;
}

/** Starts `otpgate serve` with OTPGATE_RADIUS_PORT=0 and reads the addresses it prints. */
export async function startServe(installation: Installation, extraEnv: NodeJS.ProcessEnv = {}): Promise<RunningServer> {
  const child: ChildProcess = spawn(process.execPath, [BIN, 'serve'], {
    env: { ...installation.env, OTPGATE_RADIUS_PORT: '0', ...extraEnv },
    cwd: installation.dir,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<void>((done) => child.once('exit', () => done()));
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    await exited;
  };
  const deadline = Date.now() + 30_000;
  for (;;) {
    const http = /otpgate listening on (http:\/\/[^\s,]+)/.exec(output);
    const radius = /otpgate RADIUS listening on udp:\/\/127\.0\.0\.1:(\d+)/.exec(output);
    if (http?.[1] && radius?.[1]) return { httpUrl: http[1], radiusPort: Number(radius[1]), output: () => output, stop };
    if (child.exitCode !== null || Date.now() > deadline) {
      await stop();
      throw new Error(`otpgate serve did not start:\n${output}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}

export interface TokenState {
  counter: number;
  failCount: number;
  status: string;
  lastUsedAt: string | null;
}

export async function tokenState(installation: Installation, serial: string): Promise<TokenState> {
  const result = await installation.cli(['token', 'show', serial, '--json']);
  if (result.code !== 0) throw new Error(`token show failed: ${result.stderr}`);
  const token = JSON.parse(result.stdout) as TokenState;
  return { counter: token.counter, failCount: token.failCount, status: token.status, lastUsedAt: token.lastUsedAt };
}

export interface AuditEvent {
  actor: string;
  action: string;
  user: string | null;
  clientIp: string | null;
  outcome: string;
  reason: string | null;
}

export async function signInEvents(installation: Installation, username: string): Promise<AuditEvent[]> {
  const result = await installation.cli(['audit', 'list', '--user', username, '--json', '--limit', '1000']);
  if (result.code !== 0) throw new Error(`audit list failed: ${result.stderr}`);
  return (JSON.parse(result.stdout) as AuditEvent[]).filter((e) => e.action === 'signin');
}

export interface RadiusE2e {
  installation: Installation;
  server: RunningServer;
  /** The users, in the order asked for, each with a token at C = 1. */
  users: UserWithToken[];
  /** A raw UDP client bound to `address` (a loopback address), closed by close(). */
  client(address?: string): Promise<RawClient>;
  /** Closes the clients, stops the server and removes the installation, whatever was set up. */
  close(): Promise<void>;
}

export interface RadiusE2eOptions {
  users: string[];
  /** RADIUS clients to add (default: one PAP client `vpn` for 127.0.0.1). */
  clients?: { name: string; cidr: string; options?: Partial<RadiusClientOptions> }[];
  /** More set-up on the installation before the server starts (the CLI works on it then). */
  prepare?(installation: Installation): Promise<void>;
}

/** An installation with users, tokens and RADIUS clients, and `otpgate serve` running on it. */
export async function startRadiusE2e(options: RadiusE2eOptions): Promise<RadiusE2e> {
  const installation = await createInstallation();
  const clients: RawClient[] = [];
  let server: RunningServer | undefined;
  const close = async (): Promise<void> => {
    for (const client of clients) await client.close();
    await server?.stop();
    await installation.remove();
  };
  try {
    const users = await addUsersWithTokens(installation, options.users);
    for (const client of options.clients ?? [{ name: 'vpn', cidr: '127.0.0.1/32' }]) await addRadiusClient(installation, client.name, client.cidr, client.options);
    await options.prepare?.(installation);
    server = await startServe(installation);
    const running = server;
    return {
      installation,
      server: running,
      users,
      async client(address = '127.0.0.1') {
        const client = await rawClient(address);
        clients.push(client);
        return client;
      },
      close,
    };
  } catch (error) {
    await close();
    throw error;
  }
}
