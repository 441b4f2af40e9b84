// E-mail notifications against a real SMTP server (Debian's python3-aiosmtpd, a Maildir handler): the user
// concerned is mailed, a lock-out also goes to the account's administrators, nothing secret is in a mail, and
// a server that is down at first is retried later while sign-ins go on unaffected; activating an authenticator
// app mails the user the app's token, never its secret.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { OPERATOR } from '../../src/services/context.js';
import type { Services } from '../../src/services/services.js';
import type { AccountRow } from '../../src/store/schema.js';
import { engineCases, importTokens, type TestInstallation } from '../helpers/engines.js';
import { oathCode } from '../helpers/otp.js';
import { randomSecretHex } from '../helpers/secrets.js';
import { waitFor } from '../helpers/wait.js';
import { makeTempDir } from '../helpers/temp-dir.js';

const PYTHON = '/usr/bin/python3';
const maildir = makeTempDir('otpgate-maildir-');
// A Maildir that exists must have its three folders (Python's mailbox does not add them to an existing one).
for (const sub of ['tmp', 'new', 'cur']) mkdirSync(join(maildir, sub));
let smtp: ChildProcess | undefined;
let port: number;
let installation: TestInstallation;
let services: Services;
let account: AccountRow;
const tokens = [0, 1].map((i) => ({ serial: `73000000000${i}`, secretHex: randomSecretHex() }));

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port: free } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return free;
}

/** Starts aiosmtpd on the chosen port, storing every message in the Maildir. */
async function startSmtp(): Promise<void> {
  smtp = spawn(PYTHON, ['-m', 'aiosmtpd', '-n', '-l', `127.0.0.1:${port}`, '-c', 'aiosmtpd.handlers.Mailbox', maildir], { stdio: 'ignore' });
  await waitFor('the SMTP server to listen', () => new Promise<boolean>((resolve) => {
    const probe = createServer();
    probe.once('error', () => resolve(true)); // the port is taken: aiosmtpd is listening
    probe.listen(port, '127.0.0.1', () => probe.close(() => resolve(false)));
  }));
}

interface Mail {
  to: string;
  subject: string;
  body: string;
}

function mails(): Mail[] {
  const dir = join(maildir, 'new');
  if (!existsSync(dir)) return [];
  return readdirSync(dir).map((name) => {
    const text = readFileSync(join(dir, name), 'utf8');
    const [head = '', ...rest] = text.split(/\r?\n\r?\n/);
    const header = (field: string) => new RegExp(`^${field}: (.*)$`, 'mi').exec(head)?.[1]?.trim() ?? '';
    return { to: header('To'), subject: header('Subject'), body: rest.join('\n\n') };
  });
}

async function deliverUntil(what: string, condition: () => boolean): Promise<void> {
  await waitFor(what, async () => {
    await services.notifications.deliverDue();
    return condition();
  }, { intervalMs: 100 });
}

const [sqlite] = await engineCases();

before(async () => {
  port = await freePort();
  installation = await sqlite!.start({ env: { OTPGATE_SMTP_URL: `smtp://127.0.0.1:${port}`, OTPGATE_MAIL_FROM: 'otpgate@example.org', OTPGATE_WEBHOOK_RETRY_SECONDS: '1' } });
  services = installation.services;
  account = installation.account;
  await importTokens(services, account, tokens);
  await services.users.create(OPERATOR, account, { username: 'mia', password: 'correct horse battery', role: 'user', email: 'mia@example.org' });
  await services.users.create(OPERATOR, account, { username: 'noah', password: 'correct horse battery', role: 'user' });
  await services.users.create(OPERATOR, account, { username: 'boss', password: 'correct horse battery', role: 'admin', email: 'boss@example.org' });
  // The first round only marks where e-mail starts: what happened before SMTP was set up is not mailed.
  await services.notifications.deliverDue();
});

after(async () => {
  smtp?.kill();
  await installation?.close();
  rmSync(maildir, { recursive: true, force: true });
});

test('an invalid address is refused; a user without one is not mailed', async () => {
  await assert.rejects(services.users.create(OPERATOR, account, { username: 'bad-mail', password: 'correct horse battery', email: 'not an address' }), /not an e-mail address/);
  await services.tokens.associate(OPERATOR, account, 'noah', tokens[1]!.serial, oathCode(tokens[1]!.secretHex, 0));
});

