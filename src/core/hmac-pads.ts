// HMAC (RFC 2104) over 8-byte messages from pad states prepared once per key. HMAC(K, m) is
// H((K ^ opad) || H((K ^ ipad) || m)); the hash of each padded key block does not depend on m, so it is
// computed once, and each message then costs two compressions: the inner block (m and its padding) and
// the outer block (the inner digest and its padding). A HOTP window search computes one HMAC per counter
// with the same key; with a fresh `createHmac` each call, the per-call set-up cost more than the hashing.
// SHA-1 and SHA-256 are compressed here (FIPS 180-4 §6.1, §6.2) on 32-bit words; SHA-512 copies node's
// hash state (Hash.copy) after the pad blocks. Pure: no I/O; node:crypto only for hashing.
import { createHash, type Hash } from 'node:crypto';

/** The HMAC of an 8-byte big-endian number, as the digest's bytes (valid until the next call). */
export type Hmac8 = (high: number, low: number) => Uint8Array;

const IPAD = 0x36;
const OPAD = 0x5c;

/** The key as one block: hashed first when longer than a block, zero-padded (RFC 2104 §2). */
function keyBlock(key: Uint8Array, hash: string, blockBytes: number): Buffer {
  const block = Buffer.alloc(blockBytes);
  block.set(key.length > blockBytes ? createHash(hash).update(key).digest() : key);
  return block;
}

function padBlock(block: Buffer, pad: number): Buffer {
  return Buffer.from(block.map((byte) => byte ^ pad));
}

function rotl(x: number, n: number): number {
  return (x << n) | (x >>> (32 - n));
}

/** A compression function over the 16 message words in `w` (more room is schedule), state in place. */
type Compress = (state: Int32Array, w: Int32Array) => void;

function sha1Compress(state: Int32Array, w: Int32Array): void {
  for (let t = 16; t < 80; t++) w[t] = rotl(w[t - 3]! ^ w[t - 8]! ^ w[t - 14]! ^ w[t - 16]!, 1);
  let a = state[0]!;
  let b = state[1]!;
  let c = state[2]!;
  let d = state[3]!;
  let e = state[4]!;
  // The four rounds of 20 steps as four loops (no test of t inside a step): Ch, Parity, Maj, Parity.
  let t = 0;
  for (; t < 20; t++) {
    const next = (rotl(a, 5) + ((b & c) | (~b & d)) + e + 0x5a827999 + w[t]!) | 0;
    e = d;
    d = c;
    c = rotl(b, 30);
    b = a;
    a = next;
  }
  for (; t < 40; t++) {
    const next = (rotl(a, 5) + (b ^ c ^ d) + e + 0x6ed9eba1 + w[t]!) | 0;
    e = d;
    d = c;
    c = rotl(b, 30);
    b = a;
    a = next;
  }
  for (; t < 60; t++) {
    const next = (rotl(a, 5) + ((b & c) | (b & d) | (c & d)) + e + 0x8f1bbcdc + w[t]!) | 0;
    e = d;
    d = c;
    c = rotl(b, 30);
    b = a;
    a = next;
  }
  for (; t < 80; t++) {
    const next = (rotl(a, 5) + (b ^ c ^ d) + e + 0xca62c1d6 + w[t]!) | 0;
    e = d;
    d = c;
    c = rotl(b, 30);
    b = a;
    a = next;
  }
  state[0] = (state[0]! + a) | 0;
  state[1] = (state[1]! + b) | 0;
  state[2] = (state[2]! + c) | 0;
  state[3] = (state[3]! + d) | 0;
  state[4] = (state[4]! + e) | 0;
}

const SHA1_IV = Int32Array.of(0x67452301, 0xefcdab89 | 0, 0x98badcfe | 0, 0x10325476, 0xc3d2e1f0 | 0);

/** The first `count` primes. */
function primes(count: number): number[] {
  const found: number[] = [];
  for (let n = 2; found.length < count; n++) if (found.every((p) => n % p !== 0)) found.push(n);
  return found;
}

/** The first 32 bits of the fractional part of x, exact: x is within an ulp (far below 2^-32) of the root. */
function fractionBits(x: number): number {
  return Math.floor((x - Math.floor(x)) * 2 ** 32) | 0;
}

// FIPS 180-4 §4.2.2 and §5.3.3: the constants are the fractional parts of the cube roots of the first 64
// primes and the square roots of the first 8. Computed rather than listed; the RFC 6238 SHA-256 vectors and
// the comparison with node's HMAC in the tests check them.
const SHA256_K = Int32Array.from(primes(64), (p) => fractionBits(Math.cbrt(p)));
const SHA256_IV = Int32Array.from(primes(8), (p) => fractionBits(Math.sqrt(p)));

function rotr(x: number, n: number): number {
  return (x >>> n) | (x << (32 - n));
}

