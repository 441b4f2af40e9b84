// Property: `npm install` gives no EBADENGINE warning on any Node that package.json's `engines` (and the
// README and docs/installation.md) promise: every package in package-lock.json that states `engines.node` accepts the lowest version
// of each supported line (20.19.0, 22.13.0, 24.0.0 today) and the Node running this test. The check is
// npm's own (npm-install-checks: semver.satisfies with prereleases included), over the whole locked tree.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import semver from 'semver';

const read = (name: string) => JSON.parse(readFileSync(new URL(`../../${name}`, import.meta.url), 'utf8')) as Record<string, unknown>;

test('every locked package accepts every Node version that package.json promises', () => {
  const promised = (read('package.json').engines as { node: string }).node;
  const lowest = promised.split('||').map((range) => semver.minVersion(range.trim())?.version);
  assert.ok(lowest.length >= 1 && lowest.every(Boolean), promised);
  const versions = [...new Set([...(lowest as string[]), process.versions.node])];
  assert.ok(semver.satisfies(process.versions.node, promised), `this Node (${process.versions.node}) is one package.json promises (${promised})`);
  const packages = read('package-lock.json').packages as Record<string, { engines?: { node?: string } | string[]; optional?: boolean }>;
  const refusals: string[] = [];
  for (const [path, entry] of Object.entries(packages)) {
    const wanted = !entry.engines || Array.isArray(entry.engines) ? undefined : entry.engines.node;
    if (path === '' || wanted === undefined) continue;
    for (const version of versions) {
      if (!semver.satisfies(version, wanted, { includePrerelease: true })) refusals.push(`${path.replace(/^.*node_modules\//, '')} wants node ${wanted}, not ${version}`);
    }
  }
  assert.deepEqual(refusals, []);
  // The README and docs/installation.md say the same as package.json.
  for (const page of ['README.md', 'docs/installation.md']) {
    const text = readFileSync(new URL(`../../${page}`, import.meta.url), 'utf8');
    for (const version of lowest as string[]) assert.ok(text.includes(version.replace(/\.0$/, '')), `${page} names Node ${version}`);
  }
});
