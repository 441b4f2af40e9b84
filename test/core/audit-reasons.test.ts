// Property: every sign-in reason the decision can give has a plain sentence with its code beside it, and a
// reason recorded as prose is shown as it is (capitalised), never given a code it does not have.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { describeAuditReason } from '../../src/core/audit-reasons.js';
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
