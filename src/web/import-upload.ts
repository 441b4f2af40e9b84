// A seed-file upload, as the API's import route and the console's import page both take it: multipart/form-data
// as a browser form sends it. The API's: the fields (`format`, `psk`, `password`, `dryRun`, `allowShortSecrets`)
// before the `file`, which streams into the import while it is read. The console's: `_csrf`, then the `file`
// (first on the form), then the other fields; it is read whole (readBufferedImportUpload), as a dry run's file
// is kept for "Import now". One limit for both: OTPGATE_IMPORT_LIMIT_MB (config.importLimitBytes).
import fastifyMultipart from '@fastify/multipart';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { ServiceError } from '../services/errors.js';
import { IMPORT_FORMATS, type ImportFormat, type ImportRequest } from '../services/import-service.js';
import type { BufferedImport } from '../services/import-result-service.js';

/** The form's own fields and boundaries are allowed this much room on top of the file. */
const FORM_OVERHEAD_BYTES = 64 * 1024;

/** Registers multipart parsing in a scope: one file of at most `limitBytes`, and a few short fields. */
export async function registerImportUploads(scope: FastifyInstance, limitBytes: number): Promise<void> {
  await scope.register(fastifyMultipart, { limits: { fileSize: limitBytes, files: 1, fields: 10, fieldSize: 4096, parts: 12 }, throwFileSizeLimit: true });
}

function tooLarge(what: 'file' | 'upload', limitBytes: number): ServiceError {
  return new ServiceError('payload_too_large', `the ${what} is over the ${limitBytes / 1024 / 1024} MB import limit (OTPGATE_IMPORT_LIMIT_MB); nothing was imported`);
}

/**
 * The uploaded file's chunks; fails when the file is over the limit. The multipart parser only truncates an
 * oversized file (and flags it), which would otherwise import the first part of it: the readers read the
 * whole file before anything is written, so failing at the end still imports nothing.
 */
async function* withinLimit(file: AsyncIterable<Buffer> & { truncated?: boolean }, limitBytes: number): AsyncGenerator<Buffer> {
  let bytes = 0;
  for await (const chunk of file) {
    bytes += chunk.length;
    if (bytes > limitBytes || file.truncated === true) break;
    yield chunk;
  }
  if (bytes > limitBytes || file.truncated === true) throw tooLarge('file', limitBytes);
}

function flag(fields: Record<string, string>, name: string): boolean {
  return ['true', '1', 'on', 'yes'].includes((fields[name] ?? '').toLowerCase());
}

export type ImportUpload<T> =
  | { outcome: 'imported'; fields: Record<string, string>; result: T }
  /** `admit` said no before the file was read. */
  | { outcome: 'refused'; fields: Record<string, string> }
  /** The form ended without a file, or with the empty file part of a form whose file was not chosen. */
  | { outcome: 'no_file'; fields: Record<string, string> };

export interface ImportUploadOptions<T> {
  limitBytes: number;
  /** Asked once the file part begins, before a byte of it is read (the console checks its CSRF token). */
  admit?: (fields: Readonly<Record<string, string>>) => boolean;
  /** Runs the import the form describes while the file streams in. */
  run: (request: ImportRequest) => Promise<T>;
}

/** Refuses an upload before anything is parsed: too long by its declared length, or not multipart. */
function refuseUnreadable(request: FastifyRequest, limitBytes: number): void {
  if (Number(request.headers['content-length'] ?? 0) > limitBytes + FORM_OVERHEAD_BYTES) throw tooLarge('upload', limitBytes);
  if (!request.isMultipart()) throw new ServiceError('unsupported_media_type', 'send the file as multipart/form-data');
}

/**
 * Reads a seed-file upload and runs its import. Throws ServiceError: payload_too_large (by the declared
 * length, or while the file is read), unsupported_media_type (not multipart), invalid_request (a file under
 * another field name, an unknown format); the import's own errors pass through.
 */
