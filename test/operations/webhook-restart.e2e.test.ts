// Deliveries survive the server: a real `otpgate serve` whose receiver fails is killed with -9 while the
// delivery is pending; the next start delivers it. The webhook routes of the API are exercised on the way.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { rm } from 'node:fs/promises';
import { loadConfig } from '../../src/runtime/config.js';
import { initInstance } from '../../src/runtime/instance.js';
import { OPERATOR } from '../../src/services/context.js';
import { serve, testEnv, type Served } from '../helpers/app.js';
import { oathCode } from '../helpers/otp.js';
import { randomSecretHex } from '../helpers/secrets.js';
import { waitFor } from '../helpers/wait.js';
import { verifyWebhook, type OtpgateEvent } from '../../docs/examples/verify-webhook.mjs';
import { makeTempDir } from '../helpers/temp-dir.js';

const SECRET = 'restart-test-secret-0123456789';
let dir: string;
let receiver: Server;
let receiverUrl: string;
let failing = true;
const received: OtpgateEvent[] = [];
let attemptsSeen = 0;
let adminKey: string;
const token = { serial: '7100000000001', hex: randomSecretHex() };
let env: Record<string, string>;
let server: Served | undefined;

before(async () => {
  receiver = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      attemptsSeen++;
      if (failing) return void res.writeHead(503).end();
      received.push(verifyWebhook(SECRET, req.headers['otpgate-signature'], Buffer.concat(chunks)));
      res.writeHead(200).end('ok');
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/otpgate`;

  dir = makeTempDir('otpgate-webhook-restart-');
  env = testEnv(dir, { OTPGATE_WEBHOOK_ALLOW_PRIVATE: 'true', OTPGATE_WEBHOOK_RETRY_SECONDS: '1' });
  const { instance } = await initInstance(loadConfig(env));
  try {
    const account = await instance.services.accounts.resolve(OPERATOR);
    adminKey = (await instance.services.apiKeys.create(OPERATOR, account, 'ops', ['admin'], false)).key;
    await instance.services.users.create(OPERATOR, account, { username: 'rita', password: 'correct horse battery', role: 'user' });
    const csv = `${token.serial},${token.hex}\n`;
    await instance.services.imports.import(OPERATOR, account, { input: (async function* () { yield csv; })(), format: 'csv' });
  } finally {
    await instance.close();
  }
});

after(async () => {
  if (server) await server.stop();
  await new Promise((resolve) => receiver.close(resolve));
  await rm(dir, { recursive: true, force: true });
});

interface ApiJson {
  error?: { code: string };
  signingSecret?: string;
  webhooks?: { name: string }[];
  deliveries?: { attempts: number; status: string; lastStatus: number | null }[];
  status?: string;
}

async function api(method: string, path: string, body?: unknown): Promise<{ status: number; json: ApiJson }> {
  const response = await fetch(`${server!.url}/api/v1${path}`, {
    method,
    headers: { authorization: `Bearer ${adminKey}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  return { status: response.status, json: (text ? JSON.parse(text) : {}) as ApiJson };
}

test('a delivery pending when the server is killed is delivered after the restart', async () => {
  server = await serve(env);
  const added = await api('POST', '/webhooks', { name: 'ops', url: receiverUrl, events: ['token.associated'], signingSecret: SECRET });
  assert.equal(added.status, 201, JSON.stringify(added.json));
  assert.equal(added.json.signingSecret, SECRET);
  assert.equal((await api('POST', '/webhooks', { name: 'ops', url: receiverUrl })).json.error?.code, 'webhook_exists');
  assert.equal((await api('POST', '/webhooks', { name: 'bad', url: receiverUrl, events: ['nope'] })).status, 400);
  const listed = await api('GET', '/webhooks');
  assert.deepEqual(listed.json.webhooks!.map((w) => w.name), ['ops']);
  assert.ok(!JSON.stringify(listed.json).includes(SECRET));

  const associated = await api('POST', '/users/rita/token', { serial: token.serial, otp: oathCode(token.hex, 0) });
  assert.equal(associated.json.status, 'associated', JSON.stringify(associated.json));
  // The worker tries, the receiver fails: the delivery stays pending with its error.
  await waitFor('a failed attempt', async () => ((await api('GET', '/webhooks/deliveries?webhook=ops')).json.deliveries?.[0]?.attempts ?? 0) >= 1);
  const pending = (await api('GET', '/webhooks/deliveries')).json.deliveries![0]!;
  assert.equal(pending.status, 'pending');
  assert.equal(pending.lastStatus, 503);

  server.child.kill('SIGKILL');
  await server.exited;
  failing = false;
  const before = attemptsSeen;
  server = await serve(env);
  await waitFor('the delivery after the restart', () => received.length === 1);
  assert.ok(attemptsSeen > before);
  assert.equal(received[0]!.type, 'token.associated');
  assert.equal(received[0]!.user, 'rita');
  const delivered = (await api('GET', '/webhooks/deliveries?webhook=ops')).json.deliveries![0]!;
  assert.equal(delivered.status, 'delivered');
  assert.equal((await api('DELETE', '/webhooks/ops')).status, 204);
  assert.equal((await api('DELETE', '/webhooks/ops')).json.error?.code, 'webhook_not_found');
});
