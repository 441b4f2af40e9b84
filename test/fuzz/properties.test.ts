// The property-based targets of test/fuzz/targets.ts, a bounded number of cases each (a few seconds per
// target), with a seed printed on failure so that a case can be replayed. `npm run fuzz` runs 10^5 each.
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { TARGETS } from './targets.js';

const RUNS: Record<string, number> = { 'api-json-bodies': 300, 'console-forms': 200, 'csv-reader': 1000, 'pskc-reader': 300, 'radius-decoder': 3000, 'radius-username-spellings': 300, 'oidc-routes': 300, 'cli-arguments': 60 };

describe('property-based entry points', () => {
  for (const target of TARGETS) {
    it(`${target.name}: a clear refusal or a correct result, never a crash, a 500 or a write on refusal`, async () => {
      const started = await target.start();
      try {
        await fc.assert(started.property, { numRuns: RUNS[target.name] ?? 100 });
      } finally {
        await started.close();
      }
    });
  }
});
