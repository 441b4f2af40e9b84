// The benchmark harness works: `node bench/run.mjs --smoke` runs every measurement at tiny sizes against
// real otpgate processes on 127.0.0.1, every auth check answered `accept` (the harness fails otherwise),
// and writes a results file in which every figure is a positive number. Needs `npm run build` first.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { makeTempDir } from '../helpers/temp-dir.js';

interface Stat {
  median: number;
  min: number;
  max: number;
  rounds: number[];
}

function assertStat(value: unknown, name: string): void {
  const stat = value as Stat | undefined;
  assert.ok(stat && typeof stat === 'object', `${name} is missing`);
  assert.ok(Array.isArray(stat.rounds) && stat.rounds.length >= 1, `${name} has no rounds`);
  for (const key of ['median', 'min', 'max'] as const) {
    assert.ok(Number.isFinite(stat[key]) && stat[key] > 0, `${name}.${key} is ${String(stat[key])}, not a number > 0`);
  }
  assert.ok(stat.min <= stat.median && stat.median <= stat.max, `${name}: median outside min..max`);
}

test('npm run bench --smoke measures every figure and every check is accepted', { timeout: 600_000 }, async (t) => {
  const dir = makeTempDir('otpgate-bench-smoke-');
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const out = join(dir, 'results.json');
  const child = spawn(process.execPath, ['bench/run.mjs', '--smoke', '--out', out], { stdio: ['ignore', 'pipe', 'pipe'] });
  t.after(() => {
    if (child.exitCode === null) child.kill('SIGTERM');
  });
  let output = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  assert.equal(code, 0, `bench/run.mjs --smoke failed:\n${output}`);

  const results = JSON.parse(readFileSync(out, 'utf8')) as Record<string, Record<string, unknown>>;
  assert.equal(results.mode, 'smoke');
  assert.deepEqual(results.problems, []);
  const figures: Record<string, string[]> = {
    core: ['rawHmacPerSecond', 'verifyHitPerSecond', 'verifyMissPerSecond', 'hitRatioPerCode', 'missRatioPerCode', 'resyncSearchMs', 'rawHmacMsPer10000'],
    acceptPath: ['requestsPerSecond', 'p50Ms', 'p99Ms', 'ratioToBare'],
    fullCheck: ['requestsPerSecond', 'p50Ms', 'p99Ms', 'hashVerificationsPerSecond', 'ratioToHash'],
    resyncUnderLoad: ['p99Ms', 'p99MsWithout', 'requestsPerSecond', 'resyncsPerSecond', 'resyncLatencyMs'],
    scale: ['requestsPerSecondSmall', 'requestsPerSecondBig', 'p99MsBig', 'ratioBigToSmall'],
  };
  for (const [section, names] of Object.entries(figures)) {
    for (const name of names) assertStat(results[section]?.[name], `${section}.${name}`);
  }
  const bare = results.acceptPath!.bare as Record<string, unknown>;
  for (const name of ['requestsPerSecond', 'p50Ms', 'p99Ms']) assertStat(bare[name], `acceptPath.bare.${name}`);
  assert.ok((results.acceptPath!.accepted as number) > 0, 'no auth check was accepted');
  assert.ok((results.scale!.bigTokens as number) > (results.scale!.smallTokens as number), 'the scale test did not add tokens');

  // PostgreSQL, when a server answers at 127.0.0.1:5432 (else the section is null): one instance, and two
  // behind nginx when nginx is installed (else twoInstances is null), each beside its bare reference.
  const postgres = results.postgres as Record<string, unknown> | null;
  if (postgres) {
    const sections = [postgres, ...(postgres.twoInstances ? [postgres.twoInstances as Record<string, unknown>] : [])];
    for (const [i, section] of sections.entries()) {
      const name = i === 0 ? 'postgres' : 'postgres.twoInstances';
      for (const figure of ['requestsPerSecond', 'p50Ms', 'p99Ms', 'ratioToBare', 'serverCpuUsPerRequest', 'bareServerCpuUsPerRequest']) assertStat(section[figure], `${name}.${figure}`);
      assert.ok((section.accepted as number) > 0, `${name}: no auth check was accepted`);
    }
    if (postgres.twoInstances) {
      const two = postgres.twoInstances as Record<string, unknown>;
      assertStat(two.ratioToOneInstance, 'postgres.twoInstances.ratioToOneInstance');
      // nginx's part is there, but may be 0 in a 1-second round: /proc counts CPU in 10 ms ticks.
      for (const figure of ['nginxCpuUsPerRequest', 'bareNginxCpuUsPerRequest']) {
        const stat = two[figure] as Stat | undefined;
        assert.ok(stat && Number.isFinite(stat.median) && stat.min >= 0, `postgres.twoInstances.${figure} is missing`);
      }
      // nginx sent requests to both instances (each used CPU in every round).
      for (const [i, stat] of (two.instanceCpuUsPerRequest as unknown[]).entries()) assertStat(stat, `postgres.twoInstances.instanceCpuUsPerRequest[${i}]`);
    }
  }

  const imports = results.import as { format: string; sizes: Record<string, Record<string, unknown>> };
  assert.ok(['csv', 'pskc'].includes(imports.format));
  assert.ok(Object.keys(imports.sizes).length >= 2, 'expected two import sizes');
  for (const [size, figuresOfSize] of Object.entries(imports.sizes)) {
    for (const name of ['seconds', 'keysPerSecond', 'peakRssMb']) assertStat(figuresOfSize[name], `import.${size}.${name}`);
  }
  assert.match(output, /\| Figure/, 'the human table was not printed');
});
