// A user's way in under a restriction: who needs a passcode without having a token, and whether a change
// makes that harder (what the console warns about before saving).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { adminLockout, asksForPasscode, consoleWayIn, madeHarder, requireOtpWhereAllowed, wayIn, type WayInFacts } from '../../src/core/restriction-impact.js';
import type { AccessRestriction } from '../../src/core/access-rule.js';

const allow: AccessRestriction = { rules: [], default: 'allow' };
const requireOtp: AccessRestriction = { rules: [], default: 'require_otp' };
const officeOtp: AccessRestriction = { rules: [{ cidr: '10.0.0.0/8', action: 'require_otp' }], default: 'deny' };
const deny: AccessRestriction = { rules: [], default: 'deny' };

test('a restriction asks for a passcode when its default or any rule does', () => {
  assert.equal(asksForPasscode(allow), false);
  assert.equal(asksForPasscode(deny), false);
  assert.equal(asksForPasscode(requireOtp), true);
  assert.equal(asksForPasscode(officeOtp), true);
  // A require_otp rule shadowed by more specific rules asks nobody.
  assert.equal(asksForPasscode({ rules: [{ cidr: '10.0.0.0/8', action: 'require_otp' }, { cidr: '10.0.0.0/9', action: 'allow' }, { cidr: '10.128.0.0/9', action: 'allow' }], default: 'allow' }), false);
});

test('without a token, a passcode requirement means associating one, or no way in when self-association is off', () => {
  assert.equal(wayIn(requireOtp, true, false), 'ok');
  assert.equal(wayIn(allow, false, false), 'ok');
  assert.equal(wayIn(requireOtp, false, true), 'asked_to_associate');
  assert.equal(wayIn(officeOtp, false, false), 'locked_out');
});

test('only a change that makes the way in harder is one to warn about', () => {
  assert.equal(madeHarder('ok', 'asked_to_associate'), true);
  assert.equal(madeHarder('asked_to_associate', 'locked_out'), true);
  assert.equal(madeHarder('locked_out', 'locked_out'), false);
  assert.equal(madeHarder('locked_out', 'ok'), false);
});

const facts = (over: Partial<WayInFacts>): WayInFacts => ({ disabled: false, restriction: allow, token: 'none', selfAssociation: true, passcodeAlways: false, directoryLoss: null, ...over });
const shadowedAllow: AccessRestriction = {
  rules: [{ cidr: '10.0.0.0/8', action: 'allow' }, { cidr: '10.0.0.0/9', action: 'deny' }, { cidr: '10.128.0.0/9', action: 'deny' }],
  default: 'deny',
};

test('an administrator can sign in to the console from some address, or says why not', () => {
  assert.deepEqual(consoleWayIn(facts({})), { open: true, clientIp: '0.0.0.0' });
  assert.deepEqual(consoleWayIn(facts({ disabled: true })), { open: false, why: 'user_disabled' });
  assert.deepEqual(consoleWayIn(facts({ directoryLoss: 'no_directory', token: 'active' })), { open: false, why: 'no_directory' });
  assert.deepEqual(consoleWayIn(facts({ restriction: deny, token: 'active' })), { open: false, why: 'denied_everywhere' });
  // The allow rule is covered by the two deny halves: denied everywhere.
  assert.deepEqual(consoleWayIn(facts({ restriction: shadowedAllow, token: 'active' })), { open: false, why: 'denied_everywhere' });
  // Required to use OTP: a token, or associating one, is a way in; neither is not.
  assert.equal(consoleWayIn(facts({ restriction: officeOtp, token: 'active', selfAssociation: false })).open, true);
  assert.deepEqual(consoleWayIn(facts({ restriction: officeOtp, selfAssociation: true })), { open: true, clientIp: '10.0.0.0' });
  assert.deepEqual(consoleWayIn(facts({ restriction: officeOtp, selfAssociation: false })), { open: false, why: 'no_token_self_association_off' });
  // A token that accepts no passcode is no way in, even where a password alone would do (a token always asks).
  assert.deepEqual(consoleWayIn(facts({ token: 'disabled' })), { open: false, why: 'token_disabled' });
  assert.deepEqual(consoleWayIn(facts({ token: 'expired' })), { open: false, why: 'token_expired' });
  assert.deepEqual(consoleWayIn(facts({ token: 'locked' })), { open: false, why: 'token_locked' });
});

test('adminsRequireOtp turns allow into require_otp for administrators; deny stays deny', () => {
  assert.deepEqual(requireOtpWhereAllowed(officeOtp), officeOtp);
  assert.deepEqual(requireOtpWhereAllowed({ rules: [{ cidr: '10.0.0.0/8', action: 'allow', note: 'office' }], default: 'deny' }), { rules: [{ cidr: '10.0.0.0/8', action: 'require_otp', note: 'office' }], default: 'deny' });
  assert.equal(consoleWayIn(facts({ passcodeAlways: true, selfAssociation: false })).open, false);
  assert.equal(consoleWayIn(facts({ passcodeAlways: true, selfAssociation: true })).open, true);
  assert.equal(consoleWayIn(facts({ passcodeAlways: true, selfAssociation: false, token: 'active' })).open, true);
});

test('a change is refused only when some administrator can sign in before it and none after', () => {
  const alice = (over: Partial<WayInFacts>) => ({ username: 'alice', facts: facts(over) });
  const bob = (over: Partial<WayInFacts>) => ({ username: 'bob', facts: facts(over) });
  assert.equal(adminLockout([alice({})], [alice({ restriction: officeOtp, selfAssociation: true })]), null);
  assert.equal(
    adminLockout([alice({})], [alice({ restriction: officeOtp, selfAssociation: false })]),
    'This would leave no administrator able to sign in (alice: required to use OTP without a token, and self-association is off)',
  );
  // Another administrator keeps a way in.
  assert.equal(adminLockout([alice({}), bob({ token: 'active' })], [alice({ restriction: deny }), bob({ token: 'active' })]), null);
  assert.equal(adminLockout([alice({}), bob({ token: 'active' })], [alice({ restriction: deny }), bob({ restriction: deny, token: 'active' })]),
    'This would leave no administrator able to sign in (alice: denied from every address; bob: denied from every address)');
  // Nobody could sign in before: nothing is made worse, nothing refused.
  assert.equal(adminLockout([alice({ restriction: deny })], [alice({ restriction: deny, disabled: true })]), null);
  assert.equal(adminLockout([], []), null);
  // Demoted or deleted.
  assert.equal(adminLockout([alice({})], [{ username: 'alice', facts: null, gone: 'deleted' }]), 'This would leave no administrator able to sign in (alice: deleted)');
  assert.equal(adminLockout([alice({})], []), 'This would leave no administrator able to sign in (alice: no longer an administrator)');
  // Promoted: the new administrator is a way in.
  assert.equal(adminLockout([alice({})], [alice({ restriction: deny }), bob({})]), null);
});
