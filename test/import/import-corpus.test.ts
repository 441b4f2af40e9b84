// Property: every file of the PSKC corpus (manifest.json), put through the import service into a real
// SQLite installation, ends as the independent oracle (python-pskc) says: each usable key is stored with the
// oracle's secret, counter, digits and time step — proved by associating it to a user with a code that
// Debian's oathtool computes from the oracle's secret at the oracle's counter (TOTP: at the fixed now) —
// and every refused file, and every wrong or missing credential, is refused with its category and leaves
// the inventory exactly as it was (no token row at all).
import assert from 'node:assert/strict';
import { createReadStream } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { OPERATOR } from '../../src/services/context.js';
import { ServiceError } from '../../src/services/errors.js';
import type { ImportRequest } from '../../src/services/import-service.js';
import { tokenRows, USER_PASSWORD } from './import-fixtures.js';
import { TestClock, buildInstallation } from '../helpers/installation.js';
import { makeTempDir, removeTempDir } from '../helpers/temp-dir.js';
import { CORPUS, CORPUS_SKIP, type Decrypt, manifest, NOW, type OracleKey } from './pskc-helpers.js';
import { oathCode, oathTotpCode, type Algorithm } from '../helpers/otp.js';

// The keys (1-based, in file order) that must be imported at NOW; every other key of an accepted file is
// skipped (PIN and OCRA keys, vendor algorithms, no secret or no Algorithm, expired, short secrets, unknown
// policy, counters beyond 2^53-1; see pskc-manifest.test.ts for each reason). Keys with a PIN whose
// PinUsage is Local (checked on the device) are usable.
const IMPORTED: Record<string, number[]> = {
  'actividentity/test.pskcxml': [1],
  'draft-hoyer-keyprov-pskc-algorithm-profiles-01/totp.pskcxml': [1],
  'draft-ietf-keyprov-pskc-02/figure2.pskcxml': [1],
  'draft-ietf-keyprov-pskc-02/figure3.pskcxml': [1],
  'draft-ietf-keyprov-pskc-02/figure4.pskcxml': [1],
  'draft-ietf-keyprov-pskc-02/figure5.pskcxml': [1],
  'draft-ietf-keyprov-pskc-02/figure8.pskcxml': [1],
  'feitian/file1.pskcxml': [1, 2, 3, 4, 5, 6],
  'misc/SampleFullyQualifiedNS.xml': [1],
  'multiotp/pskc-hotp-aes.txt': [1, 2],
  'multiotp/pskc-hotp-pbe.txt': [1],
  'multiotp/pskc-totp-aes.txt': [1, 2, 3, 4],
  'multiotp/pskc-totp-pbe.txt': [1],
  'multiotp/tokens_hotp_pbe.pskc': [1],
  'multiotp/tokens_totp_aes.pskc': [1, 2],
  'multiotp/tokens_totp_pbe.pskc': [1],
  'rfc6030/figure3.pskcxml': [1],
  'rfc6030/figure5.pskcxml': [1],
  'rfc6030/figure6.pskcxml': [1],
  'rfc6030/figure7.pskcxml': [1],
  'rfc6030/figure9.pskcxml': [1],
};

// No IV in the CipherValue: the oracle needs one passed by the caller, which the import cannot take; the
// file is refused (a wrong first block fails the MAC or the padding).
const REFUSED_UNLIKE_ORACLE: Record<string, string[]> = { 'encryption/aes128-cbc-noiv.pskcxml': ['bad_mac', 'decryption_failed'] };

const dirs: Array<() => void> = [];
after(() => dirs.forEach((remove) => remove()));

function credentials(decrypt: Decrypt | null): Pick<ImportRequest, 'psk' | 'password'> {
  if (decrypt?.key_hex !== undefined) return { psk: decrypt.key_hex };
  if (decrypt?.password !== undefined) return { password: decrypt.password };
  return {};
}

async function installation() {
  const temp = makeTempDir('otpgate-import-corpus-');
  dirs.push(() => removeTempDir(temp));
  const opened = await buildInstallation({ clock: new TestClock(NOW.getTime()) });
  return { ...opened, done: () => opened.instance.close() };
}

function importFile(file: string, decrypt: Decrypt | null) {
  return (instance: Awaited<ReturnType<typeof installation>>) =>
    instance.instance.services.imports.import(OPERATOR, instance.account, { input: createReadStream(join(CORPUS, file)), fileName: file, ...credentials(decrypt) });
}

