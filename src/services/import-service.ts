// Seed-file import: read the whole file first (a malformed record refuses it before anything is written),
// skip serials already in the inventory (never overwrite them), then write every usable key in one
// transaction: all or nothing.
import { readCsv } from '../import/csv-reader.js';
import { readPskc } from '../import/pskc/index.js';
import { SeedFileError, type ImportedKey, type ReadResult, type SkippedKey } from '../import/imported-key.js';
import { existingSerials, insertTokens } from '../store/token-store.js';
import { isUniqueViolation } from '../store/database-errors.js';
import { inTransaction } from '../store/transaction.js';
import type { AccountRow, NewToken } from '../store/schema.js';
import type { Metrics } from './metrics.js';
import type { AuditService } from './audit-service.js';
import type { Actor, ServiceContext } from './context.js';
import { ServiceError } from './errors.js';
import { sealTokenSecret, TOKEN_SEAL_VERSION } from './sealed-secrets.js';
import type { ImportFormat } from '../core/import-format.js';
import type { ImportReport } from './import-view.js';

export { IMPORT_FORMATS, type ImportFormat } from '../core/import-format.js';

export interface ImportProgress {
  phase: 'reading' | 'writing' | 'done';
  keysRead: number;
  imported: number;
  skipped: number;
}

export interface ImportRequest {
  /** The file's bytes, as a stream of chunks. */
  input: AsyncIterable<Buffer | string>;
  /** Where the format is not given, it is detected (see detectFormat). */
  format?: ImportFormat;
  fileName?: string;
  /** Pre-shared key (hex) or password for an encrypted PSKC file. */
  psk?: string;
  password?: string;
  dryRun?: boolean;
  allowShortSecrets?: boolean;
  /** The largest file read (the configured OTPGATE_IMPORT_LIMIT_MB); default DEFAULT_IMPORT_LIMIT_BYTES. */
  maxBytes?: number;
  onProgress?: (progress: ImportProgress) => void;
}

export type { ImportReport };

const WRONG_CREDENTIALS = new Set(['decryption_failed', 'bad_mac']);
const WRONG_CREDENTIALS_MESSAGE = 'cannot decrypt: the key or password is wrong, or the file is damaged';

export type SeedReader = (input: AsyncIterable<Buffer | string>, request: ImportRequest, now: Date, onKeys: (keysRead: number) => void) => Promise<ReadResult>;

/**
 * The format when none is given: by the file name (.xml, .pskc, .pskcxml), else by the content (XML starts
 * with `<`), else CSV. Peeking reads only the first chunk; the returned input yields it again.
 */
export async function detectFormat(request: Pick<ImportRequest, 'format' | 'fileName' | 'input'>): Promise<{ format: ImportFormat; input: AsyncIterable<Buffer | string> }> {
  if (request.format) return { format: request.format, input: request.input };
  if (/\.(xml|pskc|pskcxml)$/i.test(request.fileName ?? '')) return { format: 'pskc', input: request.input };
  const iterator = request.input[Symbol.asyncIterator]();
  const first = await iterator.next();
  const head = first.done ? '' : typeof first.value === 'string' ? first.value : first.value.subarray(0, 64).toString('utf8');
  const format: ImportFormat = /^\uFEFF?\s*</.test(head) ? 'pskc' : 'csv';
  async function* replay(): AsyncGenerator<Buffer | string> {
    if (first.done) return;
    yield first.value;
    for (let next = await iterator.next(); !next.done; next = await iterator.next()) yield next.value;
  }
  return { format, input: replay() };
}

function parseHexKey(hex: string): Buffer {
  const clean = hex.replace(/\s+/g, '');
  if (!/^([0-9a-fA-F]{2})+$/.test(clean)) throw new ServiceError('invalid_request', 'the pre-shared key must be hexadecimal (e.g. 32 hex digits for AES-128)', { field: 'psk' });
  return Buffer.from(clean, 'hex');
}

export class ImportService {
  readonly #readers = new Map<ImportFormat, SeedReader>();

