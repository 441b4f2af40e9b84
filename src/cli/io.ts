// Command-line plumbing: usage errors, output as tables or JSON, prompts, progress on a terminal.
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { createInterface } from 'node:readline';

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

type Options = NonNullable<ParseArgsConfig['options']>;

/** node:util parseArgs, with unknown options and missing values reported as usage errors. */
export function parse<O extends Options>(args: string[], options: O, positionals: { min: number; max: number; usage: string }) {
  let parsed;
  try {
    parsed = parseArgs({ args, options, allowPositionals: true, strict: true });
  } catch (error) {
    throw new UsageError(`${(error as Error).message}\nusage: ${positionals.usage}`);
  }
  const count = parsed.positionals.length;
  if (count < positionals.min || count > positionals.max) throw new UsageError(`usage: ${positionals.usage}`);
  return parsed;
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
      const onData = (chunk: Buffer) => {
        for (const char of chunk.toString('utf8')) {
          if (char === '\r' || char === '\n') {
            done();
            resolve(text);
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
  const lines = createInterface({ input, terminal: false });
  for await (const line of lines) {
    lines.close();
    return line;
  }
  throw new UsageError('expected a password on standard input (or pass --password)');
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
