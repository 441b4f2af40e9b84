// Command-line plumbing (commander parses the arguments, main.ts): usage errors, output as tables or JSON, prompts, progress on a terminal.
import { createInterface } from 'node:readline';
import { textProblem } from '../core/text.js';

/** Bad usage: exit code 2. */
export class UsageError extends Error {
  override name = 'UsageError';
}

export interface CommandIo {
  out: NodeJS.WritableStream & { isTTY?: boolean };
  err: NodeJS.WritableStream & { isTTY?: boolean; columns?: number };
  input: NodeJS.ReadableStream & { isTTY?: boolean; setRawMode?: (mode: boolean) => unknown };
}

export const processIo: CommandIo = { out: process.stdout, err: process.stderr, input: process.stdin };

const quietStreams = new WeakSet<NodeJS.WritableStream>();

/**
 * A reader that stops early (`otpgate token list | head`) closes the pipe, and the next write fails with
 * EPIPE: the rest of the output has nobody to read it. Like other command-line tools, the command then goes
 * on without printing (so the installation still closes as usual) instead of crashing with a stack trace.
 * Any other write error is still thrown.
 */
export function outputMayBeCutShort(stream: NodeJS.WritableStream): void {
  if (quietStreams.has(stream)) return;
  quietStreams.add(stream);
  stream.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code !== 'EPIPE') throw error;
  });
}

/**
 * Refuses arguments that are not text to store as given: a lone surrogate or a NUL (see core/text.ts), or
 * U+FFFD, which is what Node makes of bytes that are not UTF-8. The message names the option, never echoes
 * the value (it may be a password).
 */
export function refuseIllFormedArguments(argv: readonly string[]): void {
  argv.forEach((arg, i) => {
    const problem = textProblem(arg) ?? (arg.includes('\uFFFD') ? 'is not valid UTF-8 text (it holds U+FFFD, which bytes that are not UTF-8 become)' : null);
    if (problem === null) return;
    const previous = i > 0 ? argv[i - 1] : undefined;
    const what = previous?.startsWith('--') && !previous.includes('=') ? `the value of ${previous}` : `argument ${i + 1}`;
    throw new UsageError(`${what} ${problem}`);
  });
}

/** A line read from standard input: strict UTF-8, and text that can be stored as given. */
function checkedLine(bytes: Buffer): string {
  let line: string;
  try {
    line = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new UsageError('standard input is not valid UTF-8 text');
  }
  const problem = textProblem(line);
  if (problem !== null) throw new UsageError(`the line read from standard input ${problem}`);
  return line;
}

/** The first line of a pipe as bytes (without its line ending), or null when it ends before any byte. */
function readLineBytes(input: NodeJS.ReadableStream): Promise<Buffer | null> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const stop = () => {
      input.removeListener('data', onData);
      input.removeListener('end', onEnd);
      input.removeListener('error', onError);
      input.pause();
    };
    const finish = (line: Buffer | null) => {
      stop();
      resolve(line === null ? null : line.at(-1) === 0x0d ? line.subarray(0, -1) : line);
    };
    const onData = (chunk: Buffer | string) => {
      const bytes = typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk;
      const end = bytes.indexOf(0x0a);
      if (end < 0) {
        chunks.push(bytes);
        return;
      }
      chunks.push(bytes.subarray(0, end));
      finish(Buffer.concat(chunks));
    };
    const onEnd = () => finish(chunks.length > 0 ? Buffer.concat(chunks) : null);
    const onError = (error: Error) => {
      stop();
      reject(error);
    };
    input.on('data', onData);
    input.on('end', onEnd);
    input.on('error', onError);
    input.resume();
  });
}

export function printJson(io: CommandIo, value: unknown): void {
  io.out.write(`${JSON.stringify(value, null, 2)}\n`);
}

/** A plain aligned table; empty cells as `-`. */
export function printTable(io: CommandIo, headers: string[], rows: (string | number | null | undefined)[][]): void {
  const cells = rows.map((row) => row.map((cell) => (cell === null || cell === undefined || cell === '' ? '-' : String(cell))));
  const widths = headers.map((h, i) => Math.max(h.length, ...cells.map((row) => row[i]?.length ?? 0)));
  const line = (row: string[]) => row.map((cell, i) => cell.padEnd(widths[i] ?? 0)).join('  ').trimEnd();
  io.out.write(`${line(headers)}\n`);
  for (const row of cells) io.out.write(`${line(row)}\n`);
  if (rows.length === 0) io.out.write('(none)\n');
}

/** Reads one line: hidden on a terminal (a password), plain from a pipe. */
export async function readSecretLine(io: CommandIo, prompt: string): Promise<string> {
  const input = io.input;
  if (input.isTTY && input.setRawMode) {
    io.err.write(prompt);
    input.setRawMode(true);
    input.resume();
    return new Promise((resolve, reject) => {
      let text = '';
      const decoder = new TextDecoder('utf-8', { fatal: true });
      const onData = (chunk: Buffer) => {
        let typed: string;
        try {
          typed = decoder.decode(chunk, { stream: true });
        } catch {
          done();
          reject(new UsageError('the terminal sent text that is not valid UTF-8'));
          return;
        }
        for (const char of typed) {
          if (char === '\r' || char === '\n') {
            done();
            const problem = textProblem(text);
            if (problem === null) resolve(text);
            else reject(new UsageError(`the line typed ${problem}`));
            return;
          }
          if (char === '\u0003') {
            done();
            reject(new UsageError('cancelled'));
            return;
          }
          if (char === '\u007f') text = text.slice(0, -1);
          else text += char;
        }
      };
      const done = () => {
        input.removeListener('data', onData);
        input.setRawMode?.(false);
        input.pause();
        io.err.write('\n');
      };
      input.on('data', onData);
    });
  }
  const line = await readLineBytes(input);
  if (line === null) throw new UsageError('expected a password on standard input (or pass --password)');
  return checkedLine(line);
}

/** Asks yes/no on a terminal. */
export async function confirm(io: CommandIo, question: string): Promise<boolean> {
  const lines = createInterface({ input: io.input, output: io.err, terminal: false });
  io.err.write(`${question} [y/N] `);
  for await (const line of lines) {
    lines.close();
    return /^y(es)?$/i.test(line.trim());
  }
  return false;
}

/** A one-line progress display on a terminal; nothing otherwise (the final summary is printed anyway). */
export function progressLine(io: CommandIo): { update(text: string): void; done(): void } {
  if (!io.err.isTTY) return { update() {}, done() {} };
  let last = 0;
  let shown = false;
  return {
    update(text) {
      const now = Date.now();
      if (now - last < 100) return;
      last = now;
      shown = true;
      io.err.write(`\r\x1b[2K${text}`);
    },
    done() {
      if (shown) io.err.write('\r\x1b[2K');
    },
  };
}
