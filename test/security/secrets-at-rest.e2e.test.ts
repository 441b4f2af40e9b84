// Property: no token seed is readable in the data directory. After importing, associating, signing in and
// re-syncing, no file there (the .db, -wal, -shm, the key) holds any seed as hex, base32 or raw bytes;
// and a sealed seed is bound to its account and serial: moved onto another token's row it does not open, and the
// check fails loudly (an error, exit 1, no sign-in result) instead of silently rejecting.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import SQLite from 'better-sqlite3';
import { makeTempDir, testEnv, writeFile, PASSWORD } from '../helpers/installation.js';
import { runCli } from '../helpers/cli.js';
import { oathCode } from '../helpers/otp.js';
import { randomSecretHex } from '../helpers/secrets.js';

function base32(bytes: Buffer): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = 0;
  let value = 0;
  let out = '';
  for (const byte of bytes) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += alphabet[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += alphabet[(value << (5 - bits)) & 31];
  return out;
}

describe('seeds at rest', () => {
  const dataDir = makeTempDir();
  const seedDir = makeTempDir(); // the seed file lives outside the data directory
  const env = testEnv(dataDir);
  const serials = ['5000000000001', '5000000000002', '5000000000003', '5000000000004'];
  const secrets = serials.map(() => randomSecretHex());
  before(async () => {
    assert.equal((await runCli(['init'], env)).code, 0);
    const csv = writeFile(seedDir, 'seed.csv', serials.map((s, i) => `${s},${secrets[i]}`).join('\n'));
    assert.equal((await runCli(['token', 'import', csv], env)).code, 0);
    for (const [i, user] of ['alice', 'bob'].entries()) {
      assert.equal((await runCli(['user', 'create', user, '--password', PASSWORD], env)).code, 0);
      assert.equal((await runCli(['token', 'associate', user, serials[i]!, oathCode(secrets[i]!, 0)], env)).code, 0);
      assert.equal((await runCli(['check', user, '--password', PASSWORD, '--otp', oathCode(secrets[i]!, 1)], env)).stdout.trim(), 'accept');
    }
    assert.equal((await runCli(['token', 'resync', 'alice', oathCode(secrets[0]!, 5), oathCode(secrets[0]!, 6)], env)).code, 0);
  });
  after(() => {
    rmSync(dataDir, { recursive: true, force: true });
    rmSync(seedDir, { recursive: true, force: true });
  });

  it('no file in the data directory contains a seed as hex, base32 or raw bytes', () => {
    const files = readdirSync(dataDir);
    assert.ok(files.includes('otpgate.db'), files.join(', '));
    for (const name of files) {
      const content = readFileSync(join(dataDir, name));
      const latin = content.toString('latin1');
      for (const hex of secrets) {
        const raw = Buffer.from(hex, 'hex');
        assert.equal(content.indexOf(raw), -1, `${name} holds a seed as raw bytes`);
        for (const text of [hex, hex.toUpperCase(), base32(raw), base32(raw).toLowerCase(), raw.toString('base64')]) {
          assert.ok(!latin.includes(text), `${name} holds a seed as text ${text}`);
        }
      }
    }
  });

  it('a sealed seed moved onto another token row does not open, and the check fails loudly', async () => {
    const db = new SQLite(join(dataDir, 'otpgate.db'));
    const rows = db.prepare('SELECT id, secret_sealed FROM tokens WHERE serial IN (?, ?) ORDER BY serial').all(serials[0], serials[1]) as { id: number; secret_sealed: Buffer }[];
    const update = db.prepare('UPDATE tokens SET secret_sealed = ? WHERE id = ?');
    update.run(rows[1]!.secret_sealed, rows[0]!.id);
    update.run(rows[0]!.secret_sealed, rows[1]!.id);
    db.close();
    for (const [i, user] of ['alice', 'bob'].entries()) {
      const result = await runCli(['check', user, '--password', PASSWORD, '--otp', oathCode(secrets[i]!, 7)], env);
      assert.equal(result.code, 1);
      assert.equal(result.stdout, '', 'no sign-in result is printed');
      assert.match(result.stderr, new RegExp(`token ${serials[i]}.*(does not open|cannot be opened)`));
    }
  });
});
