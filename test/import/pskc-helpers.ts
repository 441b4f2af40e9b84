// Shared helpers for the PSKC reader tests: the corpus manifest, credentials and chunked inputs.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { PskcCredentials } from '../../src/import/pskc/index.js';
import { PskcDocumentReader } from '../../src/import/pskc/pskc-document.js';
import type { PskcKeyRecord } from '../../src/import/pskc/pskc-record.js';

/**
 * The shared PSKC corpus: `shared/` stands beside the repository (`../shared` from its root), on a
 * developer's machine and in CI alike; OTPGATE_TEST_CORPUS points elsewhere.
 */
export const CORPUS = process.env.OTPGATE_TEST_CORPUS ?? fileURLToPath(new URL('../../../shared/testdata/pskc', import.meta.url));

/**
 * Why the tests that read the corpus cannot run here (a clone with no `../shared/testdata` beside it), or
 * false when they can. Under CI=true a missing corpus is an error, not a skip: CI must never pass by reading
 * no seed file at all.
 */
export const CORPUS_SKIP: string | false = corpusSkipReason();

function corpusSkipReason(): string | false {
  if (existsSync(join(CORPUS, 'manifest.json'))) return false;
  const why = `no PSKC corpus at ${CORPUS} (../shared/testdata/pskc beside the repository, or OTPGATE_TEST_CORPUS)`;
  if (process.env.CI === 'true') throw new Error(`${why}; CI=true, so the corpus tests must run`);
  process.stderr.write(`\n*** SKIPPING the tests that read the PSKC corpus: ${why}. ***\n\n`);
  return why;
}
/** Fixed "now" for every corpus test: validity dates are judged against it. */
export const NOW = new Date('2026-11-28T12:00:00Z');

export interface Decrypt {
  key_hex?: string;
  password?: string;
  iv_hex?: string;
}

export interface OracleKey {
  serial?: string;
  id?: string;
  algorithm?: string;
  secret_hex?: string;
  counter?: number | string;
  time_offset?: number;
  time_interval?: number;
  response_length?: number;
  response_encoding?: string;
  algorithm_suite?: string;
  manufacturer?: string;
}

export interface WrongDecrypt {
  decrypt: Decrypt | null;
  expect: { error: string };
  accept_also?: string[];
}

export interface ManifestEntry {
  file: string;
  decrypt: Decrypt | null;
  expect: { keys?: OracleKey[]; error?: string };
  wrong_decrypt?: WrongDecrypt[];
  notes?: string;
}

/** The corpus's manifest; empty when the corpus is absent (CORPUS_SKIP says why). */
export const manifest: ManifestEntry[] = CORPUS_SKIP === false ? (JSON.parse(readFileSync(join(CORPUS, 'manifest.json'), 'utf8')) as ManifestEntry[]) : [];

export function credentialsFor(decrypt: Decrypt | null): PskcCredentials {
  if (decrypt === null) return {};
  if (decrypt.key_hex !== undefined) return { psk: Buffer.from(decrypt.key_hex, 'hex') };
  if (decrypt.password !== undefined) return { password: decrypt.password };
  return {};
}

/** Yields a buffer in chunks of `size` bytes, as a stream would. */
export async function* chunked(bytes: Buffer, size: number): AsyncGenerator<Buffer> {
  for (let start = 0; start < bytes.length; start += size) {
    await Promise.resolve(); // a real stream hands chunks over asynchronously
    yield bytes.subarray(start, start + size);
  }
}

/** The raw per-key records (before the usability rules), to compare every key with the oracle. */
export function readRecords(bytes: Buffer, credentials: PskcCredentials): PskcKeyRecord[] {
  const records: PskcKeyRecord[] = [];
  const reader = new PskcDocumentReader(credentials, (record) => records.push(record));
  let text = new TextDecoder('utf-8').decode(bytes);
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  reader.write(text);
  reader.close();
  return records;
}
