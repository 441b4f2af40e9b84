// Property: `otpgate token import` (a real process on a real SQLite data directory) imports files that
// another implementation wrote (Debian's csv2pskc: plain, pre-shared key, password) so that every key
// associates with an oathtool code at its counter; a re-import skips every key and changes nothing; a dry
// run reports the same and writes nothing; a wrong key or password gives one generic message and exit 1;
// a malformed CSV line refuses the whole file, naming the line; a file with nothing to import still exits 0;
// progress shows on a terminal only.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CORPUS, CORPUS_SKIP } from './pskc-helpers.js';
import { csv2pskc, USER_PASSWORD, writeSeedCsv } from './import-fixtures.js';
import { testEnv } from '../helpers/installation.js';
import { makeTempDir, removeTempDir } from '../helpers/temp-dir.js';
import { oathCode } from '../helpers/otp.js';
import { randomSeedRows, type SeedRow } from '../helpers/secrets.js';
import { BIN, runCli } from '../helpers/cli.js';

const temp = makeTempDir('otpgate-import-cli-');
after(() => removeTempDir(temp));
const env = { ...process.env, ...testEnv(join(temp, 'data')) };
const cli = (...args: string[]) => runCli(args, env);

let users = 0;
/** Creates a fresh user and associates the token with oathtool's code at `counter`. */
async function associateAt(row: SeedRow, counter: number, secretHex = row.secretHex) {
  const username = `u${++users}`;
  const created = await cli('user', 'create', username, '--password', USER_PASSWORD);
  assert.equal(created.code, 0, created.stderr);
  return cli('token', 'associate', username, row.serial, oathCode(secretHex, counter, 6));
}

async function tokenCount(): Promise<number> {
  const list = await cli('token', 'list', '--json');
  assert.equal(list.code, 0, list.stderr);
  return (JSON.parse(list.stdout) as unknown[]).length;
}

before(async () => {
  const init = await cli('init');
  assert.equal(init.code, 0, init.stderr);
});

