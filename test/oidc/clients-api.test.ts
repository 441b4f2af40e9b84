// Property: an account's OpenID Connect clients through the JSON API (/api/v1/oidc-clients), on both
// engines. Admin keys only; a confidential client's secret is in the answer to POST alone (never in a list,
// a show or an update, and sealed at rest, not stored in clear); redirect URIs are checked and replaced
// exactly; another account's admin key gets 404 on every client route and never sees the client.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { buildServer, type App } from '../../src/http/app.js';
import { loadConfig } from '../../src/runtime/config.js';
import { OPERATOR } from '../../src/services/context.js';
import type { AccountRow } from '../../src/store/schema.js';
import { findOidcClientByName } from '../../src/store/oidc-store.js';
import { call } from '../helpers/app.js';
import { engineCases, type TestInstallation } from '../helpers/engines.js';

const BASE = '/api/v1/oidc-clients';
const GRAFANA = 'https://grafana.example.com/login/generic_oauth';

interface ClientView {
  name: string;
  clientId: string;
  public: boolean;
  redirectUris: string[];
  postLogoutRedirectUris: string[];
  allowedGroups: string[];
  createdAt: string;
}

for (const engine of await engineCases()) {
  describe(`OpenID clients through the API (${engine.engine})`, { skip: engine.skip }, () => {
    let installation: TestInstallation;
    let app: App;
    let other: AccountRow;
    const keys = { admin: '', adminB: '', desk: '', check: '' };

    before(async () => {
      installation = await engine.start();
      const { services, account } = installation;
      other = await services.accounts.create(OPERATOR, 'globex');
      keys.admin = (await services.apiKeys.create(OPERATOR, account, 'admin', ['admin'], false)).key;
      keys.adminB = (await services.apiKeys.create(OPERATOR, other, 'admin-b', ['admin'], false)).key;
      keys.desk = (await services.apiKeys.create(OPERATOR, account, 'desk', ['helpdesk'], false)).key;
      keys.check = (await services.apiKeys.create(OPERATOR, account, 'app', ['check'], false)).key;
      app = await buildServer(services, loadConfig(installation.env), { logger: false });
    });
    after(async () => {
      await app?.close();
      await installation?.close();
    });

    test("a confidential client's secret is answered once, sealed at rest, and opens to what the provider checks", async () => {
      const added = await call(app, 'POST', BASE, { key: keys.admin, body: { name: 'grafana', redirectUris: [GRAFANA], allowedGroups: ['ops'] } });
      assert.equal(added.statusCode, 201, added.body);
      const { client, clientSecret } = added.json<{ client: ClientView; clientSecret: string }>();
      assert.equal(client.name, 'grafana');
      assert.equal(client.public, false);
      assert.deepEqual(client.redirectUris, [GRAFANA]);
      assert.deepEqual(client.allowedGroups, ['ops']);
      assert.match(clientSecret, /^[A-Za-z0-9_-]{43}$/);

      // Never again: not in the list, the show, nor an update's answer.
      const list = await call(app, 'GET', BASE, { key: keys.admin });
      const show = await call(app, 'GET', `${BASE}/grafana`, { key: keys.admin });
      const patched = await call(app, 'PATCH', `${BASE}/grafana`, { key: keys.admin, body: { allowedGroups: ['ops', 'admins'] } });
      for (const response of [list, show, patched]) {
        assert.equal(response.statusCode, 200, response.body);
        assert.ok(!response.body.includes(clientSecret), 'the secret is not shown again');
        assert.doesNotMatch(response.body, /clientSecret|client_secret/);
      }
      assert.deepEqual(list.json<{ clients: ClientView[] }>().clients.map((c) => c.clientId), [client.clientId]);
      assert.deepEqual(show.json<ClientView>(), client);

      // At rest: sealed (the clear secret's bytes are nowhere in the row); the provider gets it back in clear.
      const row = await findOidcClientByName(installation.services.ctx.db, installation.account.id, 'grafana');
      assert.ok(row?.secret_sealed);
      assert.equal(Buffer.from(row.secret_sealed).indexOf(Buffer.from(clientSecret)), -1);
      assert.ok(!JSON.stringify(row).includes(clientSecret));
      assert.equal((await installation.services.oidc.clientMetadata(client.clientId))?.client_secret, clientSecret);
    });

    test('a public client has no secret and authenticates with none', async () => {
      const added = await call(app, 'POST', BASE, { key: keys.admin, body: { name: 'cli-app', redirectUris: ['http://127.0.0.1:8400/cb'], public: true } });
      assert.equal(added.statusCode, 201, added.body);
      const { client, clientSecret } = added.json<{ client: ClientView; clientSecret: null }>();
      assert.equal(clientSecret, null);
      assert.equal(client.public, true);
      const metadata = await installation.services.oidc.clientMetadata(client.clientId);
      assert.equal(metadata?.token_endpoint_auth_method, 'none');
      assert.equal(metadata?.client_secret, undefined);
    });

    test('PATCH replaces the redirect URIs exactly and the allowed groups, keeps the rest, and is audited', async () => {
      await call(app, 'POST', BASE, { key: keys.admin, body: { name: 'wiki', redirectUris: ['https://wiki.example.com/cb'], postLogoutRedirectUris: ['https://wiki.example.com/'] } });
      const before = (await call(app, 'GET', `${BASE}/wiki`, { key: keys.admin })).json<ClientView>();
      const uris = ['https://wiki.example.com/oidc/callback', 'https://wiki.example.com/oidc/callback?x=1'];
      const response = await call(app, 'PATCH', `${BASE}/wiki`, { key: keys.admin, body: { redirectUris: uris, allowedGroups: [' staff ', 'Staff', 'ops'] } });
      assert.equal(response.statusCode, 200, response.body);
      const after = response.json<ClientView>();
      assert.deepEqual(after.redirectUris, uris);
      assert.deepEqual(after.allowedGroups, ['staff', 'ops'], 'trimmed, and each group once whatever its case');
      assert.deepEqual(after.postLogoutRedirectUris, before.postLogoutRedirectUris, 'a field left out stays');
      assert.equal(after.clientId, before.clientId);
      assert.deepEqual((await call(app, 'GET', `${BASE}/wiki`, { key: keys.admin })).json<ClientView>(), after);
      // The provider matches exactly what was saved, and no longer the old URI.
      assert.deepEqual((await installation.services.oidc.clientMetadata(after.clientId))?.redirect_uris, uris);
      const audit = await installation.services.audit.list({ accountId: installation.account.id, limit: 20 });
      assert.ok(audit.some((e) => e.action === 'oidc_client.update' && e.actor === 'apikey:admin' && e.reason?.startsWith('wiki:')), 'the update is audited');

      // Clearing the allowed groups opens the client to every user of the account again.
      const cleared = await call(app, 'PATCH', `${BASE}/wiki`, { key: keys.admin, body: { allowedGroups: [] } });
      assert.deepEqual(cleared.json<ClientView>().allowedGroups, []);
    });

    test('bad input is refused with invalid_request naming the field, a duplicate name with oidc_client_exists, and nothing changes', async () => {
      const refused: [string, string, unknown, string, string | undefined][] = [
        ['POST', BASE, { name: 'frag', redirectUris: ['https://app.example.com/cb#x'] }, 'invalid_request', 'redirectUris'],
        ['POST', BASE, { name: 'plain-http', redirectUris: ['http://app.example.com/cb'] }, 'invalid_request', 'redirectUris'],
        ['POST', BASE, { name: 'relative', redirectUris: ['/cb'] }, 'invalid_request', 'redirectUris'],
        ['POST', BASE, { name: 'none', redirectUris: [] }, 'invalid_request', undefined],
        ['POST', BASE, { name: 'bad name!', redirectUris: [GRAFANA] }, 'invalid_request', 'name'],
        ['POST', BASE, { name: 'extra', redirectUris: [GRAFANA], clientSecret: 'chosen-by-me' }, 'invalid_request', undefined],
        ['POST', BASE, { name: 'ctrl', redirectUris: [GRAFANA], allowedGroups: ['a\u0007b'] }, 'invalid_request', 'allowedGroups'],
        ['POST', BASE, { name: 'grafana', redirectUris: [GRAFANA] }, 'oidc_client_exists', 'name'],
        ['PATCH', `${BASE}/grafana`, { redirectUris: [] }, 'invalid_request', undefined],
        ['PATCH', `${BASE}/grafana`, { redirectUris: ['https://grafana.example.com/cb#frag'] }, 'invalid_request', 'redirectUris'],
        ['PATCH', `${BASE}/grafana`, { postLogoutRedirectUris: ['ftp://grafana.example.com/'] }, 'invalid_request', 'postLogoutRedirectUris'],
        ['PATCH', `${BASE}/grafana`, { name: 'renamed' }, 'invalid_request', undefined],
        ['GET', `${BASE}/nope`, undefined, 'oidc_client_not_found', undefined],
        ['PATCH', `${BASE}/nope`, { allowedGroups: [] }, 'oidc_client_not_found', undefined],
        ['DELETE', `${BASE}/nope`, undefined, 'oidc_client_not_found', undefined],
      ];
      const before = await installation.services.oidc.listClients(installation.account);
      for (const [method, url, body, code, field] of refused) {
        const response = await call(app, method, url, { key: keys.admin, body });
        const error = response.json<{ error: { code: string; field?: string } }>().error;
        assert.equal(error.code, code, `${method} ${url} ${JSON.stringify(body)}: ${response.body}`);
        if (field !== undefined) assert.equal(error.field, field, `${method} ${url} ${JSON.stringify(body)}`);
      }
      assert.deepEqual(await installation.services.oidc.listClients(installation.account), before);
    });

    test("another account's admin key gets 404 on every route of a client, never sees it, and changes nothing", async () => {
      const before = await installation.services.oidc.listClients(installation.account);
      const grafana = before.find((c) => c.name === 'grafana')!;
      for (const [method, body] of [['GET', undefined], ['PATCH', { redirectUris: ['https://evil.example.com/cb'] }], ['DELETE', undefined]] as const) {
        const response = await call(app, method, `${BASE}/grafana`, { key: keys.adminB, body });
        assert.equal(response.statusCode, 404, `${method}: ${response.body}`);
        assert.equal(response.json<{ error: { code: string } }>().error.code, 'oidc_client_not_found');
        assert.doesNotMatch(response.body, /acme|default|grafana\.example/i, "the answer does not name the other account's data");
      }
      const theirs = await call(app, 'GET', BASE, { key: keys.adminB });
      assert.deepEqual(theirs.json<{ clients: ClientView[] }>().clients, []);
      assert.ok(!theirs.body.includes(grafana.clientId));
      // B may use the same name for a client of its own: names are per account.
      const own = await call(app, 'POST', BASE, { key: keys.adminB, body: { name: 'grafana', redirectUris: ['https://grafana.globex.example/cb'] } });
      assert.equal(own.statusCode, 201, own.body);
      assert.notEqual(own.json<{ client: ClientView }>().client.clientId, grafana.clientId);
      assert.deepEqual(await installation.services.oidc.listClients(installation.account), before, "account A's clients are unchanged");
      assert.deepEqual((await call(app, 'GET', BASE, { key: keys.admin })).json<{ clients: ClientView[] }>().clients.map((c) => c.name), before.map((c) => c.name));
    });

    test('a help-desk key and a check key are refused (403 insufficient_scope); without a key, 401', async () => {
      for (const key of [keys.desk, keys.check]) {
        for (const [method, url, body] of [['GET', BASE, undefined], ['POST', BASE, { name: 'sneaky', redirectUris: [GRAFANA] }], ['GET', `${BASE}/grafana`, undefined], ['PATCH', `${BASE}/grafana`, { allowedGroups: [] }], ['DELETE', `${BASE}/grafana`, undefined]] as const) {
          const response = await call(app, method, url, { key, body });
          assert.equal(response.statusCode, 403, `${method} ${url}: ${response.body}`);
          assert.equal(response.json<{ error: { code: string } }>().error.code, 'insufficient_scope');
        }
      }
      assert.equal((await call(app, 'GET', BASE)).statusCode, 401);
      assert.ok((await installation.services.oidc.showClient(installation.account, 'grafana')).allowedGroups.length > 0, 'the refused PATCH changed nothing');
      await assert.rejects(installation.services.oidc.showClient(installation.account, 'sneaky'));
    });

    test('DELETE removes the client: gone from the API and from the provider, and audited', async () => {
      const { clientId } = await installation.services.oidc.showClient(installation.account, 'cli-app');
      const response = await call(app, 'DELETE', `${BASE}/cli-app`, { key: keys.admin });
      assert.equal(response.statusCode, 204, response.body);
      assert.equal((await call(app, 'GET', `${BASE}/cli-app`, { key: keys.admin })).statusCode, 404);
      assert.equal(await installation.services.oidc.clientMetadata(clientId), undefined);
      const audit = await installation.services.audit.list({ accountId: installation.account.id, limit: 20 });
      assert.ok(audit.some((e) => e.action === 'oidc_client.remove' && e.actor === 'apikey:admin' && e.reason === 'cli-app'));
    });
  });
}
