// Webhooks on both engines, against a real HTTP receiver that checks every signature with the code of
// docs/examples/verify-webhook.mjs and refuses replays: a notification is written with its audit event and
// delivered after the commit; a receiver that fails is retried; each delivery is claimed by one worker of
// several; an account's events go to its own webhooks only; private targets are refused unless allowed,
// at `add` and again at the connection (an address literal before connecting, a host name at its lookup).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { loadConfig } from '../../src/runtime/config.js';
import { openInstance, type Instance } from '../../src/runtime/instance.js';
import { OPERATOR } from '../../src/services/context.js';
import { ServiceError } from '../../src/services/errors.js';
import type { Services } from '../../src/services/services.js';
import type { AccountRow } from '../../src/store/schema.js';
import { engineCases, importTokens, type TestInstallation } from '../helpers/engines.js';
import { oathCode } from '../helpers/otp.js';
import { randomSecretHex } from '../helpers/secrets.js';
import { waitFor } from '../helpers/wait.js';
import { verifyWebhook } from '../../docs/examples/verify-webhook.mjs';

const SECRET = 'test-webhook-secret-0123456789';

interface Received {
  headers: IncomingHttpHeaders;
  raw: string;
  event: { id: string; type: string; occurredAt: string; account: string; user: string | null; serial: string | null; actor: string; clientIp: string | null };
}

