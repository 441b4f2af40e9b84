// Property: every OTPGATE_* environment variable that src/ reads is documented in docs/configuration.md's
// table, and the table names no variable that src/ no longer reads. A setting added without its line in the
// table fails here.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const VARIABLE = /\bOTPGATE_[A-Z0-9_]*[A-Z0-9]\b/g;

/** Every OTPGATE_* name in the TypeScript files under `dir`. */
function namesIn(dir: string): Set<string> {
  const names = new Set<string>();
  for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (!entry.isFile() || !entry.name.endsWith('.ts')) continue;
    for (const name of readFileSync(join(entry.parentPath, entry.name), 'utf8').match(VARIABLE) ?? []) names.add(name);
  }
  return names;
}

/** The variables in the first column of docs/configuration.md's table. */
function documented(): Set<string> {
  const page = readFileSync(join(ROOT, 'docs', 'configuration.md'), 'utf8');
  return new Set([...page.matchAll(/^\| `(OTPGATE_[A-Z0-9_]+)` \|/gm)].map((match) => match[1]!));
}

test('every OTPGATE_* variable read in src/ has its row in docs/configuration.md, and every row is read', () => {
  const read = namesIn(join(ROOT, 'src'));
  const rows = documented();
  assert.ok(read.size > 10, `found ${read.size} variables in src/`);
  assert.deepEqual([...read].filter((name) => !rows.has(name)).sort(), [], 'read in src/ but not documented');
  assert.deepEqual([...rows].filter((name) => !read.has(name)).sort(), [], 'documented but never read in src/');
});
