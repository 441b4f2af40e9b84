// `npm install` is quiet for minutes while better-sqlite3 compiles where no prebuilt binary fits: the
// preinstall script says so first, in one line (#29 item 15). It runs before node_modules exists, so it
// must import nothing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

test('npm install first prints one line saying a native module may compile for minutes', () => {
  const pkg = JSON.parse(readFileSync(new URL('package.json', `file://${ROOT}`), 'utf8')) as { scripts: Record<string, string> };
  assert.equal(pkg.scripts.preinstall, 'node scripts/install-notice.mjs');
  const script = readFileSync(new URL('scripts/install-notice.mjs', `file://${ROOT}`), 'utf8');
  assert.doesNotMatch(script, /^\s*import\b|\brequire\(|\bimport\(/m, 'it runs before the dependencies are installed');
  const out = execFileSync(process.execPath, ['scripts/install-notice.mjs'], { cwd: ROOT, encoding: 'utf8' });
  assert.equal(out.split('\n').length, 2, 'one line');
  assert.match(out, /better-sqlite3/);
  assert.match(out, /compiled from source, which can take several quiet minutes/);
});