  constructor(
    private readonly ctx: ServiceContext,
    private readonly audit: AuditService,
    private readonly metrics?: Metrics,
  ) {
    const maxBytes = (request: ImportRequest) => (request.maxBytes === undefined ? {} : { maxBytes: request.maxBytes });
    this.#readers.set('csv', (input, request, _now, onKeys) => readCsv(input, { allowShortSecrets: request.allowShortSecrets ?? false, ...maxBytes(request), onProgress: onKeys }));
    this.#readers.set('pskc', (input, request, now, onKeys) =>
      readPskc(
        input,
        { ...(request.psk ? { psk: parseHexKey(request.psk) } : {}), ...(request.password ? { password: request.password } : {}) },
        { now, allowShortSecrets: request.allowShortSecrets ?? false, ...maxBytes(request), onProgress: onKeys },
      ),
    );
  }

  /** Registers (or replaces) the reader of a format; the engine contract tests use it to feed crafted rows. */
  register(format: ImportFormat, reader: SeedReader): void {
    this.#readers.set(format, reader);
  }

  async import(actor: Actor, account: AccountRow, request: ImportRequest): Promise<ImportReport> {
    const { format, input } = await detectFormat(request);
    const reader = this.#readers.get(format);
    if (!reader) throw new ServiceError('invalid_request', `no reader for format ${format}`);
    const dryRun = request.dryRun ?? false;
    const progress = (phase: ImportProgress['phase'], keysRead: number, imported: number, skipped: number) =>
      request.onProgress?.({ phase, keysRead, imported, skipped });

    let result: ReadResult;
    try {
      result = await reader(input, request, new Date(this.ctx.now()), (keysRead) => progress('reading', keysRead, 0, 0));
    } catch (error) {
      if (!(error instanceof SeedFileError)) throw error;
      await this.audit.record(actor, { action: 'token.import', outcome: 'failure', accountId: account.id, reason: `${format}: ${error.category}` });
      // A wrong key or password shows as a failed MAC or as bad padding, depending on the bytes: one message
      // for both, so that the answer says nothing about which check failed.
      const message = WRONG_CREDENTIALS.has(error.category) ? WRONG_CREDENTIALS_MESSAGE : error.message;
      throw new ServiceError('import_refused', `${request.fileName ? `${request.fileName}: ` : ''}${message}; nothing was imported`, { category: error.category, record: error.record ?? null });
    }

    const known = await existingSerials(this.ctx.db, account.id, result.keys.map((k) => k.serial));
    const fresh: ImportedKey[] = [];
    const skipped: SkippedKey[] = [...result.skipped];
    for (const key of result.keys) {
      if (known.has(key.serial)) skipped.push({ serial: key.serial, source: key.source, reason: 'serial already in the inventory (not overwritten)' });
      else fresh.push(key);
    }
    const read = result.keys.length + result.skipped.length;
    progress('writing', read, 0, skipped.length);

    if (!dryRun && fresh.length > 0) {
      const now = this.ctx.now();
      const rows: NewToken[] = fresh.map((key) => ({
        account_id: account.id,
        serial: key.serial,
        type: key.type,
        algorithm: key.algorithm,
        digits: key.digits,
        counter: key.counter,
        period_in_seconds: key.periodInSeconds,
        time_offset_in_seconds: key.timeOffsetInSeconds,
        secret_sealed: sealTokenSecret(this.ctx.masterKey, account.id, key.serial, key.secret),
        seal_version: TOKEN_SEAL_VERSION,
        status: 'available',
        user_id: null,
        fail_count: 0,
        locked_at: null,
        last_used_at: null,
        associated_at: null,
        manufacturer: key.manufacturer ?? null,
        model: key.model ?? null,
        issuer: key.issuer ?? null,
        friendly_name: key.friendlyName ?? null,
        created_at: now,
        valid_from: key.validFrom?.getTime() ?? null,
        valid_until: key.validUntil?.getTime() ?? null,
      }));
      try {
        await inTransaction(this.ctx.db, async (trx) => {
          for (let start = 0; start < rows.length; start += 5000) {
            await insertTokens(trx, rows.slice(start, start + 5000));
            progress('writing', read, Math.min(start + 5000, rows.length), skipped.length);
          }
        });
      } catch (error) {
        if (!isUniqueViolation(error)) throw error;
        throw new ServiceError('import_refused', `${request.fileName ? `${request.fileName}: ` : ''}another import added some of these serials meanwhile; nothing was imported, run the import again`, { category: 'duplicate_serial', record: null });
      }
    }
    for (const key of fresh) key.secret.fill(0);
    const report: ImportReport = { format, dryRun, read, imported: fresh.length, skipped, rejected: 0 };
    progress('done', read, report.imported, skipped.length);
    if (!dryRun) this.metrics?.tokensImported(report.imported);
    await this.audit.record(actor, {
      action: dryRun ? 'token.import_dry_run' : 'token.import',
      outcome: 'success',
      accountId: account.id,
      reason: `${format}: read ${read}, ${dryRun ? 'would import' : 'imported'} ${fresh.length}, skipped ${skipped.length}`,
    });
    return report;
  }
}
