// Property: two changes fired at the same moment, each of which alone leaves one administrator a way in but
// which together would leave none (deny a1 + deny a2, demote both, disable both), never both succeed: the
// lock-out guard checks and writes in one transaction that serialises per account (the account row locked:
// SELECT … FOR UPDATE on PostgreSQL, the write lock taken first on SQLite), on both engines, within one
// instance and, on PostgreSQL, across two instances over one database (each with its own pool). (Two SQLite
// instances in one process would wait for each other's write lock on the one thread; across processes
// SQLite's single writer, taken by the transaction's first statement, serialises them as it does here.
// Two `otpgate` processes started together rarely overlap, so such a test could not fail.) Exactly one change goes through, the other is refused with
// would_lock_out_admins, and an administrator keeps a way in.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { AccessRestriction } from '../../src/core/access-rule.js';
import { loadConfig } from '../../src/runtime/config.js';
import { openInstance, type Instance } from '../../src/runtime/instance.js';
import { OPERATOR } from '../../src/services/context.js';
import { ServiceError } from '../../src/services/errors.js';
import type { Services } from '../../src/services/services.js';
import type { AccountRow } from '../../src/store/schema.js';
import { findUserByName } from '../../src/store/user-store.js';
import { engineCases, type TestInstallation } from '../helpers/engines.js';

const TRIALS = 30;
const PASSWORD = 'correct horse battery';
const DENY: AccessRestriction = { rules: [], default: 'deny' };

/** One change to one administrator, made through the given services. */
type Change = (services: Services, account: AccountRow, admin: string) => Promise<unknown>;

const PAIRS: Record<string, Change> = {
  'deny each admin': (s, account, admin) => s.restrictions.setForUser(OPERATOR, account, admin, DENY),
  'demote each admin': (s, account, admin) => s.users.update(OPERATOR, account, admin, { role: 'user' }),
  'disable each admin': (s, account, admin) => s.users.update(OPERATOR, account, admin, { disabled: true }),
};

for (const engine of await engineCases()) {
  describe(`the lock-out guard under concurrent changes (${engine.engine})`, { skip: engine.skip }, () => {
    let installation: TestInstallation;
    let second: Instance;
    let counter = 0;

    before(async () => {
      installation = await engine.start();
      // A second instance over the same database, as a second server (or a CLI command beside one) is.
      if (engine.engine === 'postgres') second = await openInstance(loadConfig(installation.env));
    });
    after(async () => {
      await second?.close();
      await installation?.close();
    });

    /** A fresh account with two administrators and nothing else. */
    async function twoAdmins(): Promise<{ account: AccountRow; admins: [string, string] }> {
      const services = installation.services;
      const name = `race${++counter}`;
      const account = await services.accounts.create(OPERATOR, name);
      const admins: [string, string] = [`${name}-a1`, `${name}-a2`];
      for (const admin of admins) await services.users.create(OPERATOR, account, { username: admin, password: PASSWORD, role: 'admin' });
      return { account, admins };
    }

    /** The administrators who can still sign in: admin role, enabled, not denied by their own restriction. */
    async function adminsWithAWayIn(admins: string[]): Promise<string[]> {
      const kept: string[] = [];
      for (const name of admins) {
        const user = (await findUserByName(installation.services.ctx.db, name))!;
        const denied = user.restriction !== null && (JSON.parse(user.restriction) as AccessRestriction).default === 'deny';
        if (user.role === 'admin' && user.disabled_at === null && !denied) kept.push(name);
      }
      return kept;
    }

    for (const [label, change] of Object.entries(PAIRS)) {
      for (const where of engine.engine === 'postgres' ? (['one instance', 'two instances'] as const) : (['one instance'] as const)) {
        test(`${label}, both at once from ${where}: ${TRIALS} trials, an administrator always keeps a way in`, async () => {
          const failures: string[] = [];
          for (let trial = 0; trial < TRIALS; trial++) {
            const { account, admins } = await twoAdmins();
            const other = where === 'one instance' ? installation.services : second.services;
            const results = await Promise.allSettled([change(installation.services, account, admins[0]), change(other, account, admins[1])]);
            const kept = await adminsWithAWayIn(admins);
            const refused = results.filter((r) => r.status === 'rejected');
            for (const r of refused) {
              const error = r.reason as unknown;
              if (!(error instanceof ServiceError && error.code === 'would_lock_out_admins')) failures.push(`trial ${trial}: unexpected ${String(error)}`);
            }
            if (kept.length === 0 || refused.length !== 1) failures.push(`trial ${trial}: ${refused.length} refused, admins with a way in: [${kept.join(', ')}]`);
          }
          assert.deepEqual(failures, [], `every trial leaves exactly one change refused and one admin a way in`);
        });
      }
    }
  });
}
