// Administrators keep a way in (SPEC, "A token's life at the help desk"), on SQLite and PostgreSQL: a change
// of restriction (a user's own, several users', a group's, account-wide), of setting (self-association off,
// adminsRequireOtp on), of role (demotion), deleting or disabling a user, or disabling, retiring,
// disassociating or dating out an administrator's token, that would leave no administrator able to sign in
// to the console is refused with would_lock_out_admins, naming who and why, and changes nothing. A change
// that leaves one administrator a way in, or an account where none could sign in already, goes ahead.
// adminsRequireOtp asks administrators for a passcode at the console only.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { AccessRestriction } from '../../src/core/access-rule.js';
import { OPERATOR } from '../../src/services/context.js';
import { ServiceError } from '../../src/services/errors.js';
import type { Services } from '../../src/services/services.js';
import { replaceGroups } from '../../src/store/directory-store.js';
import { findTokenBySerial, setTokenValidity } from '../../src/store/token-store.js';
import { findUserByName, insertUser } from '../../src/store/user-store.js';
import type { AccountRow } from '../../src/store/schema.js';
import { engineCases, importTokens, type TestInstallation } from '../helpers/engines.js';
import { oathCode } from '../helpers/otp.js';
import { randomSecretHex } from '../helpers/secrets.js';

const PASSWORD = 'correct horse battery';
const DENY: AccessRestriction = { rules: [], default: 'deny' };
const OTP: AccessRestriction = { rules: [], default: 'require_otp' };

