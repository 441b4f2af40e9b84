// E-mail over STARTTLS to a real SMTP server (aiosmtpd with a certificate from a throw-away CA): delivered
// when the CA is given (OTPGATE_SMTP_CA_FILE), refused when the server's certificate cannot be verified.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { OPERATOR } from '../../src/services/context.js';
import { engineCases, importTokens, type TestInstallation } from '../helpers/engines.js';
import { oathCode } from '../helpers/otp.js';
import { randomSecretHex } from '../helpers/secrets.js';
import { makeTestCertificates } from '../helpers/tls.js';
import { waitFor } from '../helpers/wait.js';
import { makeTempDir } from '../helpers/temp-dir.js';

const dir = makeTempDir('otpgate-smtp-tls-');
const maildir = join(dir, 'mail');
for (const sub of ['tmp', 'new', 'cur']) mkdirSync(join(maildir, sub), { recursive: true });
let smtp: ChildProcess | undefined;
let port = 0;
const installations: TestInstallation[] = [];
const [sqlite] = await engineCases();

before(async () => {
  const { cert, key } = await makeTestCertificates(dir);
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  port = (probe.address() as { port: number }).port;
  await new Promise((resolve) => probe.close(resolve));
  // STARTTLS offered and required by the server.
  smtp = spawn('/usr/bin/python3', ['-m', 'aiosmtpd', '-n', '-l', `127.0.0.1:${port}`, '--tlscert', cert, '--tlskey', key, '-c', 'aiosmtpd.handlers.Mailbox', maildir], { stdio: 'ignore' });
  await waitFor('the SMTP server to listen', () => new Promise<boolean>((resolve) => {
    const p = createServer();
    p.once('error', () => resolve(true));
    p.listen(port, '127.0.0.1', () => p.close(() => resolve(false)));
  }));
});

after(async () => {
  smtp?.kill();
  for (const installation of installations) await installation.close();
  rmSync(dir, { recursive: true, force: true });
});

async function associateAndDeliver(env: Record<string, string>, serial: string) {
  const installation = await sqlite!.start({ env: { OTPGATE_SMTP_URL: `smtp://localhost:${port}`, OTPGATE_MAIL_FROM: 'otpgate@example.org', ...env } });
  installations.push(installation);
  const { services, account } = installation;
  const token = { serial, secretHex: randomSecretHex() };
  await importTokens(services, account, [token]);
  await services.users.create(OPERATOR, account, { username: `tls-${serial}`, password: 'correct horse battery', email: `tls-${serial}@example.org` });
  await services.notifications.deliverDue(); // marks where e-mail starts
  await services.tokens.associate(OPERATOR, account, `tls-${serial}`, serial, oathCode(token.secretHex, 0));
  await services.notifications.deliverDue();
  return installation;
}

const received = () => readdirSync(join(maildir, 'new')).map((name) => readFileSync(join(maildir, 'new', name), 'utf8'));

test('STARTTLS with the CA given: delivered', async () => {
  await associateAndDeliver({ OTPGATE_SMTP_CA_FILE: join(dir, 'ca.pem') }, '7500000000001');
  await waitFor('the mail', () => received().some((m) => m.includes('tls-7500000000001@example.org')));
});

test("a server certificate that cannot be verified: not delivered, the error kept, retried later", async () => {
  const installation = await associateAndDeliver({}, '7500000000002');
  const { listEmailDeliveries } = await import('../../src/store/notification-store.js');
  const [email] = await listEmailDeliveries(installation.instance.database.db, 1);
  assert.equal(email?.status, 'pending');
  assert.match(email?.last_error ?? '', /certificate/i);
  assert.ok(!received().some((m) => m.includes('tls-7500000000002@example.org')));
});
