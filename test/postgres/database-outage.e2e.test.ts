// Property: when PostgreSQL cannot be reached, nothing is decided: requests fail with 503
// service_unavailable (never an accept), /healthz says 503, the process stays up, and it recovers by itself
// when the database returns. The shared PostgreSQL server is not touched: the instance reaches it through a
// TCP proxy that the test stops and starts again on the same port.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { connect, createServer, type Server as NetServer, type Socket } from 'node:net';
import { OPERATOR } from '../../src/services/context.js';
import { importTokens } from '../helpers/engines.js';
import { request, startCluster, type Cluster } from './fixture.js';
import { POSTGRES_ADMIN_URL, postgresSkipReason } from './test-database.js';
import { oathCode } from '../helpers/otp.js';
import { randomSecretHex } from '../helpers/secrets.js';

const skip = await postgresSkipReason();

/** A TCP relay to the PostgreSQL server that can be cut (listener closed, every connection reset) and restored. */
class TcpProxy {
  #server: NetServer | undefined;
  readonly #sockets = new Set<Socket>();
  port = 0;

  constructor(
    private readonly targetHost: string,
    private readonly targetPort: number,
  ) {}

  async start(): Promise<void> {
    const server = createServer((client) => {
      const upstream = connect(this.targetPort, this.targetHost);
      for (const socket of [client, upstream]) {
        this.#sockets.add(socket);
        socket.on('close', () => this.#sockets.delete(socket));
        socket.on('error', () => {
          client.destroy();
          upstream.destroy();
        });
      }
      client.pipe(upstream).pipe(client);
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, '127.0.0.1', () => resolve());
    });
    this.#server = server;
    const address = server.address();
    if (address && typeof address !== 'string') this.port = address.port;
  }

  async stop(): Promise<void> {
    const server = this.#server;
    this.#server = undefined;
    if (!server) return;
    const closed = new Promise((resolve) => server.close(resolve));
    for (const socket of this.#sockets) socket.resetAndDestroy();
    await closed;
  }
}

describe('a database that goes away', { skip }, () => {
  const target = new URL(POSTGRES_ADMIN_URL);
  const proxy = new TcpProxy(target.hostname, Number(target.port || 5432));
  let cluster: Cluster;
  let url: string;
  let apiKey: string;
  let secret: string;

  before(async () => {
    await proxy.start();
    cluster = await startCluster(1, {}, (database) => {
      const viaProxy = new URL(database.url);
      viaProxy.host = `127.0.0.1:${proxy.port}`;
      return viaProxy.toString();
    });
    url = cluster.servers[0]!.url;
    const { services } = cluster.admin;
    const account = await services.accounts.resolve(OPERATOR);
    apiKey = (await services.apiKeys.create(OPERATOR, account, 'app', ['check'], false)).key;
    secret = randomSecretHex();
    await importTokens(services, account, [{ serial: 'DOWN0001', secretHex: secret }]);
    await services.users.create(OPERATOR, account, { username: 'patient', password: 'patient-password' });
    await services.tokens.associate(OPERATOR, account, 'patient', 'DOWN0001', oathCode(secret, 0));
  });
  after(async () => {
    await cluster?.close();
    await proxy.stop();
  });

  const check = (otp: string) =>
    request(`${url}/api/v1/auth/check`, { headers: { authorization: `Bearer ${apiKey}` }, json: { username: 'patient', password: 'patient-password', otp } });

  test('503 service_unavailable while PostgreSQL is unreachable, and recovery without a restart', async () => {
    assert.equal((await request(`${url}/healthz`)).status, 200);
    assert.deepEqual((await check(oathCode(secret, 1))).body, { result: 'accept' });

    await proxy.stop();
    const next = oathCode(secret, 2);
    for (let i = 0; i < 3; i++) {
      const down = await check(next);
      assert.equal(down.status, 503, JSON.stringify(down.body));
      const error = (down.body as { error: { code: string; message: string } }).error;
      assert.equal(error.code, 'service_unavailable');
      assert.match(error.message, /database cannot be reached/);
    }
    const health = await request(`${url}/healthz`);
    assert.equal(health.status, 503);
    assert.deepEqual(health.body, { status: 'unavailable', database: 'unreachable' });
    // Every other route that needs the database fails the same way, not with 500. (A key not seen before:
    // the server keeps a key it has authenticated for 5 s, so `apiKey` is refused this route, 403, without
    // the database; an unseen key must be looked up.)
    const users = await request(`${url}/api/v1/users`, { headers: { authorization: `Bearer otpg_${'x'.repeat(43)}` } });
    assert.equal(users.status, 503);

    await proxy.start();
    const deadline = Date.now() + 30_000;
    while ((await request(`${url}/healthz`)).status !== 200) {
      assert.ok(Date.now() < deadline, 'the instance reconnects within 30 s');
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    // Nothing was decided while the database was away: the code refused with 503 is still unused.
    assert.deepEqual((await check(next)).body, { result: 'accept' });
    assert.deepEqual((await check(next)).body, { result: 'reject' });
  });

  test('cut while requests are in flight: each ends in a decision or a 503, at most one accept, the process survives', async () => {
    const code = oathCode(secret, 3);
    const inFlight = Array.from({ length: 30 }, () => check(code));
    await new Promise((resolve) => setTimeout(resolve, 30));
    await proxy.stop();
    const responses = await Promise.all(inFlight).catch((error: unknown) => {
      const server = cluster.servers[0]!;
      throw new Error(`${String(error)}; server alive: ${server.alive()}; its stderr: ${server.errorOutput()}`);
    });
    const results = responses.map((r) => (r.status === 200 ? (r.body as { result: string }).result : String(r.status)));
    assert.ok(cluster.servers[0]!.alive(), `the process survives the cut: ${cluster.servers[0]!.errorOutput()}`);
    assert.ok(results.filter((r) => r === 'accept').length <= 1, JSON.stringify(results));
    assert.ok(results.every((r) => ['accept', 'reject', '503', '429'].includes(r)), JSON.stringify(results));

    await proxy.start();
    const deadline = Date.now() + 30_000;
    while ((await request(`${url}/healthz`)).status !== 200) {
      assert.ok(Date.now() < deadline, 'the instance reconnects within 30 s');
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    const { services } = cluster.admin;
    await services.ctx.db.deleteFrom('throttles').execute();
    await services.tokenStates.unlock(OPERATOR, await services.accounts.resolve(OPERATOR), 'DOWN0001');
    // Whether or not the cut came before the winner's commit, the code after the stored counter signs in.
    const counter = (await services.tokens.show(await services.accounts.resolve(OPERATOR), 'DOWN0001')).counter;
    assert.deepEqual((await check(oathCode(secret, counter))).body, { result: 'accept' });
  });
});
