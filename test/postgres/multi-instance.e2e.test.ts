// Property: two otpgate instances on one PostgreSQL database act as one server. Started together on an
// empty database exactly one initialises it; of 100 concurrent uses of one passcode spread over both,
// exactly one is accepted; failures on one instance lock the token for the other; a console session is
// valid on either and ends on both.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { OPERATOR } from '../../src/services/context.js';
import { findUserByName } from '../../src/store/user-store.js';
import { importTokens } from '../helpers/engines.js';
import { request, startCluster, type Cluster } from './fixture.js';
import { postgresSkipReason } from './test-database.js';
import { oathCode } from '../helpers/otp.js';
import { randomSecretHex } from '../helpers/secrets.js';

const skip = await postgresSkipReason();

describe('several instances on one PostgreSQL database', { skip }, () => {
  let cluster: Cluster;
  let apiKey: string;
  let a: string;
  let b: string;

  before(async () => {
    cluster = await startCluster(2);
    [a, b] = cluster.servers.map((s) => s.url) as [string, string];
    const { services } = cluster.admin;
    const account = await services.accounts.resolve(OPERATOR);
    apiKey = (await services.apiKeys.create(OPERATOR, account, 'app', ['check'], false)).key;
  });
  after(() => cluster?.close());

  const check = (url: string, username: string, otp: string) =>
    request(`${url}/api/v1/auth/check`, { headers: { authorization: `Bearer ${apiKey}` }, json: { username, password: `${username}-password`, otp } });

  /** A user with an associated token; returns the token's secret (next counter 1). */
  async function userWithToken(username: string, serial: string): Promise<string> {
    const { services } = cluster.admin;
    const account = await services.accounts.resolve(OPERATOR);
    const secret = randomSecretHex();
    await importTokens(services, account, [{ serial, secretHex: secret }]);
    await services.users.create(OPERATOR, account, { username, password: `${username}-password` });
    await services.tokens.associate(OPERATOR, account, username, serial, oathCode(secret, 0));
    return secret;
  }

  test('started together on an empty database, exactly one instance initialised it and printed the first admin', async () => {
    const printed = cluster.servers.filter((s) => s.output().includes('first admin of account "default"'));
    assert.equal(printed.length, 1);
    assert.equal((printed[0]!.output().match(/password \(shown only now\)/g) ?? []).length, 1);
    const { services } = cluster.admin;
    const account = await services.accounts.resolve(OPERATOR);
    assert.deepEqual((await services.users.list(account)).map((u) => u.username), ['admin']);
    assert.equal((await services.accounts.list()).length, 1);
    const chain = await services.audit.verify();
    assert.equal(chain.brokenAt, null);
    assert.deepEqual(chain.problems, []);
    // Besides the opening of each chain but the installation's (recorded in the installation chain):
    assert.equal(chain.events - (chain.chains.length - 1), 3, 'one account.create, one user.create, one apikey.create: nothing twice');
  });

  test('100 concurrent checks of one valid passcode spread over both instances: exactly one accept', async () => {
    const secret = await userWithToken('racer', 'MULTI001');
    const code = oathCode(secret, 1);
    const responses = await Promise.all(Array.from({ length: 100 }, (_, i) => check(i % 2 === 0 ? a : b, 'racer', code)));
    const results = responses.map((r) => (r.status === 200 ? (r.body as { result: string }).result : `http ${r.status}`));
    assert.equal(results.filter((r) => r === 'accept').length, 1, JSON.stringify(results));
    // The others are replays (reject), or turned away by the back-off the replays set off (429).
    assert.ok(results.every((r) => r === 'accept' || r === 'reject' || r === 'http 429'), JSON.stringify(results));
    const accepted = responses.findIndex((r) => r.status === 200 && (r.body as { result: string }).result === 'accept');
    assert.ok(accepted >= 0);
  });

  test('wrong passcodes on instance A lock the token for instance B', async () => {
    const { services } = cluster.admin;
    await services.ctx.db.deleteFrom('throttles').execute();
    const account = await services.accounts.resolve(OPERATOR);
    await services.accounts.updateSettings(OPERATOR, account, { maxFailures: 3 });
    const secret = await userWithToken('victim', 'MULTI002');
    const wrong = oathCode(secret, 900);
    const burst = await Promise.all([check(a, 'victim', wrong), check(a, 'victim', wrong), check(a, 'victim', wrong)]);
    assert.deepEqual(burst.map((r) => (r.body as { result: string }).result), ['reject', 'reject', 'reject']);
    const onB = await check(b, 'victim', oathCode(secret, 1));
    assert.equal(onB.status, 200);
    assert.equal((onB.body as { result: string }).result, 'locked');
    assert.equal((await services.tokens.show(account, 'MULTI002')).status, 'locked');
  });

  test('a console session is valid on both instances, and once ended it is ended on both', async () => {
    // There is no /logout route on main yet: the session is started and ended through the session service on
    // the same database, and each instance is asked for GET /api/v1/users with its cookie.
    const { services } = cluster.admin;
    const adminUser = await findUserByName(services.ctx.db, 'admin');
    assert.ok(adminUser);
    const session = await services.sessions.start(adminUser, 'full');
    const withCookie = { headers: { cookie: `otpgate_session=${session.id}` } };
    for (const url of [a, b]) {
      const response = await request(`${url}/api/v1/users`, withCookie);
      assert.equal(response.status, 200, `${url}: ${JSON.stringify(response.body)}`);
      assert.ok((response.body as { users: { username: string }[] }).users.some((u) => u.username === 'admin'));
    }
    await services.sessions.end(session.id);
    for (const url of [b, a]) {
      const response = await request(`${url}/api/v1/users`, withCookie);
      assert.equal(response.status, 401);
      assert.equal((response.body as { error: { code: string } }).error.code, 'unauthorized');
    }
  });
});
