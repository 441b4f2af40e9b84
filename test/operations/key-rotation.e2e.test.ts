// `otpgate key rotate` while a real server answers sign-ins: every answer stays `accept` (the server takes
// the new key by itself), every sealed secret opens under the new key only, the audit log still verifies,
// and the old key (kept, renamed) no longer opens the installation. Each kind of secret is then used after
// a rotation, not only counted: a webhook delivery is checked by a real receiver with the secret shown when
// the webhook was added, and a directory user signs in through a real slapd with the service bind password.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, statSync, writeFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { loadConfig } from '../../src/runtime/config.js';
import { openInstance } from '../../src/runtime/instance.js';
import { OPERATOR } from '../../src/services/context.js';
import { createKey, runCli } from '../helpers/cli.js';
import { serve, testEnv, type Served } from '../helpers/app.js';
import { oathCode } from '../helpers/otp.js';
import { randomSecretHex } from '../helpers/secrets.js';
import { startSignInLoad } from '../helpers/sign-in-load.js';
import { SERVICE_DN, SERVICE_PASSWORD, startSlapd, SUFFIX, type Slapd } from '../helpers/slapd.js';
import { waitFor } from '../helpers/wait.js';
import { startWebhookReceiver, type WebhookReceiver } from '../helpers/webhook-receiver.js';
import { makeTempDir } from '../helpers/temp-dir.js';

let root: string;
let dataDir: string;
let env: NodeJS.ProcessEnv;
let server: Served | undefined;
let slapd: Slapd;
let receiver: WebhookReceiver;
const users = Array.from({ length: 3 }, (_, i) => ({ name: `kr${i}`, serial: `740000000000${i}`, hex: randomSecretHex() }));
const RADIUS_SECRET = 'radius-secret-of-enough-length-1';
const DIRECTORY_USER = { uid: 'dora', password: 'dora directory password' };

const cli = (args: string[], e: NodeJS.ProcessEnv = env) => runCli(args, e);
const keptKeys = () => readdirSync(dataDir).filter((name) => name.startsWith('master.key.before-'));

/** `otpgate key rotate` to a new random key. */
async function rotate() {
  const newKeyFile = join(root, `new-${randomBytes(4).toString('hex')}.key`);
  writeFileSync(newKeyFile, `${randomBytes(32).toString('base64')}\n`, { mode: 0o600 });
  return cli(['key', 'rotate', '--new-key-file', newKeyFile]);
}

/** A directory user's sign-in through `otpgate check` (the service bind, the search, the user's bind). */
const directorySignIn = () => cli(['check', DIRECTORY_USER.uid, '--password', DIRECTORY_USER.password]);
let oidc: { clientId: string; clientSecret: string };

before(async () => {
  slapd = await startSlapd();
  await slapd.addPeople([DIRECTORY_USER]);
  receiver = await startWebhookReceiver();
  root = makeTempDir('otpgate-rotate-');
  dataDir = join(root, 'data');
  env = testEnv(dataDir, { OTPGATE_WEBHOOK_ALLOW_PRIVATE: 'true' });
  assert.equal((await cli(['init'])).code, 0);
  const csv = join(root, 'tokens.csv');
  writeFileSync(csv, users.map((u) => `${u.serial},${u.hex}`).join('\n') + '\n');
  assert.equal((await cli(['token', 'import', csv])).code, 0);
  for (const u of users) {
    assert.equal((await cli(['user', 'create', u.name, '--password', 'correct horse battery'])).code, 0);
    assert.equal((await cli(['token', 'associate', u.name, u.serial, oathCode(u.hex, 0)])).code, 0);
  }
  assert.equal((await cli(['radius', 'client', 'add', 'vpn', '--ip', '192.0.2.1/32', '--secret', RADIUS_SECRET])).code, 0);
  const added = await cli(['webhook', 'add', 'ops', '--url', receiver.url]);
  assert.equal(added.code, 0, added.stderr);
  // The receiver checks signatures with the secret shown once, when the webhook was added.
  receiver.secret = added.stdout.trim().split('\n').at(-1)!;
  const bindPasswordFile = join(root, 'bind.password');
  writeFileSync(bindPasswordFile, SERVICE_PASSWORD, { mode: 0o600 });
  const directory = await cli(['directory', 'set', '--url', slapd.url, '--bind-dn', SERVICE_DN, '--base-dn', SUFFIX, '--bind-password-file', bindPasswordFile]);
  assert.equal(directory.code, 0, directory.stderr);
  // A `check` has no account: it asks only the directory the operator shares (docs/directory.md).
  const shared = await cli(['directory', 'share', '--account', 'default']);
  assert.equal(shared.code, 0, shared.stderr);
  const signedIn = await directorySignIn();
  assert.equal(signedIn.stdout, 'accept\n', `the directory user signs in before any rotation: ${signedIn.stderr}`);
  const oidcClient = await cli(['oidc', 'client', 'add', 'grafana', '--redirect-uri', 'https://grafana.example.com/cb', '--json']);
  assert.equal(oidcClient.code, 0, oidcClient.stderr);
  oidc = JSON.parse(oidcClient.stdout) as typeof oidc;
  assert.equal((await cli(['oidc', 'key', 'rotate'])).code, 0);
});

