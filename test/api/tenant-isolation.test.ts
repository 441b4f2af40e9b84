// Property: a tenant never sees or touches another tenant's data. The routes are taken from the server's own
// route table (every route registered, through an onRoute hook), so a route added later is covered without
// editing this test: with an admin key of account B (globex), every route that names a user or a token of
// account A (acme) answers 404 and changes nothing, and no listing of B ever shows A's users, tokens,
// OpenID clients or audit events. Serials are unique per account: B importing a serial that A holds gets its own token, and
// is told nothing about A's.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Value } from '@sinclair/typebox/value';
import type { TSchema } from '@sinclair/typebox';
import { OPERATOR } from '../../src/services/context.js';
import { PASSWORD, call, check, makeFixture, type Fixture } from '../helpers/app.js';
import { oathCode } from '../helpers/otp.js';
import { randomSecretHex } from '../helpers/secrets.js';

/** A's names, filled into the route parameters. */
function fillings(f: Fixture): Record<string, string[]> {
  return {
    username: ['alice', 'bob', 'ALICE'],
    serial: [f.aliceToken.serial, f.spare[0]!.serial],
    name: ['a-hook', 'A-HOOK'],
  };
}

function expand(url: string, values: Record<string, string[]>): string[] {
  const params = [...url.matchAll(/:([A-Za-z0-9_]+)/g)].map((m) => m[1]!);
  let urls = [url];
  for (const param of params) {
    const choices = values[param];
    if (!choices) throw new Error(`route ${url} has a parameter :${param} that this test does not know how to fill with account A's data; add it to fillings()`);
    urls = urls.flatMap((u) => choices.map((v) => u.replace(`:${param}`, encodeURIComponent(v))));
  }
  return urls;
}

async function snapshot(f: Fixture): Promise<string> {
  const users = await f.services.users.list(f.acme);
  const tokens = await f.services.tokens.list(f.acme);
  const restrictions = await Promise.all(users.map((u) => f.services.restrictions.showForUser(f.acme, u.username)));
  const groups = await f.services.restrictions.listGroups(f.acme);
  const webhooks = await f.services.notifications.listWebhooks(f.acme);
  const oidcClients = await f.services.oidc.listClients(f.acme);
  return JSON.stringify({ users, tokens, restrictions, groups, webhooks, oidcClients });
}

test("every route naming account A's user or token answers 404 to account B's admin key and changes nothing", async (t) => {
  const f = await makeFixture({ env: { OTPGATE_WEBHOOK_ALLOW_PRIVATE: 'true' } });
  t.after(() => f.close());
  // A webhook of A's (nothing is delivered: the delivery worker runs only under serve).
  await f.services.notifications.addWebhook(OPERATOR, f.acme, { name: 'a-hook', url: 'http://127.0.0.1:9/hook' });
  // An OpenID client of A's by the same name (the :name routes of either resource reach it, if any could).
  await f.services.oidc.addClient(OPERATOR, f.acme, { name: 'a-hook', redirectUris: ['https://app.example.com/cb'] });
  // A group restriction of A's: B's calls on a group of the same name reach B's own (next test), never A's.
  await f.services.restrictions.setForGroup(OPERATOR, f.acme, 'vpn-a', { rules: [{ cidr: '10.0.0.0/8', action: 'allow' }], default: 'deny' });
  // Every API route with a parameter (the console's pages take a session, not a key: their own test covers
  // them). Group names are each account's own namespace: the next test covers those routes.
  const routes = f.app.otpgateRoutes.filter((r) => r.url.startsWith('/api/') && r.url.includes(':') && !r.url.includes(':group'));
  assert.ok(routes.length >= 10, `found ${routes.length} routes with parameters`);
  const before = await snapshot(f);
  let calls = 0;
  for (const route of routes) {
    const body = route.schema?.body === undefined ? undefined : Value.Create(route.schema.body as TSchema);
    for (const url of expand(route.url, fillings(f))) {
      const response = await call(f.app, route.method, url, { key: f.keys.adminB, body });
      calls++;
      assert.equal(response.statusCode, 404, `${route.method} ${url} answered ${response.statusCode} ${response.body}`);
      if (route.method !== 'HEAD') {
        const code = response.json<{ error: { code: string } }>().error.code;
        assert.ok(['user_not_found', 'token_not_found', 'webhook_not_found', 'oidc_client_not_found'].includes(code), `${route.method} ${url}: ${code}`);
        assert.doesNotMatch(response.body, /acme/, 'the message does not name the other account');
      }
    }
  }
  assert.ok(calls >= 20);
  assert.equal(await snapshot(f), before, "account A's users, tokens and restrictions are unchanged");
  // And A's own key on the same routes reaches its data (the 404s above were not for some other reason).
  assert.equal((await call(f.app, 'GET', '/api/v1/users/alice/token', { key: f.keys.admin })).statusCode, 200);
  assert.equal((await call(f.app, 'GET', `/api/v1/tokens/${f.spare[0]!.serial}`, { key: f.keys.admin })).statusCode, 200);
});

