// The look-ahead verifier and the re-sync search return the matched counter (not a boolean), never look
// below the first counter (a replay finds nothing), and stop exactly at the window's end.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { findConsecutiveCounters, findHotpCounter, totpResync, totpSyncWindow, totpWindow } from '../../src/core/otp-window.js';
import { generateHotp, totpCounterAt, type HashAlgorithm } from '../../src/core/hotp.js';

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

  it('centres on the step plus the recorded drift, ± the radius', () => {
    assert.deepEqual(totpWindow(100, 0, 1, 8), { firstCounter: 107, size: 3 });
    assert.deepEqual(totpWindow(100, 0, 2, -5), { firstCounter: 93, size: 5 });
    assert.deepEqual(totpWindow(100, 0, 0, 3), { firstCounter: 103, size: 1 });
    // The last accepted step (next allowed - 1) and every one before it stay spent, whatever the drift.
    assert.deepEqual(totpWindow(100, 108, 1, 8), { firstCounter: 108, size: 2 });
    assert.equal(totpWindow(100, 110, 1, 8), null);
  });

  it('throws on a radius or drift that is a bug', () => {
    assert.throws(() => totpWindow(100, 0, -1), RangeError);
    assert.throws(() => totpWindow(100, 0, 1, 0.5), RangeError);
  });
});

describe('TOTP verification of the RFC 6238 App. B vectors', () => {
  const SEEDS: Record<HashAlgorithm, Buffer> = {
    SHA1: Buffer.from('12345678901234567890'),
    SHA256: Buffer.from('12345678901234567890123456789012'),
    SHA512: Buffer.from('1234567890123456789012345678901234567890123456789012345678901234'),
  };
  const VECTORS: [number, Record<HashAlgorithm, string>][] = [
    [59, { SHA1: '94287082', SHA256: '46119246', SHA512: '90693936' }],
    [1111111109, { SHA1: '07081804', SHA256: '68084774', SHA512: '25091201' }],
    [1111111111, { SHA1: '14050471', SHA256: '67062674', SHA512: '99943326' }],
    [1234567890, { SHA1: '89005924', SHA256: '91819424', SHA512: '93441116' }],
    [2000000000, { SHA1: '69279037', SHA256: '90698825', SHA512: '38618901' }],
    [20000000000, { SHA1: '65353130', SHA256: '77737706', SHA512: '47863826' }],
  ];
  for (const algorithm of ['SHA1', 'SHA256', 'SHA512'] as const) {
    it(`${algorithm}: each vector's code matches its own step, one step later, and 8 steps later with a drift of -8; never once spent`, () => {
      const params = { algorithm, digits: 8, periodInSeconds: 30 };
      for (const [time, codes] of VECTORS) {
        const step = totpCounterAt(time, params);
        const find = (window: ReturnType<typeof totpWindow>) => (window ? findHotpCounter(SEEDS[algorithm], codes[algorithm], window, params) : null);
        assert.equal(find(totpWindow(step, 0)), step, `T=${time}`);
        assert.equal(find(totpWindow(step + 1, 0)), step, `T=${time}, a step later`);
        assert.equal(find(totpWindow(step + 2, 0)), null, `T=${time}, two steps later`);
        assert.equal(find(totpWindow(step + 8, 0, 1, -8)), step, `T=${time}, a clock 8 steps slow`);
        assert.equal(find(totpWindow(step, step + 1)), null, `T=${time}, its step accepted before`);
      }
    });
  }
});

describe('TOTP re-sync', () => {
  it('searches ± syncSteps around the server step, not before the next allowed step', () => {
    assert.deepEqual(totpSyncWindow(10_000, 0, 2880), { firstCounter: 7120, size: 5761 });
    assert.deepEqual(totpSyncWindow(10_000, 9_000, 2880), { firstCounter: 9_000, size: 3881 });
    assert.equal(totpSyncWindow(10, 20_000, 2880), null);
  });

  it("takes the second code as the token's step now: its drift, and both steps spent", () => {
    assert.deepEqual(totpResync(107, 100), { driftSteps: 8, nextAllowedStep: 109 });
    assert.deepEqual(totpResync(92, 100), { driftSteps: -7, nextAllowedStep: 94 });
  });

  it('finds two consecutive step codes at a drift of 8 within the sync window', () => {
    const window = totpSyncWindow(1000, 0, 20)!;
    assert.equal(findConsecutiveCounters(SECRET, code(1007), code(1008), window, P), 1007);
    assert.equal(findConsecutiveCounters(SECRET, code(1021), code(1022), window, P), null);
  });
});
