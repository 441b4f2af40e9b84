// The password hash's own rate: scrypt verifications per second at the cost of a stored hash, with as many
// in flight as the HTTP test has connections (so libuv's thread pool is as busy as in the server).
//   node bench/hash-rate.mjs ENCODED_HASH CONCURRENCY SECONDS
import { fromDist } from './common.mjs';
const { verifyPassword } = /** @type {typeof import('../src/crypto/password-hash.js')} */ (await fromDist('crypto/password-hash.js'));

// The password comes from BENCH_PASSWORD, the rest from the command line (bench/run.mjs gives all of them).
const [encoded, concurrencyText, secondsText] = /** @type {[string, string, string]} */ (process.argv.slice(2));
const [, , , , salt] = encoded.split('$');
if (!salt) throw new Error('expected scrypt$N$r$p$salt$hash');
const password = /** @type {string} */ (process.env.BENCH_PASSWORD);
const deadline = Date.now() + Number(secondsText) * 1000;
let done = 0;
const started = process.hrtime.bigint();
async function lane() {
  while (Date.now() < deadline) {
    if (!(await verifyPassword(password, encoded))) throw new Error('the password does not verify');
    done++;
  }
}
await Promise.all(Array.from({ length: Number(concurrencyText) }, lane));
const seconds = Number(process.hrtime.bigint() - started) / 1e9;
console.log(JSON.stringify({ verificationsPerSecond: done / seconds, verifications: done }));