test("a group name is each account's own: B neither reads, changes nor removes A's group restriction of that name", async (t) => {
  const f = await makeFixture();
  t.after(() => f.close());
  const rulesOfA = { rules: [{ cidr: '10.0.0.0/8', action: 'allow' }], default: 'deny' };
  assert.equal((await call(f.app, 'PUT', '/api/v1/groups/vpn-a/restrictions', { key: f.keys.admin, body: rulesOfA })).statusCode, 200);
  const before = await snapshot(f);
  for (const method of ['GET', 'DELETE']) {
    const response = await call(f.app, method, '/api/v1/groups/VPN-A/restrictions', { key: f.keys.adminB });
    assert.equal(response.statusCode, 404, `${method}: ${response.body}`);
    assert.equal(response.json<{ error: { code: string } }>().error.code, 'group_restriction_not_found');
    assert.doesNotMatch(response.body, /acme|10\.0\.0\.0/);
  }
  // B's PUT of the same name makes B's own restriction; A's is untouched and still A's.
  const put = await call(f.app, 'PUT', '/api/v1/groups/vpn-a/restrictions', { key: f.keys.adminB, body: { rules: [], default: 'allow' } });
  assert.equal(put.statusCode, 200, put.body);
  assert.equal(await snapshot(f), before, "account A's group restriction is unchanged");
  const ofA = await call(f.app, 'GET', '/api/v1/groups/vpn-a/restrictions', { key: f.keys.admin });
  assert.deepEqual(ofA.json<{ rules: unknown; default: string }>().rules, rulesOfA.rules);
  assert.equal((await call(f.app, 'DELETE', '/api/v1/groups/vpn-a/restrictions', { key: f.keys.adminB })).statusCode, 204);
  assert.equal((await call(f.app, 'GET', '/api/v1/groups/vpn-a/restrictions', { key: f.keys.admin })).statusCode, 200);
});

test("B cannot associate A's inventory token to its own user, nor sign in A's user", async (t) => {
  const f = await makeFixture();
  t.after(() => f.close());
  await f.services.users.create(OPERATOR, f.globex, { username: 'yuri', password: PASSWORD });
  const spare = f.spare[0]!;
  const associate = await call(f.app, 'POST', '/api/v1/users/yuri/token', { key: f.keys.adminB, body: { serial: spare.serial, otp: oathCode(spare.hex, 0) } });
  assert.equal(associate.statusCode, 404, associate.body);
  assert.equal(associate.json<{ error: { code: string } }>().error.code, 'token_not_found');
  assert.equal((await f.services.tokens.show(f.acme, spare.serial)).status, 'available');
  // globex's application checking acme's alice with her real password and code: reject, code unused.
  assert.deepEqual((await check(f.app, f.keys.checkB, { username: 'alice', password: PASSWORD, otp: oathCode(f.aliceToken.hex, 1) })).body, { result: 'reject' });
  assert.equal((await f.services.tokens.show(f.acme, f.aliceToken.serial)).counter, 1);
  // That attempt is in globex's audit log, not acme's.
  assert.equal((await f.services.audit.list({ accountId: f.acme.id, username: 'alice' })).filter((e) => e.action === 'signin').length, 0);
});

