// The log as short plain lines, for a person watching `otpgate serve` on a terminal: pino writes each entry
// as one JSON line to `write`; this prints it as `HH:MM:SS.mmm LEVEL message key=value ...` instead. Only
// the presentation changes: the entry is the one pino built, redactions included. Anywhere else (a pipe, a
// file, a log collector) the log stays JSON.
const LEVELS: Record<number, string> = { 10: 'TRACE', 20: 'DEBUG', 30: 'INFO', 40: 'WARN', 50: 'ERROR', 60: 'FATAL' };
/** Fields every entry has, shown in their own places or not at all. */
const OMITTED = new Set(['level', 'time', 'msg', 'pid', 'hostname']);

function value(field: unknown): string {
  if (typeof field === 'string') return /^[^\s"=]+$/.test(field) ? field : JSON.stringify(field);
  return JSON.stringify(field) ?? String(field);
}

/** One pino JSON line as one text line (a line that is not JSON passes through unchanged). */
export function textLogLine(line: string): string {
  let entry: Record<string, unknown>;
  try {
    entry = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return line.endsWith('\n') ? line : `${line}\n`;
  }
  const time = typeof entry.time === 'number' ? new Date(entry.time).toISOString().slice(11, 23) : '--:--:--.---';
  const level = (LEVELS[entry.level as number] ?? String(entry.level)).padEnd(5);
  const fields = Object.entries(entry)
    .filter(([key]) => !OMITTED.has(key))
    .map(([key, field]) => `${key}=${value(field)}`);
  return `${[time, level, typeof entry.msg === 'string' ? entry.msg : '', ...fields].filter((part) => part !== '').join(' ')}\n`;
}

/** A stream for pino that writes text lines to `out`. */
export function textLogStream(out: { write(text: string): unknown }): { write(line: string): void } {
  return { write: (line) => void out.write(textLogLine(line)) };
}