describe('otpgate token import (CLI)', () => {
  const plainRows = randomSeedRows(3);

  it('imports csv2pskc files (plain, --secret, --password); every key associates at its counter', async () => {
    const psk = randomBytes(16).toString('hex');
    const pskRows = randomSeedRows(3);
    const passwordRows = randomSeedRows(3);
    const files: Array<[string, SeedRow[], string[]]> = [
      [csv2pskc(temp, 'plain', plainRows), plainRows, []],
      [csv2pskc(temp, 'psk', pskRows, ['--secret', psk]), pskRows, ['--psk', psk]],
      [csv2pskc(temp, 'password', passwordRows, ['--password', 's3cret pass']), passwordRows, ['--password', 's3cret pass']],
    ];
    for (const [file, rows, credentials] of files) {
      const result = await cli('token', 'import', file, ...credentials);
      assert.equal(result.code, 0, result.stderr);
      assert.match(result.stdout, new RegExp(`read ${rows.length} keys, imported ${rows.length}, skipped 0`));
      assert.equal(result.stderr, '', 'no progress line without a terminal');
    }
    // The plain file's tokens are left unassociated for the re-import test below.
    for (const row of [...pskRows, ...passwordRows]) {
      const associated = await associateAt(row, row.counter);
      assert.equal(associated.code, 0, associated.stderr);
    }
  });

  it('re-importing skips every key ("already in the inventory"), exit 0, and changes neither secret nor counter', async () => {
    const again = await cli('token', 'import', join(temp, 'plain.pskcxml'));
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stdout, /read 3 keys, imported 0, skipped 3/);
    for (const row of plainRows) assert.match(again.stdout, new RegExp(`skipped ${row.serial} .*already in the inventory`));
    // The same serials with other secrets and counters 100 further: must not overwrite anything.
    const changed = plainRows.map((row) => ({ ...row, secretHex: randomBytes(20).toString('hex'), counter: row.counter + 100 }));
    const other = await cli('token', 'import', csv2pskc(temp, 'plain-changed', changed));
    assert.equal(other.code, 0, other.stderr);
    assert.match(other.stdout, /imported 0, skipped 3/);
    for (const row of plainRows) {
      // oathtool's code from the old secret at the old counter: accepted only if both are unchanged.
      const associated = await associateAt(row, row.counter);
      assert.equal(associated.code, 0, associated.stderr);
    }
  });

  it('--dry-run prints the same report as the import and writes nothing', async () => {
    const rows = randomSeedRows(6);
    const file = writeSeedCsv(temp, 'dry', rows);
    const before = await tokenCount();
    const dry = await cli('token', 'import', file, '--dry-run', '--json');
    assert.equal(dry.code, 0, dry.stderr);
    assert.equal(await tokenCount(), before);
    const dryText = await cli('token', 'import', file, '--dry-run');
    assert.match(dryText.stdout, /would import 6, skipped 0 \(dry run: nothing written\)/);
    assert.equal(await tokenCount(), before);
    const real = await cli('token', 'import', file, '--json');
    assert.equal(real.code, 0, real.stderr);
    assert.deepEqual({ ...(JSON.parse(dry.stdout) as object), dryRun: false }, JSON.parse(real.stdout));
    assert.equal(await tokenCount(), before + 6);
    const associated = await associateAt(rows[0]!, rows[0]!.counter);
    assert.equal(associated.code, 0, associated.stderr);
  });

  it('a wrong key or password: exit 1, one generic message whichever check failed, nothing imported', { skip: CORPUS_SKIP }, async () => {
    const rows = randomSeedRows(3);
    const psk = randomBytes(16).toString('hex');
    const pskFile = csv2pskc(temp, 'wrong-psk', rows, ['--secret', psk]);
    const passwordFile = csv2pskc(temp, 'wrong-password', rows, ['--password', 'right']);
    const before = await tokenCount();
    const messages = new Set<string>();
    const attempts = [
      ...Array.from({ length: 4 }, () => [pskFile, '--psk', randomBytes(16).toString('hex')]),
      [passwordFile, '--password', 'wrong'],
      [passwordFile, '--password', 'Right'],
      // The right key but an altered ValueMAC: the MAC check fails rather than the padding.
      [join(CORPUS, 'invalid/mac-value.pskcxml'), '--psk', '12345678901234567890123456789012'],
    ];
    for (const [file, ...credentials] of attempts) {
      const result = await cli('token', 'import', file!, ...credentials);
      assert.equal(result.code, 1, result.stdout);
      assert.equal(result.stdout, '');
      messages.add(result.stderr.replace(file!, 'FILE'));
    }
    assert.deepEqual([...messages], ['otpgate: FILE: cannot decrypt: the key or password is wrong, or the file is damaged; nothing was imported\n']);
    assert.equal(await tokenCount(), before);
  });

  it('a malformed CSV line refuses the whole file, naming the line: exit 1, nothing imported', async () => {
    const rows = randomSeedRows(5);
    const path = join(temp, 'malformed.csv');
    const lines = rows.map((row) => `${row.serial},${row.secretHex},hotp,6,${row.counter}`);
    lines.splice(3, 0, `${randomSeedRows(1)[0]!.serial},not-hex,hotp,6,0`);
    writeFileSync(path, `${lines.join('\n')}\n`);
    const before = await tokenCount();
    const result = await cli('token', 'import', path);
    assert.equal(result.code, 1);
    assert.match(result.stderr, /line 4: the secret is not hexadecimal \(only 0-9 and a-f\); nothing was imported/);
    assert.equal(await tokenCount(), before);
    const associated = await associateAt(rows[0]!, rows[0]!.counter);
    assert.notEqual(associated.code, 0, 'a key before the bad line must not have been imported');
  });

  it('a file over OTPGATE_IMPORT_LIMIT_MB is refused whole, CSV and PSKC alike: exit 1, nothing imported', async () => {
    // About 2 MB of valid keys: without the limit every one would import.
    const rows = randomSeedRows(30_000);
    const csv = writeSeedCsv(temp, 'over-limit', rows);
    const pskc = csv2pskc(temp, 'over-limit', rows.slice(0, 3_000));
    const before = await tokenCount();
    for (const file of [csv, pskc]) {
      const result = await runCli(['token', 'import', file], { ...env, OTPGATE_IMPORT_LIMIT_MB: '1' });
      assert.equal(result.code, 1, file);
      assert.match(result.stderr, /larger than the import limit of 1048576 bytes \(OTPGATE_IMPORT_LIMIT_MB\); nothing was imported/, file);
    }
    assert.equal(await tokenCount(), before);
  });

  it('a CSV that leaves nothing to import exits 0 with the skip reasons', async () => {
    const known = plainRows[0]!;
    const short = randomSeedRows(1)[0]!;
    const path = join(temp, 'nothing.csv');
    writeFileSync(path, `# serial,secret\n${known.serial},${known.secretHex}\n${short.serial},0102030405\n`);
    const before = await tokenCount();
    const result = await cli('token', 'import', path);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /read 2 keys, imported 0, skipped 2/);
    assert.match(result.stdout, new RegExp(`skipped ${known.serial} \\(line 2\\): serial already in the inventory`));
    assert.match(result.stdout, new RegExp(`skipped ${short.serial} \\(line 3\\): secret is 40 bits, shorter than the 128 bits`));
    assert.equal(await tokenCount(), before);
  });

  it('shows a progress line on a terminal (stderr), and only the summary without one', async () => {
    const rows = randomSeedRows(20_000);
    const file = writeSeedCsv(temp, 'big', rows);
    const summary = join(temp, 'big-summary.txt');
    // script(1) gives the command a terminal; stdout goes to a file, so the terminal shows only stderr.
    const command = `${process.execPath} ${BIN} token import ${file} --dry-run > ${summary}`;
    const terminal = await new Promise<string>((done, fail) => {
      execFile('script', ['-qec', command, '/dev/null'], { env, maxBuffer: 16 * 1024 * 1024 }, (error, stdout) => (error ? fail(new Error(`script failed: ${error.message}`)) : done(stdout)));
    });
    assert.match(terminal, /(reading|writing|done): \d+ keys read, \d+ written, \d+ skipped/);
    assert.match(readFileSync(summary, 'utf8'), /read 20000 keys, would import 20000, skipped 0/);
    const piped = await cli('token', 'import', file);
    assert.equal(piped.code, 0, piped.stderr);
    assert.equal(piped.stderr, '');
    assert.equal(piped.stdout.trim(), `${file}: read 20000 keys, imported 20000, skipped 0`);
    const associated = await associateAt(rows[19_999]!, rows[19_999]!.counter);
    assert.equal(associated.code, 0, associated.stderr);
  });
});
