// Audit: every change and every sign-in attempt, never a passcode, password or seed.
import { chainValue, GENESIS, type ChainedFields } from '../core/audit-chain.js';
import {
  archiveCut,
  auditEventsAfter,
  deleteArchivedEvents,
  listAuditEvents,
  readAuditAnchor,
  verifyAuditChain,
  type AuditEventInput,
  type AuditQuery,
  type ChainReport,
} from '../store/audit-log.js';
import { AuditedWriter, type AuditedWrite, type AuditedWriteResult } from '../store/audited-writes.js';
import type { AuditEventRow } from '../store/schema.js';
import type { Actor, ServiceContext } from './context.js';
import { ServiceError } from './errors.js';
import { isoTime } from './views.js';

export interface AuditEntry {
  action: string;
  outcome: string;
  reason?: string | null;
  accountId: number | null;
  targetUser?: string | null;
  targetSerial?: string | null;
}

export interface AuditEventView {
  id: number;
  at: string;
  actor: string;
  action: string;
  user: string | null;
  serial: string | null;
  clientIp: string | null;
  outcome: string;
  reason: string | null;
}

export function toAuditView(row: AuditEventRow): AuditEventView {
  return {
    id: Number(row.id),
    at: isoTime(row.at),
    actor: row.actor,
    action: row.action,
    user: row.target_user,
    serial: row.target_serial,
    clientIp: row.client_ip,
    outcome: row.outcome,
    reason: row.reason,
  };
}

export class AuditService {
  readonly #writer: AuditedWriter;

  constructor(private readonly ctx: ServiceContext) {
    this.#writer = new AuditedWriter(ctx.db, ctx.auditChainKey);
  }

  /** The event as stored: lengths fit the columns on every engine (PostgreSQL refuses what SQLite would keep). */
  eventOf(actor: Actor, entry: AuditEntry, at: number): AuditEventInput {
    return {
      accountId: entry.accountId,
      at,
      actor: actor.name.slice(0, 200),
      action: entry.action,
      targetUser: entry.targetUser?.toLowerCase().slice(0, 64) ?? null,
      targetSerial: entry.targetSerial?.slice(0, 64) ?? null,
      clientIp: actor.clientIp?.slice(0, 64) ?? null,
      outcome: entry.outcome,
      reason: entry.reason?.slice(0, 200) ?? null,
    };
  }

  /** Resolves once the event is committed (group commit: concurrent events share one transaction). */
  async record(actor: Actor, entry: AuditEntry): Promise<void> {
    const at = this.ctx.now();
    await this.#writer.write({ at, won: { event: this.eventOf(actor, entry, at) } });
  }

  /**
   * Writes that must commit with their event (a sign-in's counter move, fail count and back-off): one
   * transaction, shared with the other events and units of its batch. Resolves once committed.
   */
  writeWithEvent(unit: AuditedWrite): Promise<AuditedWriteResult> {
    return this.#writer.write(unit);
  }

  async list(query: AuditQuery): Promise<AuditEventView[]> {
    return (await listAuditEvents(this.ctx.db, query)).map(toAuditView);
  }

  verify(onProgress?: (events: number) => void): Promise<ChainReport> {
    return verifyAuditChain(this.ctx.db, this.ctx.auditChainKey, onProgress);
  }

  /**
   * Writes the events that match `query` oldest first, as CSV (a header line, then one line per event) or
   * JSON Lines (one event object per line), in pages, whatever their number. Returns how many were written.
   */
  async export(query: Omit<AuditQuery, 'before' | 'limit'>, format: ExportFormat, write: (chunk: string) => void | Promise<void>): Promise<number> {
    if (format === 'csv') await write(`${EXPORT_COLUMNS.join(',')}\n`);
    let afterId = 0;
    let count = 0;
    for (;;) {
      const page = await auditEventsAfter(this.ctx.db, query, afterId, EXPORT_PAGE);
      if (page.length === 0) return count;
      const views = page.map(toAuditView);
      await write(views.map((v) => (format === 'csv' ? csvLine(EXPORT_COLUMNS.map((c) => v[c])) : JSON.stringify(v))).join('\n') + '\n');
      count += page.length;
      afterId = Number(page.at(-1)!.id);
    }
  }

