// Runs every test file under test/ with node's own test runner (tsx compiles the TypeScript), or only the
// files and folders named on the command line (a folder stands for every test file under it); other
// arguments starting with `--` go to `node --test` as they are (e.g. --test-name-pattern=REGEX,
// --test-shuffle on Node 22+). A selection that holds no test file fails: a typo must not pass as green.
// Node 20's --test does not expand globs itself, so the files are listed here.
//
// --fast (npm run test:fast) leaves out the `*.e2e.test.ts` files — those that start otpgate, a browser or
// another server — and does not build: what is left runs from src/ through tsx.
// Files run side by side, as many as the machine has cores (os.availableParallelism()); OTPGATE_TEST_CONCURRENCY
// sets another number.
//
// Tests that start `bin/otpgate.js` run the compiled dist/, not src/: when any file under src/ (or the
// build's tsconfig) is newer than the newest file in dist/, this builds first, so that a single file run
// after an edit never tests stale code. OTPGATE_TEST_NO_BUILD=1 skips the check.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';

const E2E = '.e2e.test.ts';

/**
 * @param {string} dir
 * @returns {string[]}
 */
function findTests(dir) {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return findTests(path);
    return name.endsWith('.test.ts') ? [path] : [];
  });
}

/**
 * The newest modification time of the files under `dir` (0 when there are none).
 * @param {string} dir
 * @param {(name: string) => boolean} [accept]
 * @returns {number}
 */
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

/**
 * The test files a command-line argument stands for: a file as it is, a folder as every test file under it.
 * @param {string} arg
 * @returns {string[]}
 */
function expand(arg) {
  if (!existsSync(arg)) {
    process.stderr.write(`run-tests: no such file or folder: ${arg}\n`);
    process.exit(2);
  }
  return statSync(arg).isDirectory() ? findTests(arg).sort() : [arg];
}

const args = process.argv.slice(2);
const fast = args.includes('--fast');
const options = args.filter((a) => a.startsWith('--') && a !== '--fast');
const only = args.filter((a) => !a.startsWith('--'));
const selected = only.length > 0 ? only.flatMap(expand) : findTests('test').sort();
const files = fast ? selected.filter((file) => !file.endsWith(E2E)) : selected;
if (files.length === 0) {
  process.stderr.write(`run-tests: no test file in ${only.length > 0 ? only.join(' ') : 'test/'}${fast ? ` once the ${E2E} files are left out` : ''}\n`);
  process.exit(2);
}
const concurrency = Number(process.env.OTPGATE_TEST_CONCURRENCY ?? availableParallelism());
if (!fast) buildIfStale();
const result = spawnSync(
  process.execPath,
  ['--import', 'tsx', '--test', `--test-concurrency=${concurrency}`, '--test-reporter=spec', ...options, ...files],
  { stdio: 'inherit', env: { ...process.env, NODE_NO_WARNINGS: '1' } },
);
process.exit(result.status ?? 1);
