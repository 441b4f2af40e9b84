// The precedence of IP restrictions at sign-in, on SQLite and PostgreSQL alike: the user's own, else their
// groups' (group names compared ignoring case; the strictest action per address across groups), else the
// account-wide one. A group restriction of one account never applies to another account's users.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { OPERATOR } from '../../src/services/context.js';
import { replaceGroups } from '../../src/store/directory-store.js';
import { findSignInSubject } from '../../src/store/sign-in-store.js';
import { findUserByName } from '../../src/store/user-store.js';
import type { AccountRow } from '../../src/store/schema.js';
import { engineCases, type TestInstallation } from '../helpers/engines.js';

for (const engine of await engineCases()) {
  describe(`group restrictions on ${engine.engine}`, { skip: engine.skip }, () => {
    let t: TestInstallation;
    let other: AccountRow;
    let host = 1;

    /** Groups as a directory would have stored them (only directory sign-ins and syncs write them). */
    const withGroups = async (account: AccountRow, username: string, groups: string[]) => {
      await t.services.users.create(OPERATOR, account, { username, password: `${username}-password` });
      await replaceGroups(t.services.ctx.db, (await findUserByName(t.services.ctx.db, username))!.id, groups);
    };
    const signIn = async (account: AccountRow, username: string, network: string) => {
      // Each attempt from a new address in the network, so that back-off from denied attempts stays out of it.
      const clientIp = `${network}.${host++}`;
      return (await t.services.signIn.check({ accountId: account.id, username, password: `${username}-password`, passcode: null, actor: { name: 'test', accountId: null, clientIp } })).result;
    };

    before(async () => {
      t = await engine.start();
      other = await t.services.accounts.create(OPERATOR, 'other');
      await withGroups(t.account, 'gina', ['Staff']);
      await withGroups(t.account, 'gus', ['staff', 'Lab']);
      await withGroups(t.account, 'olga', ['staff']);
      await withGroups(t.account, 'nobody', ['no-restriction-here']);
      await withGroups(other, 'ozzie', ['staff']);
      // The installation's administrator keeps a way in (a restriction of their own that allows), so that the
      // account-wide deny below is not refused as locking out every administrator.
      await t.services.restrictions.setForUser(OPERATOR, t.account, 'admin', { rules: [], default: 'allow' });
    });
    after(() => t?.close());

    test('without any group restriction the sign-in reads no groups (the flag is false), with one it is true', async () => {
      assert.equal((await findSignInSubject(t.services.ctx.db, 'gina'))?.accountHasGroupRestrictions, false);
      await t.services.restrictions.setForGroup(OPERATOR, t.account, 'STAFF', { rules: [{ cidr: '10.1.0.0/16', action: 'allow' }], default: 'deny' });
      assert.equal((await findSignInSubject(t.services.ctx.db, 'gina'))?.accountHasGroupRestrictions, true);
      assert.equal((await findSignInSubject(t.services.ctx.db, 'ozzie'))?.accountHasGroupRestrictions, false, "another account's group restriction is not this account's");
    });

    test('the group restriction applies to its members, ignoring case; not to another account\'s member of a same-named group', async () => {
      assert.equal(await signIn(t.account, 'gina', '10.1.0'), 'accept');
      assert.equal(await signIn(t.account, 'gina', '192.0.2'), 'reject');
      assert.equal(await signIn(other, 'ozzie', '192.0.2'), 'accept');
      assert.equal(await signIn(t.account, 'nobody', '192.0.2'), 'accept');
      assert.deepEqual(await t.services.restrictions.showForUser(t.account, 'gina'), { rules: [{ cidr: '10.1.0.0/16', action: 'allow' }], default: 'deny', source: 'group', groups: ['STAFF'] });
    });

    test('the strictest action of several groups wins', async () => {
      await t.services.restrictions.setForGroup(OPERATOR, t.account, 'lab', { rules: [{ cidr: '10.1.2.0/24', action: 'deny' }], default: 'allow' });
      assert.equal(await signIn(t.account, 'gus', '10.1.2'), 'reject', 'lab denies, staff allows');
      assert.equal(await signIn(t.account, 'gus', '10.1.3'), 'accept', 'both allow');
      assert.equal(await signIn(t.account, 'gus', '192.0.2'), 'reject', 'staff denies');
      assert.equal(await signIn(t.account, 'gina', '10.1.2'), 'accept', "gina is not in lab: lab's deny is not hers");
      assert.deepEqual((await t.services.restrictions.showForUser(t.account, 'gus')).groups, ['lab', 'STAFF']);
    });

    test("own > groups > account-wide", async () => {
      await t.services.restrictions.setForAccount(OPERATOR, t.account, { rules: [], default: 'deny' });
      assert.equal(await signIn(t.account, 'nobody', '10.1.0'), 'reject', 'no group restriction: the account-wide deny');
      assert.equal(await signIn(t.account, 'olga', '10.1.0'), 'accept', "the group's allow before the account's deny");
      await t.services.restrictions.setForUser(OPERATOR, t.account, 'olga', { rules: [{ cidr: '10.1.0.0/16', action: 'deny' }], default: 'allow' });
      assert.equal(await signIn(t.account, 'olga', '10.1.0'), 'reject', "her own deny before the group's allow");
      assert.equal(await signIn(t.account, 'olga', '192.0.2'), 'accept', "her own allow before the group's deny");
      assert.equal((await t.services.restrictions.showForUser(t.account, 'olga')).source, 'user');
      await t.services.restrictions.setForUser(OPERATOR, t.account, 'olga', null);
      await t.services.restrictions.clearForGroup(OPERATOR, t.account, 'Staff');
      assert.equal(await signIn(t.account, 'olga', '10.1.0'), 'reject', 'no own, no group restriction: the account-wide deny');
      // The account row as a request reads it, with the account-wide restriction just set.
      const account = await t.services.accounts.resolve(OPERATOR);
      assert.equal((await t.services.restrictions.showForUser(account, 'olga')).source, 'account');
      await t.services.restrictions.setForAccount(OPERATOR, t.account, null);
    });

    test('setting a group twice replaces it (one row per group, the latest spelling); the list shows members', async () => {
      await t.services.restrictions.setForGroup(OPERATOR, t.account, 'Staff', { rules: [], default: 'require_otp' });
      await t.services.restrictions.setForGroup(OPERATOR, t.account, 'staff', { rules: [], default: 'allow' });
      const shown = await t.services.restrictions.showForGroup(t.account, 'STAFF');
      assert.equal(shown.group, 'staff');
      assert.equal(shown.default, 'allow');
      assert.equal(shown.members, 3, 'gina (Staff), gus and olga (staff): one group ignoring case');
      const listed = await t.services.restrictions.listGroups(t.account);
      assert.deepEqual(listed.map((g) => [g.group, g.members, g.restriction?.default ?? null]), [['lab', 1, 'allow'], ['no-restriction-here', 1, null], ['staff', 3, 'allow']]);
      await assert.rejects(t.services.restrictions.showForGroup(other, 'staff'), /no restriction/);
    });
  });
}
