// Property: POST /api/v1/directory/sync plans (dryRun: nothing applied) and applies a sync as `directory
// sync` does: over the safety limit it applies nothing unless `force`; it never shows internal ids; another
// account's admin key reaches no directory, and a check key none at all.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { OPERATOR } from '../../src/services/context.js';
import { call, makeFixture, type Fixture } from '../helpers/app.js';
import { GROUPS_DN, SERVICE_DN, SERVICE_PASSWORD, startSlapd, SUFFIX, type Slapd } from '../helpers/slapd.js';

interface Report {
  applied: boolean;
  refused: string | null;
  plan: { create: { username: string; groups: string[] }[]; update: unknown[]; disable: { username: string; reason: string }[]; enable: unknown[]; skipped: unknown[]; directoryUsers: number };
}

describe('directory sync over the API', () => {
  let slapd: Slapd;
  let f: Fixture;
  const people = Array.from({ length: 12 }, (_, i) => `p${String(i).padStart(2, '0')}`);
  const sync = async (body: Record<string, unknown>, key = f.keys.admin) => call(f.app, 'POST', '/api/v1/directory/sync', { key, body });

  before(async () => {
    slapd = await startSlapd();
    await slapd.addPeople(people.map((uid) => ({ uid, password: `${uid} password`, groups: ['staff'] })));
    f = await makeFixture();
    await f.services.directories.set(OPERATOR, f.acme, { url: slapd.url, bindDn: SERVICE_DN, bindPassword: SERVICE_PASSWORD, baseDn: SUFFIX });
  });

  after(async () => {
    await f?.close();
    await slapd?.remove();
  });

  test('dryRun plans and applies nothing; without it the plan is applied', async () => {
    const planned = await sync({ dryRun: true });
    assert.equal(planned.statusCode, 200, planned.body);
    const report = planned.json<Report>();
    assert.equal(report.applied, false);
    assert.equal(report.refused, null);
    assert.deepEqual(report.plan.create.map((p) => p.username), people);
    assert.deepEqual(report.plan.create[0]!.groups, ['staff']);
    assert.doesNotMatch(planned.body, /"userId"/);
    assert.equal((await f.services.users.list(f.acme, 'p0')).length, 0, 'nothing created by a dry run');

    const applied = await sync({});
    assert.equal(applied.json<Report>().applied, true);
    assert.equal((await f.services.users.list(f.acme, 'p')).filter((u) => u.source === 'directory').length, 12);
  });

  test('a plan over the safety limit is refused (nothing applied) unless force', async () => {
    // A base DN with no people looks like everyone gone: 12 of 12 would be disabled.
    await f.services.directories.set(OPERATOR, f.acme, { url: slapd.url, bindDn: SERVICE_DN, baseDn: GROUPS_DN });
    const refused = await sync({});
    assert.equal(refused.statusCode, 200, refused.body);
    const report = refused.json<Report>();
    assert.equal(report.applied, false);
    assert.match(report.refused ?? '', /found no people/);
    assert.equal(report.plan.disable.length, 12);
    assert.equal((await f.services.users.show(f.acme, 'p00')).disabled, false, 'nothing applied');

    const forced = await sync({ force: true });
    assert.equal(forced.json<Report>().applied, true);
    assert.equal((await f.services.users.show(f.acme, 'p00')).disabled, true);
    assert.equal((await f.services.users.show(f.acme, 'p00')).disabledReason, 'directory sync: gone from the directory');
  });

  test("another account's admin key: 404 directory_not_found; a check key: 403; unknown fields: 400", async () => {
    const other = await sync({ dryRun: true }, f.keys.adminB);
    assert.equal(other.statusCode, 404);
    assert.equal(other.json<{ error: { code: string } }>().error.code, 'directory_not_found');
    assert.equal((await sync({ dryRun: true }, f.keys.check)).statusCode, 403);
    assert.equal((await sync({ dryRun: true, deleteUsers: true })).statusCode, 400);
  });

  test('the directory down: 503 service_unavailable, nothing applied', async () => {
    await f.services.directories.set(OPERATOR, f.acme, { url: slapd.url, bindDn: SERVICE_DN, baseDn: SUFFIX });
    await slapd.stop();
    try {
      const down = await sync({ force: true });
      assert.equal(down.statusCode, 503, down.body);
      assert.equal(down.json<{ error: { code: string } }>().error.code, 'service_unavailable');
      assert.equal((await f.services.users.show(f.acme, 'p00')).disabled, true, 'still as the last sync left it');
    } finally {
      await slapd.start();
    }
  });
});
