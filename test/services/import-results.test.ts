// The console's import results (issue #29 item 12): a result is kept for its session only, for 15 minutes;
// a dry run's upload of an encrypted PSKC file (RFC 6030 figure 6 and its pre-shared key) is kept sealed
// (neither the key nor the file in the clear in the database), and "Import now" imports it once; a real
// import keeps no upload.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { OPERATOR } from '../../src/services/context.js';
import { ServiceError } from '../../src/services/errors.js';
import type { BufferedImport } from '../../src/services/import-result-service.js';
import { makeInstallation, type Installation } from '../helpers/installation.js';
import { CORPUS } from '../import/pskc-helpers.js';

const FIGURE6 = readFileSync(join(CORPUS, 'rfc6030', 'figure6.pskcxml'));
const PSK = '12345678901234567890123456789012';
const SESSION = 'a'.repeat(64);
const OTHER_SESSION = 'b'.repeat(64);

describe('import results', () => {
  let inst: Installation;
  before(async () => {
    inst = await makeInstallation();
  });
  after(() => inst.cleanup());

  const upload = (dryRun: boolean): BufferedImport => ({ file: FIGURE6, fileName: 'figure6.pskcxml', psk: PSK, dryRun, allowShortSecrets: false, maxBytes: 1024 * 1024 });
  const results = () => inst.services.importResults;

  it('keeps a dry run for its session, sealed, and imports it once with "Import now"', async () => {
    const id = await results().run(OPERATOR, inst.account, SESSION, upload(true));
    assert.match(id, /^[A-Za-z0-9_-]{24}$/);
    const kept = await results().result(inst.account, SESSION, id);
    assert.equal(kept?.report.dryRun, true);
    assert.equal(kept?.report.imported, 1);
    assert.equal(kept?.canImportNow, true);
    assert.equal(await results().result(inst.account, OTHER_SESSION, id), null, "another session's");
    await assert.rejects(results().importNow(OPERATOR, inst.account, OTHER_SESSION, id), (e: unknown) => e instanceof ServiceError && e.code === 'not_found');
    assert.equal(await inst.services.tokens.count(inst.account), 0);

    // At rest: neither the key nor the file's bytes in the clear, and no id (only its hash).
    const rows = await inst.services.ctx.db.selectFrom('import_results').selectAll().execute();
    assert.equal(rows.length, 1);
    const sealed = Buffer.from(rows[0]!.upload_sealed!);
    assert.equal(sealed.includes(Buffer.from(PSK)), false);
    assert.equal(sealed.includes(FIGURE6.subarray(0, 64)), false);
    assert.notEqual(rows[0]!.id_hash, id);

    const importedId = await results().importNow(OPERATOR, inst.account, SESSION, id);
    const imported = await results().result(inst.account, SESSION, importedId);
    assert.equal(imported?.report.dryRun, false);
    assert.equal(imported?.report.imported, 1);
    assert.equal(imported?.canImportNow, false, 'a real import keeps no upload');
    assert.equal((await inst.services.tokens.show(inst.account, '987654321')).status, 'available');
    assert.equal((await results().result(inst.account, SESSION, id))?.canImportNow, false, 'the upload is taken');
    await assert.rejects(results().importNow(OPERATOR, inst.account, SESSION, id), /no longer kept/);
  });

  it('forgets a result after 15 minutes', async () => {
    const id = await results().run(OPERATOR, inst.account, SESSION, upload(true));
    inst.clock.advanceSeconds(15 * 60);
    assert.equal(await results().result(inst.account, SESSION, id), null);
    await assert.rejects(results().importNow(OPERATOR, inst.account, SESSION, id), /no longer kept/);
  });
});
