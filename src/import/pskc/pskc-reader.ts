// readPskc: the public entry point of the PSKC (RFC 6030) seed-file reader. It streams the input through
// the document reader, judges each key as it arrives, and settles dates and shared serials at the end.
// No file or network access happens here: the caller hands in the bytes and the clock (options.now).
import { ImportSize } from '../import-limit.js';
import { type ReadResult, SeedFileError, type SkippedKey } from '../imported-key.js';
import type { PskcCredentials } from './pskc-crypto.js';
import { PskcDocumentReader } from './pskc-document.js';
import { type UsableKey, judgeKey } from './pskc-key.js';
import { settleKeys } from './pskc-serials.js';

export type { PskcCredentials } from './pskc-crypto.js';

export interface PskcOptions {
  /** For validity dates; the reader never reads the clock itself. */
  now: Date;
  /** Secrets shorter than 128 bits are skipped with a reason unless true. */
  allowShortSecrets?: boolean;
  /** Default DEFAULT_IMPORT_LIMIT_BYTES (128 MiB); larger input is refused with SeedFileError('resource_limit'). */
  maxBytes?: number;
  /** Called with the number of keys read so far, every PROGRESS_INTERVAL keys and at the end. */
  onProgress?: (keysRead: number) => void;
}

const PROGRESS_INTERVAL = 1000;

/**
 * Reads a PSKC file. Resolves with the usable keys and the skipped ones (with reasons); rejects with
 * SeedFileError when the file as a whole must be refused (docs/seed-files.md).
 */
export async function readPskc(input: AsyncIterable<Buffer | string>, credentials: PskcCredentials, options: PskcOptions): Promise<ReadResult> {
  const size = new ImportSize(options.maxBytes);
  const allowShortSecrets = options.allowShortSecrets ?? false;
  const onProgress = options.onProgress;
  const usable: UsableKey[] = [];
  const skipped: Array<{ index: number; skipped: SkippedKey }> = [];
  let keysRead = 0;
  const document = new PskcDocumentReader(credentials, (record) => {
    const verdict = judgeKey(record, allowShortSecrets);
    if ('usable' in verdict) usable.push(verdict.usable);
    else skipped.push({ index: record.index, skipped: verdict.skipped });
    keysRead += 1;
    if (onProgress !== undefined && keysRead % PROGRESS_INTERVAL === 0) onProgress(keysRead);
  });
  // fatal: invalid UTF-8 is a malformed file, not something to replace silently. The decoder drops a BOM.
  const decoder = new TextDecoder('utf-8', { fatal: true });
  let first = true;
  for await (const chunk of input) {
    size.add(chunk);
    let text = typeof chunk === 'string' ? chunk : decodeUtf8(decoder, chunk);
    if (first && text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    if (text.length > 0) first = false;
    document.write(text);
  }
  document.write(decodeUtf8(decoder, undefined));
  document.close();
  if (onProgress !== undefined) onProgress(keysRead);
  return settleKeys(usable, skipped, options.now);
}

function decodeUtf8(decoder: TextDecoder, chunk: Buffer | undefined): string {
  try {
    return chunk === undefined ? decoder.decode() : decoder.decode(chunk, { stream: true });
  } catch {
    throw new SeedFileError('not_xml', 'the file is not valid UTF-8 text');
  }
}
