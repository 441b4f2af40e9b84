// The SPEC's sign-in rules end to end over a real database: a token means a passcode at every sign-in;
// require_otp without a token asks to enrol (or rejects, audited as no_token_self_association_off, when
// self-association is off); deny rejects even the right passcode; a wrong password and an unknown user get
// the same reject; the longest prefix wins; IPv4-mapped IPv6 is IPv4; invalid CIDRs are refused when saved.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { OPERATOR } from '../../src/services/context.js';
import { ServiceError } from '../../src/services/errors.js';
import { auditEvents, makeInstallation, PASSWORD, signIn, tokenOf, userWithToken, type Installation, type UserWithToken } from '../helpers/installation.js';
import { oathCode } from '../helpers/otp.js';

describe('sign-in rules', () => {
  let inst: Installation;
  let alice: UserWithToken;
  let next = 1;
  const aliceCode = () => oathCode(alice.secretHex, next++);
  before(async () => {
    inst = await makeInstallation();
    alice = await userWithToken(inst, 'alice', oathCode);
    await inst.services.users.create(OPERATOR, inst.account, { username: 'bob', password: PASSWORD });
  });
  after(() => inst.cleanup());
  const setRules = (user: string, rules: [string, string][], def: string) =>
    inst.services.restrictions.setForUser(OPERATOR, inst.account, user, { rules: rules.map(([cidr, action]) => ({ cidr, action })), default: def });
  const lastReason = async (user: string) => (await auditEvents(inst, { username: user }))[0]!.reason;

  it('a user with a token needs a passcode even where the rule says allow', async () => {
    await setRules('alice', [['0.0.0.0/0', 'allow']], 'allow');
    assert.equal((await signIn(inst, 'alice', { ip: '192.0.2.1' })).result, 'otp_required');
    assert.equal((await signIn(inst, 'alice', { ip: '192.0.2.1', otp: aliceCode() })).result, 'accept');
  });

  it('a user without a token and no restriction signs in with the password alone', async () => {
    assert.equal((await signIn(inst, 'bob')).result, 'accept');
    assert.equal(await lastReason('bob'), 'password_only');
  });

  it('require_otp without a token gives enroll_required', async () => {
    await setRules('bob', [], 'require_otp');
    assert.equal((await signIn(inst, 'bob')).result, 'enroll_required');
  });

  it('require_otp without a token gives reject when self-association is off, audited as such', async () => {
    await inst.services.accounts.updateSettings(OPERATOR, inst.account, { selfAssociation: false });
    await inst.reopen();
    assert.equal((await signIn(inst, 'bob')).result, 'reject');
    assert.equal(await lastReason('bob'), 'no_token_self_association_off');
    await inst.services.accounts.updateSettings(OPERATOR, inst.account, { selfAssociation: true });
    await inst.reopen();
  });

  it('deny rejects whatever the credentials, without spending the passcode', async () => {
    await setRules('alice', [['192.0.2.0/24', 'deny']], 'allow');
    const before = (await tokenOf(inst, 'alice')).counter;
    const outcome = await signIn(inst, 'alice', { ip: '192.0.2.7', otp: oathCode(alice.secretHex, before) });
    assert.equal(outcome.result, 'reject');
    assert.equal(await lastReason('alice'), 'denied_by_rule');
    assert.equal((await tokenOf(inst, 'alice')).counter, before);
  });

  it('a wrong password and an unknown user give the same reject; only the audit log tells them apart', async () => {
    const wrong = await signIn(inst, 'bob', { password: 'not the password', ip: '198.51.100.20' });
    const unknown = await signIn(inst, 'nobody', { password: 'not the password', ip: '198.51.100.21' });
    assert.deepEqual({ ...wrong, reason: null }, { ...unknown, reason: null });
    assert.equal(wrong.result, 'reject');
    assert.equal(wrong.user, undefined);
    assert.equal(await lastReason('bob'), 'wrong_password');
    assert.equal(await lastReason('nobody'), 'unknown_user');
  });

  it('the longest matching prefix wins', async () => {
    await setRules('bob', [['10.0.0.0/8', 'deny'], ['10.1.0.0/16', 'require_otp'], ['10.1.2.0/24', 'allow']], 'deny');
    assert.equal((await signIn(inst, 'bob', { ip: '10.9.0.1' })).result, 'reject');
    assert.equal((await signIn(inst, 'bob', { ip: '10.1.9.1' })).result, 'enroll_required');
    assert.equal((await signIn(inst, 'bob', { ip: '10.1.2.1' })).result, 'accept');
    assert.equal((await signIn(inst, 'bob')).result, 'reject'); // no address: the default
  });

  it('an IPv4-mapped IPv6 client address is matched as IPv4', async () => {
    assert.equal((await signIn(inst, 'bob', { ip: '::ffff:10.1.2.1' })).result, 'accept');
    assert.equal((await signIn(inst, 'bob', { ip: '::ffff:10.9.0.1' })).result, 'reject');
  });

  it('an account-wide restriction applies to users without their own', async () => {
    await inst.services.restrictions.setForUser(OPERATOR, inst.account, 'bob', null);
    await inst.services.restrictions.setForAccount(OPERATOR, inst.account, { rules: [{ cidr: '203.0.113.0/24', action: 'deny' }], default: 'allow' });
    await inst.reopen();
    assert.equal((await signIn(inst, 'bob', { ip: '203.0.113.5' })).result, 'reject');
    assert.equal((await signIn(inst, 'bob', { ip: '192.0.2.5' })).result, 'accept');
  });

  it('refuses an invalid CIDR when saved, names the field, and keeps the rules in force', async () => {
    await setRules('bob', [['10.0.0.0/8', 'allow']], 'deny');
    await assert.rejects(setRules('bob', [['10.0.0.0/8', 'allow'], ['10.0.0.0/33', 'deny']], 'deny'), (error: unknown) => {
      assert.ok(error instanceof ServiceError);
      assert.equal(error.code, 'invalid_restriction');
      assert.ok((error.details?.fields as Record<string, string>)['rules[1].cidr']);
      return true;
    });
    const view = await inst.services.restrictions.showForUser(inst.account, 'bob');
    assert.deepEqual(view.rules, [{ cidr: '10.0.0.0/8', action: 'allow' }]);
  });
});
