// The one temporary-directory helper: a fresh directory under the system's temp dir, removed when the test
// process exits (a test may remove it earlier with `removeTempDir`).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const made = new Set<string>();
let hooked = false;

/** Removes `dir` and everything under it (nothing when it is gone already). */
export function removeTempDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
  made.delete(dir);
}

/** A new empty directory (mode 0700, as mkdtemp makes it) whose name starts with `prefix`. */
export function makeTempDir(prefix = 'otpgate-test-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  made.add(dir);
  if (!hooked) {
    hooked = true;
    process.once('exit', () => {
      for (const left of made) rmSync(left, { recursive: true, force: true });
    });
  }
  return dir;
}
