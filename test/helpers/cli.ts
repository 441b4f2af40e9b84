// The real command line, as a child process. bin/otpgate.js loads dist/: scripts/run-tests.mjs builds
// first when src/ is newer than dist/. The one place tests run `otpgate` from.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const BIN = fileURLToPath(new URL('../../bin/otpgate.js', import.meta.url));

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs `otpgate ARGS` with exactly this environment (plus PATH) to completion; stdin is a pipe, never a
 * terminal, and gets `stdin`. `cwd` is where the command runs (default: this process's).
 */
export function runCli(args: string[], env: NodeJS.ProcessEnv, stdin = '', cwd?: string): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { env: { PATH: process.env.PATH, ...env }, stdio: ['pipe', 'pipe', 'pipe'], ...(cwd ? { cwd } : {}) });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(stdin);
  });
}

/** The last line of `otpgate apikey create NAME FLAGS`: the key. */
export async function createKey(env: NodeJS.ProcessEnv, name: string, ...flags: string[]): Promise<string> {
  const result = await runCli(['apikey', 'create', name, ...flags], env);
  if (result.code !== 0) throw new Error(`apikey create failed: ${result.stderr}`);
  return result.stdout.trim().split('\n').at(-1)!;
}
