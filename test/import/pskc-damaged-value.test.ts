// Property (#11 finding 9): in an encrypted PSKC file whose first values verify under the MAC key, a value
// whose MAC then fails is damaged, not a sign of a wrong key, and the refusal names that record (its key
// index and serial). While no value has verified yet, a failed MAC or a failed decryption still gives the
// one generic message, which says nothing about which check failed.
// The files are written by Debian's csv2pskc (AES-128-CBC under a pre-shared key, HMAC-SHA1 ValueMACs),
// then one byte of one key's CipherValue is flipped.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Readable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { SeedFileError } from '../../src/import/imported-key.js';
import { readPskc } from '../../src/import/pskc/index.js';
import type { Instance } from '../../src/runtime/instance.js';
import { OPERATOR } from '../../src/services/context.js';
import { ServiceError } from '../../src/services/errors.js';
import type { AccountRow } from '../../src/store/schema.js';
import { randomSeedRows } from '../helpers/secrets.js';
import { csv2pskc, tokenRows } from './import-fixtures.js';
import { TestClock, buildInstallation } from '../helpers/installation.js';
import { makeTempDir, removeTempDir } from '../helpers/temp-dir.js';

const temp = makeTempDir('otpgate-pskc-damaged-');
const psk = randomBytes(16);
const rows = randomSeedRows(5);
let original: string;
let instance: Instance;
let account: AccountRow;
const NOW = new Date('2026-11-28T00:00:00Z');
const GENERIC = /cannot decrypt: the key or password is wrong, or the file is damaged/;

before(async () => {
  original = readFileSync(csv2pskc(temp, 'five', rows, ['--secret', psk.toString('hex')]), 'utf8');
  ({ instance, account } = await buildInstallation({ clock: new TestClock(NOW.getTime()) }));
});
after(async () => {
  await instance?.close();
  removeTempDir(temp);
});

/**
 * The file with byte `offset` of the `keyNumber`-th key's secret CipherValue
 * flipped. The MACKey's CipherValue comes first in the file; each KeyPackage holds one.
 */
function flipped(keyNumber: number, offset: number): string {
  const packages = original.split('<pskc:KeyPackage>');
  assert.equal(packages.length, rows.length + 1);
  const part = packages[keyNumber]!;
  const match = /<xenc:CipherValue>([^<]+)<\/xenc:CipherValue>/.exec(part)!;
  const bytes = Buffer.from(match[1]!, 'base64');
  assert.equal(bytes.length, 48);
  bytes[offset] = bytes[offset]! ^ 0x01;
  packages[keyNumber] = part.replace(match[1]!, bytes.toString('base64'));
  return packages.join('<pskc:KeyPackage>');
}

async function readerRefusal(text: string): Promise<SeedFileError> {
  try {
    await readPskc(Readable.from([text]), { psk }, { now: NOW });
  } catch (error) {
    assert.ok(error instanceof SeedFileError, String(error));
    return error;
  }
  assert.fail('the file was read');
}

async function importRefusal(text: string, credentials: { psk: string }): Promise<ServiceError> {
  try {
    await instance.services.imports.import(OPERATOR, account, { input: Readable.from([Buffer.from(text)]), format: 'pskc', ...credentials });
  } catch (error) {
    assert.ok(error instanceof ServiceError, String(error));
    assert.equal(error.code, 'import_refused');
    return error;
  }
  assert.fail('the file was imported');
}

describe('a damaged value after values that verified', () => {
  it('the unaltered file reads (the control)', async () => {
    const result = await readPskc(Readable.from([original]), { psk }, { now: NOW });
    assert.deepEqual(
      result.keys.map((k) => [k.serial, k.secret.toString('hex')]),
      rows.map((r) => [r.serial, r.secretHex]),
    );
  });

  // A 20-byte secret is IV ‖ C1 ‖ C2 (48 bytes), its last 12 plaintext bytes padding (0x0c). Flipping an IV
  // byte flips a byte of the secret: the padding holds and only the MAC fails. Flipping C1's last byte flips
  // the last padding byte: decryption fails before the MAC could be compared.
  for (const [what, offset] of [
    ['the MAC fails, the padding holds', 2],
    ['the padding fails too', 31],
  ] as const) {
    it(`the third key's value altered (${what}): the reader names key 3 and its serial`, async () => {
      const error = await readerRefusal(flipped(3, offset));
      assert.equal(error.category, 'damaged_value');
      assert.equal(error.record, 'key 3');
      assert.ok(error.message.includes(rows[2]!.serial), error.message);
      assert.match(error.message, /before it verified under the same key/);
    });

    it(`the third key's value altered (${what}): the import names the record, not the wrong-key message, and imports nothing`, async () => {
      const before = await tokenRows(instance);
      const error = await importRefusal(flipped(3, offset), { psk: psk.toString('hex') });
      assert.doesNotMatch(error.message, GENERIC);
      assert.ok(error.message.includes('key 3'), error.message);
      assert.ok(error.message.includes(rows[2]!.serial), error.message);
      assert.equal(error.details?.category, 'damaged_value');
      assert.equal(error.details?.record, 'key 3');
      assert.deepEqual(await tokenRows(instance), before);
    });
  }

  it('the first key altered: nothing verified before it, so the message stays generic', async () => {
    for (const offset of [2, 31]) {
      const error = await importRefusal(flipped(1, offset), { psk: psk.toString('hex') });
      assert.match(error.message, GENERIC);
      assert.ok(['bad_mac', 'decryption_failed'].includes(String(error.details?.category)));
    }
  });

  it('a wrong key: the generic message, naming no serial', async () => {
    const error = await importRefusal(original, { psk: randomBytes(16).toString('hex') });
    assert.match(error.message, GENERIC);
    for (const row of rows) assert.ok(!error.message.includes(row.serial));
  });
});
