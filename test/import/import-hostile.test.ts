// Property: every hostile file of the corpus (XXE, billion laughs, 5 MiB of nesting, truncated, not
// base64, a duplicated serial, empty) is refused by the import service with the manifest's category,
// nothing is imported, and memory stays bounded while it is read: the process's resident set and heap grow
// by a few megabytes at most (an entity expansion or a DOM of the nesting would take hundreds).
import assert from 'node:assert/strict';
import { createReadStream } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Instance } from '../../src/runtime/instance.js';
import { OPERATOR } from '../../src/services/context.js';
import { ServiceError } from '../../src/services/errors.js';
import type { AccountRow } from '../../src/store/schema.js';
import { tokenRows } from './import-fixtures.js';
import { TestClock, buildInstallation } from '../helpers/installation.js';
import { makeTempDir, removeTempDir } from '../helpers/temp-dir.js';
import { CORPUS, CORPUS_SKIP, manifest, NOW } from './pskc-helpers.js';

const MIB = 1024 * 1024;
const MAX_RSS_GROWTH = 64 * MIB;
const MAX_HEAP_GROWTH = 32 * MIB;

const temp = makeTempDir('otpgate-import-hostile-');
let instance: Instance;
let account: AccountRow;

before(async () => {
  ({ instance, account } = await buildInstallation({ clock: new TestClock(NOW.getTime()) }));
  // Warm up: load every module and fill the database's caches with one ordinary import.
  if (CORPUS_SKIP === false) await instance.services.imports.import(OPERATOR, account, { input: createReadStream(join(CORPUS, 'feitian/file1.pskcxml')), fileName: 'file1.pskcxml' });
});

after(async () => {
  await instance?.close();
  removeTempDir(temp);
});

/** Runs `work` while sampling memory every millisecond; returns the peak growth over the start. */
async function peakGrowth(work: () => Promise<unknown>): Promise<{ rss: number; heap: number; maxRss: number }> {
  const start = process.memoryUsage();
  const startMaxRss = process.resourceUsage().maxRSS * 1024;
  let peakRss = start.rss;
  let peakHeap = start.heapUsed;
  const sample = () => {
    const now = process.memoryUsage();
    peakRss = Math.max(peakRss, now.rss);
    peakHeap = Math.max(peakHeap, now.heapUsed);
  };
  const timer = setInterval(sample, 1);
  try {
    await work().catch(() => undefined);
  } finally {
    clearInterval(timer);
    sample();
  }
  return { rss: peakRss - start.rss, heap: peakHeap - start.heapUsed, maxRss: process.resourceUsage().maxRSS * 1024 - startMaxRss };
}

describe('hostile PSKC files through the import service', { skip: CORPUS_SKIP }, () => {
  for (const entry of manifest.filter((e) => e.file.startsWith('hostile/'))) {
    it(`${entry.file}: refused (${entry.expect.error}) with bounded memory, nothing imported`, async () => {
      const before = await tokenRows(instance);
      let refusal: unknown;
      const growth = await peakGrowth(async () => {
        try {
          await instance.services.imports.import(OPERATOR, account, { input: createReadStream(join(CORPUS, entry.file)), fileName: entry.file });
        } catch (error) {
          refusal = error;
        }
      });
      assert.ok(refusal instanceof ServiceError && refusal.code === 'import_refused', `expected import_refused, got ${String(refusal)}`);
      assert.equal(refusal.details?.category, entry.expect.error, refusal.message);
      assert.ok(growth.rss < MAX_RSS_GROWTH, `resident set grew by ${(growth.rss / MIB).toFixed(1)} MiB`);
      assert.ok(growth.maxRss < MAX_RSS_GROWTH, `peak resident set grew by ${(growth.maxRss / MIB).toFixed(1)} MiB`);
      assert.ok(growth.heap < MAX_HEAP_GROWTH, `heap grew by ${(growth.heap / MIB).toFixed(1)} MiB`);
      assert.deepEqual(await tokenRows(instance), before);
    });
  }
});
