// Property: every change and every sign-in writes an audit event; no passcode, password or seed appears in
// any audit row; `audit verify` passes on an untouched log and fails (exit 1) after an event is modified
// with SQL, and after the last event is deleted.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import SQLite from 'better-sqlite3';
import { makeTempDir, randomSecretHex, testEnv, writeFile, PASSWORD } from '../helpers/installation.js';
import { runCli } from '../helpers/cli.js';
import { oathCode, wrongCode } from '../helpers/otp.js';

describe('audit log', () => {
  const dir = makeTempDir();
  const files = makeTempDir();
  const env = testEnv(dir);
  const secret = randomSecretHex();
  const cli = (...args: string[]) => runCli(args, env);
  const secrets: string[] = [PASSWORD, 'new password 42', 'wrong password 7', secret];
  const rows = () => {
    const db = new SQLite(join(dir, 'otpgate.db'), { readonly: true });
    try {
      return db.prepare('SELECT * FROM audit_events ORDER BY id').all() as Record<string, unknown>[];
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
    rmSync(dir, { recursive: true, force: true });
    rmSync(files, { recursive: true, force: true });
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

  it('verifies when untouched, and fails after an event is modified', async () => {
    const ok = await cli('audit', 'verify');
    assert.equal(ok.code, 0, ok.stdout);
    assert.match(ok.stdout, /intact/);
    const backup = makeTempDir();
    for (const f of readdirSync(dir)) copyFileSync(join(dir, f), join(backup, f));
    const db = new SQLite(join(dir, 'otpgate.db'));
    db.prepare("UPDATE audit_events SET outcome = 'accept' WHERE id = (SELECT min(id) FROM audit_events WHERE action = 'signin' AND outcome = 'reject')").run();
    db.close();
    const broken = await cli('audit', 'verify');
    assert.equal(broken.code, 1);
    assert.match(broken.stdout, /BROKEN at event/);
    // Restore the untouched copy for the next test.
    for (const f of readdirSync(dir)) rmSync(join(dir, f));
    mkdirSync(dir, { recursive: true });
    for (const f of readdirSync(backup)) copyFileSync(join(backup, f), join(dir, f));
    rmSync(backup, { recursive: true, force: true });
    assert.equal((await cli('audit', 'verify')).code, 0);
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
