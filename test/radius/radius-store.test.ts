// Property: the database-backed RADIUS state is safe to share between instances, on SQLite and PostgreSQL.
// A challenge State is stored only as a hash, is bound to its client and user, expires, and is used at most
// once even when two requests present it at the same moment (a conditional DELETE decides). RADIUS clients
// are matched by longest prefix; their secrets are sealed under the master key with the client's name as
// associated data, so a sealed secret copied onto another client's row does not open; a tenant's command
// cannot remove another tenant's client.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, describe, test } from 'node:test';
import { OPERATOR } from '../../src/services/context.js';
import { ServiceError } from '../../src/services/errors.js';
import { RadiusChallengeService } from '../../src/services/radius-challenge-service.js';
import { TestClock } from '../helpers/clock.js';
import { engineCases } from '../helpers/engines.js';

const SECRET = 'store-test-secret-0123456789';
const OPTIONS = { challenge: false, requireMessageAuthenticator: true, trustCallingStationId: false };

const NAMES = { sqlite: 'SQLite', postgres: 'PostgreSQL' } as const;

for (const engine of await engineCases()) {
  const backend = { name: NAMES[engine.engine] };
  describe(backend.name, { skip: engine.skip }, async () => {
    const opened = await engine.start({ clock: new TestClock(1_800_000_000_000) });
    const { instance, clock } = opened;
    after(() => opened.close());
    const { services } = instance;
    const store = new RadiusChallengeService({ db: services.ctx.db, now: clock.read }, (n) => randomBytes(n));

    test('a State is used at most once, even by two requests at the same moment', async () => {
      const state = await store.issue(1, 'Alice', 60_000);
      assert.equal(state.length, 16);
      const results = await Promise.all([store.consume(state, 1, 'alice'), store.consume(Buffer.from(state), 1, 'alice')]);
      assert.deepEqual(results.sort(), [false, true]);
      assert.equal(await store.consume(state, 1, 'alice'), false);
    });

    test('only a hash of the State is stored', async () => {
      const state = await store.issue(1, 'alice', 60_000);
      const rows = await services.ctx.db.selectFrom('radius_challenges').selectAll().execute();
      assert.ok(rows.length >= 1);
      for (const row of rows) assert.ok(!row.state_hash.includes(state.toString('hex')) && row.state_hash.length === 64);
      await store.consume(state, 1, 'alice');
    });

    test('a State presented for another client or user is refused and spent', async () => {
      const state = await store.issue(1, 'alice', 60_000);
      assert.equal(await store.consume(state, 2, 'alice'), false);
      assert.equal(await store.consume(state, 1, 'alice'), false, 'spent by the foreign attempt');
      const other = await store.issue(1, 'alice', 60_000);
      assert.equal(await store.consume(other, 1, 'bob'), false);
      assert.equal(await store.consume(other, 1, 'alice'), false);
    });

    test('a State expires', async () => {
      const state = await store.issue(1, 'alice', 60_000);
      clock.now += 60_000;
      assert.equal(await store.consume(state, 1, 'alice'), false);
    });

    test('clients match by longest prefix; IPv4-mapped sources count as IPv4', async () => {
      const account = await services.accounts.resolve(OPERATOR);
      await services.radiusClients.add(OPERATOR, account, 'wide', '10.0.0.0/8', `${SECRET}-wide`, OPTIONS);
      await services.radiusClients.add(OPERATOR, account, 'narrow', '10.1.2.0/24', `${SECRET}-narrow`, { ...OPTIONS, challenge: true });
      assert.equal((await services.radiusClients.findForAddress('10.1.2.3'))?.name, 'narrow');
      assert.equal((await services.radiusClients.findForAddress('10.1.2.3'))?.secret, `${SECRET}-narrow`);
      assert.equal((await services.radiusClients.findForAddress('10.9.9.9'))?.name, 'wide');
      assert.equal((await services.radiusClients.findForAddress('::ffff:10.9.9.9'))?.name, 'wide');
      assert.equal(await services.radiusClients.findForAddress('192.0.2.1'), null);
      await assert.rejects(services.radiusClients.add(OPERATOR, account, 'again', '10.1.2.9/24', `${SECRET}-again`, OPTIONS), (e: unknown) => e instanceof ServiceError && e.code === 'radius_client_exists');
      await services.radiusClients.remove(OPERATOR, account, 'narrow');
      assert.equal((await services.radiusClients.findForAddress('10.1.2.3'))?.name, 'wide', 'a removed client no longer matches');
    });

    test("a sealed secret copied onto another client's row does not open", async () => {
      const account = await services.accounts.resolve(OPERATOR);
      await services.radiusClients.add(OPERATOR, account, 'first', '172.16.0.1', `${SECRET}-first`, OPTIONS);
      await services.radiusClients.add(OPERATOR, account, 'second', '172.16.0.2', `${SECRET}-second`, OPTIONS);
      const first = await services.ctx.db.selectFrom('radius_clients').select('secret_sealed').where('name', '=', 'first').executeTakeFirstOrThrow();
      await services.ctx.db.updateTable('radius_clients').set({ secret_sealed: first.secret_sealed }).where('name', '=', 'second').execute();
      await assert.rejects(services.radiusClients.findForAddress('172.16.0.2'), /does not open/);
    });

    test("one tenant cannot remove or list another tenant's client", async () => {
      const other = await services.accounts.create(OPERATOR, `other-${backend.name.toLowerCase()}`);
      const own = await services.accounts.resolve(OPERATOR);
      await services.radiusClients.add(OPERATOR, own, 'tenant-own', '192.0.2.77', `${SECRET}-own`, OPTIONS);
      await assert.rejects(services.radiusClients.remove(OPERATOR, other, 'tenant-own'), (e: unknown) => e instanceof ServiceError && e.code === 'radius_client_not_found');
      assert.deepEqual(await services.radiusClients.list(other), []);
      assert.ok((await services.radiusClients.list(own)).some((c) => c.name === 'tenant-own'));
    });
  });
}
