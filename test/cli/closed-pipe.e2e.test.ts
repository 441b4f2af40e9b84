// Output piped into a reader that stops early (`otpgate token list | head -1`): the command ends quietly with
// its own exit code, without an EPIPE stack trace on standard error. Run as `node bin/otpgate.js`.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { makeTempDir, testEnv, writeFile } from '../helpers/installation.js';
import { BIN, runCli } from '../helpers/cli.js';

const dir = makeTempDir();
const env = testEnv(dir);

before(async () => {
  assert.equal((await runCli(['init'], env)).code, 0);
  // Far more than a pipe holds (64 KiB), so that writes go on after the reader has gone.
  const csv = Array.from({ length: 3000 }, (_, i) => `${String(6100000000000 + i)},${randomBytes(20).toString('hex')}\n`).join('');
  const imported = await runCli(['token', 'import', writeFile(dir, 'many.csv', csv)], env);
  assert.equal(imported.code, 0, imported.stderr);
});
after(() => rmSync(dir, { recursive: true, force: true }));

/** Runs the command, reads its first chunk of output, then closes the pipe as `head` does. */
function readFirstChunkThenClose(args: string[]): Promise<{ code: number | null; first: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { env, cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
    let first = '';
    let stderr = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.stdout.once('data', (chunk: Buffer) => {
      first = chunk.toString();
      child.stdout.destroy();
    });
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, first, stderr });
    });
  });
}

for (const args of [['token', 'list'], ['token', 'list', '--json']]) {
  test(`${args.join(' ')} | head: exits 0 with nothing on standard error`, async () => {
    const { code, first, stderr } = await readFirstChunkThenClose(args);
    assert.ok(first.length > 0, 'the first lines were written');
    assert.equal(stderr, '', 'no EPIPE stack trace');
    assert.equal(code, 0);
  });
}
