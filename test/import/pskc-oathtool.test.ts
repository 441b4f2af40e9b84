// Property: the secrets the reader imports are the tokens' real secrets. For every key imported from
// the corpus, a passcode computed by otpgate's core equals the one Debian's oathtool (an independent
// implementation) computes from the same hex secret, counter, digits, hash and time step.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { generateHotp, generateTotp } from '../../src/core/hotp.js';
import { readPskc } from '../../src/import/pskc/index.js';
import { oathCode, oathTotpCode } from '../helpers/otp.js';
import { CORPUS, CORPUS_SKIP, NOW, chunked, credentialsFor, manifest } from './pskc-helpers.js';

describe('imported secrets produce the same passcodes as oathtool', { skip: CORPUS_SKIP }, () => {
  for (const entry of manifest) {
    if (entry.expect.keys === undefined || entry.file.includes('noiv')) continue;
    it(entry.file, async () => {
      const bytes = readFileSync(join(CORPUS, entry.file));
      const result = await readPskc(chunked(bytes, 4096), credentialsFor(entry.decrypt), { now: NOW });
      for (const key of result.keys) {
        const hex = key.secret.toString('hex');
        if (key.type === 'hotp') {
          // oathtool's HOTP mode is HMAC-SHA1 only; every HOTP key of the corpus is SHA1.
          assert.equal(key.algorithm, 'SHA1', `${key.source}: oathtool cannot check a ${key.algorithm} HOTP key`);
          const expected = oathCode(hex, key.counter, key.digits);
          assert.equal(generateHotp(key.secret, key.counter, key), expected, key.source);
        } else {
          const period = key.periodInSeconds ?? 30;
          const unixTime = Math.floor(NOW.getTime() / 1000);
          const expected = oathTotpCode(hex, NOW, period, key.digits, key.algorithm);
          const code = generateTotp(key.secret, unixTime, { ...key, periodInSeconds: period, startTimeInSeconds: key.timeOffsetInSeconds });
          assert.equal(code, expected, key.source);
        }
      }
    });
  }
});
