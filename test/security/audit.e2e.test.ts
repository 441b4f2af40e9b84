// Property: every change and every sign-in writes an audit event; no passcode, password or seed appears in
// any audit row; `audit verify` passes on an untouched log and fails (exit 1) after any one column of an
// event is modified with SQL (naming that event), after a middle event is deleted or two events swapped
// (naming the first event out of place), and after the last event is deleted.
//
// Through the HTTP API (the real Fastify app): every sign-in check and every change made through the API writes an audit event naming the
// API key (actor "apikey:<name>"), the client address and the outcome (and, for checks and refusals, the
// reason); GET /audit filters by user, time range and outcome, newest first, in pages.
import assert from 'node:assert/strict';
import { copyFileSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { after, before, describe, it, test } from 'node:test';
import SQLite from 'better-sqlite3';
import type { AuditEventView } from '../../src/services/audit-service.js';
import { call, check, makeFixture } from '../helpers/app.js';
import { runCli } from '../helpers/cli.js';
import { makeTempDir, PASSWORD, testEnv, writeFile } from '../helpers/installation.js';
import { oathCode, wrongCode } from '../helpers/otp.js';
import { randomSecretHex } from '../helpers/secrets.js';

describe('audit log', () => {
  const dir = makeTempDir();
  const files = makeTempDir();
  /** Copies of the installation made by the tamper tests. */
  const copies: string[] = [];
  const env = testEnv(dir);
  const secret = randomSecretHex();
  const cli = (...args: string[]) => runCli(args, env);
  const secrets: string[] = [PASSWORD, 'new password 42', 'wrong password 7', secret];
  const rows = () => {
    const db = new SQLite(join(dir, 'otpgate.db'), { readonly: true });
    try {
      return db.prepare('SELECT * FROM audit_events ORDER BY id').all() as Record<string, string | number | null>[];
    } finally {
      db.close();
    }
  };
  before(async () => {
    assert.equal((await cli('init')).code, 0);
    const steps: string[][] = [
      ['token', 'import', writeFile(files, 's.csv', `9000000000001,${secret}\n`)],
      ['user', 'create', 'alice', '--password', PASSWORD],
      ['token', 'associate', 'alice', '9000000000001', oathCode(secret, 0)],
      ['check', 'alice', '--password', PASSWORD, '--otp', oathCode(secret, 1)],
      ['check', 'alice', '--password', 'wrong password 7', '--otp', oathCode(secret, 2)],
      ['check', 'alice', '--password', PASSWORD, '--otp', wrongCode(secret, 2)],
      ['token', 'resync', 'alice', oathCode(secret, 10), oathCode(secret, 11)],
      ['token', 'unlock', '9000000000001'],
      ['restriction', 'set', 'alice', '--default', 'require_otp', '--rule', '10.0.0.0/8=allow'],
      ['user', 'passwd', 'alice', '--password', 'new password 42'],
      ['token', 'disassociate', 'alice', '--yes'],
      ['account', 'create', 'other'],
    ];
    for (const args of steps) {
      const r = await cli(...args);
      assert.ok(r.code === 0 || args[0] === 'check', `${args.join(' ')}: ${r.stderr}`);
    }
    secrets.push(oathCode(secret, 1), oathCode(secret, 2), wrongCode(secret, 2), oathCode(secret, 10), oathCode(secret, 11));
  });
  after(() => {
    for (const d of [dir, files, ...copies]) rmSync(d, { recursive: true, force: true });
  });

  it('records every change and every sign-in', () => {
    const actions = rows().map((r) => `${String(r.action)}:${String(r.outcome)}`);
    for (const expected of ['account.create:success', 'user.create:success', 'token.import:success', 'token.associate:success', 'signin:accept', 'signin:reject', 'token.resync:success', 'token.unlock:success', 'restriction.set:success', 'user.update:success', 'token.disassociate:success']) {
      assert.ok(actions.includes(expected), `${expected} missing from ${actions.join(', ')}`);
    }
    assert.equal(actions.filter((a) => a.startsWith('signin:')).length, 3);
  });

  it('holds no passcode, password or seed in any row', () => {
    const text = JSON.stringify(rows());
    for (const s of secrets) assert.ok(!text.includes(s), `audit rows contain ${s}`);
    assert.ok(!text.toLowerCase().includes(secret.toLowerCase()));
  });

  /** A copy of the installation (database and master key) in a new directory, removed in after(). */
  const copyOfInstallation = (): string => {
    const copy = makeTempDir();
    copies.push(copy);
    for (const f of readdirSync(dir)) copyFileSync(join(dir, f), join(copy, f));
    return copy;
  };
  /** Runs SQL on a copy of the installation, then `audit verify` on that copy. */
  const tamperedVerify = async (sql: string, ...params: unknown[]) => {
    const copy = copyOfInstallation();
    const db = new SQLite(join(copy, 'otpgate.db'));
    try {
      assert.ok(db.prepare(sql).run(...params).changes > 0, `${sql} changed no row`);
    } finally {
      db.close();
    }
    return runCli(['audit', 'verify'], testEnv(copy));
  };
  /** An event in the middle of the log: neither the first nor the last. */
  const middleEvent = () => {
    const all = rows();
    assert.ok(all.length >= 8, 'enough events for a middle one');
    return all[Math.floor(all.length / 2)]!;
  };

  it('verifies when untouched, and fails after an event is modified', async () => {
    const ok = await cli('audit', 'verify');
    assert.equal(ok.code, 0, ok.stdout);
    assert.match(ok.stdout, /intact/);
    const broken = await tamperedVerify("UPDATE audit_events SET outcome = 'accept' WHERE id = (SELECT min(id) FROM audit_events WHERE action = 'signin' AND outcome = 'reject')");
    assert.equal(broken.code, 1);
    assert.match(broken.stdout, /BROKEN at event/);
    assert.equal((await cli('audit', 'verify')).code, 0, 'the original is untouched');
  });

  // Every stored column is covered by the chain: changing any one of them in one event breaks the chain at
  // that event (a column left out of the HMAC could be rewritten unnoticed).
  const otherValue: Record<string, (value: string | number | null) => string | number> = {
    account_id: (v) => (v === 1 ? 2 : 1),
    at: (v) => Number(v) + 1,
    actor: (v) => `${String(v)}x`,
    action: (v) => (v === 'signin' ? 'user.create' : 'signin'),
    target_user: (v) => (v === null ? 'mallory' : `${String(v)}x`),
    target_serial: (v) => (v === null ? '9000000000999' : `${String(v)}9`),
    client_ip: (v) => (v === '203.0.113.66' ? '203.0.113.67' : '203.0.113.66'),
    outcome: (v) => (v === 'success' ? 'failure' : 'success'),
    reason: (v) => (v === null ? 'forged reason' : `${String(v)}x`),
    // Not under the event's HMAC, but each chain starts from a value naming it: an event moved to another
    // chain breaks that chain where it lands (and the one it left).
    chain_id: (v) => (v === 1 ? 2 : 1),
  };
  for (const column of Object.keys(otherValue)) {
    it(`fails at the event whose ${column} was changed`, async () => {
      const event = middleEvent();
      assert.ok(column in event, `audit_events has a ${column} column`);
      const broken = await tamperedVerify(`UPDATE audit_events SET ${column} = ? WHERE id = ?`, otherValue[column]!(event[column] ?? null), event.id);
      assert.equal(broken.code, 1, broken.stdout);
      assert.match(broken.stdout, new RegExp(`BROKEN at event ${String(event.id)}:`));
    });
  }

  it('covers every column of audit_events (a new column must be added to the tamper tests above)', () => {
    const columns = Object.keys(rows()[0]!).filter((c) => c !== 'id' && c !== 'chain');
    assert.deepEqual(columns.sort(), Object.keys(otherValue).sort());
  });

  it('fails at the next event after a middle event is deleted', async () => {
    const all = rows();
    const index = Math.floor(all.length / 2);
    const broken = await tamperedVerify('DELETE FROM audit_events WHERE id = ?', all[index]!.id);
    assert.equal(broken.code, 1, broken.stdout);
    assert.match(broken.stdout, new RegExp(`BROKEN at event ${String(all[index + 1]!.id)}:`));
  });

  it('fails at the first of two events whose contents were swapped', async () => {
    const all = rows();
    const [first, second] = [all[2]!, all[5]!];
    const columns = Object.keys(first).filter((c) => c !== 'id');
    const copy = copyOfInstallation();
    const db = new SQLite(join(copy, 'otpgate.db'));
    try {
      const set = db.prepare(`UPDATE audit_events SET ${columns.map((c) => `${c} = @${c}`).join(', ')} WHERE id = @id`);
      db.transaction(() => {
        set.run({ ...second, id: first.id });
        set.run({ ...first, id: second.id });
      })();
    } finally {
      db.close();
    }
    const broken = await runCli(['audit', 'verify'], testEnv(copy));
    assert.equal(broken.code, 1, broken.stdout);
    assert.match(broken.stdout, new RegExp(`BROKEN at event ${String(first.id)}:`));
  });

  it('fails after the last event is deleted', async () => {
    const db = new SQLite(join(dir, 'otpgate.db'));
    db.prepare('DELETE FROM audit_events WHERE id = (SELECT max(id) FROM audit_events)').run();
    db.close();
    const broken = await cli('audit', 'verify');
    assert.equal(broken.code, 1);
    assert.match(broken.stdout, /BROKEN: its last events were removed/);
  });
});

// ---- through the HTTP API ----------------------------------------------------------------------------

type Event = AuditEventView;

test('every check and change through the API is audited with actor, client IP, outcome and reason', async (t) => {
  const f = await makeFixture();
  t.after(() => f.close());
  const from = '192.0.2.44';
  const admin = (method: string, url: string, body?: unknown) => call(f.app, method, url, { key: f.keys.admin, body, remoteAddress: from });
  const spare = f.spare[0]!;
  const steps: { run: () => Promise<unknown>; action: string; outcome: string; actor?: string; reason?: RegExp }[] = [
    { run: () => check(f.app, f.keys.check, { username: 'bob', password: PASSWORD }, { remoteAddress: from }), action: 'signin', outcome: 'accept', actor: 'apikey:acme-app', reason: /password_only/ },
    { run: () => check(f.app, f.keys.check, { username: 'bob', password: 'wrong password' }, { remoteAddress: from }), action: 'signin', outcome: 'reject', actor: 'apikey:acme-app', reason: /wrong_password/ },
    { run: () => check(f.app, f.keys.otpOnly, { username: 'alice' }, { remoteAddress: from }), action: 'signin', outcome: 'otp_required', actor: 'apikey:acme-otp', reason: /passcode_missing/ },
    { run: () => admin('POST', '/api/v1/users', { username: 'erin', password: PASSWORD }), action: 'user.create', outcome: 'success' },
    { run: () => admin('PATCH', '/api/v1/users/erin', { displayName: 'Erin E.' }), action: 'user.update', outcome: 'success', reason: /displayName/ },
    { run: () => admin('PUT', '/api/v1/users/erin/restrictions', { rules: [{ cidr: '10.0.0.0/8', action: 'allow' }], default: 'require_otp' }), action: 'restriction.set', outcome: 'success', reason: /1 rules/ },
    { run: () => admin('POST', '/api/v1/users/erin/token', { serial: spare.serial, otp: oathCode(spare.hex, 25) }), action: 'token.associate', outcome: 'failure', reason: /not in window/ },
    { run: () => admin('POST', '/api/v1/users/erin/token', { serial: spare.serial, otp: oathCode(spare.hex, 3) }), action: 'token.associate', outcome: 'success' },
    { run: () => admin('POST', '/api/v1/users/erin/token/resync', { otp1: oathCode(spare.hex, 9), otp2: oathCode(spare.hex, 11) }), action: 'token.resync', outcome: 'failure', reason: /not consecutive/ },
    { run: () => admin('POST', '/api/v1/users/erin/token/resync', { otp1: oathCode(spare.hex, 9), otp2: oathCode(spare.hex, 10) }), action: 'token.resync', outcome: 'success' },
    { run: () => admin('POST', `/api/v1/tokens/${spare.serial}/unlock`), action: 'token.unlock', outcome: 'success' },
    { run: () => admin('DELETE', '/api/v1/users/erin/token'), action: 'token.disassociate', outcome: 'success' },
    { run: () => admin('DELETE', '/api/v1/users/erin'), action: 'user.delete', outcome: 'success' },
  ];
  for (const step of steps) {
    const answer = (await step.run()) as { statusCode?: number; body?: unknown };
    const [event] = (await call(f.app, 'GET', '/api/v1/audit?limit=1', { key: f.keys.admin })).json<{ events: Event[] }>().events;
    const label = `${step.action} (${JSON.stringify(answer.body ?? answer)})`;
    assert.ok(event, label);
    assert.equal(event.action, step.action, label);
    assert.equal(event.outcome, step.outcome, label);
    assert.equal(event.actor, step.actor ?? 'apikey:acme-admin', label);
    assert.equal(event.clientIp, from, label);
    if (step.reason) assert.match(event.reason ?? '', step.reason, label);
  }
  // An import through the API (multipart) is audited too.
  const form = new FormData();
  form.append('file', new Blob(['5000000000001,3132333435363738393031323334353637383930\n']), 'tokens.csv');
  const request = new Request('http://x/', { method: 'POST', body: form });
  const response = await f.app.inject({
    method: 'POST',
    url: '/api/v1/tokens/import',
    headers: { authorization: `Bearer ${f.keys.admin}`, 'content-type': request.headers.get('content-type')! },
    payload: Readable.from(Buffer.from(await request.arrayBuffer())),
    remoteAddress: from,
  });
  assert.equal(response.statusCode, 200, response.body);
  const [imported] = (await call(f.app, 'GET', '/api/v1/audit?limit=1', { key: f.keys.admin })).json<{ events: Event[] }>().events;
  assert.deepEqual([imported?.action, imported?.outcome, imported?.actor, imported?.clientIp], ['token.import', 'success', 'apikey:acme-admin', from]);
});

test('GET /audit filters by user, time range and outcome, newest first, in pages', async (t) => {
  const f = await makeFixture();
  t.after(() => f.close());
  const start = f.clock.now;
  // One sign-in a minute: bob accept, alice otp_required, bob reject, alice accept, bob accept.
  const attempts: [string, Record<string, string>][] = [
    ['bob', { password: PASSWORD }],
    ['alice', { password: PASSWORD }],
    ['bob', { password: 'wrong password' }],
    ['alice', { password: PASSWORD, otp: oathCode(f.aliceToken.hex, 1) }],
    ['bob', { password: PASSWORD }],
  ];
  for (const [username, rest] of attempts) {
    f.clock.advance(60);
    await check(f.app, f.keys.check, { username, ...rest });
  }
  const get = async (query: string) => {
    const response = await call(f.app, 'GET', `/api/v1/audit?${query}`, { key: f.keys.admin });
    assert.equal(response.statusCode, 200, response.body);
    return response.json<{ events: Event[]; nextBefore: number | null }>();
  };
  const minute = (n: number) => new Date(start + n * 60_000).toISOString();

  const bob = await get('user=BOB');
  assert.deepEqual(bob.events.filter((e) => e.action === 'signin').map((e) => e.outcome), ['accept', 'reject', 'accept'], 'newest first, user matched ignoring case');
  const rejects = await get('outcome=reject');
  assert.deepEqual(rejects.events.map((e) => [e.user, e.outcome]), [['bob', 'reject']]);
  // Minutes 2 to 4 (from inclusive, to exclusive): alice otp_required, bob reject, alice accept.
  const window = await get(`from=${encodeURIComponent(minute(2))}&to=${encodeURIComponent(minute(4))}`);
  assert.deepEqual(window.events.map((e) => e.outcome), ['reject', 'otp_required']);
  const window2 = await get(`from=${encodeURIComponent(minute(2))}&to=${encodeURIComponent(minute(5))}`);
  assert.deepEqual(window2.events.map((e) => e.outcome), ['accept', 'reject', 'otp_required']);
  const combined = await get(`user=alice&outcome=accept&from=${encodeURIComponent(minute(1))}`);
  assert.deepEqual(combined.events.map((e) => [e.user, e.outcome]), [['alice', 'accept']]);
  for (const list of [bob, window2]) {
    const times = list.events.map((e) => Date.parse(e.at));
    assert.deepEqual(times, [...times].sort((a, b) => b - a), 'newest first');
  }

  // Pages of two, following nextBefore, give every sign-in once, in order.
  const seen: number[] = [];
  let before: number | null = null;
  for (let page = 0; page < 10; page++) {
    const result = await get(`limit=2&outcome=accept${before === null ? '' : `&before=${before}`}`);
    seen.push(...result.events.map((e) => e.id));
    before = result.nextBefore;
    if (before === null) break;
  }
  assert.equal(seen.length, 3);
  assert.deepEqual(seen, [...seen].sort((a, b) => b - a));
  assert.equal(new Set(seen).size, 3);

  const bad = await call(f.app, 'GET', '/api/v1/audit?from=yesterday', { key: f.keys.admin });
  assert.equal(bad.statusCode, 400);
  assert.equal(bad.json<{ error: { code: string } }>().error.code, 'invalid_request');
});
