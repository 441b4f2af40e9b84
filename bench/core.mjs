// Core micro-benchmark, in its own process: HOTP verification with look-ahead 10 (hit at the first
// counter, and a full miss) against raw node:crypto HMAC-SHA1 per code computed, and the re-sync search
// over a 10,000-counter window. Prints one JSON line.
//   node bench/core.mjs [--rounds N] [--ms PER_MEASUREMENT] [--sync-window N]
import { createHmac, randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import { fromDist, hotp, summarize } from './common.mjs';
const { findConsecutiveCounters, findHotpCounter } = /** @type {typeof import('../src/core/otp-window.js')} */ (await fromDist('core/otp-window.js'));

const { values } = parseArgs({ options: { rounds: { type: 'string', default: '5' }, ms: { type: 'string', default: '400' }, 'sync-window': { type: 'string', default: '10000' } } });
const rounds = Number(values.rounds);
const measureMs = Number(values.ms);
const syncWindow = Number(values['sync-window']);
/** @type {import('../src/core/hotp.js').OtpParameters} */
const params = { algorithm: 'SHA1', digits: 6 };
const secret = randomBytes(20);
const lookAhead = 10;

/**
 * Calls `op` in batches until `measureMs` have passed; returns operations per second.
 * @param {number} ms
 * @param {(i: number) => void} op
 */
function rate(ms, op) {
  let count = 0;
  const start = process.hrtime.bigint();
  const limit = BigInt(ms) * 1_000_000n;
  let elapsed;
  do {
    for (let i = 0; i < 50; i++) op(count++);
    elapsed = process.hrtime.bigint() - start;
  } while (elapsed < limit);
  return count / (Number(elapsed) / 1e9);
}

// A spread of counters so no cache of one value helps; the hit is always at the window's first counter.
const counters = Array.from({ length: 1024 }, (_, i) => 1_000 + i * 37);
const hitCodes = counters.map((c) => hotp(secret, c));
// A code that is not in [C, C + 10) for any C used: the full miss computes all ten codes.
const missCode = (() => {
  for (let n = 0; ; n++) {
    const candidate = String(n).padStart(6, '0');
    if (counters.every((c) => findHotpCounter(secret, candidate, { firstCounter: c, size: lookAhead }, params) === null)) return candidate;
  }
})();
const message = Buffer.alloc(8);
let sink = 0;

/** @type {number[]} */
const raw = [];
/** @type {number[]} */
const hit = [];
/** @type {number[]} */
const miss = [];
/** @type {number[]} */
const resyncMs = [];
const resyncStart = 5_000;
const resyncFirst = hotp(secret, resyncStart + syncWindow - 1);
const resyncSecond = hotp(secret, resyncStart + syncWindow);

// The machine is shared: its speed drifts from one second to the next. So each round interleaves short
// slices of raw HMAC, hit and miss, takes the ratio within each slice triple, and keeps the median.
const sliceMs = Math.max(10, Math.floor(measureMs / 20));
/** @type {number[]} */
const hitRatios = [];
/** @type {number[]} */
const missRatios = [];
for (let round = 0; round < rounds; round++) {
  /** @type {number[]} */
  const r = [];
  /** @type {number[]} */
  const h = [];
  /** @type {number[]} */
  const m = [];
  for (let slice = 0; slice < 20; slice++) {
    r.push(
      rate(sliceMs, (i) => {
        message.writeUInt32BE(/** @type {number} */ (counters[i & 1023]), 4);
        sink ^= /** @type {number} */ (createHmac('sha1', secret).update(message).digest()[19]);
      }),
    );
    h.push(
      rate(sliceMs, (i) => {
        const j = i & 1023;
        if (findHotpCounter(secret, /** @type {string} */ (hitCodes[j]), { firstCounter: /** @type {number} */ (counters[j]), size: lookAhead }, params) !== counters[j]) throw new Error('hit not found');
      }),
    );
    m.push(
      rate(sliceMs, (i) => {
        if (findHotpCounter(secret, missCode, { firstCounter: /** @type {number} */ (counters[i & 1023]), size: lookAhead }, params) !== null) throw new Error('miss matched');
      }),
    );
  }
  raw.push(summarize(r).median);
  hit.push(summarize(h).median);
  miss.push(summarize(m).median);
  hitRatios.push(summarize(h.map((v, i) => v / /** @type {number} */ (r[i]))).median);
  missRatios.push(summarize(m.map((v, i) => (v * lookAhead) / /** @type {number} */ (r[i]))).median);
  // The worst case the window allows: the two codes are the window's last pair, so every counter is computed.
  /** @type {number[]} */
  const searches = [];
  for (let k = 0; k < 5; k++) {
    const start = process.hrtime.bigint();
    const found = findConsecutiveCounters(secret, resyncFirst, resyncSecond, { firstCounter: resyncStart, size: syncWindow }, params);
    searches.push(Number(process.hrtime.bigint() - start) / 1e6);
    if (found !== resyncStart + syncWindow - 1) throw new Error(`resync search found ${found}`);
  }
  resyncMs.push(summarize(searches).median);
}

console.log(
  JSON.stringify({
    rawHmacPerSecond: summarize(raw),
    verifyHitPerSecond: summarize(hit),
    verifyMissPerSecond: summarize(miss),
    hitRatioPerCode: summarize(hitRatios),
    missRatioPerCode: summarize(missRatios),
    // What 10,000 raw HMACs take at this round's rate: the floor the re-sync search is measured against.
    rawHmacMsPer10000: summarize(raw.map((v) => (syncWindow / v) * 1000)),
    resyncSearchMs: summarize(resyncMs),
    syncWindow,
    sink,
  }),
);
