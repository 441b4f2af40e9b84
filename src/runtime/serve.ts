// `otpgate serve`: initialises a fresh data directory (printing the first admin's password once), then
// serves HTTP (and RADIUS over UDP when OTPGATE_RADIUS_PORT is set) until SIGTERM or SIGINT, when it stops
// accepting, finishes what is in flight and closes.
import type { Config } from './config.js';
import { initInstance, openInstance, type Instance } from './instance.js';
import { existsSync } from 'node:fs';
import { isIPv6 } from 'node:net';
import { startRadius } from '../radius/radius-adapter.js';
import type { RadiusServer } from '../radius/radius-server.js';
import { buildServer, type App } from '../http/app.js';
import { startDeliveryWorker } from './delivery-worker.js';
import { markInUse } from './in-use.js';
import { scheduleDirectorySync } from './directory-sync-schedule.js';
import { startBackgroundCheckpoints } from '../store/sqlite/wal-checkpointer.js';

/** How long a shutdown waits for requests in flight before it closes their connections. */
const SHUTDOWN_GRACE_MS = 10_000;

export interface ServeIo {
  out: NodeJS.WritableStream;
  err: NodeJS.WritableStream;
}

async function openOrInit(config: Config, io: ServeIo): Promise<Instance> {
  // An existing SQLite file is opened; a new data directory or any PostgreSQL database goes through init,
  // which initialises only an empty database (exactly one of several instances starting together does).
  if (!config.databaseUrl && existsSync(config.sqlitePath)) return openInstance(config, { migrate: config.migrateOnStart });
  const { instance, result } = await initInstance(config, { migrate: config.migrateOnStart });
  if (result.firstAdmin) {
    io.out.write(
      `initialised a new installation in ${config.databaseUrl ? 'PostgreSQL' : config.dataDir}\n` +
        `first admin of account "default": ${result.firstAdmin.username}\n` +
        `password (shown only now): ${result.firstAdmin.password}\n` +
        `master key: ${config.keyFile} — back it up\n`,
    );
  }
  return instance;
}

/** RADIUS events go to the server's log; they never carry a password, passcode or secret. */
function radiusLogger(app: App): (event: object) => void {
  return (event) => {
    const name = (event as { event?: unknown }).event;
    if (name === 'radius_reply') app.log.info(event, 'radius reply');
    else if (name === 'radius_drop') app.log.warn(event, 'radius packet dropped');
    else app.log.error(event, 'radius error');
  };
}

/** What `serve` was starting to listen on, for the message when it cannot. */
interface Listener {
  what: string;
  host: string;
  port: number;
  hostVariable: string;
  portVariable: string;
}

/**
 * A socket error at start-up in words: which address and port, why, and which setting to change. Other
 * errors are returned as they are.
 */
export function listenError(error: unknown, on: Listener): unknown {
  const code = (error as NodeJS.ErrnoException | null)?.code;
  const where = `${on.what} on ${isIPv6(on.host) ? `[${on.host}]` : on.host}:${on.port}`;
  switch (code) {
    case 'EADDRINUSE':
      return new Error(`cannot listen for ${where}: another program (perhaps another otpgate) already uses that port; stop it, or set ${on.portVariable} to a free port`);
    case 'EACCES':
      return new Error(`cannot listen for ${where}: not allowed (ports below 1024 need privileges); set ${on.portVariable} to a port from 1024 up, or give node the right to bind low ports`);
    case 'EADDRNOTAVAIL':
      return new Error(`cannot listen for ${where}: ${on.host} is not an address of this machine; set ${on.hostVariable} to one of its addresses (or 0.0.0.0 for all)`);
    default:
      return error;
  }
}

export async function serve(config: Config, io: ServeIo): Promise<number> {
  const instance = await openOrInit(config, io);
  const app = await buildServer(instance.services, config);
  let radius: RadiusServer | null = null;
  let address: string;
  let listening: Listener = { what: 'HTTP', host: config.host, port: config.port, hostVariable: 'OTPGATE_HOST', portVariable: 'OTPGATE_PORT' };
  try {
    address = await app.listen({ host: config.host, port: config.port });
    if (config.radiusPort !== undefined) {
      listening = { what: 'RADIUS (UDP)', host: config.radiusHost, port: config.radiusPort, hostVariable: 'OTPGATE_RADIUS_HOST', portVariable: 'OTPGATE_RADIUS_PORT' };
      radius = await startRadius(instance.services, { host: config.radiusHost, port: config.radiusPort, log: radiusLogger(app) });
    }
  } catch (error) {
    await app.close();
    await instance.close();
    throw listenError(error, listening);
  }
  // Only SQLite can be restored over (PostgreSQL is restored with pg_restore): mark it as in use.
  const inUse = config.databaseUrl ? null : await markInUse(instance.services.ctx.db, (error) => app.log.error({ err: error }, 'could not renew the database in-use mark'));
  // Every 10 minutes: expired console sessions, and the OpenID Provider's expired codes, tokens, sessions and
  // interactions with its retired keys past their overlap.
  const sweep = setInterval(() => {
    void instance.services.sessions.sweep().catch(() => undefined);
    void instance.services.oidc.sweep().catch(() => undefined);
  }, 10 * 60 * 1000);
  sweep.unref();
  const directorySync = scheduleDirectorySync(instance.services, config.directorySyncMinutes, app.log);
  const deliveries = startDeliveryWorker(instance.services, app.log);
  // SQLite's log checkpoints run in a worker thread, not inside a sign-in's commit (store/sqlite/wal-checkpointer.ts).
  const checkpoints = startBackgroundCheckpoints(instance.services.ctx.db, (error) => app.log.error({ err: error }, 'WAL checkpoint worker stopped; checkpoints are automatic again'));
  // The signal handlers are in place before "listening" is printed: a supervisor may send SIGTERM as soon
  // as it reads that line, and without a handler the signal would kill the process outright.
  const stopped = new Promise<number>((resolve) => {
    let stopping = false;
    const stop = (signal: string) => {
      if (stopping) return;
      stopping = true;
      app.log.info({ signal }, 'shutting down');
      clearInterval(sweep);
      directorySync.stop();
      // Requests in flight may finish; a client that holds its connection open longer is cut off.
      const cutOff = setTimeout(() => app.server.closeAllConnections(), SHUTDOWN_GRACE_MS);
      cutOff.unref();
      void (radius?.close() ?? Promise.resolve())
        .then(() => app.close())
        .then(() => deliveries.stop())
        .then(() => checkpoints.stop())
        .then(() => inUse?.stop())
        .then(() => clearTimeout(cutOff))
        .then(() => instance.close())
        .then(() => resolve(0), (error: unknown) => {
          io.err.write(`otpgate: error while shutting down: ${String(error)}\n`);
          resolve(1);
        });
    };
    process.once('SIGTERM', () => stop('SIGTERM'));
    process.once('SIGINT', () => stop('SIGINT'));
  });
  io.out.write(`otpgate listening on ${address}\n`);
  if (radius) {
    const host = isIPv6(config.radiusHost) ? `[${config.radiusHost}]` : config.radiusHost;
    io.out.write(`otpgate RADIUS listening on udp://${host}:${radius.port}\n`);
  }
  return stopped;
}
