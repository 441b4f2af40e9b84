// Runs every test file under test/ with node's own test runner (tsx compiles the TypeScript), or only the
// files named on the command line; other arguments starting with `--` go to `node --test` as they are
// (e.g. --test-name-pattern=REGEX, --test-shuffle on Node 22+).
// Node 20's --test does not expand globs itself, so the files are listed here.
//
// Tests that start `bin/otpgate.js` run the compiled dist/, not src/: when any file under src/ (or the
// build's tsconfig) is newer than the newest file in dist/, this builds first, so that a single file run
// after an edit never tests stale code. OTPGATE_TEST_NO_BUILD=1 skips the check.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';

function findTests(dir) {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return findTests(path);
    return name.endsWith('.test.ts') ? [path] : [];
  });
}

/** The newest modification time of the files under `dir` (0 when there are none). */
function newestIn(dir, accept = () => true) {
  if (!existsSync(dir)) return 0;
  let newest = 0;
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    const stat = statSync(path);
    if (stat.isDirectory()) newest = Math.max(newest, newestIn(path, accept));
    else if (accept(name)) newest = Math.max(newest, stat.mtimeMs);
  }
  return newest;
}

function buildIfStale() {
  if (process.env.OTPGATE_TEST_NO_BUILD === '1') return;
  const sources = Math.max(newestIn('src', (name) => name.endsWith('.ts')), ...['tsconfig.json', 'tsconfig.build.json'].map((f) => (existsSync(f) ? statSync(f).mtimeMs : 0)));
  const built = newestIn('dist', (name) => name.endsWith('.js'));
  if (built >= sources) return;
  process.stderr.write(built === 0 ? 'dist/ is missing: building first (npm run build)\n' : 'src/ is newer than dist/: building first (npm run build)\n');
  const build = spawnSync('npm', ['run', 'build', '--silent'], { stdio: 'inherit' });
  if (build.status !== 0) process.exit(build.status ?? 1);
}

const args = process.argv.slice(2);
const options = args.filter((a) => a.startsWith('--'));
const only = args.filter((a) => !a.startsWith('--'));
const files = only.length > 0 ? only : findTests('test').sort();
buildIfStale();
const result = spawnSync(
  process.execPath,
  ['--import', 'tsx', '--test', '--test-concurrency=2', '--test-reporter=spec', ...options, ...files],
  { stdio: 'inherit', env: { ...process.env, NODE_NO_WARNINGS: '1' } },
);
process.exit(result.status ?? 1);