function sha256Compress(state: Int32Array, w: Int32Array): void {
  for (let t = 16; t < 64; t++) {
    const w15 = w[t - 15]!;
    const w2 = w[t - 2]!;
    const s0 = rotr(w15, 7) ^ rotr(w15, 18) ^ (w15 >>> 3);
    const s1 = rotr(w2, 17) ^ rotr(w2, 19) ^ (w2 >>> 10);
    w[t] = (w[t - 16]! + s0 + w[t - 7]! + s1) | 0;
  }
  let a = state[0]!;
  let b = state[1]!;
  let c = state[2]!;
  let d = state[3]!;
  let e = state[4]!;
  let f = state[5]!;
  let g = state[6]!;
  let h = state[7]!;
  for (let t = 0; t < 64; t++) {
    const t1 = (h + (rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25)) + ((e & f) ^ (~e & g)) + SHA256_K[t]! + w[t]!) | 0;
    const t2 = ((rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22)) + ((a & b) ^ (a & c) ^ (b & c))) | 0;
    h = g;
    g = f;
    f = e;
    e = (d + t1) | 0;
    d = c;
    c = b;
    b = a;
    a = (t1 + t2) | 0;
  }
  state[0] = (state[0]! + a) | 0;
  state[1] = (state[1]! + b) | 0;
  state[2] = (state[2]! + c) | 0;
  state[3] = (state[3]! + d) | 0;
  state[4] = (state[4]! + e) | 0;
  state[5] = (state[5]! + f) | 0;
  state[6] = (state[6]! + g) | 0;
  state[7] = (state[7]! + h) | 0;
}

// Scratch space shared by every key: the functions below run to completion synchronously, one at a time
// per thread, so nothing allocated per key but its two pad states.
const schedule = new Int32Array(80);
const work = new Int32Array(8);
const digestBytes = new Uint8Array(32);
const digestView = new DataView(digestBytes.buffer);
const keyScratch = Buffer.alloc(64);
const keyWords = new Int32Array(16);

/** HMAC from pad states, for a hash with 64-byte blocks and a 32-bit-word state compressed here. */
function wordHmac(key: Uint8Array, hash: string, iv: Int32Array, compress: Compress): Hmac8 {
  const words = iv.length;
  const digest = digestBytes.subarray(0, words * 4);
  // The pad states: [inner (words), outer (words)], each the IV compressed over key block ^ pad.
  const pads = new Int32Array(2 * words);
  keyScratch.fill(0);
  keyScratch.set(key.length > 64 ? createHash(hash).update(key).digest() : key);
  for (let i = 0; i < 16; i++) keyWords[i] = (keyScratch[4 * i]! << 24) | (keyScratch[4 * i + 1]! << 16) | (keyScratch[4 * i + 2]! << 8) | keyScratch[4 * i + 3]!;
  const padState = (offset: number, pad: number): void => {
    for (let i = 0; i < 16; i++) schedule[i] = keyWords[i]! ^ pad;
    work.set(iv);
    compress(work, schedule);
    for (let i = 0; i < words; i++) pads[offset + i] = work[i]!;
  };
  padState(0, IPAD * 0x01010101);
  padState(words, OPAD * 0x01010101);
  const w = schedule;
  return (high, low) => {
    // Inner: the 8-byte message, the 0x80 marker, zeros, and the length in bits of pad block + message.
    for (let i = 0; i < words; i++) work[i] = pads[i]!;
    w.fill(0, 3, 15);
    w[0] = high | 0;
    w[1] = low | 0;
    w[2] = 0x80000000 | 0;
    w[15] = (64 + 8) * 8;
    compress(work, w);
    // Outer: the inner digest, the marker, zeros, and the length of pad block + digest.
    for (let i = 0; i < words; i++) {
      w[i] = work[i]!;
      work[i] = pads[words + i]!;
    }
    w.fill(0, words + 1, 15);
    w[words] = 0x80000000 | 0;
    w[15] = (64 + words * 4) * 8;
    compress(work, w);
    for (let i = 0; i < words; i++) digestView.setInt32(i * 4, work[i]!);
    return digest;
  };
}

/** HMAC from node's hash states after the pad blocks, copied per message. */
function copiedHmac(key: Uint8Array, hash: string, blockBytes: number): Hmac8 {
  const block = keyBlock(key, hash, blockBytes);
  const innerPad: Hash = createHash(hash).update(padBlock(block, IPAD));
  const outerPad: Hash = createHash(hash).update(padBlock(block, OPAD));
  const message = Buffer.alloc(8);
  return (high, low) => {
    message.writeInt32BE(high | 0, 0);
    message.writeInt32BE(low | 0, 4);
    return outerPad.copy().update(innerPad.copy().update(message).digest()).digest();
  };
}

export type PadHash = 'sha1' | 'sha256' | 'sha512';

/** An HMAC of 8-byte messages under `key`, its pad states computed now. */
export function hmacOfCounters(key: Uint8Array, hash: PadHash): Hmac8 {
  if (hash === 'sha1') return wordHmac(key, hash, SHA1_IV, sha1Compress);
  if (hash === 'sha256') return wordHmac(key, hash, SHA256_IV, sha256Compress);
  return copiedHmac(key, hash, 128);
}
