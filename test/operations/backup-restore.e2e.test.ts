// Backup and restore through the real command line: `otpgate backup` taken while a real server answers
// sign-ins, restored into a fresh data directory (with only the master key copied) where `audit verify`
// holds and users sign in; a backup sealed under another master key, or a damaged file, is refused with the
// existing database untouched. The CLI's webhook, report and audit export/archive commands on the way.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { createKey, runCli } from '../helpers/cli.js';
import { serve, testEnv, type Served } from '../helpers/app.js';
import { oathCode } from '../helpers/otp.js';
import { randomSecretHex } from '../helpers/secrets.js';
import { startSignInLoad } from '../helpers/sign-in-load.js';
import { waitFor } from '../helpers/wait.js';
import { makeTempDir } from '../helpers/temp-dir.js';

let root: string;
let env: NodeJS.ProcessEnv;
let server: Served | undefined;
const users = Array.from({ length: 4 }, (_, i) => ({ name: `bk${i}`, serial: `720000000000${i}`, hex: randomSecretHex() }));

const cli = (args: string[], e: NodeJS.ProcessEnv = env, stdin = '') => runCli(args, e, stdin);

before(async () => {
  root = makeTempDir('otpgate-backup-');
  env = testEnv(join(root, 'live'));
  assert.equal((await cli(['init'])).code, 0);
  const csv = join(root, 'tokens.csv');
  writeFileSync(csv, users.map((u) => `${u.serial},${u.hex}`).join('\n') + '\n');
  assert.equal((await cli(['token', 'import', csv])).code, 0);
  for (const u of users) {
    assert.equal((await cli(['user', 'create', u.name, '--password', 'correct horse battery'])).code, 0);
    assert.equal((await cli(['token', 'associate', u.name, u.serial, oathCode(u.hex, 0)])).code, 0);
  }
});

after(async () => {
  if (server) await server.stop();
  await rm(root, { recursive: true, force: true });
});

test('a backup taken under sign-in load restores into a fresh directory where the audit log verifies and users sign in', async () => {
  const key = await createKey(env, 'load', '--scope', 'otp-only');
  server = await serve(env as Record<string, string>);
  // Sign-ins run while the backup is taken: each user signs in with successive codes.
  const load = startSignInLoad(server.url, key, users);
  const counters = load.counters;
  const file = join(root, 'otpgate-backup.db');
  await waitFor('sign-ins before the backup', () => load.results.length >= 3 * users.length, { timeoutMs: 60_000 });
  const backup = await cli(['backup', file]);
  await load.stop();
  assert.deepEqual([...new Set(load.results)], ['accept']);
  assert.equal(backup.code, 0, backup.stderr);
  assert.match(backup.stdout, /backed up .* pages/);
  assert.equal(statSync(file).mode & 0o777, 0o600, 'the copy holds sealed secrets: owner only');
  assert.ok([...counters.values()].every((c) => c > 1), 'sign-ins ran meanwhile');
  await server.stop();
  server = undefined;

  // A fresh directory with only the master key.
  const fresh = join(root, 'fresh');
  mkdirSync(fresh, { mode: 0o700 });
  copyFileSync(join(root, 'live', 'master.key'), join(fresh, 'master.key'));
  const freshEnv = testEnv(fresh);
  const restored = await cli(['restore', file], freshEnv);
  assert.equal(restored.code, 0, restored.stderr);
  const verify = await cli(['audit', 'verify'], freshEnv);
  assert.equal(verify.code, 0, verify.stdout);
  assert.match(verify.stdout, /audit log intact/);
  // A user signs in on the restored database, with a code past every one used before the backup.
  const u = users[0]!;
  const checked = await cli(['check', u.name, '--password', 'correct horse battery', '--otp', oathCode(u.hex, counters.get(u.name)! + 1)], freshEnv);
  assert.equal(checked.stdout.trim(), 'accept', checked.stderr);
});

