// Property: a directory sync's safety limit refuses, unless forced, a plan that disables more than 10 users
// and 10% of the directory users — and, whatever the numbers, a directory that found nobody or a plan that
// disables every enabled directory user (a small directory with its only administrator, issue 24).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { planDirectorySync, safetyRefusal, type SyncPerson, type SyncUser } from '../../src/core/directory-sync-plan.js';

const person = (username: string): SyncPerson => ({ username, dn: `uid=${username},dc=example,dc=org`, displayName: username, email: null, groups: [], disabled: false });
const user = (id: number, username: string, disabled = false): SyncUser => ({ id, username, inAccount: true, source: 'directory', dn: `uid=${username},dc=example,dc=org`, displayName: username, email: null, groups: [], disabled, disabledBySync: false });

test('a directory that finds nobody is refused unless forced, even with no user to disable', () => {
  assert.match(safetyRefusal(planDirectorySync([], [user(1, 'ann'), user(2, 'ben')]), false) ?? '', /found no people/);
  assert.match(safetyRefusal(planDirectorySync([], []), false) ?? '', /found no people/);
  assert.equal(safetyRefusal(planDirectorySync([], [user(1, 'ann')]), true), null);
});

test('a plan that disables every enabled directory user is refused unless forced; most of them is within the limit', () => {
  const users = [user(1, 'ann'), user(2, 'ben'), user(3, 'cat'), user(4, 'old', true)];
  const everyone = planDirectorySync([person('zed')], users);
  assert.equal(everyone.disable.length, 3);
  assert.match(safetyRefusal(everyone, false) ?? '', /every directory user \(3 of 3 enabled\)/);
  assert.equal(safetyRefusal(everyone, true), null);
  const most = planDirectorySync([person('ann')], users);
  assert.equal(safetyRefusal(most, false), null);
});

test('names are compared by their canonical key: another spelling in the directory is the same user', () => {
  const plan = planDirectorySync([person('ＡＮＮ'), person('Ben ')], [user(1, 'ann'), user(2, 'ben')]);
  assert.deepEqual([plan.create.length, plan.disable.length], [0, 0]);
});
