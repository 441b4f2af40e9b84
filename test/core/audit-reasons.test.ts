// Property: every sign-in reason the decision can give has a plain sentence with its code beside it, and a
// reason recorded as prose is shown as it is (capitalised), never given a code it does not have.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { describeAuditReason, describeSignIn, describeSignInChannel } from '../../src/core/audit-reasons.js';
import { SIGN_IN_REASONS } from '../../src/core/sign-in-decision.js';

test('each sign-in reason code reads as a sentence, distinct from the code, with the code kept', () => {
  const sentences = new Set<string>();
  for (const reason of SIGN_IN_REASONS) {
    const { text, code } = describeAuditReason(reason);
    assert.equal(code, reason);
    assert.match(text, /^[A-Z]/, reason);
    assert.ok(!text.includes('_'), `${reason}: "${text}" reads as prose`);
    sentences.add(text);
  }
  assert.equal(sentences.size, SIGN_IN_REASONS.length, 'no two codes share a sentence');
  assert.deepEqual(describeAuditReason('directory_unavailable').code, 'directory_unavailable');
});

test('a reason recorded as prose keeps its words and gets no code', () => {
  assert.deepEqual(describeAuditReason('role admin'), { text: 'Role admin', code: null });
  assert.deepEqual(describeAuditReason('3 rules, default allow'), { text: '3 rules, default allow', code: null });
});

test("a user's own sign-ins read as words: the result, the reason's sentence where it adds something, and the channel", () => {
  assert.deepEqual(describeSignIn('otp_required', 'passcode_missing'), { result: 'Password accepted; passcode asked', detail: null });
  assert.deepEqual(describeSignIn('enroll_required', 'enroll_required'), { result: 'Password accepted; asked to associate a token', detail: null });
  assert.deepEqual(describeSignIn('reject', 'wrong_password'), { result: 'Refused', detail: 'Wrong password' });
  assert.deepEqual(describeSignIn('locked', 'token_locked'), { result: 'Refused: token locked', detail: 'The token is locked after too many wrong passcodes' });
  assert.equal(describeSignInChannel('console:dave'), 'This sign-in page');
  assert.equal(describeSignInChannel('radius:office-vpn'), 'RADIUS client office-vpn (VPN, Wi-Fi)');
  assert.equal(describeSignInChannel('apikey:portal'), 'Application portal');
  assert.equal(describeSignInChannel('oidc:wiki'), 'Single sign-on for wiki');
  assert.equal(describeSignInChannel('cli'), 'Command line on the server');
});