export async function readImportUpload<T>(request: FastifyRequest, options: ImportUploadOptions<T>): Promise<ImportUpload<T>> {
  const { limitBytes } = options;
  refuseUnreadable(request, limitBytes);
  const fields: Record<string, string> = {};
  for await (const part of request.parts()) {
    if (part.type === 'field') {
      fields[part.fieldname] = String(part.value);
      continue;
    }
    if (options.admit !== undefined && !options.admit(fields)) return { outcome: 'refused', fields };
    if (part.fieldname !== 'file') throw new ServiceError('invalid_request', `unexpected file field "${part.fieldname}" (send it as "file")`);
    if (!part.filename) {
      // A browser sends an empty, nameless file part when none was chosen.
      await part.toBuffer();
      return { outcome: 'no_file', fields };
    }
    const format = fields.format ?? '';
    if (format !== '' && !(IMPORT_FORMATS as readonly string[]).includes(format)) throw new ServiceError('invalid_request', 'format must be pskc or csv', { field: 'format' });
    const result = await options.run({
      input: withinLimit(part.file, limitBytes),
      fileName: part.filename,
      ...(format ? { format: format as ImportFormat } : {}),
      ...(fields.psk ? { psk: fields.psk } : {}),
      ...(fields.password ? { password: fields.password } : {}),
      dryRun: flag(fields, 'dryRun'),
      allowShortSecrets: flag(fields, 'allowShortSecrets'),
      maxBytes: limitBytes,
    });
    return { outcome: 'imported', fields, result };
  }
  return { outcome: 'no_file', fields };
}

export type BufferedUpload =
  | { outcome: 'read'; fields: Record<string, string>; upload: BufferedImport }
  | { outcome: 'refused'; fields: Record<string, string> }
  | { outcome: 'no_file'; fields: Record<string, string> };

/**
 * Reads a seed-file upload whole (the console's form, whose file comes first and its key, password and
 * options after it): the file is held in memory within the limit, and nothing is imported here. `admit` is
 * asked when the file part begins (the hidden `_csrf` comes before it), before a byte of it is read.
 */
export async function readBufferedImportUpload(request: FastifyRequest, options: Omit<ImportUploadOptions<never>, 'run'>): Promise<BufferedUpload> {
  const { limitBytes } = options;
  refuseUnreadable(request, limitBytes);
  const fields: Record<string, string> = {};
  let file: { name: string; bytes: Buffer } | null = null;
  for await (const part of request.parts()) {
    if (part.type === 'field') {
      fields[part.fieldname] = String(part.value);
      continue;
    }
    if (options.admit !== undefined && !options.admit(fields)) return { outcome: 'refused', fields };
    if (part.fieldname !== 'file') throw new ServiceError('invalid_request', `unexpected file field "${part.fieldname}" (send it as "file")`);
    const chunks: Buffer[] = [];
    for await (const chunk of withinLimit(part.file, limitBytes)) chunks.push(chunk);
    // A browser sends an empty, nameless file part when none was chosen.
    if (part.filename) file = { name: part.filename, bytes: Buffer.concat(chunks) };
  }
  if (!file) return { outcome: 'no_file', fields };
  const format = fields.format ?? '';
  if (format !== '' && !(IMPORT_FORMATS as readonly string[]).includes(format)) throw new ServiceError('invalid_request', 'format must be pskc or csv', { field: 'format' });
  return {
    outcome: 'read',
    fields,
    upload: {
      file: file.bytes,
      fileName: file.name,
      ...(format ? { format: format as ImportFormat } : {}),
      ...(fields.psk ? { psk: fields.psk } : {}),
      ...(fields.password ? { password: fields.password } : {}),
      dryRun: flag(fields, 'dryRun'),
      allowShortSecrets: flag(fields, 'allowShortSecrets'),
      maxBytes: limitBytes,
    },
  };
}
