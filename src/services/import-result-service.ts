// The console's import results (issue 29, item 12; docs/console.md): an upload's report is kept for 15
// minutes under the hash of a random id that the result page's URL carries, bound to the session that
// uploaded (its id hash), so that the page is a GET (a refresh posts nothing again) and shows to no other
// session. A dry run also keeps its upload (the file, the key or password, the options) sealed beside the
// report, so that "Import now" runs the same import for real without the file and key being sent again;
// that upload is taken once, and never shown in a page or a URL.
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { SecretBoxError } from '../crypto/secret-box.js';
import { findImportResult, putImportResult, takeImportUpload } from '../store/import-result-store.js';
import type { AccountRow } from '../store/schema.js';
import type { Actor, ServiceContext } from './context.js';
import { ServiceError } from './errors.js';
import type { ImportReport, ImportRequest, ImportService } from './import-service.js';
import { IMPORT_FORMATS, type ImportFormat } from './import-service.js';
import { openImportUpload, sealImportUpload } from './sealed-secrets.js';
import { hashId } from './session-service.js';

/** How long a result (and a dry run's upload) is kept. */
export const IMPORT_RESULT_MS = 15 * 60 * 1000;

/** An upload as the console read it, the file whole in memory (within the import limit). */
export interface BufferedImport {
  file: Buffer;
  fileName: string;
  format?: ImportFormat;
  psk?: string;
  password?: string;
  dryRun: boolean;
  allowShortSecrets: boolean;
  maxBytes: number;
}

export interface ImportResult {
  report: ImportReport;
  /** A dry run whose upload is still kept: "Import now" can run it. */
  canImportNow: boolean;
}

function sameBinding(stored: string, given: string): boolean {
  const a = Buffer.from(stored);
  const b = Buffer.from(given);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** The sealed form of an upload: its options as JSON, then the file. */
function packUpload(upload: BufferedImport): Buffer {
  const head = Buffer.from(JSON.stringify({ fileName: upload.fileName, format: upload.format ?? null, psk: upload.psk ?? null, password: upload.password ?? null, allowShortSecrets: upload.allowShortSecrets, maxBytes: upload.maxBytes }));
  const length = Buffer.alloc(4);
  length.writeUInt32BE(head.length);
  return Buffer.concat([length, head, upload.file]);
}

function unpackUpload(packed: Buffer): BufferedImport {
  const headLength = packed.readUInt32BE(0);
  const head = JSON.parse(packed.subarray(4, 4 + headLength).toString('utf8')) as { fileName: string; format: string | null; psk: string | null; password: string | null; allowShortSecrets: boolean; maxBytes: number };
  const format = head.format !== null && (IMPORT_FORMATS as readonly string[]).includes(head.format) ? (head.format as ImportFormat) : undefined;
  return {
    file: packed.subarray(4 + headLength),
    fileName: head.fileName,
    ...(format ? { format } : {}),
    ...(head.psk !== null ? { psk: head.psk } : {}),
    ...(head.password !== null ? { password: head.password } : {}),
    dryRun: false,
    allowShortSecrets: head.allowShortSecrets,
    maxBytes: head.maxBytes,
  };
}

async function* whole(file: Buffer): AsyncGenerator<Buffer> {
  yield file;
}

function requestOf(upload: BufferedImport): ImportRequest {
  return {
    input: whole(upload.file),
    fileName: upload.fileName,
    ...(upload.format ? { format: upload.format } : {}),
    ...(upload.psk ? { psk: upload.psk } : {}),
    ...(upload.password ? { password: upload.password } : {}),
    dryRun: upload.dryRun,
    allowShortSecrets: upload.allowShortSecrets,
    maxBytes: upload.maxBytes,
  };
}

export class ImportResultService {
  constructor(
    private readonly ctx: ServiceContext,
    private readonly imports: ImportService,
  ) {}

  /** Keeps a report (and a dry run's upload, sealed) for the session `binding`; returns the id for the result's URL. */
  private async keep(account: AccountRow, binding: string, report: ImportReport, upload: BufferedImport | null): Promise<string> {
    const id = randomBytes(18).toString('base64url');
    const idHash = hashId(id);
    const now = this.ctx.now();
    await putImportResult(
      this.ctx.db,
      {
        id_hash: idHash,
        account_id: account.id,
        binding,
        report: JSON.stringify(report),
        upload_sealed: upload && report.dryRun ? sealImportUpload(this.ctx.masterKey, idHash, binding, now, packUpload(upload)) : null,
        expires_at: now + IMPORT_RESULT_MS,
        created_at: now,
      },
      now,
    );
    return id;
  }

  /** Runs an upload's import (a dry run or not) and keeps its result; returns the result's id. Import errors pass through. */
  async run(actor: Actor, account: AccountRow, binding: string, upload: BufferedImport): Promise<string> {
    const report = await this.imports.import(actor, account, requestOf(upload));
    return this.keep(account, binding, report, upload);
  }

  /** The result with this id, for this session; null when there is none (expired, another session's, never). */
  async result(account: AccountRow, binding: string, id: string): Promise<ImportResult | null> {
    const row = await findImportResult(this.ctx.db, account.id, hashId(id), this.ctx.now());
    if (!row || !sameBinding(row.binding, binding)) return null;
    return { report: JSON.parse(row.report) as ImportReport, canImportNow: row.upload_sealed !== null };
  }

  /**
   * "Import now": the dry run's kept upload, run for real (its upload is taken: a second "Import now" of the
   * same dry run finds none); returns the new result's id.
   */
  async importNow(actor: Actor, account: AccountRow, binding: string, id: string): Promise<string> {
    const idHash = hashId(id);
    const row = await findImportResult(this.ctx.db, account.id, idHash, this.ctx.now());
    const gone = new ServiceError('not_found', 'the checked file is no longer kept (it is kept for 15 minutes, and imported once); upload it again');
    if (!row || !sameBinding(row.binding, binding) || row.upload_sealed === null) throw gone;
    let packed: Buffer;
    try {
      packed = openImportUpload(this.ctx.masterKey, idHash, row.binding, Number(row.created_at), row.upload_sealed);
    } catch (error) {
      if (!(error instanceof SecretBoxError)) throw error;
      throw gone;
    }
    if (!(await takeImportUpload(this.ctx.db, idHash, Number(row.created_at)))) throw gone;
    const upload = unpackUpload(packed);
    try {
      return await this.run(actor, account, binding, upload);
    } finally {
      packed.fill(0);
    }
  }
}
