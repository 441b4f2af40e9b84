// HOTP/TOTP generation matches RFC 4226 App. D, RFC 6238 App. B, and an independent implementation
// (Debian's oathtool) on 1,000 random (secret, counter, digits, algorithm) cases.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac, randomBytes, randomInt } from 'node:crypto';
import { hmacOfCounters } from '../../src/core/hmac-pads.js';
import { generateHotp, generateTotp, totpCounterAt, type HashAlgorithm } from '../../src/core/hotp.js';
import { oathCodes } from '../helpers/otp.js';

const RFC4226_SECRET = Buffer.from('12345678901234567890');
const RFC4226_CODES = ['755224', '287082', '359152', '969429', '338314', '254676', '287922', '162583', '399871', '520489'];

const RFC6238_SEEDS: Record<HashAlgorithm, Buffer> = {
  SHA1: Buffer.from('12345678901234567890'),
  SHA256: Buffer.from('12345678901234567890123456789012'),
  SHA512: Buffer.from('1234567890123456789012345678901234567890123456789012345678901234'),
};
const RFC6238_VECTORS: [number, Record<HashAlgorithm, string>][] = [
  [59, { SHA1: '94287082', SHA256: '46119246', SHA512: '90693936' }],
  [1111111109, { SHA1: '07081804', SHA256: '68084774', SHA512: '25091201' }],
  [1111111111, { SHA1: '14050471', SHA256: '67062674', SHA512: '99943326' }],
  [1234567890, { SHA1: '89005924', SHA256: '91819424', SHA512: '93441116' }],
  [2000000000, { SHA1: '69279037', SHA256: '90698825', SHA512: '38618901' }],
  [20000000000, { SHA1: '65353130', SHA256: '77737706', SHA512: '47863826' }],
];

describe('HOTP (RFC 4226)', () => {
  it('gives the App. D codes for counters 0-9', () => {
    RFC4226_CODES.forEach((code, counter) => {
      assert.equal(generateHotp(RFC4226_SECRET, counter, { algorithm: 'SHA1', digits: 6 }), code, `counter ${counter}`);
    });
  });

  it('refuses digits outside 6-8, negative or unsafe counters and unknown algorithms (a bug, so it throws)', () => {
    assert.throws(() => generateHotp(RFC4226_SECRET, 0, { algorithm: 'SHA1', digits: 5 }), RangeError);
    assert.throws(() => generateHotp(RFC4226_SECRET, 0, { algorithm: 'SHA1', digits: 9 }), RangeError);
    assert.throws(() => generateHotp(RFC4226_SECRET, -1, { algorithm: 'SHA1', digits: 6 }), RangeError);
    assert.throws(() => generateHotp(RFC4226_SECRET, 2 ** 53, { algorithm: 'SHA1', digits: 6 }), RangeError);
    assert.throws(() => generateHotp(RFC4226_SECRET, 0, { algorithm: 'MD5' as HashAlgorithm, digits: 6 }), RangeError);
  });
});

describe('TOTP (RFC 6238)', () => {
  for (const [time, codes] of RFC6238_VECTORS) {
    for (const algorithm of ['SHA1', 'SHA256', 'SHA512'] as const) {
      it(`gives the App. B code at T=${time} for ${algorithm}`, () => {
        assert.equal(generateTotp(RFC6238_SEEDS[algorithm], time, { algorithm, digits: 8, periodInSeconds: 30 }), codes[algorithm]);
      });
    }
  }

  it('counts time steps from T0 with the given period', () => {
    assert.equal(totpCounterAt(59, { algorithm: 'SHA1', digits: 6, periodInSeconds: 30 }), 1);
    assert.equal(totpCounterAt(100, { algorithm: 'SHA1', digits: 6, periodInSeconds: 60, startTimeInSeconds: 40 }), 1);
  });
});

describe('agreement with oathtool', () => {
  // 50 groups of 20 consecutive counters: each group is one oathtool call (`-w 19`), so 1,000 codes take
  // 50 processes. oathtool's --hotp is SHA-1 only; SHA-256/512 groups go through its TOTP mode with a
  // 1-second step at time T, which is HOTP(K, T) by RFC 6238 §4, so HOTP-SHA256/512 is compared too.
  it('equals oathtool for 1,000 random (secret, counter, digits, algorithm) codes', () => {
    const algorithms: HashAlgorithm[] = ['SHA1', 'SHA256', 'SHA512'];
    let compared = 0;
    for (let group = 0; group < 50; group++) {
      const algorithm = algorithms[group % 3]!;
      const secret = randomBytes(randomInt(16, 65));
      const digits = randomInt(6, 9);
      // Small counters, 32-bit counters and counters beyond 2^32 (the 8-byte moving factor's high word).
      const counter = [randomInt(0, 1000), randomInt(0, 2 ** 32), randomInt(2 ** 32, 2 ** 40)][group % 3]!;
      const expected = oathCodes(secret.toString('hex'), counter, 20, digits, algorithm);
      expected.forEach((code, i) => {
        const ours = generateHotp(secret, counter + i, { algorithm, digits });
        assert.equal(ours, code, `${algorithm} digits ${digits} counter ${counter + i} secret ${secret.toString('hex')}`);
        compared++;
      });
    }
    assert.equal(compared, 1000);
  });
});

describe('HMAC from pad states prepared once per key', () => {
  it('equals node:crypto HMAC for keys shorter than, equal to and longer than a block, and counters past 2^32', () => {
    const counters = [0, 1, 255, 2 ** 31, 2 ** 32 - 1, 2 ** 32, 2 ** 40 + 12345, Number.MAX_SAFE_INTEGER];
    for (const [hash, block] of [['sha1', 64], ['sha256', 64], ['sha512', 128]] as const) {
      for (const length of [1, 20, 32, block - 1, block, block + 1, 3 * block]) {
        const key = randomBytes(length);
        const hmac = hmacOfCounters(key, hash);
        for (const counter of [...counters, randomInt(2 ** 47)]) {
          const message = Buffer.alloc(8);
          message.writeUInt32BE(Math.floor(counter / 2 ** 32), 0);
          message.writeUInt32BE(counter >>> 0, 4);
          const expected = createHmac(hash, key).update(message).digest();
          assert.deepEqual(Buffer.from(hmac(Math.floor(counter / 2 ** 32), counter >>> 0)), expected, `${hash}, ${length}-byte key, counter ${counter}`);
        }
      }
    }
  });
});