/** The refusal, with the sentence that names each administrator and why. */
function lockout(pattern: RegExp) {
  return (error: unknown) => {
    assert.ok(error instanceof ServiceError, String(error));
    assert.equal(error.code, 'would_lock_out_admins');
    assert.equal(error.status, 409);
    assert.match(error.message, /^This would leave no administrator able to sign in \(/);
    assert.match(error.message, pattern);
    return true;
  };
}

for (const engine of await engineCases()) {
  describe(`administrators keep a way in (${engine.engine})`, { skip: engine.skip }, () => {
    let installation: TestInstallation;
    let services: Services;
    let counter = 0;

    before(async () => {
      installation = await engine.start();
      services = installation.services;
    });
    after(() => installation?.close());

    /** A fresh account with one administrator (no token, no restriction) and one user; self-association on. */
    async function freshAccount(): Promise<{ account: () => Promise<AccountRow>; admin: string; user: string; name: string }> {
      const name = `acct${++counter}`;
      const created = await services.accounts.create(OPERATOR, name);
      await services.users.create(OPERATOR, created, { username: `${name}-admin`, password: PASSWORD, role: 'admin' });
      await services.users.create(OPERATOR, created, { username: `${name}-user`, password: PASSWORD, role: 'user' });
      // Settings live on the account row: read it again after each change.
      return { account: () => services.accounts.byId(created.id), admin: `${name}-admin`, user: `${name}-user`, name };
    }

    async function giveToken(account: AccountRow, username: string, serial: string): Promise<string> {
      const secretHex = randomSecretHex();
      await importTokens(services, account, [{ serial, secretHex }]);
      await services.tokens.associate(OPERATOR, account, username, serial, oathCode(secretHex, 0));
      return secretHex;
    }

    test('account-wide: deny everywhere is refused and nothing is saved; an allow rule for the admin\'s address lets it through', async () => {
      const a = await freshAccount();
      await assert.rejects(services.restrictions.setForAccount(OPERATOR, await a.account(), { rules: [], default: 'deny' }), lockout(new RegExp(`${a.admin}: denied from every address\\)\\. Nothing was changed\\.$`)));
      assert.equal(services.restrictions.showForAccount(await a.account()).source, 'none', 'nothing was saved');
      const events = await services.audit.list({ accountId: (await a.account()).id, limit: 50 });
      assert.equal(events.filter((e) => e.action === 'restriction.set_account').length, 0, 'no change was recorded');
      const saved = await services.restrictions.setForAccount(OPERATOR, await a.account(), { rules: [{ cidr: '127.0.0.1/32', action: 'allow' }], default: 'deny' });
      assert.equal(saved.source, 'account');
    });

    test('a rule shadowed by more specific rules is no way in; one address left uncovered is', async () => {
      const a = await freshAccount();
      const shadowed = { rules: [{ cidr: '10.0.0.0/8', action: 'allow' }, { cidr: '10.0.0.0/9', action: 'deny' }, { cidr: '10.128.0.0/9', action: 'deny' }], default: 'deny' };
      await assert.rejects(services.restrictions.setForAccount(OPERATOR, await a.account(), shadowed), lockout(/denied from every address/));
      const gap = { rules: [{ cidr: '10.0.0.0/8', action: 'allow' }, { cidr: '10.0.0.0/9', action: 'deny' }, { cidr: '10.128.0.0/10', action: 'deny' }], default: 'deny' };
      assert.equal((await services.restrictions.setForAccount(OPERATOR, await a.account(), gap)).source, 'account');
    });

    test("a user's own restriction, and several users' at once (all or none)", async () => {
      const a = await freshAccount();
      await assert.rejects(services.restrictions.setForUser(OPERATOR, await a.account(), a.admin, DENY), lockout(/denied from every address/));
      await assert.rejects(services.restrictions.setForUsers(OPERATOR, await a.account(), [a.user, a.admin], DENY), lockout(/denied from every address/));
      assert.equal((await services.restrictions.showForUser(await a.account(), a.user)).source, 'none', "the other user's restriction was not changed either");
      // The plain user alone may be denied; require_otp for the admin is fine while self-association is on.
      await services.restrictions.setForUsers(OPERATOR, await a.account(), [a.user], DENY);
      await services.restrictions.setForUser(OPERATOR, await a.account(), a.admin, OTP);
    });

    test("a group's restriction, and removing the group restriction that keeps the admin in", async () => {
      const a = await freshAccount();
      await replaceGroups(services.ctx.db, (await findUserByName(services.ctx.db, a.admin))!.id, ['Ops']);
      await assert.rejects(services.restrictions.setForGroup(OPERATOR, await a.account(), 'ops', DENY), lockout(/denied from every address/));
      // The group allows the admin; then the account may deny everyone else.
      await services.restrictions.setForGroup(OPERATOR, await a.account(), 'ops', { rules: [], default: 'allow' });
      await services.restrictions.setForAccount(OPERATOR, await a.account(), DENY);
      await assert.rejects(services.restrictions.clearForGroup(OPERATOR, await a.account(), 'ops'), lockout(/denied from every address/));
      assert.equal((await services.restrictions.showForGroup(await a.account(), 'ops')).default, 'allow', 'the group restriction is still there');
    });

    test('self-association off while the admin must use OTP and has no token', async () => {
      const a = await freshAccount();
      await services.restrictions.setForAccount(OPERATOR, await a.account(), OTP);
      await assert.rejects(
        services.accounts.updateSettings(OPERATOR, await a.account(), { selfAssociation: false }),
        lockout(new RegExp(`\\(${a.admin}: required to use OTP without a token, and self-association is off\\)\\. Nothing was changed\\.$`)),
      );
      assert.equal((await a.account()).self_association, 1, 'nothing was saved');
      // With a token the admin has a way in, and the setting may go off.
      await giveToken(await a.account(), a.admin, `77${counter}0000000001`);
      assert.equal((await services.accounts.updateSettings(OPERATOR, await a.account(), { selfAssociation: false })).selfAssociation, false);
    });

    test('adminsRequireOtp on while self-association is off and the admin has no token', async () => {
      const a = await freshAccount();
      await services.accounts.updateSettings(OPERATOR, await a.account(), { selfAssociation: false });
      await assert.rejects(services.accounts.updateSettings(OPERATOR, await a.account(), { adminsRequireOtp: true }), lockout(/required to use OTP without a token, and self-association is off/));
      assert.equal((await a.account()).admins_require_otp, 0);
      // With self-association on, they would be asked to associate a token: a way in.
      assert.equal((await services.accounts.updateSettings(OPERATOR, await a.account(), { selfAssociation: true, adminsRequireOtp: true })).adminsRequireOtp, true);
      // And now self-association may not go off again.
      await assert.rejects(services.accounts.updateSettings(OPERATOR, await a.account(), { selfAssociation: false }), lockout(/self-association is off/));
    });

    test('demoting, disabling or deleting the only administrator who can sign in; with a second one it goes ahead', async () => {
      const a = await freshAccount();
      await assert.rejects(services.users.update(OPERATOR, await a.account(), a.admin, { role: 'helpdesk' }), lockout(/no longer an administrator \(helpdesk\)/));
      await assert.rejects(services.users.update(OPERATOR, await a.account(), a.admin, { disabled: true }), lockout(new RegExp(`${a.admin}: disabled\\)`)));
      await assert.rejects(services.users.delete(OPERATOR, await a.account(), a.admin), lockout(new RegExp(`${a.admin}: deleted\\)`)));
      const still = await services.users.show(await a.account(), a.admin);
      assert.deepEqual([still.role, still.disabled], ['admin', false]);
      // A second administrator who is denied everywhere is no way in; one who can sign in is.
      await services.users.update(OPERATOR, await a.account(), a.user, { role: 'admin' });
      await services.restrictions.setForUser(OPERATOR, await a.account(), a.user, DENY);
      await assert.rejects(services.users.update(OPERATOR, await a.account(), a.admin, { role: 'user' }), lockout(/no longer an administrator \(user\)/));
      await services.restrictions.setForUser(OPERATOR, await a.account(), a.user, null);
      await services.users.update(OPERATOR, await a.account(), a.admin, { role: 'user' });
      assert.equal((await services.users.show(await a.account(), a.admin)).role, 'user');
    });

    test("disabling, retiring, disassociating or dating out the admin's only token while OTP is required and self-association is off", async () => {
      const a = await freshAccount();
      const serial = `78${counter}0000000001`;
      await giveToken(await a.account(), a.admin, serial);
      await services.restrictions.setForAccount(OPERATOR, await a.account(), OTP);
      await services.accounts.updateSettings(OPERATOR, await a.account(), { selfAssociation: false });
      const account = await a.account();
      await assert.rejects(services.tokenStates.disable(OPERATOR, account, serial), lockout(/their token is disabled, so no passcode is accepted/));
      await assert.rejects(services.tokenStates.retire(OPERATOR, account, serial, 'lost'), lockout(/required to use OTP without a token, and self-association is off/));
      await assert.rejects(services.tokens.disassociate(OPERATOR, account, a.admin), lockout(/required to use OTP without a token/));
      await assert.rejects(services.tokenStates.setValidity(OPERATOR, account, serial, { validUntil: '2020-01-01T00:00:00Z' }), lockout(/outside its validity dates/));
      const token = await services.tokens.show(account, serial);
      assert.deepEqual([token.status, token.username, token.validUntil], ['associated', a.admin, null], 'the token is as it was');
      // A token of the inventory is nobody's way in: retiring it goes ahead.
      await importTokens(services, account, [{ serial: `79${counter}0000000001`, secretHex: randomSecretHex() }]);
      assert.equal((await services.tokenStates.retire(OPERATOR, account, `79${counter}0000000001`, 'broken')).status, 'retired');
      // With self-association on, the admin could associate another token: retiring theirs goes ahead.
      await services.accounts.updateSettings(OPERATOR, account, { selfAssociation: true });
      assert.equal((await services.tokenStates.retire(OPERATOR, await a.account(), serial, 'lost')).status, 'retired');
    });

    test("with several tokens the guard protects the admin's last usable one, not their only one", async () => {
      const a = await freshAccount();
      const [desk, spare, third] = [`81${counter}0000000001`, `81${counter}0000000002`, `81${counter}0000000003`];
      await giveToken(await a.account(), a.admin, desk);
      await giveToken(await a.account(), a.admin, spare);
      await services.restrictions.setForAccount(OPERATOR, await a.account(), OTP);
      await services.accounts.updateSettings(OPERATOR, await a.account(), { selfAssociation: false });
      const account = await a.account();
      // Two usable tokens: disabling one goes ahead (the other is a way in).
      assert.equal((await services.tokenStates.disable(OPERATOR, account, spare)).status, 'disabled');
      // Now desk is the last usable one, though the admin still holds two: each way of losing it is refused.
      await assert.rejects(services.tokenStates.disable(OPERATOR, account, desk), lockout(new RegExp(a.admin)));
      await assert.rejects(services.tokens.disassociate(OPERATOR, account, a.admin, desk), lockout(new RegExp(a.admin)));
      await assert.rejects(services.tokenStates.retire(OPERATOR, account, desk, 'lost'), lockout(new RegExp(a.admin)));
      await assert.rejects(services.tokenStates.setValidity(OPERATOR, account, desk, { validUntil: '2020-01-01T00:00:00Z' }), lockout(new RegExp(a.admin)));
      const held = await services.tokens.listOfUser(account, a.admin);
      assert.deepEqual(held.map((t) => [t.serial, t.status, t.validUntil]), [[desk, 'associated', null], [spare, 'disabled', null]], 'nothing changed');
      // The disabled spare is no way in, so disassociating or retiring it goes ahead; then a second usable
      // token lets the first go.
      assert.equal((await services.tokens.disassociate(OPERATOR, account, a.admin, spare)).status, 'available');
      await giveToken(account, a.admin, third);
      assert.equal((await services.tokens.disassociate(OPERATOR, account, a.admin, desk)).status, 'available');
      await assert.rejects(services.tokenStates.disable(OPERATOR, account, third), lockout(new RegExp(a.admin)));
    });

    test('nothing is refused where no administrator can sign in already, nor in an account without one', async () => {
      const empty = await services.accounts.create(OPERATOR, `acct${++counter}`);
      await services.restrictions.setForAccount(OPERATOR, empty, DENY);
      const a = await freshAccount();
      await services.restrictions.setForUser(OPERATOR, await a.account(), a.admin, { rules: [{ cidr: '192.0.2.0/24', action: 'allow' }], default: 'deny' });
      await services.users.update(OPERATOR, await a.account(), a.user, { role: 'admin' });
      await services.restrictions.setForUser(OPERATOR, await a.account(), a.user, DENY);
      // The first admin is disabled by a second... who is denied everywhere: refused, since the first could sign in.
      await assert.rejects(services.users.update(OPERATOR, await a.account(), a.admin, { disabled: true }), lockout(/disabled/));
      // Once the second admin may sign in, the first may be disabled; then the second may not be denied.
      await services.restrictions.setForUser(OPERATOR, await a.account(), a.user, null);
      await services.users.update(OPERATOR, await a.account(), a.admin, { disabled: true });
      await assert.rejects(services.restrictions.setForAccount(OPERATOR, await a.account(), DENY), lockout(new RegExp(`${a.user}: denied from every address\\)\\. Nothing was changed\\.$`)));
    });

    test('adminsRequireOtp is a console setting for administrators: the API check and the help desk are not affected', async () => {
      const a = await freshAccount();
      await services.users.create(OPERATOR, await a.account(), { username: `${a.name}-desk`, password: PASSWORD, role: 'helpdesk' });
      const secretHex = await giveToken(await a.account(), a.user, `80${counter}0000000001`);
      await services.users.update(OPERATOR, await a.account(), a.user, { role: 'admin' });
      const check = async (username: string, channel: 'console' | 'api', passcode: string | null = null) => {
        const account = await a.account();
        return (await services.signIn.check({ accountId: account.id, username, password: PASSWORD, passcode, actor: { name: 'test', accountId: account.id, clientIp: '192.0.2.7' }, channel })).result;
      };
      assert.equal(await check(a.admin, 'console'), 'accept', 'off: a password alone, where the restriction allows it');
      await services.accounts.updateSettings(OPERATOR, await a.account(), { adminsRequireOtp: true });
      assert.equal(await check(a.admin, 'console'), 'enroll_required', 'on: an admin without a token is asked to associate one');
      assert.equal(await check(a.admin, 'api'), 'accept', 'the API check is not the console');
      assert.equal(await check(`${a.name}-desk`, 'console'), 'accept', 'the help desk follows its restriction');
      // An admin with a token needs their passcode in either case (a token always asks for one).
      assert.equal(await check(a.user, 'console'), 'otp_required');
      assert.equal(await check(a.user, 'console', oathCode(secretHex, 1)), 'accept');
      // Denied stays denied.
      await services.restrictions.setForUser(OPERATOR, await a.account(), a.admin, { rules: [{ cidr: '192.0.2.0/24', action: 'deny' }], default: 'allow' });
      assert.equal(await check(a.admin, 'console'), 'reject');
    });

    test('a token whose validity ends within the guard\'s horizon (7 days) is no lasting way in; an unrelated change still goes ahead', async () => {
      const a = await freshAccount();
      const serial = `80${counter}0000000001`;
      await giveToken(await a.account(), a.admin, serial);
      await services.restrictions.setForAccount(OPERATOR, await a.account(), OTP);
      await services.accounts.updateSettings(OPERATOR, await a.account(), { selfAssociation: false });
      const account = await a.account();
      const inDays = (days: number) => new Date(services.ctx.now() + days * 86_400_000).toISOString();
      // Valid now, but the admin is locked out tomorrow: refused, saying when.
      await assert.rejects(services.tokenStates.setValidity(OPERATOR, account, serial, { validUntil: inDays(1) }), (error: unknown) => {
        assert.ok(error instanceof ServiceError && error.code === 'would_lock_out_admins', String(error));
        assert.match(error.message, new RegExp(`^This would leave no administrator able to sign in 7 days from now \\(${a.admin}: their token is outside its validity dates, so no passcode is accepted\\)\\. Nothing was changed\\.$`));
        return true;
      });
      assert.equal((await services.tokens.show(account, serial)).validUntil, null, 'nothing was saved');
      // Beyond the horizon it goes ahead (the dates are the administrator's to choose).
      const until = inDays(30);
      assert.equal(Date.parse((await services.tokenStates.setValidity(OPERATOR, account, serial, { validUntil: until })).validUntil!), Date.parse(until));
      // Already ending within the horizon (the clock moved on): an unrelated change is not refused for it…
      await setTokenValidity(services.ctx.db, (await findTokenBySerial(services.ctx.db, account.id, serial))!.id, null, services.ctx.now() + 86_400_000);
      await services.restrictions.setForUser(OPERATOR, account, a.user, DENY);
      // …and a change that takes the way in now is still refused.
      await assert.rejects(services.tokenStates.disable(OPERATOR, account, serial), lockout(/their token is disabled/));
    });

    test('removing the directory that checks a directory administrator\'s password is refused while they are the way in', async () => {
      const a = await freshAccount();
      const account = await a.account();
      await services.directories.set(OPERATOR, account, { url: 'ldap://127.0.0.1:1', bindDn: 'cn=svc,dc=example,dc=org', bindPassword: 'service password', baseDn: 'dc=example,dc=org' });
      const now = services.ctx.now();
      await insertUser(services.ctx.db, { account_id: account.id, username: `${a.name}-dir`, username_key: `${a.name}-dir`, display_name: '', role: 'admin', password_hash: '', restriction: null, created_at: now, source: 'directory', dn: `uid=${a.name}-dir,dc=example,dc=org`, email: null, disabled_at: null, disabled_reason: null });
      // The local administrator leaves; the directory administrator is the way in.
      await services.users.delete(OPERATOR, account, a.admin);
      await assert.rejects(services.directories.remove(OPERATOR, account), lockout(new RegExp(`\\(${a.name}-dir: a directory user, and no directory would be left to check their password\\)`)));
      assert.equal((await services.directories.show(account)).url, 'ldap://127.0.0.1:1', 'the directory is still there');
      // With a local administrator again, the directory may go.
      await services.users.create(OPERATOR, account, { username: `${a.name}-local`, password: PASSWORD, role: 'admin' });
      await services.directories.remove(OPERATOR, account);
    });
  });
}
