// Audit: every change and every sign-in attempt, never a passcode, password or seed.
import { listAuditEvents, verifyAuditChain, type AuditEventInput, type AuditQuery, type ChainReport } from '../store/audit-log.js';
import { AuditedWriter, type AuditedWrite, type AuditedWriteResult } from '../store/audited-writes.js';
import type { AuditEventRow } from '../store/schema.js';
import type { Actor, ServiceContext } from './context.js';
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
    this.#writer = new AuditedWriter(ctx.db, ctx.masterKey.keyFor('audit-chain'));
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
    return verifyAuditChain(this.ctx.db, this.ctx.masterKey.keyFor('audit-chain'), onProgress);
  }
}
