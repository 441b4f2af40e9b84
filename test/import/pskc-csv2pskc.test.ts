// Property: files written by another PSKC implementation (Debian's csv2pskc, python-pskc) read back
// exactly: random serials, secrets, counters, digits and TOTP time steps, in plaintext, encrypted with a
// pre-shared key (AES-128-CBC with an HMAC-SHA1 MACKey) and encrypted with a passphrase (PBKDF2).
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes, randomInt } from 'node:crypto';
import { createReadStream, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { SeedFileError } from '../../src/import/imported-key.js';
import { type PskcCredentials, readPskc } from '../../src/import/pskc/index.js';
import { makeTempDir } from '../helpers/temp-dir.js';

const dir = makeTempDir('otpgate-pskc-');
after(() => rmSync(dir, { recursive: true, force: true }));

interface Row {
  serial: string;
  secret: Buffer;
  counter: number;
  digits: number;
  totp: boolean;
  interval: number;
}

function randomRows(count: number): Row[] {
  return Array.from({ length: count }, (_, i) => ({
    serial: `${randomInt(1_000_000, 9_999_999)}${String(i).padStart(6, '0')}`,
    secret: randomBytes([16, 20, 32][i % 3] ?? 20),
    counter: randomInt(0, 2 ** 40),
    digits: 6 + (i % 3),
    totp: i % 4 === 3,
    interval: [30, 60][i % 2] ?? 30,
  }));
}

function writePskc(rows: Row[], name: string, extra: string[]): string {
  const csvPath = join(dir, `${name}.csv`);
  const lines = ['serial,secret,counter,time_interval,response_length,algorithm'];
  for (const row of rows) {
    const algorithm = row.totp ? 'urn:ietf:params:xml:ns:keyprov:pskc:totp' : 'urn:ietf:params:xml:ns:keyprov:pskc:hotp';
    lines.push([row.serial, row.secret.toString('hex'), row.totp ? '' : row.counter, row.totp ? row.interval : '', row.digits, algorithm].join(','));
  }
  writeFileSync(csvPath, `${lines.join('\n')}\n`);
  const outPath = join(dir, `${name}.pskcxml`);
  execFileSync('csv2pskc', [...extra, '-o', outPath, csvPath]);
  return outPath;
}

async function readBack(path: string, credentials: PskcCredentials) {
  return readPskc(createReadStream(path, { highWaterMark: 1024 }), credentials, { now: new Date('2026-11-28T00:00:00Z') });
}

function assertSame(rows: Row[], keys: Awaited<ReturnType<typeof readBack>>['keys']): void {
  assert.equal(keys.length, rows.length);
  rows.forEach((row, i) => {
    const key = keys[i]!;
    assert.equal(key.serial, row.serial);
    assert.equal(key.secret.toString('hex'), row.secret.toString('hex'));
    assert.equal(key.digits, row.digits);
    assert.equal(key.type, row.totp ? 'totp' : 'hotp');
    if (row.totp) assert.equal(key.periodInSeconds, row.interval);
    else assert.equal(key.counter, row.counter);
  });
}

describe('csv2pskc files read back exactly', () => {
  it('plaintext', async () => {
    const rows = randomRows(40);
    const result = await readBack(writePskc(rows, 'plain', []), {});
    assertSame(rows, result.keys);
    assert.deepEqual(result.skipped, []);
  });

  it('pre-shared key (--secret)', async () => {
    const rows = randomRows(40);
    const psk = randomBytes(16);
    const path = writePskc(rows, 'psk', ['--secret', psk.toString('hex')]);
    assertSame(rows, (await readBack(path, { psk })).keys);
    await assert.rejects(readBack(path, {}), (error: unknown) => error instanceof SeedFileError && error.category === 'missing_key');
    await assert.rejects(
      readBack(path, { psk: randomBytes(16) }),
      (error: unknown) => error instanceof SeedFileError && ['decryption_failed', 'bad_mac'].includes(error.category),
    );
  });

  it('passphrase (--passphrase)', async () => {
    const rows = randomRows(10);
    const path = writePskc(rows, 'password', ['--passwd', 'correct horse battery staple']);
    assertSame(rows, (await readBack(path, { password: 'correct horse battery staple' })).keys);
    await assert.rejects(
      readBack(path, { password: 'Tr0ub4dor&3' }),
      (error: unknown) => error instanceof SeedFileError && ['decryption_failed', 'bad_mac'].includes(error.category),
    );
  });
});
