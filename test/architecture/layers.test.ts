// Property: the layer table is enforced. For every folder of src/, ESLint (with the project's own
// eslint.config.js) refuses an import of each folder that MAY_IMPORT does not list for it — as a value and as
// a type — and accepts each folder it lists; a database driver in an adapter is refused; building a query
// (selectFrom, insertInto, updateTable, deleteFrom, sql``) anywhere in src/ but store/ is refused. The planted
// files are given to ESLint by path (lintText), so nothing is written into src/. docs/architecture.md's table
// shows the same edges as MAY_IMPORT.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { join } from 'node:path';
import { ESLint } from 'eslint';
import tseslint from 'typescript-eslint';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const { MAY_IMPORT } = (await import(pathToFileURL(join(ROOT, 'eslint.config.js')).href)) as { MAY_IMPORT: Record<string, string[]> };
const FOLDERS = Object.keys(MAY_IMPORT);

// The project's configuration, without the rules that need the TypeScript program (a planted file is in none).
const eslint = new ESLint({ cwd: ROOT, overrideConfig: [tseslint.configs.disableTypeChecked] });

/** The messages of one rule for `code` planted at `path` (relative to the repository). */
async function errorsOf(path: string, code: string, rule: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath: join(ROOT, path) });
  return result!.messages.filter((m) => m.ruleId === rule).map((m) => m.message);
}

test('the table names every folder of src/, and only those', () => {
  const folders = readdirSync(join(ROOT, 'src'), { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => e.name);
  assert.deepEqual([...FOLDERS].sort(), folders.sort());
  for (const [folder, allowed] of Object.entries(MAY_IMPORT)) for (const other of allowed) assert.ok(FOLDERS.includes(other) && other !== folder, `${folder} -> ${other}`);
});

test('every import the table forbids is a lint error, as a value and as a type; every one it allows is not', async () => {
  const wrong: string[] = [];
  for (const folder of FOLDERS) {
    for (const other of FOLDERS.filter((f) => f !== folder)) {
      const forbidden = !MAY_IMPORT[folder]!.includes(other);
      for (const code of [`import { planted } from '../${other}/planted.js';\nexport const used = planted;\n`, `import type { Planted } from '../${other}/deeper/planted.js';\nexport type Used = Planted;\n`]) {
        const errors = await errorsOf(`src/${folder}/planted-edge.ts`, code, 'no-restricted-imports');
        if (forbidden !== errors.length > 0) wrong.push(`${folder}/ -> ${other}/ (${code.split('\n')[0]}): ${forbidden ? 'passed lint' : `refused: ${errors.join('; ')}`}`);
      }
    }
  }
  assert.deepEqual(wrong, []);
});

test('the edges the 2026-12-07 review planted are refused', async () => {
  const planted: [string, string][] = [
    ['web', 'kysely'], ['web', '../store/token-store.js'], ['web', '../http/errors.js'],
    ['notify', '../store/notification-store.js'], ['notify', '../services/services.js'],
    ['core', '../crypto/master-key.js'], ['core', '../web/principal.js'], ['core', '../directory/ldap-directory.js'],
    ['services', '../web/principal.js'], ['services', '../runtime/config.js'],
    ['crypto', '../services/services.js'], ['crypto', '../store/database.js'],
    ['http', '../runtime/config.js'], ['radius', 'pg'], ['cli', 'better-sqlite3'], ['console', '../http/app.js'],
  ];
  for (const [folder, target] of planted) {
    const errors = await errorsOf(`src/${folder}/planted-edge.ts`, `import { planted } from '${target}';\nexport const used = planted;\n`, 'no-restricted-imports');
    assert.ok(errors.length > 0, `${folder}/ importing ${target} passed lint`);
  }
});

test('building a query outside src/store/ is a lint error; inside it is not', async () => {
  const queries = [
    "await db.selectFrom('users').selectAll().execute();",
    "await db.insertInto('users').values(row).execute();",
    "await trx.updateTable('tokens').set({ counter: 1 }).execute();",
    "await this.ctx.db.deleteFrom('sessions').where('user_id', '=', 1).execute();",
    'await sql`delete from sessions`.execute(db);',
    "await sql.raw('delete from sessions').execute(db);",
  ];
  const missed: string[] = [];
  for (const folder of FOLDERS) {
    for (const query of queries) {
      const errors = await errorsOf(`src/${folder}/planted-query.ts`, `declare const db: any, trx: any, sql: any, row: any;\nexport async function planted(this: any) {\n  ${query}\n}\n`, 'no-restricted-syntax');
      if ((folder === 'store') === errors.length > 0) missed.push(`${folder}/: ${query} ${folder === 'store' ? 'refused in store/' : 'passed lint'}`);
    }
  }
  assert.deepEqual(missed, []);
});

test("docs/architecture.md's table shows the same edges as MAY_IMPORT", () => {
  const page = readFileSync(join(ROOT, 'docs', 'architecture.md'), 'utf8');
  const documented = new Map<string, string[]>();
  for (const row of page.matchAll(/^\| `([a-z]+)\/` \|(.*)$/gm)) {
    // Columns: Owns | May import | May not import; the src/ folders of "May import" are written `name/`.
    const cells = row[2]!.replace(/\s*\|\s*$/, '').split(' | ');
    const mayImport = cells.at(-2) ?? '';
    documented.set(row[1]!, [...mayImport.matchAll(/`([a-z]+)\/`/g)].map((m) => m[1]!).sort());
  }
  assert.deepEqual([...documented.keys()].sort(), [...FOLDERS].sort(), 'one row per folder');
  for (const folder of FOLDERS) assert.deepEqual(documented.get(folder), [...MAY_IMPORT[folder]!].sort(), `docs/architecture.md, row ${folder}/`);
});