async function refusal(promise: Promise<unknown>): Promise<ServiceError> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof ServiceError && error.code === 'import_refused', `expected import_refused, got ${String(error)}`);
    return error;
  }
  assert.fail('expected the file to be refused');
}

function hashOf(oracle: OracleKey): Algorithm {
  const suite = (oracle.algorithm_suite ?? '').toLowerCase();
  return suite.includes('sha512') ? 'SHA512' : suite.includes('sha256') ? 'SHA256' : 'SHA1';
}

describe('the PSKC corpus through the import service (real SQLite, oathtool codes)', { skip: CORPUS_SKIP }, () => {
  for (const entry of manifest) {
    const refusedUnlikeOracle = REFUSED_UNLIKE_ORACLE[entry.file];
    const expectedError = entry.expect.error;

    if (refusedUnlikeOracle !== undefined || expectedError !== undefined) {
      it(`${entry.file}: refused (${expectedError ?? refusedUnlikeOracle?.join(' or ')}), nothing imported`, async () => {
        const inst = await installation();
        try {
          const error = await refusal(importFile(entry.file, entry.decrypt)(inst));
          assert.ok((refusedUnlikeOracle ?? [expectedError]).includes(String(error.details?.category)), `category ${String(error.details?.category)}: ${error.message}`);
          assert.deepEqual(await tokenRows(inst.instance), []);
        } finally {
          await inst.done();
        }
      });
    } else {
      const oracleKeys = entry.expect.keys ?? [];
      const wanted = IMPORTED[entry.file] ?? [];
      it(`${entry.file}: ${wanted.length} of ${oracleKeys.length} keys imported as the oracle says, each proved by associating it`, async () => {
        const inst = await installation();
        try {
          const { services } = inst.instance;
          const report = await importFile(entry.file, entry.decrypt)(inst);
          assert.equal(report.read, oracleKeys.length);
          assert.equal(report.imported, wanted.length, JSON.stringify(report.skipped));
          assert.equal(report.skipped.length, oracleKeys.length - wanted.length);
          const rows = await tokenRows(inst.instance);
          assert.equal(rows.length, wanted.length);
          for (const [n, index] of wanted.entries()) {
            const oracle = oracleKeys[index - 1]!;
            const serial = (oracle.serial ?? oracle.id ?? '').replace(/\s+/g, '');
            const digits = oracle.response_length ?? 6;
            const totp = /totp$/i.test(oracle.algorithm ?? '');
            const shown = await services.tokens.show(inst.account, serial);
            assert.equal(shown.type, totp ? 'totp' : 'hotp', serial);
            assert.equal(shown.digits, digits, `${serial} digits`);
            const username = `user${n}`;
            await services.users.create(OPERATOR, inst.account, { username, password: USER_PASSWORD, role: 'user' });
            if (totp) {
              const step = oracle.time_interval ?? 30;
              assert.equal(shown.periodInSeconds, step, `${serial} time step`);
              const code = oathTotpCode(oracle.secret_hex!, NOW, step, digits, hashOf(oracle));
              const token = await services.tokens.associate(OPERATOR, inst.account, username, serial, code);
              assert.equal(token.username, username);
            } else {
              const counter = BigInt(oracle.counter ?? 0);
              assert.equal(String(shown.counter), counter.toString(), `${serial} counter`);
              const code = oathCode(oracle.secret_hex!, counter, digits);
              const token = await services.tokens.associate(OPERATOR, inst.account, username, serial, code);
              assert.equal(String(token.counter), (counter + 1n).toString(), `${serial}: the counter moves past the code`);
            }
          }
        } finally {
          await inst.done();
        }
      });
    }

    for (const wrong of entry.wrong_decrypt ?? []) {
      const label = wrong.decrypt === null ? 'no credentials' : wrong.decrypt.key_hex !== undefined ? `wrong key ${wrong.decrypt.key_hex}` : `wrong password "${wrong.decrypt.password ?? ''}"`;
      it(`${entry.file}: ${label} is refused (${wrong.expect.error}), nothing imported`, async () => {
        const inst = await installation();
        try {
          const error = await refusal(importFile(entry.file, wrong.decrypt)(inst));
          const allowed = [wrong.expect.error, ...(wrong.accept_also ?? [])];
          assert.ok(allowed.includes(String(error.details?.category)), `category ${String(error.details?.category)}: ${error.message}`);
          assert.deepEqual(await tokenRows(inst.instance), []);
        } finally {
          await inst.done();
        }
      });
    }
  }
});
