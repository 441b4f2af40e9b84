// The sign-in decision: a token means a passcode at every sign-in; require_otp without a token asks for
// enrolment (or rejects when self-association is off); deny, a wrong password and an unknown user all give
// the same `reject`; a locked token answers `locked`; back-off rejects before anything is checked.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { decideSignIn, type SignInFacts } from '../../src/core/sign-in-decision.js';
import { afterFailure, retryAfterSeconds, USER_THROTTLE, NO_FAILURES } from '../../src/core/throttle.js';

const base: SignInFacts = { throttled: false, userFound: true, password: 'ok', access: 'allow', token: 'none', passcode: 'absent', selfAssociation: true };
const decide = (f: Partial<SignInFacts>) => decideSignIn({ ...base, ...f });

describe('decideSignIn', () => {
  it('asks for a passcode from a user with a token, even where the IP rule says allow', () => {
    assert.deepEqual(decide({ token: 'active' }), { kind: 'final', result: 'otp_required', reason: 'passcode_missing' });
    assert.deepEqual(decide({ token: 'active', passcode: 'well_formed' }), { kind: 'verify_passcode' });
    assert.equal((decide({ token: 'active', passcode: 'well_formed', passcodeOutcome: 'matched' }) as { result: string }).result, 'accept');
  });

  it('gives the same reject for an unknown user, a wrong password and deny', () => {
    const results = [decide({ userFound: false, password: 'wrong' }), decide({ password: 'wrong' }), decide({ access: 'deny' }), decide({ access: 'deny', token: 'active', passcode: 'well_formed', passcodeOutcome: 'matched' })];
    for (const r of results) assert.equal((r as { result: string }).result, 'reject');
  });

  it('asks a user without a token to enrol where require_otp applies, or rejects when self-association is off', () => {
    assert.deepEqual(decide({ access: 'require_otp' }), { kind: 'final', result: 'enroll_required', reason: 'enroll_required' });
    assert.deepEqual(decide({ access: 'require_otp', selfAssociation: false }), { kind: 'final', result: 'reject', reason: 'no_token_self_association_off' });
  });

  it('answers locked for a locked token only after the password, and before any passcode', () => {
    assert.equal((decide({ token: 'locked', passcode: 'well_formed' }) as { result: string }).result, 'locked');
    assert.equal((decide({ token: 'locked', password: 'wrong' }) as { result: string }).result, 'reject');
  });

  it('still asks for a passcode with a disabled or expired token, and accepts none from it', () => {
    for (const [token, reason] of [['disabled', 'token_disabled'], ['expired', 'token_expired']] as const) {
      assert.deepEqual(decide({ token }), { kind: 'final', result: 'otp_required', reason: 'passcode_missing' });
      assert.deepEqual(decide({ token, access: 'allow', passcode: 'well_formed' }), { kind: 'final', result: 'reject', reason });
      assert.deepEqual(decide({ token, passcode: 'malformed' }), { kind: 'final', result: 'reject', reason });
      assert.equal((decide({ token, password: 'wrong', passcode: 'well_formed' }) as { reason: string }).reason, 'wrong_password');
    }
  });

  it('accepts a live temporary code past a lock, asks for it there, and answers locked for anything else (#29)', () => {
    assert.deepEqual(decide({ token: 'locked', passcode: 'absent', tempCode: 'live' }), { kind: 'final', result: 'otp_required', reason: 'passcode_missing' });
    assert.deepEqual(decide({ token: 'locked', passcode: 'temp_code', tempCode: 'live' }), { kind: 'verify_temp_code' });
    assert.deepEqual(decide({ token: 'locked', passcode: 'temp_code', tempCode: 'live', tempCodeOutcome: 'matched' }), { kind: 'final', result: 'accept', reason: 'temp_code_accepted' });
    assert.deepEqual(decide({ token: 'locked', passcode: 'temp_code', tempCode: 'live', tempCodeOutcome: 'wrong' }), { kind: 'final', result: 'reject', reason: 'temp_code_wrong' });
    assert.deepEqual(decide({ token: 'locked', passcode: 'well_formed', tempCode: 'live' }), { kind: 'final', result: 'locked', reason: 'token_locked' });
    assert.deepEqual(decide({ token: 'locked', passcode: 'absent', tempCode: 'none' }), { kind: 'final', result: 'locked', reason: 'token_locked' });
    assert.equal((decide({ token: 'locked', access: 'deny', passcode: 'temp_code', tempCode: 'live' }) as { reason: string }).reason, 'denied_by_rule');
  });

  it('checks a temporary code wherever a passcode is asked for, but not past a lock; asks for it instead of enrolment', () => {
    const verify = { kind: 'verify_temp_code' };
    assert.deepEqual(decide({ token: 'active', passcode: 'temp_code', tempCode: 'live' }), verify);
    assert.deepEqual(decide({ token: 'disabled', passcode: 'temp_code', tempCode: 'live' }), verify);
    assert.deepEqual(decide({ token: 'none', access: 'require_otp', passcode: 'temp_code', tempCode: 'live' }), verify);
    assert.deepEqual(decide({ token: 'none', access: 'require_otp', passcode: 'temp_code', tempCode: 'live', tempCodeOutcome: 'matched' }), { kind: 'final', result: 'accept', reason: 'temp_code_accepted' });
    assert.deepEqual(decide({ token: 'active', passcode: 'temp_code', tempCode: 'live', tempCodeOutcome: 'wrong' }), { kind: 'final', result: 'reject', reason: 'temp_code_wrong' });
    assert.deepEqual(decide({ token: 'active', passcode: 'temp_code', tempCode: 'none' }), { kind: 'final', result: 'reject', reason: 'temp_code_wrong' });
    assert.equal((decide({ token: 'locked', passcode: 'temp_code', tempCode: 'none' }) as { result: string }).result, 'locked');
    assert.equal((decide({ access: 'deny', passcode: 'temp_code', tempCode: 'live' }) as { reason: string }).reason, 'denied_by_rule');
    assert.deepEqual(decide({ access: 'require_otp', tempCode: 'live' }), { kind: 'final', result: 'otp_required', reason: 'passcode_missing' });
    // Ten digits from a user with neither a token nor a live code are no attempt.
    assert.deepEqual(decide({ access: 'require_otp', passcode: 'temp_code', tempCode: 'none' }), { kind: 'final', result: 'enroll_required', reason: 'enroll_required' });
  });

  it('rejects a malformed passcode without asking for verification', () => {
    assert.deepEqual(decide({ token: 'active', passcode: 'malformed' }), { kind: 'final', result: 'reject', reason: 'passcode_malformed' });
  });

  it('rejects while throttled, before anything else is considered', () => {
    assert.deepEqual(decide({ throttled: true, token: 'active', passcode: 'well_formed', passcodeOutcome: 'matched' }), { kind: 'final', result: 'reject', reason: 'throttled' });
  });
});

describe('throttle back-off', () => {
  it('allows the free failures, then doubles a capped delay', () => {
    let state = NO_FAILURES;
    const now = 1_000_000;
    for (let i = 0; i < USER_THROTTLE.freeFailures; i++) state = afterFailure(state, now, USER_THROTTLE);
    assert.equal(retryAfterSeconds(state, now), 0);
    const delays: number[] = [];
    for (let i = 0; i < 8; i++) {
      state = afterFailure(state, now, USER_THROTTLE);
      delays.push(retryAfterSeconds(state, now));
    }
    assert.deepEqual(delays, [1, 2, 4, 8, 16, 30, 30, 30]);
    assert.equal(retryAfterSeconds(state, now + 30_000), 0);
  });
});
