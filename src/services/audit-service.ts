// Audit: every change and every sign-in attempt, never a passcode, password or seed.
import { chainValue, genesisOf, LEGACY_CHAIN, type ChainedFields } from '../core/audit-chain.js';
import {
  archiveCuts,
  CHAIN_ACTION,
  openedChainOf,
  auditEventsAfter,
  ChainDirectory,
  deleteArchivedEvents,
  listAuditEvents,
  readChainHeads,
  sealLegacyChain,
  verifyAuditChains,
  type AuditEventInput,
  type AuditQuery,
  type ChainReport,
  type ChainStart,
} from '../store/audit-log.js';
import { AuditedWriter, type AuditedWrite, type AuditedWriteResult } from '../store/audited-writes.js';
import type { Actor, ServiceContext } from './context.js';
import { ServiceError } from './errors.js';
import { toAuditView, type AuditEventView } from './audit-view.js';
import { isoTime } from './views.js';

export type { AuditQuery };

export interface AuditEntry {
  action: string;
  outcome: string;
  reason?: string | null;
  accountId: number | null;
  targetUser?: string | null;
  targetSerial?: string | null;
}

export { toAuditView, type AuditEventView } from './audit-view.js';

export class AuditService {
  readonly #writer: AuditedWriter;

  constructor(private readonly ctx: ServiceContext) {
    this.#writer = new AuditedWriter(ctx.db, ctx.auditChainKey, new ChainDirectory(ctx.db, ctx.auditChainKey, ctx.now));
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

  /**
   * What a console role reads of its account's log: an administrator all of it; the help desk the events
   * that name the account's users and tokens (those it may view and act on, docs/token-life.md "Roles"),
   * not the account's settings, keys, directory or webhooks. Null for any other role: nothing.
   */
  scopeOf(role: string): Pick<AuditQuery, 'knownTargetsOnly'> | null {
    if (role === 'admin') return {};
    if (role === 'helpdesk') return { knownTargetsOnly: true };
    return null;
  }

  async list(query: AuditQuery): Promise<AuditEventView[]> {
    return (await listAuditEvents(this.ctx.db, query)).map(toAuditView);
  }

  verify(onProgress?: (events: number) => void): Promise<ChainReport> {
    return verifyAuditChains(this.ctx.db, this.ctx.auditChainKey, onProgress);
  }

  /** MACs the head of an older otpgate's single chain once, after migration 0009 (run at every open; see store/audit-log.ts). */
  sealLegacyChain(): Promise<boolean> {
    return sealLegacyChain(this.ctx.db, this.ctx.auditChainKey, this.ctx.now());
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
   * Moves the events of every chain from its start up to `before` into an archive: writes them with their
   * chain values to `sink` (a header line naming, per chain, the chain value and id they follow, then one
   * line per event, chain by chain), and only once the sink has them safely deletes them, moving each
   * chain's anchor, so that `audit verify` still verifies what remains (and, given the archives in order,
   * the whole). Returns null when no event is that old.
   */
  async archive(before: number, sink: ArchiveSink): Promise<{ events: number; firstId: number; lastId: number; chains: number } | null> {
    const cuts = await archiveCuts(this.ctx.db, before);
    if (cuts.length === 0) return null;
    const header = { otpgateAuditArchive: 2, chains: cuts.map((c) => ({ id: c.chainId, name: c.name, previous: c.previous, afterId: c.afterId, lastId: c.lastId })), createdAt: isoTime(this.ctx.now()) };
    await sink.write(`${JSON.stringify(header)}\n`);
    let firstId = Infinity;
    let lastId = 0;
    const ended: (ChainCutEnd)[] = [];
    for (const cut of cuts) {
      let afterId = cut.afterId;
      let lastChain = cut.previous;
      while (afterId < cut.lastId) {
        const page = (await auditEventsAfter(this.ctx.db, { accountId: null, chainId: cut.chainId }, afterId, EXPORT_PAGE)).filter((row) => Number(row.id) <= cut.lastId);
        if (page.length === 0) break;
        firstId = Math.min(firstId, Number(page[0]!.id));
        await sink.write(page.map((row) => JSON.stringify({ ...row, id: Number(row.id), at: Number(row.at), account_id: row.account_id === null ? null : Number(row.account_id), chain_id: cut.chainId })).join('\n') + '\n');
        const tail = page.at(-1)!;
        afterId = Number(tail.id);
        lastChain = tail.chain;
      }
      lastId = Math.max(lastId, cut.lastId);
      ended.push({ ...cut, lastChain });
    }
    await sink.finish();
    if (!(await deleteArchivedEvents(this.ctx.db, this.ctx.auditChainKey, ended))) {
      throw new ServiceError('conflict', 'another archive ran meanwhile; nothing was deleted (the file written is not needed)');
    }
    return { events: cuts.reduce((n, c) => n + c.events, 0), firstId, lastId, chains: cuts.length };
  }

  /**
   * Verifies archives (each as its lines, oldest archive first) and then the log: in each archive every
   * chain must follow where the archives before it left that chain (its first archive, the chain's
   * beginning), and every chain of the log must start where its last archive ended. An archive of an older
   * otpgate (format 1, its single chain) holds events of the legacy chain.
   */
  async verifyWithArchives(archives: AsyncIterable<string>[], onProgress?: (events: number) => void): Promise<ChainReport & { archived: number }> {
    const key = this.ctx.auditChainKey;
    const legacyId = (await readChainHeads(this.ctx.db)).find((h) => h.name === LEGACY_CHAIN)?.id;
    const at = new Map<number, ChainStart>();
    const openings = new Set<number>();
    const startOf = (id: number, name: string) => at.get(id) ?? { previous: genesisOf({ id, name }), afterId: 0 };
    let archived = 0;
    for (const [index, lines] of archives.entries()) {
      const which = `archive ${index + 1}`;
      let chains: ReturnType<typeof archiveChains> | null = null;
      for await (const line of lines) {
        if (line.trim() === '') continue;
        const record = JSON.parse(line) as Record<string, unknown>;
        if (chains === null) {
          chains = archiveChains(record, legacyId, which);
          for (const [id, chain] of chains) {
            const expected = startOf(id, chain.name);
            if (chain.previous !== expected.previous || chain.afterId !== expected.afterId) {
              throw new ServiceError('invalid_request', `${which} does not follow ${expected.afterId === 0 ? 'the start of the log' : 'the archive before it'} for chain ${id}: give the archives oldest first, all of them`);
            }
          }
          continue;
        }
        const { id, chain, chain_id, ...fields } = record as unknown as AuditEventRowLike;
        const chainId = chain_id ?? legacyId ?? 0;
        const part = chains.get(chainId);
        if (!part) throw new ServiceError('invalid_request', `${which}: event ${id} belongs to chain ${chainId}, which its header does not name`);
        const previous = startOf(chainId, part.name);
        if (chainValue(key, previous.previous, fields) !== chain) {
          return { events: archived, brokenAt: id, headMatches: false, archived, chains: [], problems: [`${which}: event ${id} was changed, or events before it were removed`] };
        }
        at.set(chainId, { previous: chain, afterId: id });
        if (fields.action === CHAIN_ACTION) {
          const opened = openedChainOf(fields.reason);
          if (opened !== null) openings.add(opened);
        }
        archived++;
      }
      for (const [id, part] of chains ?? []) {
        if (startOf(id, part.name).afterId !== part.lastId) throw new ServiceError('invalid_request', `${which}: chain ${id} does not end at event ${part.lastId} as its header says (events were removed from the archive)`);
      }
      onProgress?.(archived);
    }
    const rest = await verifyAuditChains(this.ctx.db, key, (n) => onProgress?.(archived + n), archives.length > 0 ? { starts: at, openings } : undefined);
    return { ...rest, events: archived + rest.events, archived };
  }
}

/** The chains an archive's header names, with where each starts and ends (format 1: the legacy chain alone). */
function archiveChains(header: Record<string, unknown>, legacyId: number | undefined, which: string): Map<number, { name: string; lastId: number; previous: string; afterId: number }> {
  const chains = new Map<number, { name: string; lastId: number; previous: string; afterId: number }>();
  if (header.otpgateAuditArchive === 1 && legacyId !== undefined) {
    chains.set(legacyId, { name: LEGACY_CHAIN, previous: String(header.previous), afterId: Number(header.afterId), lastId: Number(header.lastId) });
  } else if (header.otpgateAuditArchive === 2 && Array.isArray(header.chains)) {
    for (const c of header.chains as { id: number; name: string; previous: string; afterId: number; lastId: number }[]) chains.set(Number(c.id), { name: String(c.name), previous: String(c.previous), afterId: Number(c.afterId), lastId: Number(c.lastId) });
  } else throw new ServiceError('invalid_request', `${which} is not an otpgate audit archive`);
  return chains;
}

type ChainCutEnd = Parameters<typeof deleteArchivedEvents>[2][number];

export type ExportFormat = 'csv' | 'jsonl';
const EXPORT_PAGE = 2000;
const EXPORT_COLUMNS = ['id', 'at', 'actor', 'action', 'user', 'serial', 'clientIp', 'outcome', 'reason'] as const;

/** Where an archive's lines go; `finish` resolves once they are durably stored (fsync). */
export interface ArchiveSink {
  write(chunk: string): Promise<void>;
  finish(): Promise<void>;
}

type AuditEventRowLike = ChainedFields & { id: number; chain: string; chain_id?: number | null };

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
