// Property: a seed file's text is read as strict UTF-8: a CSV line holding bytes that are not UTF-8 refuses
// the whole file, naming the line (not read with U+FFFD in their place, which a comment line would have
// hidden); a PSKC file with such bytes, or a character reference to a lone surrogate, is refused. Nothing
// is imported from a refused file.
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import type { Instance } from '../../src/runtime/instance.js';
import { OPERATOR } from '../../src/services/context.js';
import { ServiceError } from '../../src/services/errors.js';
import type { AccountRow } from '../../src/store/schema.js';
import { buildInstallation } from '../helpers/installation.js';
import { makeTempDir, removeTempDir } from '../helpers/temp-dir.js';

const temp = makeTempDir('otpgate-seed-text-');
let instance: Instance;
let account: AccountRow;
const SECRET = '3132333435363738393031323334353637383930';

before(async () => {
  ({ instance, account } = await buildInstallation());
});
after(async () => {
  await instance?.close();
  removeTempDir(temp);
});

async function refusal(bytes: Buffer | string, format: 'csv' | 'pskc'): Promise<{ category: unknown; record: unknown; message: string }> {
  try {
    await instance.services.imports.import(OPERATOR, account, { input: Readable.from([bytes]), format });
  } catch (error) {
    assert.ok(error instanceof ServiceError, String(error));
    assert.equal(error.code, 'import_refused');
    return { category: error.details?.category, record: error.details?.record, message: error.message };
  }
  assert.fail('the file was imported');
}

describe('seed file text', () => {
  it('a CSV line that is not UTF-8 refuses the file, naming the line', async () => {
    const file = Buffer.concat([Buffer.from(`7000000000001,${SECRET}\n# comment\n# caf`), Buffer.from([0xe9]), Buffer.from(`\n7000000000002,${SECRET}\n`)]);
    const refused = await refusal(file, 'csv');
    assert.equal(refused.record, 'line 3');
    assert.match(refused.message, /not valid UTF-8/);
    // CRLF line ends count the same.
    assert.equal((await refusal(Buffer.concat([Buffer.from(`# a\r\n7000000000001,${SECRET}\r\n`), Buffer.from([0xc3, 0x28]), Buffer.from('\r\n')]), 'csv')).record, 'line 3');
    // Text from a caller in the process with a lone surrogate.
    assert.equal((await refusal(`7000000000001,${SECRET}\n# \ud800\n`, 'csv')).record, 'line 2');
    assert.equal((await instance.services.tokens.list(account)).length, 0, 'nothing was imported');
  });

  it('the same file in UTF-8 imports, comments and all', async () => {
    const report = await instance.services.imports.import(OPERATOR, account, { input: Readable.from([Buffer.from(`7000000000001,${SECRET}\n# café\r\n7000000000002,${SECRET}\n`)]), format: 'csv' });
    assert.equal(report.imported, 2);
  });

  it('a PSKC file with bytes that are not UTF-8, or a lone surrogate as a character reference, is refused', async () => {
    const pskc = (serial: string) =>
      `<?xml version="1.0" encoding="UTF-8"?><KeyContainer Version="1.0" xmlns="urn:ietf:params:xml:ns:keyprov:pskc"><KeyPackage><DeviceInfo><SerialNo>${serial}</SerialNo></DeviceInfo><Key Id="1" Algorithm="urn:ietf:params:xml:ns:keyprov:pskc:hotp"><Data><Secret><PlainValue>MTIzNDU2Nzg5MDEyMzQ1Njc4OTA=</PlainValue></Secret><Counter><PlainValue>0</PlainValue></Counter></Data></Key></KeyPackage></KeyContainer>`;
    const [head, tail] = pskc('SPLIT').split('SPLIT') as [string, string];
    assert.match((await refusal(Buffer.concat([Buffer.from(head), Buffer.from('70000'), Buffer.from([0xff]), Buffer.from(tail)]), 'pskc')).message, /UTF-8/);
    const reference = await refusal(pskc('70000&#xD800;'), 'pskc');
    assert.ok(reference.category !== undefined);
    assert.equal((await instance.services.tokens.list(account)).map((t) => t.serial).sort().join(), '7000000000001,7000000000002');
  });
});
