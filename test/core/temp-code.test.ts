// The temporary code's shape, keyed hash (bound to the user, depends on the key) and liveness.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { isOutsideValidity } from '../../src/core/token-status.js';
import { isTempCodeLive, isTempCodeShaped, tempCodeHash, tempCodeMatches } from '../../src/core/temp-code.js';

describe('temporary codes', () => {
  const key = Buffer.alloc(32, 7);
  it('are exactly 10 ASCII digits', () => {
    assert.ok(isTempCodeShaped('0123456789'));
    for (const bad of ['012345678', '01234567890', '01234 6789', '０123456789', '012345678a']) assert.ok(!isTempCodeShaped(bad), bad);
  });
  it('hash under the key and the user: another user, another key or another code does not match', () => {
    const stored = tempCodeHash(key, 5, '0123456789');
    assert.match(stored, /^[0-9a-f]{64}$/);
    assert.ok(tempCodeMatches(key, 5, '0123456789', stored));
    assert.ok(!tempCodeMatches(key, 6, '0123456789', stored));
    assert.ok(!tempCodeMatches(Buffer.alloc(32, 8), 5, '0123456789', stored));
    assert.ok(!tempCodeMatches(key, 5, '0123456788', stored));
    assert.ok(!tempCodeMatches(key, 5, '0123456789', 'short'));
  });
  it('are live while uses are left and before expiry', () => {
    assert.ok(isTempCodeLive({ uses_left: 1, expires_at: 1000 }, 999));
    assert.ok(!isTempCodeLive({ uses_left: 1, expires_at: 1000 }, 1000));
    assert.ok(!isTempCodeLive({ uses_left: 0, expires_at: 1000 }, 1));
  });
});

describe('token validity dates', () => {
  it('are open-ended when null; from is inclusive, until exclusive', () => {
    assert.ok(!isOutsideValidity(null, null, 5));
    assert.ok(isOutsideValidity(10, null, 9));
    assert.ok(!isOutsideValidity(10, null, 10));
    assert.ok(!isOutsideValidity(null, 10, 9));
    assert.ok(isOutsideValidity(null, 10, 10));
  });
});