/** A webhook receiver: verifies every delivery, refuses replays (409), and can be told to fail the next N (500). */
class Receiver {
  server!: Server;
  url = '';
  accepted: Received[] = [];
  refused: string[] = [];
  failNext = 0;
  /** Answer the next request with a redirect to this URL (a receiver that points otpgate elsewhere). */
  redirectNext: string | null = null;
  readonly #seen = new Set<string>();

  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        const raw = Buffer.concat(chunks).toString('utf8');
        if (this.redirectNext !== null) {
          res.writeHead(307, { location: this.redirectNext }).end();
          this.redirectNext = null;
          return;
        }
        if (this.failNext > 0) {
          this.failNext--;
          res.writeHead(500).end();
          return;
        }
        try {
          const event = verifyWebhook(SECRET, req.headers['otpgate-signature'], raw, { seen: this.#seen });
          this.accepted.push({ headers: req.headers, raw, event });
          res.writeHead(204).end();
        } catch (error) {
          this.refused.push((error as Error).message);
          res.writeHead(409).end();
        }
      });
    });
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/hook`;
  }

  of(type: string): Received[] {
    return this.accepted.filter((r) => r.event.type === type);
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

/** A server that answers every request 204 and counts them: a target that must (or must not) be contacted. */
async function countingServer(host: string): Promise<{ server: Server; port: number; requests: () => number }> {
  let requests = 0;
  const server = createServer((_req, res) => {
    requests++;
    res.writeHead(204).end();
  });
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  return { server, port: (server.address() as AddressInfo).port, requests: () => requests };
}

/** Runs delivery rounds until `what` holds (a delivery due later is picked up once its wait is over). */
async function deliverUntil(services: Services, what: string, condition: () => boolean): Promise<void> {
  await waitFor(what, async () => {
    await services.notifications.deliverDue();
    return condition();
  }, { intervalMs: 100 });
}

function rejectsWith(code: string) {
  return (error: unknown) => error instanceof ServiceError && error.code === code;
}

for (const engine of await engineCases()) {
  describe(`webhooks (${engine.engine})`, { skip: engine.skip }, () => {
    let installation: TestInstallation;
    let services: Services;
    let account: AccountRow;
    let other: AccountRow;
    const receiver = new Receiver();
    const tokens = Array.from({ length: 8 }, (_, i) => ({ serial: `77000000000${10 + i}`, secretHex: randomSecretHex() }));

    before(async () => {
      await receiver.start();
      installation = await engine.start({ env: { OTPGATE_WEBHOOK_ALLOW_PRIVATE: 'true', OTPGATE_WEBHOOK_RETRY_SECONDS: '1' } });
      services = installation.services;
      account = installation.account;
      other = await services.accounts.create(OPERATOR, 'other');
      await importTokens(services, account, tokens);
      for (const name of ['wh-alice', 'wh-bob', 'wh-carol', 'wh-dan']) await services.users.create(OPERATOR, account, { username: name, password: 'correct horse battery', role: 'user' });
      await services.users.create(OPERATOR, other, { username: 'wh-zed', password: 'correct horse battery', role: 'user' });
    });
    after(async () => {
      await installation?.close();
      await receiver.close();
    });

    test('add: the secret is returned once and never listed; a bad URL, name or event is refused', async () => {
      const added = await services.notifications.addWebhook(OPERATOR, account, { name: 'all', url: receiver.url, secret: SECRET });
      assert.equal(added.secret, SECRET);
      assert.deepEqual(added.webhook.events, '*');
      const generated = await services.notifications.addWebhook(OPERATOR, other, { name: 'other-hook', url: receiver.url.replace('/hook', '/other'), events: ['token.locked'] });
      assert.match(generated.secret, /^whsec_[0-9a-f]{64}$/);
      const listed = JSON.stringify(await services.notifications.listWebhooks(account));
      assert.ok(!listed.includes(SECRET), 'a listing never holds the secret');
      await assert.rejects(services.notifications.addWebhook(OPERATOR, account, { name: 'all', url: receiver.url, secret: SECRET }), rejectsWith('webhook_exists'));
      await assert.rejects(services.notifications.addWebhook(OPERATOR, account, { name: 'bad name!', url: receiver.url }), rejectsWith('invalid_webhook'));
      await assert.rejects(services.notifications.addWebhook(OPERATOR, account, { name: 'x', url: 'ftp://example.com/' }), rejectsWith('invalid_webhook'));
      await assert.rejects(services.notifications.addWebhook(OPERATOR, account, { name: 'x', url: 'https://user:pw@example.com/' }), rejectsWith('invalid_webhook'));
      await assert.rejects(services.notifications.addWebhook(OPERATOR, account, { name: 'x', url: receiver.url, events: ['token.exploded'] }), rejectsWith('invalid_webhook'));
      await assert.rejects(services.notifications.addWebhook(OPERATOR, account, { name: 'x', url: receiver.url, secret: 'short' }), rejectsWith('invalid_webhook'));
    });

    test('an association is delivered after its commit, signed, with the body README describes; a replay is refused', async () => {
      const token = tokens[0]!;
      await services.tokens.associate(OPERATOR, account, 'wh-alice', token.serial, oathCode(token.secretHex, 0));
      // Written with the audit event: pending before any worker ran.
      const pending = await services.notifications.deliveries(account, 'all');
      assert.equal(pending[0]?.type, 'token.associated');
      assert.equal(pending[0]?.status, 'pending');
      await deliverUntil(services, 'the association delivered', () => receiver.of('token.associated').length === 1);
      const { event, headers, raw } = receiver.of('token.associated')[0]!;
      assert.equal(event.account, account.name);
      assert.equal(event.user, 'wh-alice');
      assert.equal(event.serial, token.serial);
      assert.equal(event.actor, 'cli');
      assert.match(event.id, /^ntf_\d+$/);
      assert.ok(Math.abs(Date.parse(event.occurredAt) - Date.now()) < 60_000);
      assert.equal(headers['otpgate-event'], 'token.associated');
      assert.ok(!raw.includes(token.secretHex), 'no seed in a notification');
      const [delivered] = await services.notifications.deliveries(account, 'all');
      assert.equal(delivered?.status, 'delivered');
      assert.equal(delivered?.attempts, 1);
      // The same request sent again (an attacker who captured it) is refused by the receiver.
      const replay = await fetch(receiver.url, { method: 'POST', headers: { 'content-type': 'application/json', 'otpgate-signature': String(headers['otpgate-signature']) }, body: raw });
      assert.equal(replay.status, 409);
      assert.match(receiver.refused.at(-1)!, /already received/);
      // A forged body under the captured signature is refused too.
      const forged = await fetch(receiver.url, { method: 'POST', headers: { 'otpgate-signature': String(headers['otpgate-signature']) }, body: raw.replace('wh-alice', 'wh-mallory') });
      assert.equal(forged.status, 409);
      assert.match(receiver.refused.at(-1)!, /signature does not match/);
    });

    test('a receiver that answers 500 is retried after a wait, and the delivery then succeeds', async () => {
      receiver.failNext = 1;
      await services.tokens.disassociate(OPERATOR, account, 'wh-alice');
      await services.notifications.deliverDue();
      const [failed] = await services.notifications.deliveries(account, 'all');
      assert.equal(failed?.type, 'token.disassociated');
      assert.equal(failed?.status, 'pending');
      assert.equal(failed?.attempts, 1);
      assert.equal(failed?.lastStatus, 500);
      assert.equal(failed?.lastError, 'HTTP 500');
      assert.ok(Date.parse(failed?.nextAttemptAt ?? '') > Date.now(), 'retried later, not at once');
      await deliverUntil(services, 'the retry delivered', () => receiver.of('token.disassociated').length === 1);
      const [delivered] = await services.notifications.deliveries(account, 'all');
      assert.equal(delivered?.status, 'delivered');
      assert.equal(delivered?.attempts, 2);
    });

    test('a redirect is never followed: the attempt fails and is retried at the same URL', async () => {
      const elsewhere = await countingServer('127.0.0.1');
      try {
        receiver.redirectNext = `http://127.0.0.1:${elsewhere.port}/metadata`;
        const token = tokens[5]!;
        await services.users.create(OPERATOR, account, { username: 'wh-rex', password: 'correct horse battery', role: 'user' });
        await services.tokens.associate(OPERATOR, account, 'wh-rex', token.serial, oathCode(token.secretHex, 0));
        await services.notifications.deliverDue();
        const [redirected] = await services.notifications.deliveries(account, 'all');
        assert.equal(redirected?.status, 'pending');
        assert.equal(redirected?.lastStatus, 307);
        assert.equal(redirected?.lastError, 'redirect not followed (HTTP 307)');
        assert.equal(elsewhere.requests(), 0, 'the redirect target was never contacted');
        await deliverUntil(services, 'the retry delivered to the webhook itself', () => receiver.accepted.some((r) => r.event.user === 'wh-rex'));
      } finally {
        await new Promise((resolve) => elsewhere.server.close(resolve));
      }
    });

    test('a token locked by failed passcodes is token.locked, a sign-in refused for it signin.locked_out; the other account hears nothing of it', async () => {
      await services.accounts.updateSettings(OPERATOR, account, { maxFailures: 2 });
      const fresh = await services.accounts.byId(account.id);
      const token = tokens[1]!;
      await services.tokens.associate(OPERATOR, fresh, 'wh-bob', token.serial, oathCode(token.secretHex, 0));
      const attempt = (passcode: string) =>
        services.signIn.check({ accountId: account.id, username: 'wh-bob', password: null, passcode, actor: { name: 'api:test', accountId: account.id, clientIp: '192.0.2.7' }, clientIpIsEndUser: false });
      const wrong = oathCode(token.secretHex, 500).split('').reverse().join('');
      await attempt(wrong);
      await attempt(wrong);
      assert.equal((await attempt(oathCode(token.secretHex, 1))).result, 'locked');
      await deliverUntil(services, 'the lock delivered', () => receiver.of('token.locked').length === 1 && receiver.of('signin.locked_out').length === 1);
      const locked = receiver.of('token.locked')[0]!.event;
      assert.equal(locked.user, 'wh-bob');
      assert.equal(locked.serial, token.serial);
      assert.equal(locked.clientIp, '192.0.2.7');
      const otherDeliveries = await services.notifications.deliveries(other);
      assert.deepEqual(otherDeliveries, [], "account B's webhook (token.locked only) got nothing of account A");
      const audit = await services.audit.list({ accountId: account.id, username: 'wh-bob' });
      assert.ok(audit.some((e) => e.action === 'token.lock'), 'the lock is an audit event of its own');
      assert.equal((await services.audit.verify()).brokenAt, null);
    });

    test('a webhook gets only the events it asked for', async () => {
      receiver.accepted = [];
      await services.notifications.addWebhook(OPERATOR, account, { name: 'locks-only', url: receiver.url.replace('/hook', '/locks'), events: ['token.locked'], secret: SECRET });
      const token = tokens[2]!;
      await services.tokens.associate(OPERATOR, account, 'wh-carol', token.serial, oathCode(token.secretHex, 0));
      await deliverUntil(services, 'the association delivered', () => receiver.of('token.associated').length === 1);
      assert.deepEqual(await services.notifications.deliveries(account, 'locks-only'), []);
      await assert.rejects(services.notifications.deliveries(account, 'nope'), rejectsWith('webhook_not_found'));
      await assert.rejects(services.notifications.deliveries(other, 'all'), rejectsWith('webhook_not_found'), "account A's webhook is not found from account B");
    });

    test('two workers (two instances on one database) deliver each notification exactly once', async () => {
      receiver.accepted = [];
      const second: Instance = await openInstance(loadConfig({ ...installation.env, OTPGATE_WEBHOOK_ALLOW_PRIVATE: 'true' }));
      try {
        // Many notifications at once: associate and disassociate a token several times.
        const token = tokens[3]!;
        for (let i = 0; i < 6; i++) {
          await services.tokens.associate(OPERATOR, account, 'wh-dan', token.serial, oathCode(token.secretHex, 2 * i));
          await services.tokens.disassociate(OPERATOR, account, 'wh-dan');
        }
        const rounds = async (s: Services) => {
          for (let i = 0; i < 20; i++) await s.notifications.deliverDue();
        };
        await Promise.all([rounds(services), rounds(second.services), rounds(services), rounds(second.services)]);
        await deliverUntil(services, 'all twelve delivered', () => receiver.accepted.length >= 12);
        const ids = receiver.accepted.map((r) => r.event.id);
        assert.equal(ids.length, 12);
        assert.equal(new Set(ids).size, 12, 'no notification delivered twice');
        assert.equal(receiver.refused.filter((m) => /already received/.test(m)).length, 1, 'only the test\'s own replay was refused as a duplicate');
      } finally {
        await second.close();
      }
    });

    test('without OTPGATE_WEBHOOK_ALLOW_PRIVATE: private targets are refused at add and again at the connection', async () => {
      const strict: Instance = await openInstance(loadConfig({ ...installation.env, OTPGATE_WEBHOOK_ALLOW_PRIVATE: 'false' }));
      try {
        const s = strict.services;
        for (const url of ['http://example.com/hook', 'https://127.0.0.1/hook', 'https://[::1]/hook', 'https://10.1.2.3/hook', 'https://169.254.169.254/latest', 'https://[::ffff:127.0.0.1]/x', 'https://[::127.0.0.1]/x', 'https://[::ffff:0:0:7f00:1]/x', 'https://[::8.8.8.8]/x', 'https://localhost/hook']) {
          await assert.rejects(s.notifications.addWebhook(OPERATOR, account, { name: 'private', url }), rejectsWith('invalid_webhook'), url);
        }
        // A webhook stored while private targets were allowed is still refused when the instance sending it does not allow them.
        receiver.accepted = [];
        const token = tokens[4]!;
        await services.users.create(OPERATOR, account, { username: 'wh-erin', password: 'correct horse battery', role: 'user' });
        await services.tokens.associate(OPERATOR, account, 'wh-erin', token.serial, oathCode(token.secretHex, 0));
        await s.notifications.deliverDue();
        const [attempted] = await s.notifications.deliveries(account, 'all');
        assert.equal(attempted?.status, 'pending');
        assert.match(attempted?.lastError ?? '', /not a public address/);
        assert.equal(receiver.accepted.length, 0);
      } finally {
        await strict.close();
      }
    });

    test('without OTPGATE_WEBHOOK_ALLOW_PRIVATE: a host name that resolves to a private address is refused at the connection (the DNS-time check)', async () => {
      // A receiver on the address `localhost` resolves to.
      const local = await countingServer('localhost');
      const strict: Instance = await openInstance(loadConfig({ ...installation.env, OTPGATE_WEBHOOK_ALLOW_PRIVATE: 'false' }));
      try {
        // Stored while private targets were allowed: a host name, so only the lookup at the connection can refuse it.
        await services.notifications.addWebhook(OPERATOR, account, { name: 'by-name', url: `http://localhost:${local.port}/hook`, events: ['token.associated'], secret: SECRET });
        const token = tokens[7]!;
        await services.users.create(OPERATOR, account, { username: 'wh-gil', password: 'correct horse battery', role: 'user' });
        await services.tokens.associate(OPERATOR, account, 'wh-gil', token.serial, oathCode(token.secretHex, 0));
        await strict.services.notifications.deliverDue();
        const [attempted] = await strict.services.notifications.deliveries(account, 'by-name');
        assert.equal(attempted?.status, 'pending', attempted?.lastError ?? '');
        assert.match(attempted?.lastError ?? '', /^localhost resolves to \S+, which is not a public address/);
        assert.equal(local.requests(), 0, 'the local receiver got no request');
        // The same delivery from an instance that allows private targets reaches it: the refusal was the lookup's.
        await deliverUntil(services, 'the delivery to localhost', () => local.requests() === 1);
        assert.equal((await services.notifications.deliveries(account, 'by-name'))[0]?.status, 'delivered');
      } finally {
        await strict.close();
        await services.notifications.removeWebhook(OPERATOR, account, 'by-name');
        await new Promise((resolve) => local.server.close(resolve));
      }
    });

    test('removing a webhook drops its deliveries; a removed or foreign one is not found', async () => {
      await services.notifications.removeWebhook(OPERATOR, account, 'locks-only');
      await assert.rejects(services.notifications.removeWebhook(OPERATOR, account, 'locks-only'), rejectsWith('webhook_not_found'));
      await assert.rejects(services.notifications.removeWebhook(OPERATOR, other, 'all'), rejectsWith('webhook_not_found'));
      assert.deepEqual((await services.notifications.listWebhooks(account)).map((w) => w.name), ['all']);
    });

    test('disable, report lost, a temporary code and retire reach the webhook (token.disabled, token.lost_reported, temp_code.issued, token.retired); enabling is no notification', async () => {
      receiver.accepted = [];
      const token = tokens[6]!;
      await services.users.create(OPERATOR, account, { username: 'wh-fay', password: 'correct horse battery', role: 'user' });
      await services.tokens.associate(OPERATOR, account, 'wh-fay', token.serial, oathCode(token.secretHex, 0));
      await services.tokenStates.disable(OPERATOR, account, token.serial);
      await services.tokenStates.enable(OPERATOR, account, token.serial);
      await services.tokenStates.reportLost({ name: 'console:wh-fay', accountId: account.id, clientIp: '192.0.2.9' }, account, 'wh-fay');
      const issued = await services.tempCodes.issue(OPERATOR, account, 'wh-fay');
      await services.tokenStates.retire(OPERATOR, account, token.serial, 'lost');
      const types = ['token.disabled', 'token.lost_reported', 'temp_code.issued', 'token.retired'];
      await deliverUntil(services, 'the four delivered', () => types.every((type) => receiver.of(type).length === 1));
      assert.equal(receiver.of('token.lost_reported')[0]!.event.actor, 'console:wh-fay');
      assert.ok(!receiver.accepted.some((r) => r.raw.includes(issued.code)), 'a temporary code is never in a notification');
      for (const type of ['token.disabled', 'token.retired']) {
        const { event } = receiver.of(type)[0]!;
        assert.deepEqual([event.user, event.serial, event.actor], ['wh-fay', token.serial, 'cli'], type);
      }
      assert.deepEqual(receiver.accepted.map((r) => r.event.type).filter((t) => t !== 'token.associated').sort(), [...types].sort(), 'no notification for the enable');
    });
  });
}