test("no listing of account B shows account A's users, tokens or audit events", async (t) => {
  const f = await makeFixture();
  t.after(() => f.close());
  // Some activity in A, so that its audit log has sign-ins and changes.
  await check(f.app, f.keys.check, { username: 'alice', password: PASSWORD, otp: oathCode(f.aliceToken.hex, 1) });
  await check(f.app, f.keys.check, { username: 'bob', password: 'wrong password' });
  await call(f.app, 'POST', '/api/v1/users', { key: f.keys.admin, body: { username: 'erin', password: PASSWORD } });
  await f.services.restrictions.setForGroup(OPERATOR, f.acme, 'acme-vpn', { rules: [], default: 'deny' });
  await f.services.oidc.addClient(OPERATOR, f.acme, { name: 'acme-portal', redirectUris: ['https://portal.example.com/cb'] });
  // And in B, so that its listings are not empty.
  await check(f.app, f.keys.checkB, { username: 'zed', password: PASSWORD });

  const secrets = ['alice', 'bob', 'carol', 'dave', 'erin', 'admin-acme', 'acme', f.aliceToken.serial, ...f.spare.map((s) => s.serial)];
  const listings = f.app.otpgateRoutes.filter((r) => r.method === 'GET' && r.url.startsWith('/api/v1/') && !r.url.includes(':'));
  assert.ok(listings.length >= 3, listings.map((r) => r.url).join(' '));
  const queries = ['', '?q=a', '?user=alice', '?status=associated', '?status=available', '?outcome=accept', '?limit=1000'];
  for (const route of listings) {
    for (const query of queries) {
      const response = await call(f.app, 'GET', `${route.url}${query}`, { key: f.keys.adminB });
      if (response.statusCode === 400) continue; // a query field this route does not take
      assert.equal(response.statusCode, 200, `${route.url}${query}: ${response.body}`);
      for (const name of secrets) assert.ok(!response.body.includes(name), `${route.url}${query} shows "${name}": ${response.body}`);
    }
  }
  // The same listings with A's key do show A's data (the filter is by account, not by emptiness).
  const own = await call(f.app, 'GET', '/api/v1/audit?user=alice', { key: f.keys.admin });
  assert.ok(own.json<{ events: unknown[] }>().events.length > 0);
  const theirs = await call(f.app, 'GET', '/api/v1/users', { key: f.keys.adminB });
  assert.deepEqual(theirs.json<{ users: { username: string }[] }>().users.map((u) => u.username), ['zed']);
});

test("B imports a serial that A holds: it is B's own token, and neither account sees or changes the other's", async (t) => {
  const f = await makeFixture();
  t.after(() => f.close());
  const spare = f.spare[0]!;
  const hex = randomSecretHex();
  const importAs = (key: string, csv: string) => {
    const boundary = 'seed-boundary';
    const body = `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="seed.csv"\r\nContent-Type: text/csv\r\n\r\n${csv}\r\n--${boundary}--\r\n`;
    return call(f.app, 'POST', '/api/v1/tokens/import', { key, body, headers: { 'content-type': `multipart/form-data; boundary=${boundary}` } });
  };
  const before = await snapshot(f);
  const imported = await importAs(f.keys.adminB, `${spare.serial},${hex}\n${f.aliceToken.serial},${randomSecretHex()}\n`);
  assert.equal(imported.statusCode, 200, imported.body);
  const report = imported.json<{ imported: number; skipped: unknown[] }>();
  assert.deepEqual([report.imported, report.skipped], [2, []], 'nothing of A is reported as "already in the inventory"');
  assert.equal(await snapshot(f), before, "A's users and tokens are unchanged");
  // B's token of that serial is B's, with B's secret: B's user associates it with B's code.
  await f.services.users.create(OPERATOR, f.globex, { username: 'yuri', password: PASSWORD });
  const associate = await call(f.app, 'POST', '/api/v1/users/yuri/token', { key: f.keys.adminB, body: { serial: spare.serial, otp: oathCode(hex, 0) } });
  assert.equal(associate.statusCode, 201, associate.body);
  assert.equal((await call(f.app, 'GET', `/api/v1/tokens/${spare.serial}`, { key: f.keys.admin })).json<{ status: string }>().status, 'available');
  assert.equal((await call(f.app, 'GET', `/api/v1/tokens/${spare.serial}`, { key: f.keys.adminB })).json<{ username: string }>().username, 'yuri');
  // A re-importing its own serial is told it has it; B's copy plays no part.
  const again = await importAs(f.keys.admin, `${spare.serial},${randomSecretHex()}\n`);
  assert.deepEqual(again.json<{ imported: number; skipped: { serial: string }[] }>().skipped.map((s) => s.serial), [spare.serial]);
});
