// The look-ahead verifier and the re-sync search return the matched counter (not a boolean), never look
// below the first counter (a replay finds nothing), and stop exactly at the window's end.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { findConsecutiveCounters, findHotpCounter, totpWindow } from '../../src/core/otp-window.js';
import { generateHotp } from '../../src/core/hotp.js';

const SECRET = Buffer.from('12345678901234567890');
const P = { algorithm: 'SHA1' as const, digits: 6 };
const code = (c: number) => generateHotp(SECRET, c, P);

describe('findHotpCounter', () => {
  it('returns the counter the passcode belongs to', () => {
    assert.equal(findHotpCounter(SECRET, code(3), { firstCounter: 0, size: 10 }, P), 3);
    assert.equal(findHotpCounter(SECRET, '969429', { firstCounter: 3, size: 1 }, P), 3);
  });

  it('accepts C + size - 1 and refuses C + size', () => {
    assert.equal(findHotpCounter(SECRET, code(14), { firstCounter: 5, size: 10 }, P), 14);
    assert.equal(findHotpCounter(SECRET, code(15), { firstCounter: 5, size: 10 }, P), null);
  });

  it('refuses a code for a counter below C (a replay)', () => {
    assert.equal(findHotpCounter(SECRET, code(4), { firstCounter: 5, size: 10 }, P), null);
  });

  it('throws on a window that is a bug (negative start, empty)', () => {
    assert.throws(() => findHotpCounter(SECRET, code(0), { firstCounter: -1, size: 10 }, P), RangeError);
    assert.throws(() => findHotpCounter(SECRET, code(0), { firstCounter: 0, size: 0 }, P), RangeError);
  });
});

describe('findConsecutiveCounters (RFC 4226 §7.4 re-sync)', () => {
  it('finds a consecutive pair anywhere in the window and returns its first counter', () => {
    assert.equal(findConsecutiveCounters(SECRET, code(0), code(1), { firstCounter: 0, size: 1000 }, P), 0);
    assert.equal(findConsecutiveCounters(SECRET, code(500), code(501), { firstCounter: 0, size: 1000 }, P), 500);
  });

  it('accepts a pair starting at C + size - 1 (its second code just past the window) and refuses one at C + size', () => {
    assert.equal(findConsecutiveCounters(SECRET, code(109), code(110), { firstCounter: 10, size: 100 }, P), 109);
    assert.equal(findConsecutiveCounters(SECRET, code(110), code(111), { firstCounter: 10, size: 100 }, P), null);
  });

  it('refuses a reversed, a non-consecutive and a replayed pair', () => {
    assert.equal(findConsecutiveCounters(SECRET, code(21), code(20), { firstCounter: 10, size: 100 }, P), null);
    assert.equal(findConsecutiveCounters(SECRET, code(20), code(22), { firstCounter: 10, size: 100 }, P), null);
    assert.equal(findConsecutiveCounters(SECRET, code(8), code(9), { firstCounter: 10, size: 100 }, P), null);
    assert.equal(findConsecutiveCounters(SECRET, code(9), code(10), { firstCounter: 10, size: 100 }, P), null);
  });
});

describe('totpWindow', () => {
  it('spans one step either side and never reaches back before the next allowed step', () => {
    assert.deepEqual(totpWindow(100, 0), { firstCounter: 99, size: 3 });
    assert.deepEqual(totpWindow(100, 100), { firstCounter: 100, size: 2 });
    assert.equal(totpWindow(100, 102), null);
  });
});