after(async () => {
  if (server) await server.stop();
  await receiver?.close();
  await slapd?.remove();
  await rm(root, { recursive: true, force: true });
});

test('rotating under sign-in load: no sign-in fails, every secret opens under the new key only, the audit log verifies', async () => {
  const key = await createKey(env, 'load', '--scope', 'otp-only');
  server = await serve(env as Record<string, string>);
  const load = startSignInLoad(server.url, key, users);
  const { counters, results } = load;
  const keptBefore = keptKeys();
  await waitFor('sign-ins before the rotation', () => results.length >= 10, { timeoutMs: 60_000 });
  const before = results.length;
  const rotated = await rotate();
  assert.equal(rotated.code, 0, rotated.stderr);
  assert.match(rotated.stdout, /re-sealed 3 token secrets, 1 RADIUS secrets, 1 directory passwords and 1 webhook secrets, 1 OpenID client secrets and 3 OpenID signing keys/);
  // Sign-ins after the rotation, on the running server.
  const after = results.length;
  await waitFor('sign-ins after the rotation', () => results.length >= after + 15, { timeoutMs: 60_000 });
  await load.stop();
  assert.ok(before > 0 && results.length > after, 'sign-ins ran before and after the rotation');
  assert.deepEqual([...new Set(results)], ['accept'], 'every sign-in was accepted, during and after the rotation');
  await server.stop();
  server = undefined;

  assert.equal(statSync(join(dataDir, 'master.key')).mode & 0o777, 0o600);
  const kept = keptKeys().filter((name) => !keptBefore.includes(name));
  assert.equal(kept.length, 1, 'the old key is kept, renamed');

  const verify = await cli(['audit', 'verify']);
  assert.equal(verify.code, 0, verify.stdout);
  // Every kind of secret opens under the new key.
  const instance = await openInstance(loadConfig(env));
  try {
    const radius = await instance.services.radiusClients.findForAddress('192.0.2.1');
    assert.equal(radius?.secret, RADIUS_SECRET);
    const u = users[0]!;
    const outcome = await instance.services.signIn.check({ accountId: null, username: u.name, password: null, passcode: oathCode(u.hex, counters.get(u.name)! + 1), actor: OPERATOR });
    assert.equal(outcome.result, 'accept');
    // The OpenID client's secret and the signing keys open under the new key too.
    assert.equal((await instance.services.oidc.clientMetadata(oidc.clientId))?.client_secret, oidc.clientSecret);
    assert.equal((await instance.services.oidc.signingKeys()).length, 3);
  } finally {
    await instance.close();
  }
  // The old key opens nothing any more.
  const withOldKey = await cli(['token', 'list'], { ...env, OTPGATE_KEY_FILE: join(dataDir, kept[0]!) });
  assert.equal(withOldKey.code, 1);
  assert.match(withOldKey.stderr, /not the key this database was created with/);
  // Rotating to the key in use is refused.
  assert.equal((await cli(['key', 'rotate', '--new-key-file', join(dataDir, 'master.key')])).code, 1);
});

test('after a rotation, a webhook delivery is signed with the secret shown when the webhook was added (a real receiver checks it)', async () => {
  const rotated = await rotate();
  assert.equal(rotated.code, 0, rotated.stderr);
  const instance = await openInstance(loadConfig(env));
  try {
    const { services } = instance;
    const account = await services.accounts.resolve(OPERATOR);
    const serial = users[2]!.serial;
    await services.tokenStates.disable(OPERATOR, account, serial);
    await services.tokenStates.enable(OPERATOR, account, serial);
    await services.notifications.deliverDue();
    const [delivery] = await services.notifications.deliveries(account, 'ops');
    assert.equal(delivery?.type, 'token.disabled');
    assert.equal(delivery?.status, 'delivered', delivery?.lastError ?? '');
    assert.ok(receiver.accepted.some((e) => e.type === 'token.disabled' && e.serial === serial), `the receiver accepted it (refused: ${receiver.refused.join('; ')})`);
  } finally {
    await instance.close();
  }
});

test('after a rotation, a directory user signs in: the service bind password opens under the new key', async () => {
  const rotated = await rotate();
  assert.equal(rotated.code, 0, rotated.stderr);
  assert.match(rotated.stdout, /1 directory passwords/);
  const signedIn = await directorySignIn();
  assert.equal(signedIn.code, 0, signedIn.stderr);
  assert.equal(signedIn.stdout, 'accept\n');
});
