// Property: the scheduled directory sync runs once per round across instances. Two instances on one
// PostgreSQL database (and two on one SQLite file) race for the lease each round: exactly one syncs.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { loadConfig } from '../../src/runtime/config.js';
import { runScheduledSync } from '../../src/runtime/directory-sync-schedule.js';
import { initInstance, openInstance, type Instance } from '../../src/runtime/instance.js';
import { OPERATOR } from '../../src/services/context.js';
import { makeTempDir, TestClock, testEnv } from '../helpers/installation.js';
import { SERVICE_DN, SERVICE_PASSWORD, startSlapd, SUFFIX, type Slapd } from '../helpers/slapd.js';
import { createTestDatabase, postgresSkipReason, type TestDatabase } from '../postgres/test-database.js';

const quiet = { info() {}, error() {} };
const INTERVAL_MS = 60 * 60_000;

async function raceRounds(a: Instance, b: Instance, clock: TestClock, rounds: number): Promise<number[]> {
  const winners: number[] = [];
  for (let round = 0; round < rounds; round++) {
    const [wonA, wonB] = await Promise.all([runScheduledSync(a.services, INTERVAL_MS, 'instance-a', quiet), runScheduledSync(b.services, INTERVAL_MS, 'instance-b', quiet)]);
    winners.push(Number(wonA) + Number(wonB));
    clock.advanceSeconds(INTERVAL_MS / 1000);
  }
  return winners;
}

describe('scheduled directory sync, once across instances', () => {
  let slapd: Slapd;
  before(async () => {
    slapd = await startSlapd();
    await slapd.addPeople([{ uid: 'lena', password: 'lena password' }]);
  });
  after(() => slapd?.remove());

  test('PostgreSQL: two instances, five rounds, one sync a round', async (t) => {
    const skip = await postgresSkipReason();
    if (skip) return t.skip(skip);
    const database: TestDatabase = await createTestDatabase();
    const dir = makeTempDir();
    const clock = new TestClock();
    const config = loadConfig(testEnv(dir, { OTPGATE_DATABASE_URL: database.url }));
    const { instance: a } = await initInstance(config, { now: clock.read });
    const b = await openInstance(config, { now: clock.read });
    try {
      const account = await a.services.accounts.resolve(OPERATOR);
      await a.services.directories.set(OPERATOR, account, { url: slapd.url, bindDn: SERVICE_DN, bindPassword: SERVICE_PASSWORD, baseDn: SUFFIX });
      assert.deepEqual(await raceRounds(a, b, clock, 5), [1, 1, 1, 1, 1]);
      const syncs = (await a.services.audit.list({ accountId: account.id })).filter((e) => e.action === 'directory.sync');
      assert.equal(syncs.length, 5);
      assert.equal((await a.services.users.show(account, 'lena')).source, 'directory');
      // Within a round (the lease not yet expired) nobody syncs again.
      assert.equal(await runScheduledSync(b.services, INTERVAL_MS, 'instance-b', quiet), true);
      assert.equal(await runScheduledSync(a.services, INTERVAL_MS, 'instance-a', quiet), false);
    } finally {
      await a.close();
      await b.close();
      await database.drop();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('SQLite: two instances on one file, five rounds, one sync a round', async () => {
    const dir = makeTempDir();
    const clock = new TestClock();
    const config = loadConfig(testEnv(dir));
    const { instance: a } = await initInstance(config, { now: clock.read });
    const b = await openInstance(config, { now: clock.read });
    try {
      assert.deepEqual(await raceRounds(a, b, clock, 5), [1, 1, 1, 1, 1]);
    } finally {
      await a.close();
      await b.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
