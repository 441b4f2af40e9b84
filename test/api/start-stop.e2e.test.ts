// Property: `otpgate serve`, started and stopped with SIGTERM again and again, idle and in the middle of
// sign-in load, always exits 0 with nothing on stderr (a native abort — issue 18: better-sqlite3 on Node 24
// — or a death by the signal itself would show there), and leaves a database that passes SQLite's integrity
// check and `otpgate audit verify`, with an audit event for every sign-in that was answered.
// The suite runs on each supported Node (.ci/run: the machine's, then Node 24), so each gets these cycles
// (all 50 only under CI=true).
import { strict as assert } from 'node:assert';
import { spawn, type ChildProcess } from 'node:child_process';
import { request } from 'node:http';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import SQLite from 'better-sqlite3';
import { testEnv } from '../helpers/app.js';
import { BIN, createKey, runCli } from '../helpers/cli.js';
import { makeTempDir } from '../helpers/temp-dir.js';

/**
 * Start/stop cycles in all, every other one under load: the 50-cycle soak under CI=true (each supported Node
 * gets it there), four on a developer's machine, enough to see a start or a stop go wrong without the soak's
 * minutes.
 */
const CYCLES = process.env.CI === 'true' ? 50 : 4;
/**
 * Cycles run in this many lanes at once, each lane with its own data directory (independent installations,
 * so running them side by side changes nothing about what each one checks).
 */
const LANES = 2;
/** Sign-in requests kept in flight during a load cycle. */
const CONCURRENCY = 8;
/** SIGTERM is sent once this many sign-ins of the cycle have been answered. */
const ANSWERED_BEFORE_SIGTERM = 10;

const PASSWORD = 'a long enough password';
/** Generous: the machine may be busy with other test files; a start normally takes well under a second. */
const START_TIMEOUT_MS = 60_000;

interface Answer {
  status: number;
  body: string;
}

/** One POST /api/v1/auth/check on a connection of its own; null when the connection fails (the server has stopped). */
function signIn(url: string, key: string): Promise<Answer | null> {
  const body = JSON.stringify({ username: 'alice', password: PASSWORD });
  return new Promise((resolve) => {
    const req = request(
      `${url}/api/v1/auth/check`,
      { method: 'POST', agent: false, headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json', connection: 'close' } },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (text += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
        res.on('error', () => resolve(null));
      },
    );
    req.on('error', () => resolve(null));
    req.end(body);
  });
}

interface Server {
  child: ChildProcess;
  url: string;
  stderr: () => string;
  exited: Promise<number | null>;
}

/** Starts `otpgate serve`; resolves once it prints its URL. A server that does not get there is killed. */
function start(env: Record<string, string>): Promise<Server> {
  const child = spawn(process.execPath, [BIN, 'serve'], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (err += chunk));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`no "listening" within ${START_TIMEOUT_MS / 1000} s; stdout: ${out} stderr: ${err}`));
    }, START_TIMEOUT_MS);
    child.stdout.on('data', () => {
      const url = /otpgate listening on (http:\/\/\S+)/.exec(out)?.[1];
      if (!url) return;
      clearTimeout(timer);
      resolve({ child, url, stderr: () => err, exited });
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`exited before listening (code ${code}, signal ${child.signalCode}); stdout: ${out} stderr: ${err}`));
    });
  });
}

