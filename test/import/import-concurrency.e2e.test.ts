// Property: two imports of overlapping files running at once (two real `otpgate` processes on one SQLite
// data directory) never half-write a file and never duplicate a serial: each import either imports all of
// its new keys (skipping those the other wrote first) or is refused and imports none of them.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { writeSeedCsv } from './import-fixtures.js';
import { testEnv } from '../helpers/installation.js';
import { makeTempDir, removeTempDir } from '../helpers/temp-dir.js';
import { randomSeedRows, type SeedRow } from '../helpers/secrets.js';
import { runCli } from '../helpers/cli.js';

const temp = makeTempDir('otpgate-import-race-');
const dataDir = join(temp, 'data');
const env = { ...process.env, ...testEnv(dataDir) };

before(async () => {
  const init = await runCli(['init'], env);
  assert.equal(init.code, 0, init.stderr);
});
after(() => removeTempDir(temp));

function storedSerials(): string[] {
  const db = new Database(join(dataDir, 'otpgate.db'), { readonly: true });
  try {
    return (db.prepare('SELECT serial FROM tokens').all() as Array<{ serial: string }>).map((row) => row.serial);
  } finally {
    db.close();
  }
}

describe('two overlapping imports at once', () => {
  for (const round of [1, 2, 3]) {
    it(`round ${round}: one wins; the other skips the overlap or is refused; nothing half-written, no serial twice`, async (t) => {
      const before = new Set(storedSerials());
      const rows = randomSeedRows(6000);
      const first: SeedRow[] = rows.slice(0, 4000);
      const second: SeedRow[] = rows.slice(2000);
      const [a, b] = await Promise.all([
        runCli(['token', 'import', writeSeedCsv(temp, `race${round}-a`, first)], env),
        runCli(['token', 'import', writeSeedCsv(temp, `race${round}-b`, second)], env),
      ]);
      t.diagnostic(`exit ${a.code}: ${(a.stdout || a.stderr).trim()} | exit ${b.code}: ${(b.stdout || b.stderr).trim()}`);
      const stored = storedSerials();
      assert.equal(new Set(stored).size, stored.length, 'a serial is stored twice');
      const added = new Set(stored.filter((serial) => !before.has(serial)));
      const results = [
        { result: a, rows: first },
        { result: b, rows: second },
      ];
      assert.ok(a.code === 0 || b.code === 0, `both refused: ${a.stderr} ${b.stderr}`);
      let importedTotal = 0;
      for (const { result, rows: mine } of results) {
        if (result.code === 0) {
          const counts = /read (\d+) keys, imported (\d+), skipped (\d+)/.exec(result.stdout);
          assert.ok(counts, result.stdout);
          assert.equal(Number(counts[1]), 4000);
          assert.equal(Number(counts[2]) + Number(counts[3]), 4000);
          importedTotal += Number(counts[2]);
          // All of this file's keys are in, whoever wrote them.
          for (const row of mine) assert.ok(added.has(row.serial), `${row.serial} of an accepted file is missing`);
        } else {
          assert.equal(result.code, 1);
          assert.match(result.stderr, /nothing was imported/);
        }
      }
      // Every stored key came from an accepted import, counted once: nothing from a refused one.
      assert.equal(added.size, importedTotal);
      const accepted = new Set(results.filter((r) => r.result.code === 0).flatMap((r) => r.rows.map((row) => row.serial)));
      for (const serial of added) assert.ok(accepted.has(serial), `${serial} came from a refused import`);
    });
  }
});