  /**
   * Moves the events from the start of the log up to `before` into an archive: writes them with their chain
   * values to `sink` (a header line naming the chain value they follow, then one line per event), and only
   * once the sink has them safely deletes them, leaving an anchor so that `audit verify` still verifies what
   * remains (and, given the archives in order, the whole). Returns null when no event is that old.
   */
  async archive(before: number, sink: ArchiveSink): Promise<{ events: number; firstId: number; lastId: number } | null> {
    const cut = await archiveCut(this.ctx.db, before);
    if (!cut) return null;
    const previous = cut.from?.chain ?? GENESIS;
    await sink.write(`${JSON.stringify({ otpgateAuditArchive: 1, previous, afterId: cut.from?.id ?? 0, lastId: cut.lastId, createdAt: isoTime(this.ctx.now()) })}\n`);
    let afterId = cut.from?.id ?? 0;
    let firstId = 0;
    let last: { id: number; chain: string } | null = null;
    while (afterId < cut.lastId) {
      const page = (await auditEventsAfter(this.ctx.db, { accountId: null }, afterId, EXPORT_PAGE)).filter((row) => Number(row.id) <= cut.lastId);
      if (page.length === 0) break;
      firstId ||= Number(page[0]!.id);
      await sink.write(page.map((row) => JSON.stringify({ ...row, id: Number(row.id), at: Number(row.at), account_id: row.account_id === null ? null : Number(row.account_id) })).join('\n') + '\n');
      const tail = page.at(-1)!;
      last = { id: Number(tail.id), chain: tail.chain };
      afterId = last.id;
    }
    if (!last) return null;
    await sink.finish();
    if (!(await deleteArchivedEvents(this.ctx.db, cut.from, last))) {
      throw new ServiceError('conflict', 'another archive ran meanwhile; nothing was deleted (the file written is not needed)');
    }
    return { events: cut.events, firstId, lastId: last.id };
  }

  /**
   * Verifies archives (each as its lines, oldest archive first) and then the log: each archive must follow
   * the one before it (the first follows the start of the log), and the last must end at the log's anchor.
   */
  async verifyWithArchives(archives: AsyncIterable<string>[], onProgress?: (events: number) => void): Promise<ChainReport & { archived: number }> {
    const key = this.ctx.auditChainKey;
    let previous = GENESIS;
    let lastId = 0;
    let archived = 0;
    for (const [index, lines] of archives.entries()) {
      let header: { otpgateAuditArchive?: number; previous?: string; afterId?: number } | null = null;
      for await (const line of lines) {
        if (line.trim() === '') continue;
        const record = JSON.parse(line) as Record<string, unknown>;
        if (header === null) {
          header = record;
          if (header.otpgateAuditArchive !== 1) throw new ServiceError('invalid_request', `archive ${index + 1} is not an otpgate audit archive`);
          if (header.previous !== previous || Number(header.afterId) !== lastId) throw new ServiceError('invalid_request', `archive ${index + 1} does not follow ${index === 0 ? 'the start of the log' : `archive ${index}`}: give the archives oldest first, all of them`);
          continue;
        }
        const { id, chain, ...fields } = record as unknown as AuditEventRowLike;
        if (chainValue(key, previous, fields) !== chain) return { events: archived, brokenAt: id, headMatches: false, archived };
        previous = chain;
        lastId = id;
        archived++;
      }
      onProgress?.(archived);
    }
    const anchor = await readAuditAnchor(this.ctx.db);
    if (archives.length > 0 && (anchor?.id !== lastId || anchor.chain !== previous)) {
      throw new ServiceError('invalid_request', 'the archives do not end where the log now starts: an archive is missing or out of order');
    }
    const rest = await this.verify((n) => onProgress?.(archived + n));
    return { ...rest, events: archived + rest.events, archived };
  }
}

export type ExportFormat = 'csv' | 'jsonl';
const EXPORT_PAGE = 2000;
const EXPORT_COLUMNS = ['id', 'at', 'actor', 'action', 'user', 'serial', 'clientIp', 'outcome', 'reason'] as const;

/** Where an archive's lines go; `finish` resolves once they are durably stored (fsync). */
export interface ArchiveSink {
  write(chunk: string): Promise<void>;
  finish(): Promise<void>;
}

type AuditEventRowLike = ChainedFields & { id: number; chain: string };

/**
 * One CSV line (RFC 4180 quoting). A cell that a spreadsheet would run as a formula (starting with = + - @
 * or a tab or carriage return) is prefixed with an apostrophe, so an exported reason or name cannot execute.
 */
export function csvLine(cells: readonly (string | number | null)[]): string {
  return cells
    .map((cell) => {
      if (cell === null) return '';
      let text = String(cell);
      if (typeof cell === 'string' && /^[=+\-@\t\r]/.test(text)) text = `'${text}`;
      return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
    })
    .join(',');
}
