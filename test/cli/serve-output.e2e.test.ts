// Property: what `otpgate serve` prints keeps the banner (the first admin's password, once; where it
// listens) apart from the log. Not on a terminal, every line of standard output is either a banner line
// (plain text, never starting with "{") or one JSON log entry; with OTPGATE_LOG_FILE standard output is the
// banner alone. On a terminal (a real pseudo-terminal, through util-linux `script`) the log is short text
// lines (time, level, message, fields) and no JSON; OTPGATE_LOG_FORMAT chooses either anywhere.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { makeTempDir } from '../helpers/installation.js';
import { serve, testEnv } from '../helpers/app.js';
import { BIN, runCli } from '../helpers/cli.js';
import { waitFor } from '../helpers/wait.js';

const BANNER = [/^initialised a new installation in \S+$/, /^first admin of account "default": admin$/, /^password \(shown only now\): \S+$/, /^master key: .* back it up$/, /^otpgate listening on http:\/\/\S+$/];
const TEXT_LOG_LINE = /^\d\d:\d\d:\d\d\.\d{3} (TRACE|DEBUG|INFO |WARN |ERROR|FATAL) \S/;

function lines(output: string): string[] {
  return output.split(/\r?\n/).filter((line) => line !== '');
}

/** Every line is a banner line (each once, in order) or satisfies `isLog`; returns the log lines. */
function splitBanner(output: string, isLog: (line: string) => boolean): string[] {
  const log: string[] = [];
  const banner: string[] = [];
  for (const line of lines(output)) {
    if (BANNER.some((pattern) => pattern.test(line))) banner.push(line);
    else {
      assert.ok(isLog(line), `neither banner nor log: ${JSON.stringify(line)}`);
      log.push(line);
    }
  }
  assert.equal(banner.length, BANNER.length, `the banner, once: ${output}`);
  BANNER.forEach((pattern, i) => assert.match(banner[i]!, pattern));
  for (const line of banner) assert.ok(!line.startsWith('{'));
  return log;
}

function isJsonEntry(line: string): boolean {
  try {
    const entry = JSON.parse(line) as { level?: unknown; time?: unknown; msg?: unknown };
    return typeof entry.level === 'number' && typeof entry.time === 'number' && typeof entry.msg === 'string';
  } catch {
    return false;
  }
}

describe('otpgate serve output', () => {
  const dirs: string[] = [];
  const dir = () => {
    const made = makeTempDir('otpgate-serve-output-');
    dirs.push(made);
    return made;
  };
  after(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

  it('not on a terminal: banner lines and JSON log entries, each line one or the other', async () => {
    const server = await serve(testEnv(join(dir(), 'data'), { OTPGATE_LOG_LEVEL: 'info' }));
    try {
      assert.equal((await fetch(`${server.url}/login`)).status, 200);
      await waitFor('the access log line', () => server.stdout().includes('"path":"/login"'));
    } finally {
      await server.stop();
    }
    const log = splitBanner(server.stdout(), isJsonEntry);
    assert.ok(log.some((line) => /"msg":"request"/.test(line) && /"status":200/.test(line)), server.stdout());
    const password = /password \(shown only now\): (\S+)/.exec(server.stdout())![1]!;
    assert.ok(!log.some((line) => line.includes(password)), 'the password is not in the log');
  });

  it('with OTPGATE_LOG_FILE: standard output is the banner alone, the file the JSON log', async () => {
    const base = dir();
    const logFile = join(base, 'otpgate.log');
    const server = await serve(testEnv(join(base, 'data'), { OTPGATE_LOG_LEVEL: 'info', OTPGATE_LOG_FILE: logFile }));
    try {
      assert.equal((await fetch(`${server.url}/login`)).status, 200);
      await waitFor('the access log line in the file', () => existsSync(logFile) && readFileSync(logFile, 'utf8').includes('"path":"/login"'));
    } finally {
      await server.stop();
    }
    assert.deepEqual(splitBanner(server.stdout(), () => false), []);
    for (const line of lines(readFileSync(logFile, 'utf8'))) assert.ok(isJsonEntry(line), line);
  });

  it('OTPGATE_LOG_FORMAT=text: the log as text lines, fields included; an unknown format is refused', async () => {
    const server = await serve(testEnv(join(dir(), 'data'), { OTPGATE_LOG_LEVEL: 'info', OTPGATE_LOG_FORMAT: 'text' }));
    try {
      assert.equal((await fetch(`${server.url}/login`)).status, 200);
      await waitFor('the access log line', () => server.stdout().includes('path=/login'));
    } finally {
      await server.stop();
    }
    const log = splitBanner(server.stdout(), (line) => TEXT_LOG_LINE.test(line));
    assert.ok(log.some((line) => / INFO {2}request .*method=GET path=\/login status=200 ms=/.test(line)), server.stdout());
    const bad = await runCli(['serve'], testEnv(join(dir(), 'data'), { OTPGATE_LOG_FORMAT: 'pretty', OTPGATE_PORT: '0' }));
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /OTPGATE_LOG_FORMAT must be json, text or auto, not "pretty"/);
  });

  it('on a terminal: text log lines by default, no JSON', async () => {
    const env = testEnv(join(dir(), 'data'), { OTPGATE_LOG_LEVEL: 'info', OTPGATE_HOST: '127.0.0.1' });
    const command = `'${process.execPath}' '${BIN}' serve`;
    const child = spawn('script', ['-qec', command, '/dev/null'], { env: { PATH: process.env.PATH, ...env }, stdio: ['pipe', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (output += d));
    const exited = new Promise<void>((resolve) => child.once('close', () => resolve()));
    try {
      await waitFor('listening', () => /otpgate listening on (http:\/\/\S+)\r?\n/.test(output), { timeoutMs: 60_000 });
      const url = /otpgate listening on (http:\/\/\S+?)\r?\n/.exec(output)![1]!;
      assert.equal((await fetch(`${url}/login`)).status, 200);
      await waitFor('the access log line', () => output.includes('path=/login'));
    } finally {
      child.kill('SIGTERM');
      await exited;
    }
    const log = splitBanner(output.slice(0, output.indexOf('path=/login') + 'path=/login'.length), (line) => TEXT_LOG_LINE.test(line));
    assert.ok(log.some((line) => / INFO {2}request .*path=\/login/.test(line)), output);
    assert.ok(!lines(output).some((line) => line.startsWith('{')), output);
  });
});
