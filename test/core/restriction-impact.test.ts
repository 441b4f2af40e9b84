// A user's way in under a restriction: who needs a passcode without having a token, and whether a change
// makes that harder (what the console warns about before saving).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { asksForPasscode, madeHarder, wayIn } from '../../src/core/restriction-impact.js';
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
