// Property: POST /api/v1/tokens/import (multipart: file, psk, dryRun) over real HTTP returns the import
// report and the keys work (an oathtool code associates); a dry run writes nothing; a refused file answers
// 400 import_refused with its category and imports nothing; an upload over OTPGATE_IMPORT_LIMIT_MB answers
// 413 and imports nothing.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { buildServer, type App } from '../../src/http/app.js';
import type { Instance } from '../../src/runtime/instance.js';
import { OPERATOR } from '../../src/services/context.js';
import type { AccountRow } from '../../src/store/schema.js';
import { CORPUS, CORPUS_SKIP } from './pskc-helpers.js';
import { csv2pskc, tokenRows, USER_PASSWORD } from './import-fixtures.js';
import { buildInstallation } from '../helpers/installation.js';
import { makeTempDir, removeTempDir } from '../helpers/temp-dir.js';
import { oathCode } from '../helpers/otp.js';
import { randomSeedRows } from '../helpers/secrets.js';

const temp = makeTempDir('otpgate-import-api-');
const limitEnv = { OTPGATE_IMPORT_LIMIT_MB: '1' };
let instance: Instance;
let account: AccountRow;
let app: App;
let base: string;
let apiKey: string;

before(async () => {
  const inst = await buildInstallation({ env: limitEnv });
  ({ instance, account } = inst);
  apiKey = (await instance.services.apiKeys.create(OPERATOR, account, 'import-test', ['admin'], false)).key;
  app = await buildServer(instance.services, inst.config, { logger: false });
  const address = await app.listen({ host: '127.0.0.1', port: 0 });
  base = `${address}/api/v1`;
});

after(async () => {
  await app?.close();
  await instance?.close();
  removeTempDir(temp);
});

async function upload(file: Buffer, name: string, fields: Record<string, string>) {
  const form = new FormData();
  for (const [key, value] of Object.entries(fields)) form.append(key, value);
  form.append('file', new Blob([new Uint8Array(file)]), name);
  const response = await fetch(`${base}/tokens/import`, { method: 'POST', headers: { authorization: `Bearer ${apiKey}` }, body: form });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

describe('POST /api/v1/tokens/import', () => {
  it('imports an encrypted PSKC file (psk) and returns the report; a dry run first writes nothing', async () => {
    const rows = randomSeedRows(3);
    const psk = randomBytes(16).toString('hex');
    const file = readFileSync(csv2pskc(temp, 'api', rows, ['--secret', psk]));
    const dry = await upload(file, 'api.pskcxml', { psk, dryRun: 'true' });
    assert.equal(dry.status, 200, JSON.stringify(dry.body));
    assert.deepEqual(dry.body, { format: 'pskc', dryRun: true, read: 3, imported: 3, skipped: [], rejected: 0 });
    assert.equal((await tokenRows(instance)).length, 0);

    const real = await upload(file, 'api.pskcxml', { psk, dryRun: 'false' });
    assert.equal(real.status, 200, JSON.stringify(real.body));
    assert.deepEqual(real.body, { format: 'pskc', dryRun: false, read: 3, imported: 3, skipped: [], rejected: 0 });
    assert.deepEqual((await tokenRows(instance)).map((t) => t.serial), rows.map((r) => r.serial).sort());
    const row = rows[1]!;
    await instance.services.users.create(OPERATOR, account, { username: 'api-user', password: USER_PASSWORD, role: 'user' });
    await instance.services.tokens.associate(OPERATOR, account, 'api-user', row.serial, oathCode(row.secretHex, row.counter, 6));

    const again = await upload(file, 'api.pskcxml', { psk });
    assert.equal(again.status, 200);
    assert.equal(again.body.imported, 0);
    assert.equal((again.body.skipped as unknown[]).length, 3);
  });

  it('a refused file: 400 import_refused with its category, nothing imported', { skip: CORPUS_SKIP }, async () => {
    const before = await tokenRows(instance);
    const cases: Array<[string, Record<string, string>, string]> = [
      ['hostile/xxe-external-entity.pskcxml', {}, 'forbidden_dtd'],
      ['hostile/duplicate-serial.pskcxml', {}, 'duplicate_serial'],
      ['invalid/mac-value.pskcxml', { psk: '12345678901234567890123456789012' }, 'bad_mac'],
      ['rfc6030/figure6.pskcxml', {}, 'missing_key'],
      ['rfc6030/figure6.pskcxml', { psk: '00000000000000000000000000000000' }, 'decryption_failed'],
    ];
    for (const [file, fields, category] of cases) {
      const result = await upload(readFileSync(join(CORPUS, file)), file.split('/')[1]!, fields);
      assert.equal(result.status, 400, file);
      const error = result.body.error as Record<string, unknown>;
      assert.equal(error.code, 'import_refused', file);
      if (category === 'decryption_failed') assert.ok(['decryption_failed', 'bad_mac'].includes(String(error.category)), file);
      else assert.equal(error.category, category, file);
      assert.match(String(error.message), /nothing was imported/);
    }
    assert.deepEqual(await tokenRows(instance), before);
  });

  it('an upload over OTPGATE_IMPORT_LIMIT_MB=1 (2 MB): 413, nothing imported', async () => {
    const before = await tokenRows(instance);
    // A valid CSV of about 2 MB: without the limit every line would import.
    const lines = randomSeedRows(30_000).map((row) => `${row.serial},${row.secretHex},hotp,6,${row.counter}`);
    const file = Buffer.from(`${lines.join('\n')}\n`);
    assert.ok(file.length > 2 * 1024 * 1024);
    // With a Content-Length: refused before the body is parsed.
    const result = await upload(file, 'big.csv', { dryRun: 'false' });
    assert.equal(result.status, 413, JSON.stringify(result.body));
    assert.equal((result.body.error as Record<string, unknown>).code, 'payload_too_large');
    assert.deepEqual(await tokenRows(instance), before);

    // Chunked, with no Content-Length: the file is cut off at the limit while it streams in, and the part
    // read so far must not be imported either.
    const boundary = `----otpgate${randomBytes(8).toString('hex')}`;
    const head = Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="big.csv"\r\nContent-Type: text/csv\r\n\r\n`);
    const tail = Buffer.from(`\r\n--${boundary}--\r\n`);
    const body = Buffer.concat([head, file, tail]);
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        for (let start = 0; start < body.length; start += 64 * 1024) controller.enqueue(body.subarray(start, start + 64 * 1024));
        controller.close();
      },
    });
    const response = await fetch(`${base}/tokens/import`, {
      method: 'POST',
      headers: { authorization: `Bearer ${apiKey}`, 'content-type': `multipart/form-data; boundary=${boundary}` },
      body: stream,
      duplex: 'half',
    } as RequestInit);
    const answer = (await response.json()) as { error: { code: string } };
    assert.equal(response.status, 413, JSON.stringify(answer));
    assert.equal(answer.error.code, 'payload_too_large');
    assert.deepEqual(await tokenRows(instance), before);
  });
});