test('a backup sealed under another master key, or a damaged one, is refused and the database is left as it was', async () => {
  const other = join(root, 'other');
  const otherEnv = testEnv(other);
  assert.equal((await cli(['init'], otherEnv)).code, 0);
  const foreign = join(root, 'foreign.db');
  assert.equal((await cli(['backup', foreign], otherEnv)).code, 0);
  const before = readFileSync(join(root, 'live', 'otpgate.db'));
  const refused = await cli(['restore', foreign, '--yes']);
  assert.equal(refused.code, 1);
  assert.match(refused.stderr, /sealed under another master key/);
  const damaged = join(root, 'damaged.db');
  writeFileSync(damaged, 'SQLite format 3\0 but not really');
  const bad = await cli(['restore', damaged, '--yes']);
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /not a SQLite database|damaged/);
  assert.ok(readFileSync(join(root, 'live', 'otpgate.db')).equals(before), 'the live database is untouched');
  assert.equal((await cli(['restore', foreign])).code, 2, 'over an existing database without a terminal it needs --yes');
});

test('webhook, report and audit export/archive commands', async () => {
  const webhookEnv = { ...env, OTPGATE_WEBHOOK_ALLOW_PRIVATE: 'true' };
  const added = await cli(['webhook', 'add', 'ops', '--url', 'http://127.0.0.1:9/hook', '--events', 'token.associated,token.locked'], webhookEnv);
  assert.equal(added.code, 0, added.stderr);
  const secret = added.stdout.trim().split('\n').at(-1)!;
  assert.match(secret, /^whsec_[0-9a-f]{64}$/);
  const listed = await cli(['webhook', 'list', '--json'], webhookEnv);
  assert.ok(!listed.stdout.includes(secret));
  assert.deepEqual((JSON.parse(listed.stdout) as { name: string; events: string[] }[]).map((w) => [w.name, w.events]), [['ops', ['token.associated', 'token.locked']]]);
  assert.equal((await cli(['webhook', 'add', 'public', '--url', 'http://127.0.0.1:9/hook'])).code, 1, 'http:// to loopback refused without OTPGATE_WEBHOOK_ALLOW_PRIVATE');
  assert.equal((await cli(['webhook', 'deliveries', 'ops', '--json'], webhookEnv)).stdout.trim(), '[]');
  assert.equal((await cli(['webhook', 'remove', 'ops'], webhookEnv)).code, 2, 'asks first; without a terminal needs --yes');
  assert.equal((await cli(['webhook', 'remove', 'ops', '--yes'], webhookEnv)).code, 0);

  const withoutToken = await cli(['report', 'users', '--without-token', '--json']);
  assert.deepEqual((JSON.parse(withoutToken.stdout) as { username: string }[]).map((u) => u.username), ['admin']);
  assert.equal((await cli(['report', 'tokens', '--status', 'locked', '--json'])).stdout.trim(), '[]');
  assert.equal((await cli(['report', 'tokens'])).code, 2);

  const csv = await cli(['audit', 'export', '--format', 'csv', '--user', 'bk1']);
  assert.equal(csv.code, 0);
  assert.match(csv.stdout.split('\n')[0]!, /^id,at,actor,action,user,serial,clientIp,outcome,reason$/);
  assert.ok(csv.stdout.includes('token.associate'));
  const archive = join(root, 'archive.jsonl');
  const archived = await cli(['audit', 'archive', '--before', new Date(Date.now() + 60_000).toISOString(), '--out', archive]);
  assert.equal(archived.code, 0, archived.stderr);
  assert.equal(statSync(archive).mode & 0o777, 0o600);
  assert.equal((await cli(['audit', 'archive', '--before', '2030-01-01', '--out', archive])).code, 2, 'an archive is never overwritten');
  assert.match((await cli(['audit', 'verify'])).stdout, /audit log intact/);
  const whole = await cli(['audit', 'verify', '--archive', archive]);
  assert.equal(whole.code, 0, whole.stdout + whole.stderr);
  assert.match(whole.stdout, /from 1 archive/);
});
