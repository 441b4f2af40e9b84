// The one size limit of a seed-file import, whatever the way in (CLI, API, console) and the format: the
// default of OTPGATE_IMPORT_LIMIT_MB (docs/configuration.md). The readers count the bytes they read; the
// HTTP adapters refuse a larger upload before reading it (web/import-upload.ts).
import { SeedFileError } from './imported-key.js';

/**
 * 128 MiB: a 100,000-key PSKC file encrypted with a pre-shared key (bench/seed-files.mjs) is about 80 MB,
 * and the readers stream, so memory does not grow with the file: the limit only stops absurd input.
 */
export const DEFAULT_IMPORT_LIMIT_MB = 128;
export const DEFAULT_IMPORT_LIMIT_BYTES = DEFAULT_IMPORT_LIMIT_MB * 1024 * 1024;

/** Counts a file's bytes as they are read; refuses it (resource_limit) once it is over the limit. */
export class ImportSize {
  private bytes = 0;

  constructor(private readonly maxBytes: number = DEFAULT_IMPORT_LIMIT_BYTES) {}

  add(chunk: Buffer | string): void {
    this.bytes += typeof chunk === 'string' ? Buffer.byteLength(chunk) : chunk.length;
    if (this.bytes > this.maxBytes) {
      throw new SeedFileError('resource_limit', `the file is larger than the import limit of ${this.maxBytes} bytes (OTPGATE_IMPORT_LIMIT_MB)`);
    }
  }
}
