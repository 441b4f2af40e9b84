// Shared helpers for the import integration tests: data directories, seed files written by Debian's
// csv2pskc, and the token rows as stored.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../src/runtime/config.js';
import { initInstance, type Instance } from '../../src/runtime/instance.js';
import { OPERATOR } from '../../src/services/context.js';
import type { AccountRow } from '../../src/store/schema.js';
import type { SeedRow } from '../helpers/secrets.js';

export const USER_PASSWORD = 'Correct-horse-battery-9';

export function tempDir(prefix: string): { dir: string; remove(): void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

export function envFor(dataDir: string, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return { ...process.env, OTPGATE_DATA_DIR: dataDir, OTPGATE_SCRYPT_LOG2N: '10', NODE_NO_WARNINGS: '1', ...extra };
}

/** An initialised installation opened in this process, with a fixed clock when `now` is given. */
export async function openTestInstance(dataDir: string, now?: Date, extra: Record<string, string> = {}): Promise<{ instance: Instance; account: AccountRow }> {
  const config = loadConfig(envFor(dataDir, extra));
  const { instance } = await initInstance(config, now ? { now: () => now.getTime() } : {});
  const account = await instance.services.accounts.resolve(OPERATOR);
  return { instance, account };
}

/** Every stored token row (all columns), by serial. */
export async function tokenRows(instance: Instance) {
  return instance.database.db.selectFrom('tokens').selectAll().orderBy('serial').execute();
}

/** A PSKC file written by Debian's csv2pskc (python-pskc): `extra` adds e.g. ['--secret', HEX] or ['--password', PW]. */
export function csv2pskc(dir: string, name: string, rows: SeedRow[], extra: string[] = []): string {
  const csvPath = join(dir, `${name}.in.csv`);
  const lines = ['serial,secret,counter,response_length,algorithm'];
  for (const row of rows) lines.push([row.serial, row.secretHex, row.counter, 6, 'urn:ietf:params:xml:ns:keyprov:pskc:hotp'].join(','));
  writeFileSync(csvPath, `${lines.join('\n')}\n`);
  const outPath = join(dir, `${name}.pskcxml`);
  execFileSync('csv2pskc', [...extra, '-o', outPath, csvPath]);
  return outPath;
}

/** A seed CSV in otpgate's own layout (serial, secret hex, type, digits, counter). */
export function writeSeedCsv(dir: string, name: string, rows: SeedRow[]): string {
  const path = join(dir, `${name}.csv`);
  writeFileSync(path, `${rows.map((row) => `${row.serial},${row.secretHex},hotp,6,${row.counter}`).join('\n')}\n`);
  return path;
}
