// Property: when PostgreSQL refuses new connections (the database set to ALLOW_CONNECTIONS false and its
// sessions ended, as an operator does before maintenance), nothing is decided: the JSON API, the console
// and /healthz all answer 503 (the API with service_unavailable, never 500 internal_error), the outage is
// logged once rather than once per request, and the instance recovers by itself when connections are
// allowed again.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import pg from 'pg';
import { OPERATOR } from '../../src/services/context.js';
import { oathCode } from '../helpers/otp.js';
import { randomSecretHex } from '../helpers/secrets.js';
import { importTokens } from '../helpers/engines.js';
import { request, startCluster, type Cluster } from './fixture.js';
import { POSTGRES_ADMIN_URL, postgresSkipReason } from './test-database.js';

const skip = await postgresSkipReason();

async function asAdmin(sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: POSTGRES_ADMIN_URL, connectionTimeoutMillis: 3000 });
  client.on('error', () => undefined);
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

describe('a database that refuses connections', { skip }, () => {
  let cluster: Cluster;
  let url: string;
  let apiKey: string;
  let secret: string;
  let name: string;

  before(async () => {
    cluster = await startCluster(1, { OTPGATE_LOG_LEVEL: 'info' });
    url = cluster.servers[0]!.url;
    name = cluster.database.name;
    const { services } = cluster.admin;
    const account = await services.accounts.resolve(OPERATOR);
    apiKey = (await services.apiKeys.create(OPERATOR, account, 'app', ['check'], false)).key;
    secret = randomSecretHex();
    await importTokens(services, account, [{ serial: 'REFUSE01', secretHex: secret }]);
    await services.users.create(OPERATOR, account, { username: 'maint', password: 'maint-password' });
    await services.tokens.associate(OPERATOR, account, 'maint', 'REFUSE01', oathCode(secret, 0));
  });
  after(async () => {
    if (name) await asAdmin(`alter database ${name} allow_connections true`).catch(() => undefined);
    await cluster?.close();
  });

  const check = (otp: string) =>
    request(`${url}/api/v1/auth/check`, { headers: { authorization: `Bearer ${apiKey}` }, json: { username: 'maint', password: 'maint-password', otp } });

  test('503 service_unavailable on the API, the console and /healthz; one outage log line; recovery after ALLOW_CONNECTIONS true', async () => {
    assert.deepEqual((await check(oathCode(secret, 1))).body, { result: 'accept' });

    await asAdmin(`alter database ${name} allow_connections false`);
    await asAdmin(`select pg_terminate_backend(pid) from pg_stat_activity where datname = '${name}' and pid <> pg_backend_pid()`);

    const next = oathCode(secret, 2);
    for (let i = 0; i < 5; i++) {
      const down = await check(next);
      assert.equal(down.status, 503, JSON.stringify(down.body));
      assert.equal((down.body as { error: { code: string } }).error.code, 'service_unavailable');
    }
    const health = await request(`${url}/healthz`);
    assert.equal(health.status, 503);
    assert.deepEqual(health.body, { status: 'unavailable', database: 'unreachable' });
    // A console page that needs the database (the session look-up) says so too, not "something went wrong".
    const page = await request(`${url}/admin/users`, { headers: { cookie: 'otpgate_session=not-a-live-session' } });
    assert.equal(page.status, 503);
    assert.match(String(page.body), /database/i);

    const log = cluster.servers[0]!.output() + cluster.servers[0]!.errorOutput();
    const outageLines = log.split('\n').filter((line) => line.includes('database unavailable'));
    assert.equal(outageLines.length, 1, `the outage is logged once, not per request:\n${outageLines.join('\n')}`);

    await asAdmin(`alter database ${name} allow_connections true`);
    const deadline = Date.now() + 30_000;
    while ((await request(`${url}/healthz`)).status !== 200) {
      assert.ok(Date.now() < deadline, 'the instance reconnects within 30 s');
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    // Nothing was decided while connections were refused: the code refused with 503 is still unused.
    assert.deepEqual((await check(next)).body, { result: 'accept' });
    const recovered = cluster.servers[0]!.output() + cluster.servers[0]!.errorOutput();
    assert.match(recovered, /database reachable again/);
  });
});