test('SMTP down: the mail waits and is retried; sign-ins are not slowed; once it is up the mail arrives', async () => {
  // Nothing listens on the port yet.
  await services.tokens.associate(OPERATOR, account, 'mia', tokens[0]!.serial, oathCode(tokens[0]!.secretHex, 0));
  await services.notifications.deliverDue();
  const [pending] = await listEmails();
  assert.equal(pending?.recipient, 'mia@example.org');
  assert.equal(pending?.status, 'pending');
  assert.ok((pending?.attempts ?? 0) >= 1);
  assert.match(pending?.last_error ?? '', /ECONNREFUSED|connect/i);
  // A sign-in meanwhile is decided as usual.
  const signIn = await services.signIn.check({ accountId: account.id, username: 'mia', password: null, passcode: oathCode(tokens[0]!.secretHex, 1), actor: { name: 'api:test', accountId: account.id, clientIp: null } });
  assert.equal(signIn.result, 'accept');

  await startSmtp();
  await deliverUntil('the association mailed', () => mails().some((m) => m.to === 'mia@example.org'));
  const mail = mails().find((m) => m.to === 'mia@example.org')!;
  assert.equal(mail.subject, 'otpgate: A token was associated with your account');
  assert.match(mail.body, new RegExp(`Token: +${tokens[0]!.serial}`));
  assert.ok(!mail.body.includes(tokens[0]!.secretHex), 'no seed in a mail');
  assert.equal(mails().filter((m) => m.to === 'boss@example.org').length, 0, 'an association is not mailed to the administrators');
  assert.equal(mails().filter((m) => /noah/.test(m.body)).length, 0, 'noah has no address');
});

test('a lock-out is mailed to the user and to the administrators', async () => {
  await services.accounts.updateSettings(OPERATOR, account, { maxFailures: 1 });
  const attempt = (passcode: string) => services.signIn.check({ accountId: account.id, username: 'mia', password: null, passcode, actor: { name: 'api:test', accountId: account.id, clientIp: '198.51.100.4' }, clientIpIsEndUser: false });
  const wrong = oathCode(tokens[0]!.secretHex, 700).split('').reverse().join('');
  await attempt(wrong);
  assert.equal((await attempt(oathCode(tokens[0]!.secretHex, 2))).result, 'locked');
  await deliverUntil('the lock-out mailed', () => mails().filter((m) => /lock/i.test(m.subject)).length >= 3);
  const lockMails = mails().filter((m) => /lock/i.test(m.subject));
  assert.deepEqual(lockMails.map((m) => `${m.to} ${m.subject}`).sort(), [
    'boss@example.org otpgate: A sign-in was refused: the token is locked',
    'mia@example.org otpgate: A sign-in was refused: the token is locked',
    'mia@example.org otpgate: Your token was locked after failed passcodes',
  ]);
  for (const m of lockMails) assert.ok(!m.body.includes(wrong) && !m.body.includes('correct horse'), 'no passcode or password in a mail');
});

test("activating an authenticator app mails the user naming the app's token, never its secret", async () => {
  await services.users.create(OPERATOR, account, { username: 'olga', password: 'correct horse battery', role: 'user', email: 'olga@example.org' });
  const binding = 'f'.repeat(64);
  const shown = await services.appEnrolments.start(OPERATOR, account, 'olga', binding);
  const secret = new URL(shown.uri).searchParams.get('secret')!;
  // Starting is not a notification: nothing is mailed until the app is activated.
  await services.notifications.deliverDue();
  assert.equal(mails().filter((m) => m.to === 'olga@example.org').length, 0);
  // The app's code now (the service accepts its step ± 1, so it holds across a step boundary).
  const code = execFileSync('oathtool', ['--totp', '-b', '-N', `@${Math.floor(Date.now() / 1000)}`, secret], { encoding: 'utf8' }).trim();
  const token = await services.appEnrolments.activate(OPERATOR, account, 'olga', binding, code);
  await deliverUntil('the enrolment mailed', () => mails().some((m) => m.to === 'olga@example.org'));
  const sent = mails().filter((m) => m.to === 'olga@example.org');
  assert.equal(sent.length, 1);
  assert.equal(sent[0]!.subject, 'otpgate: An authenticator app was added to your account');
  assert.match(sent[0]!.body, new RegExp(`Token: +${token.serial}`));
  assert.match(sent[0]!.body, /\(event token\.enrolled\)/);
  const hex = Buffer.from(base32Bytes(secret)).toString('hex');
  for (const hidden of [secret, shown.secretText, hex, code, 'otpauth:']) assert.ok(!sent[0]!.body.includes(hidden) && !sent[0]!.subject.includes(hidden), `no ${hidden === code ? 'passcode' : 'secret'} in the mail`);
  assert.equal(mails().filter((m) => m.to === 'boss@example.org' && /authenticator app/.test(m.subject)).length, 0, 'an enrolment is not mailed to the administrators');
});

/** RFC 4648 base32 decoded (the test's own, so the check does not lean on the code under test). */
function base32Bytes(text: string): number[] {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  const bits = [...text].map((c) => alphabet.indexOf(c).toString(2).padStart(5, '0')).join('');
  const bytes: number[] = [];
  for (let i = 0; i + 8 <= bits.length; i += 8) bytes.push(parseInt(bits.slice(i, i + 8), 2));
  return bytes;
}

async function listEmails() {
  const { listEmailDeliveries } = await import('../../src/store/notification-store.js');
  return listEmailDeliveries(installation.instance.database.db, 10);
}
