// Preloaded into a process under test (node --import): at exit, writes its peak resident set size (VmHWM)
// in kB to the file named by BENCH_PEAK_RSS_FILE.
import { readFileSync, writeFileSync } from 'node:fs';

const target = process.env.BENCH_PEAK_RSS_FILE;
if (target) {
  process.on('exit', () => {
    const match = /VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'));
    writeFileSync(target, match ? /** @type {string} */ (match[1]) : '0');
  });
}
