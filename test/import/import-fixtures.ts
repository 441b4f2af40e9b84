// Shared helpers for the import integration tests: seed files written by Debian's csv2pskc, and the token
// rows as stored. Installations, temp directories and environments come from test/helpers/ (one test kit).
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Instance } from '../../src/runtime/instance.js';
import { testEnv } from '../helpers/installation.js';
import type { SeedRow } from '../helpers/secrets.js';
import { makeTempDir, removeTempDir } from '../helpers/temp-dir.js';

export const USER_PASSWORD = 'Correct-horse-battery-9';

/** Kept for one release for branches written against it: use `{ ...process.env, ...testEnv(dir) }` (helpers/installation.ts). */
export function envFor(dataDir: string, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return { ...process.env, ...testEnv(dataDir, extra) };
}

/** Kept for one release for branches written against it: use makeTempDir (helpers/temp-dir.ts). */
export function tempDir(prefix: string): { dir: string; remove(): void } {
  const dir = makeTempDir(prefix);
  return { dir, remove: () => removeTempDir(dir) };
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
