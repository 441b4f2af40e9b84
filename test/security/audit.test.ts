// Property: every change and every sign-in writes an audit event; no passcode, password or seed appears in
// any audit row; `audit verify` passes on an untouched log and fails (exit 1) after any one column of an
// event is modified with SQL (naming that event), after a middle event is deleted or two events swapped
// (naming the first event out of place), and after the last event is deleted.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import SQLite from 'better-sqlite3';
import { makeTempDir, testEnv, writeFile, PASSWORD } from '../helpers/installation.js';
import { runCli } from '../helpers/cli.js';
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
