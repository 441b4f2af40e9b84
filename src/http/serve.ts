// `otpgate serve`: initialises a fresh data directory (printing the first admin's password once), then
// serves HTTP until SIGTERM or SIGINT, when it stops accepting, finishes what is in flight and closes.
import type { Config } from '../runtime/config.js';
import { initInstance, openInstance, type Instance } from '../runtime/instance.js';
import { existsSync } from 'node:fs';
import { buildServer } from './app.js';

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

export async function serve(config: Config, io: ServeIo): Promise<number> {
  const instance = await openOrInit(config, io);
  const app = await buildServer(instance.services, config);
  const address = await app.listen({ host: config.host, port: config.port });
  io.out.write(`otpgate listening on ${address}${config.radiusPort !== undefined ? `, RADIUS on UDP ${config.radiusPort}` : ''}\n`);
  const sweep = setInterval(() => void instance.services.sessions.sweep().catch(() => undefined), 10 * 60 * 1000);
  sweep.unref();
  return new Promise((resolve) => {
    let stopping = false;
    const stop = (signal: string) => {
      if (stopping) return;
      stopping = true;
      app.log.info({ signal }, 'shutting down');
      clearInterval(sweep);
      void app
        .close()
        .then(() => instance.close())
        .then(() => resolve(0), (error: unknown) => {
          io.err.write(`otpgate: error while shutting down: ${String(error)}\n`);
          resolve(1);
        });
    };
    process.once('SIGTERM', () => stop('SIGTERM'));
    process.once('SIGINT', () => stop('SIGINT'));
  });
}
