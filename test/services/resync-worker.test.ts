// Property: the re-sync search over a large window runs off the request thread and gives the same answer
// as the pure core function: the event loop keeps turning while a 10,000-counter search runs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { generateHotp } from '../../src/core/hotp.js';
import { findConsecutiveCounters } from '../../src/core/otp-window.js';
import { searchConsecutiveCounters } from '../../src/services/resync-search.js';

const params = { algorithm: 'SHA1' as const, digits: 6 };
const window = { firstCounter: 100, size: 10_000 };

test('a 10,000-counter search in the worker finds what the core function finds, and misses alike', async () => {
  const secret = randomBytes(20);
  const at = window.firstCounter + window.size - 2;
  const first = generateHotp(secret, at, params);
  const second = generateHotp(secret, at + 1, params);
  const expected = findConsecutiveCounters(secret, first, second, window, params);
  assert.equal(expected, at);
  assert.equal(await searchConsecutiveCounters(secret, first, second, window, params), expected);
  // Reversed: no consecutive pair in order.
  assert.equal(await searchConsecutiveCounters(secret, second, first, window, params), findConsecutiveCounters(secret, second, first, window, params));
  // A small window is searched inline, with the same answer.
  assert.equal(await searchConsecutiveCounters(secret, first, second, { firstCounter: at - 10, size: 20 }, params), at);
});

test('the event loop keeps turning while large searches run', async () => {
  const secret = randomBytes(20);
  // Codes beyond the window: every search is a full miss of 10,000 HMACs.
  const first = generateHotp(secret, 50_000, params);
  const second = generateHotp(secret, 50_001, params);
  let ticks = 0;
  let longestGap = 0;
  let last = performance.now();
  const timer = setInterval(() => {
    const now = performance.now();
    longestGap = Math.max(longestGap, now - last);
    last = now;
    ticks++;
  }, 1);
  try {
    const started = performance.now();
    const answers = await Promise.all(Array.from({ length: 4 }, () => searchConsecutiveCounters(secret, first, second, window, params)));
    const took = performance.now() - started;
    assert.deepEqual(answers, [null, null, null, null]);
    assert.ok(ticks > 5, `the timer ran ${ticks} times during ${took.toFixed(0)} ms of searching`);
    // Inline, the longest gap would be a whole search; in the worker it is scheduling noise.
    assert.ok(longestGap < took / 2, `longest event-loop gap ${longestGap.toFixed(0)} ms of ${took.toFixed(0)} ms`);
  } finally {
    clearInterval(timer);
  }
});

test('an invalid window is refused, as by the core function', async () => {
  const secret = randomBytes(20);
  assert.throws(() => findConsecutiveCounters(secret, '123456', '654321', { firstCounter: -1, size: 10_000 }, params));
  await assert.rejects(searchConsecutiveCounters(secret, '123456', '654321', { firstCounter: -1, size: 10_000 }, params));
});
