// Adds tokens straight into a copy of an installation's SQLite file until it holds TOTAL, each with its own
// random secret sealed under the installation's master key as the product seals it (AES-256-GCM, the account
// and serial bound in). One prepared INSERT in one transaction. Prints one JSON line.
//   node bench/seed-tokens.mjs DATA_DIR TOTAL
import Database from 'better-sqlite3';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { fromDist } from './common.mjs';
const { readMasterKeyFile } = /** @type {typeof import('../src/crypto/master-key.js')} */ (await fromDist('crypto/master-key.js'));
const { sealTokenSecret, TOKEN_SEAL_VERSION } = /** @type {typeof import('../src/services/sealed-secrets.js')} */ (await fromDist('services/sealed-secrets.js'));

const [dataDir, totalText] = /** @type {[string, string]} */ (process.argv.slice(2));
const started = process.hrtime.bigint();
const masterKey = readMasterKeyFile(join(dataDir, 'master.key'));
const db = new Database(join(dataDir, 'otpgate.db'));
db.pragma('journal_mode = WAL');
db.pragma('synchronous = NORMAL');
const { accountId } = /** @type {{ accountId: number }} */ (db.prepare("SELECT id AS accountId FROM accounts WHERE name = 'default'").get());
const existing = /** @type {{ n: number }} */ (db.prepare('SELECT count(*) AS n FROM tokens').get()).n;
const insert = db.prepare(
  `INSERT INTO tokens (account_id, serial, type, algorithm, digits, counter, period_in_seconds, time_offset_in_seconds, secret_sealed, seal_version, status, fail_count, manufacturer, created_at)
   VALUES (?, ?, 'hotp', 'SHA1', 6, 0, NULL, 0, ?, ?, 'available', 0, 'Bench', ?)`,
);
const now = Date.now();
const add = db.transaction((from, to) => {
  for (let i = from; i < to; i++) {
    const serial = `S${String(i).padStart(12, '0')}`;
    insert.run(accountId, serial, sealTokenSecret(masterKey, accountId, serial, randomBytes(20)), TOKEN_SEAL_VERSION, now);
  }
});
const total = Number(totalText);
for (let from = existing; from < total; from += 100_000) add(from, Math.min(total, from + 100_000));
db.pragma('wal_checkpoint(TRUNCATE)');
const count = /** @type {{ n: number }} */ (db.prepare('SELECT count(*) AS n FROM tokens').get()).n;
db.close();
console.log(JSON.stringify({ tokens: count, added: count - existing, seconds: Number(process.hrtime.bigint() - started) / 1e9 }));
