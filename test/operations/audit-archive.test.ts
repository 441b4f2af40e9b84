// Audit export (CSV, JSON Lines) and archive on both engines: an archive moves the oldest events to a file and
// leaves an anchor, so `audit verify` still holds for what remains and, given the archives oldest first, for
// the whole; an edited archive, a missing or reordered one, is found. The API's export is scoped and streamed.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { OPERATOR } from '../../src/services/context.js';
import { csvLine, type ArchiveSink } from '../../src/services/audit-service.js';
import type { Services } from '../../src/services/services.js';
import { engineCases, type TestInstallation } from '../helpers/engines.js';
import { call, makeFixture, type Fixture } from '../helpers/app.js';

/** An archive sink kept in memory, split into lines as a file would be read. */
function memorySink(): ArchiveSink & { lines(): AsyncIterable<string>; text(): string } {
  let text = '';
  let finished = false;
  return {
    async write(chunk) {
      text += chunk;
    },
    async finish() {
      finished = true;
    },
    async *lines() {
      assert.ok(finished, 'the archive was finished before its events were deleted');
      yield* text.split('\n');
    },
    text: () => text,
  };
}

for (const engine of await engineCases()) {
  describe(`audit archive (${engine.engine})`, { skip: engine.skip }, () => {
    let installation: TestInstallation;
    let services: Services;
    let now = Date.parse('2027-01-01T00:00:00Z');

    before(async () => {
      installation = await engine.start();
      services = installation.services;
    });
    after(async () => installation?.close());

    /** Events at known times: users created with the clock set. */
    async function eventsAt(prefix: string, count: number, at: number): Promise<void> {
      const realNow = services.ctx.now;
      (services.ctx as { now: () => number }).now = () => at;
      try {
        for (let i = 0; i < count; i++) await services.users.create(OPERATOR, installation.account, { username: `${prefix}${i}`, password: 'correct horse battery' });
      } finally {
        (services.ctx as { now: () => number }).now = realNow;
      }
    }

    test('two archives and the rest verify; each archive alone does not stand in for the other', async () => {
      await eventsAt('jan', 5, now);
      now = Date.parse('2027-02-01T00:00:00Z');
      await eventsAt('feb', 4, now);
      await eventsAt('mar', 3, Date.parse('2027-03-01T00:00:00Z'));
      const all = (await services.audit.verify()).events;

      const first = memorySink();
      const cut1 = await services.audit.archive(Date.parse('2027-01-15T00:00:00Z'), first);
      assert.ok(cut1 && cut1.events >= 5, JSON.stringify(cut1));
      const second = memorySink();
      const cut2 = await services.audit.archive(Date.parse('2027-02-15T00:00:00Z'), second);
      assert.equal(cut2?.events, 4);
      assert.equal(await services.audit.archive(Date.parse('2027-02-15T00:00:00Z'), memorySink()), null, 'nothing left that old');

      const rest = await services.audit.verify();
      assert.equal(rest.brokenAt, null);
      assert.ok(rest.headMatches);
      assert.equal(rest.events, all - cut1.events - cut2.events, 'what remains verifies from the anchor');
      const whole = await services.audit.verifyWithArchives([first.lines(), second.lines()]);
      assert.equal(whole.brokenAt, null);
      assert.equal(whole.events, all);
      assert.equal(whole.archived, cut1.events + cut2.events);

      await assert.rejects(services.audit.verifyWithArchives([second.lines()]), /does not follow the start of the log/);
      await assert.rejects(services.audit.verifyWithArchives([second.lines(), first.lines()]), /does not follow/);
      const missing = await services.audit.verifyWithArchives([first.lines()]);
      assert.equal(missing.headMatches, false, 'the second archive is missing');
      assert.ok(missing.chains.some((c) => /an archive is missing/.test(c.problem ?? '')), JSON.stringify(missing.chains));

      // An edited archive is found at the event that was changed.
      const lines = first.text().split('\n');
      const victim = JSON.parse(lines[2]!) as { id: number; reason: string };
      lines[2] = JSON.stringify({ ...victim, reason: `${victim.reason} (edited)` });
      const edited = await services.audit.verifyWithArchives([(async function* () { yield* lines; })(), second.lines()]);
      assert.equal(edited.brokenAt, victim.id);
    });

    test('export: CSV and JSON Lines, oldest first, filters applied, formulas defused', async () => {
      await services.users.create(OPERATOR, installation.account, { username: 'x-export', password: 'correct horse battery', displayName: '=HYPERLINK("evil")' });
      let csv = '';
      const count = await services.audit.export({ accountId: installation.account.id, username: 'x-export' }, 'csv', (chunk) => void (csv += chunk));
      assert.equal(count, 1);
      const [header, row] = csv.trim().split('\n');
      assert.equal(header, 'id,at,actor,action,user,serial,clientIp,outcome,reason');
      assert.match(row!, /,cli,user\.create,x-export,,,success,role user$/);
      let jsonl = '';
      const n = await services.audit.export({ accountId: null }, 'jsonl', (chunk) => void (jsonl += chunk));
      const events = jsonl.trim().split('\n').map((l) => JSON.parse(l) as { id: number });
      assert.equal(events.length, n);
      assert.deepEqual(events.map((e) => e.id), [...events.map((e) => e.id)].sort((a, b) => a - b), 'oldest first');
      assert.equal(csvLine(['=1+2', '-x', '@a', 'a,b', 'say "hi"', null, 7]), `'=1+2,'-x,'@a,"a,b","say ""hi""",,7`);
    });
  });
}