/** One cycle; returns the problems seen (none is a pass) and how many sign-ins were accepted. */
async function cycle(env: Record<string, string>, key: string, underLoad: boolean): Promise<{ problems: string[]; accepted: number }> {
  const problems: string[] = [];
  let server: Server;
  try {
    server = await start(env);
  } catch (error) {
    return { problems: [`did not start: ${String(error)}`], accepted: 0 };
  }
  let accepted = 0;
  if (underLoad) {
    let answered = 0;
    let signalled = false;
    const worker = async (): Promise<void> => {
      for (;;) {
        const answer = await signIn(server.url, key);
        if (!answer) {
          if (signalled) return;
          problems.push('a sign-in failed before SIGTERM');
          return;
        }
        if (answer.status === 200 && answer.body === '{"result":"accept"}') accepted++;
        // Once stopping, the server refuses what reaches it after it stopped accepting: 503, never a wrong answer.
        else if (!(signalled && answer.status === 503)) problems.push(`sign-in answered ${answer.status} ${answer.body}`);
        if (++answered === ANSWERED_BEFORE_SIGTERM) {
          signalled = true;
          server.child.kill('SIGTERM');
        }
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));
    if (!signalled) server.child.kill('SIGTERM');
  } else {
    server.child.kill('SIGTERM');
  }
  const code = await server.exited;
  if (code !== 0 || server.child.signalCode !== null) problems.push(`exit code ${code}, signal ${server.child.signalCode}`);
  if (server.stderr() !== '') problems.push(`stderr: ${server.stderr().slice(0, 2000)}`);
  return { problems, accepted };
}

async function lane(lane: number, cycles: number): Promise<{ problems: string[]; cycles: number; underLoad: number }> {
  const dir = makeTempDir('otpgate-start-stop-');
  try {
    const env = testEnv(dir);
    const init = await runCli(['init'], env);
    assert.equal(init.code, 0, `init: ${init.stdout} ${init.stderr}`);
    const created = await runCli(['user', 'create', 'alice', '--password', PASSWORD], env);
    assert.equal(created.code, 0, `user create: ${created.stdout} ${created.stderr}`);
    const key = await createKey(env, 'app', '--scope', 'check');
    const problems: string[] = [];
    let accepted = 0;
    let underLoad = 0;
    for (let n = 0; n < cycles; n++) {
      const load = n % 2 === 1;
      if (load) underLoad++;
      const result = await cycle(env, key, load);
      accepted += result.accepted;
      problems.push(...result.problems.map((p) => `lane ${lane} cycle ${n}${load ? ' (under load)' : ''}: ${p}`));
    }

    // The database after all the stops: SQLite's own check, the audit chain, and every accepted sign-in's event.
    const db = new SQLite(join(dir, 'otpgate.db'), { readonly: true });
    try {
      const integrity = db.pragma('integrity_check', { simple: true });
      if (integrity !== 'ok') problems.push(`lane ${lane}: integrity_check: ${String(integrity)}`);
    } finally {
      db.close();
    }
    const verify = await runCli(['audit', 'verify'], env);
    if (verify.code !== 0) problems.push(`lane ${lane}: audit verify exited ${verify.code}: ${verify.stdout} ${verify.stderr}`);
    const listed = await runCli(['audit', 'list', '--user', 'alice', '--outcome', 'accept', '--limit', String(accepted + 1000), '--json'], env);
    assert.equal(listed.code, 0, listed.stderr);
    const events = (JSON.parse(listed.stdout) as { action: string }[]).filter((e) => e.action === 'signin').length;
    if (events < accepted) problems.push(`lane ${lane}: ${accepted} sign-ins answered accept, only ${events} in the audit log`);
    if (accepted < underLoad * ANSWERED_BEFORE_SIGTERM) problems.push(`lane ${lane}: only ${accepted} sign-ins accepted in ${underLoad} load cycles`);
    return { problems, cycles, underLoad };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

test(`serve: ${CYCLES} SIGTERM stops, every other one during sign-in load: exit 0, empty stderr, database intact`, { timeout: 30 * 60_000 }, async () => {
  const perLane = Array.from({ length: LANES }, (_, i) => Math.floor(CYCLES / LANES) + (i < CYCLES % LANES ? 1 : 0));
  const results = await Promise.all(perLane.map((cycles, i) => lane(i, cycles)));
  const problems = results.flatMap((r) => r.problems);
  const cycles = results.reduce((sum, r) => sum + r.cycles, 0);
  assert.equal(cycles, CYCLES);
  assert.deepEqual(problems, [], `${problems.length} problem(s) in ${cycles} start/stop cycles on Node ${process.version}`);
});
