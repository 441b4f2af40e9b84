// npm run fuzz: the property-based targets of test/fuzz/targets.ts, 10^5 cases each (FUZZ_RUNS to change
// it, FUZZ_TARGETS=a,b for some of them), in this process with inject (no real port). The cases run in
// slices of 10^4, each with its own seed; after each slice the target's counts so far are printed and
// written to its row of docs/fuzzing.md (rows of targets not run now are kept), so that several processes
// can each run some targets. Run with tsx: node --import tsx scripts/fuzz.mjs
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import fc from 'fast-check';

const { TARGETS } = await import('../test/fuzz/targets.ts');
const runs = Number(process.env.FUZZ_RUNS ?? 100_000);
const only = process.env.FUZZ_TARGETS?.split(',');
const SLICE = 10_000;
const DOC = new URL('../docs/fuzzing.md', import.meta.url);

/**
 * The table rows of docs/fuzzing.md by target, updated with one row and written back.
 * @param {string} target
 * @param {string} row
 */
function writeRow(target, row) {
  const rows = new Map();
  if (existsSync(DOC)) for (const match of readFileSync(DOC, 'utf8').matchAll(/^\| `([a-z-]+)` \|.*\|$/gm)) rows.set(match[1], match[0]);
  rows.set(target, row);
  const order = TARGETS.map((t) => t.name);
  const table = [...rows].sort(([a], [b]) => order.indexOf(a) - order.indexOf(b)).map(([, line]) => line).join('\n');
  writeFileSync(
    DOC,
    `# Fuzzing: the last run of \`npm run fuzz\`

\`npm run fuzz\` runs every property-based target of \`test/fuzz/targets.ts\` with 100,000 cases each, in
slices of 10,000 with their own seeds (\`npm test\` runs the same targets with a few hundred cases each, in
\`test/fuzz/properties.test.ts\`). What each target generates and checks is described in
[security.md](security.md#how-it-stays-found). A failure prints fast-check's counterexample, seed and path;
replay it with \`fc.assert(property, { seed, path })\`.

Each row is the last run of that target: when it ended, its Node version, the cases run, how many failed,
and its wall-clock time on the machine it ran on (shared with other work, so the times say little).

| Target | Finished (UTC) | Node | Cases | Failed | Seconds |
| --- | --- | --- | ---: | ---: | ---: |
${table}
`,
  );
}

let failed = false;
for (const target of TARGETS) {
  if (only && !only.includes(target.name)) continue;
  const started = Date.now();
  const { property, close } = await target.start();
  let done = 0;
  let failures = 0;
  try {
    for (let slice = 0; done < runs && failures === 0; slice++) {
      const seed = (started + slice) | 0;
      const details = await fc.check(property, { numRuns: Math.min(SLICE, runs - done), seed, endOnFailure: true });
      done += details.numRuns;
      if (details.failed) {
        failures++;
        console.log(fc.defaultReportMessage(details));
      }
      const seconds = (Date.now() - started) / 1000;
      const when = new Date().toISOString().slice(0, 16).replace('T', ' ');
      console.log(`${target.name}: ${done} cases, ${failures} failed, ${seconds.toFixed(0)} s`);
      writeRow(target.name, `| \`${target.name}\` | ${when} | ${process.version} | ${done.toLocaleString('en')}${done < runs && failures === 0 ? ' (running)' : ''} | ${failures} | ${seconds.toFixed(0)} |`);
    }
  } finally {
    await close();
  }
  if (failures > 0) failed = true;
}
process.exit(failed ? 1 : 0);
