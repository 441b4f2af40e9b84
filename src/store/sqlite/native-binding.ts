// better-sqlite3 12 wraps its database and statements in node::ObjectWrap. Compiled against the headers of
// Node.js 24.19 or later, that class gives every object an environment cleanup hook, and removing the hook
// when V8 collects a statement aborts the process (`Assertion failed: (env) != nullptr`): at random, at
// start, under load or at exit (issue 18). better-sqlite3's own prebuilt binaries for Node 24 are built
// against the 24.0.0 headers and are fine; a build from source must use headers older than 24.19 (docs/installation.md,
// "Node.js versions"). Such a binary is recognised by the hook removal it imports, which better-sqlite3's own
// code never calls.
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

const MARKER = 'RemoveEnvironmentCleanupHook';

/** Where better-sqlite3 loads its native module from (its `bindings` lookup finds build/Release first). */
export function sqliteBindingPath(): string {
  const packageJson = createRequire(import.meta.url).resolve('better-sqlite3/package.json');
  return join(dirname(packageJson), 'build', 'Release', 'better_sqlite3.node');
}

/** Null when the native module is usable (or not there to look at); otherwise what is wrong and what to do. */
export function sqliteBindingProblem(path = sqliteBindingPath()): string | null {
  if (!existsSync(path) || !readFileSync(path).includes(MARKER)) return null;
  return (
    `${path} was built against Node.js headers (24.19 or later) with which it aborts the process when a ` +
    'statement is garbage-collected; rebuild it against the Node.js 24.0.0 headers: ' +
    '`npm_config_nodedir=$(bash scripts/registry-node.sh 24.0.0) npm rebuild better-sqlite3` (docs/installation.md, "Node.js versions")'
  );
}

let checked: string | null | undefined;

/** Throws, once per process, when the native module is one that would abort the process. */
export function assertUsableSqliteBinding(): void {
  checked ??= sqliteBindingProblem();
  if (checked) throw new Error(checked);
}
