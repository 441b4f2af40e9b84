// Property: the API's error codes are listed in one place (ERROR_CODES in src/services/errors.ts) and each
// one is documented in docs/errors.md with its status. This test fails when a code used anywhere in src/
// is not in ERROR_CODES, when a listed code is not documented (or documented with another status), and
// when the documentation lists a code that no longer exists.
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { ERROR_CODES } from '../../src/services/errors.js';

const ROOT = join(import.meta.dirname, '..', '..');

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? sourceFiles(path) : path.endsWith('.ts') ? [path] : [];
  });
}

/** Every literal error code in the source: ServiceError('x'), the HTTP mapper's make('x'), and { error: { code: 'x' } }. */
function codesUsedInSource(): Map<string, string> {
  const patterns = [/ServiceError\(\s*['"`]([a-z0-9_]+)['"`]/g, /\bmake\(\s*['"`]([a-z0-9_]+)['"`]/g, /error:\s*\{\s*code:\s*['"`]([a-z0-9_]+)['"`]/g];
  const used = new Map<string, string>();
  for (const file of sourceFiles(join(ROOT, 'src'))) {
    const text = readFileSync(file, 'utf8');
    for (const pattern of patterns) for (const match of text.matchAll(pattern)) used.set(match[1]!, file.slice(ROOT.length + 1));
  }
  return used;
}

function documentedCodes(): Map<string, number> {
  const text = readFileSync(join(ROOT, 'docs', 'errors.md'), 'utf8');
  const rows = new Map<string, number>();
  for (const match of text.matchAll(/^\| `([a-z0-9_]+)` \| (\d{3}) \| ([^|]+) \| ([^|]+) \|$/gm)) {
    assert.ok(!rows.has(match[1]!), `${match[1]} is documented twice`);
    assert.ok(match[3]!.trim().length > 10 && match[4]!.trim().length > 5, `${match[1]}: meaning and "when it appears" must both be written`);
    rows.set(match[1]!, Number(match[2]));
  }
  return rows;
}

test('every error code used in src/ is listed in ERROR_CODES', () => {
  const used = codesUsedInSource();
  // The scan must find what is certainly there, or it is scanning nothing.
  for (const code of ['not_found', 'internal_error', 'user_not_found', 'payload_too_large', 'too_many_attempts']) assert.ok(used.has(code), `scan missed ${code}`);
  for (const [code, file] of used) assert.ok(code in ERROR_CODES, `${file} uses error code "${code}", which is not in ERROR_CODES`);
});

test('every code in ERROR_CODES is documented in docs/errors.md with the same status, and nothing else is', () => {
  const documented = documentedCodes();
  for (const [code, { status }] of Object.entries(ERROR_CODES)) {
    assert.ok(documented.has(code), `docs/errors.md does not document "${code}"`);
    assert.equal(documented.get(code), status, `docs/errors.md gives "${code}" status ${documented.get(code)}, ERROR_CODES ${status}`);
  }
  for (const code of documented.keys()) assert.ok(code in ERROR_CODES, `docs/errors.md documents "${code}", which is not in ERROR_CODES`);
});

test('codes are snake_case and statuses are 4xx or 5xx', () => {
  for (const [code, { status }] of Object.entries(ERROR_CODES)) {
    assert.match(code, /^[a-z][a-z0-9]*(_[a-z0-9]+)*$/);
    assert.ok(status >= 400 && status <= 599, `${code}: ${status}`);
  }
});