describe('GET /api/v1/audit/export', () => {
  let f: Fixture;
  before(async () => {
    f = await makeFixture();
  });
  after(async () => f?.close());

  test("streams the caller's own account only, as CSV or JSON Lines; needs admin scope", async () => {
    const csv = await call(f.app, 'GET', '/api/v1/audit/export?format=csv', { key: f.keys.admin });
    assert.equal(csv.statusCode, 200);
    assert.match(csv.headers['content-type'] as string, /^text\/csv/);
    assert.match(csv.headers['content-disposition'] as string, /attachment; filename="audit-acme\.csv"/);
    assert.ok(csv.body.includes('alice'));
    assert.ok(!csv.body.includes('zed'), "globex's events are not in acme's export");
    const jsonl = await call(f.app, 'GET', '/api/v1/audit/export?format=jsonl&user=alice', { key: f.keys.admin });
    const events = jsonl.body.trim().split('\n').map((l) => JSON.parse(l) as { user: string });
    assert.ok(events.length > 0 && events.every((e) => e.user === 'alice'));
    // The console's filters are the API's too: by action and by token serial, on the page and in the export.
    const serial = f.aliceToken.serial;
    const bySerial = await call(f.app, 'GET', `/api/v1/audit/export?format=jsonl&serial=${serial}`, { key: f.keys.admin });
    const serialEvents = bySerial.body.trim().split('\n').map((l) => JSON.parse(l) as { serial: string | null; action: string });
    assert.ok(serialEvents.length > 0 && serialEvents.every((e) => e.serial === serial), 'only events naming the token');
    const associations = await call(f.app, 'GET', '/api/v1/audit?action=token.associate', { key: f.keys.admin });
    const associationEvents = associations.json<{ events: { action: string }[] }>().events;
    assert.ok(associationEvents.length > 0 && associationEvents.every((e) => e.action === 'token.associate'), 'only token.associate events');
    const pageBySerial = (await call(f.app, 'GET', `/api/v1/audit?serial=${serial}&action=token.associate`, { key: f.keys.admin })).json<{ events: { action: string; serial: string }[] }>();
    assert.deepEqual(pageBySerial.events.map((e) => [e.action, e.serial]), [['token.associate', serial]]);
    assert.equal((await call(f.app, 'GET', '/api/v1/audit/export?format=xml', { key: f.keys.admin })).statusCode, 400);
    assert.equal((await call(f.app, 'GET', '/api/v1/audit/export?format=csv', { key: f.keys.check })).statusCode, 403);
  });
});
