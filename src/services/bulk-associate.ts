// `token associate-bulk FILE`: many associations from one CSV (`username,serial[,otp]`), all of them or none.
// Every line is checked first (the user, the token, the passcode, no name or serial twice) without writing;
// one bad line refuses the whole file, naming it. Then every binding is written in one transaction. A line
// without a passcode is associated unproven, and audited as such.
import { isWellFormedPasscode } from '../core/passcode.js';
import { normalizeSerial } from '../core/serial.js';
import { bindToken, findTokenBySerial, findTokensOfUser } from '../store/token-store.js';
import { inTransaction } from '../store/transaction.js';
import { findUserByName } from '../store/user-store.js';
import type { AccountRow } from '../store/schema.js';
import { settingsOf } from './account-settings.js';
import type { AuditService } from './audit-service.js';
import type { Actor, ServiceContext } from './context.js';
import { ServiceError } from './errors.js';
import { matchPasscode } from './passcode-match.js';
import { openTokenSecret } from './sealed-secrets.js';
import { isTokenOutsideValidity } from './token-facts.js';
import { count } from '../core/count.js';

export interface BulkLine {
  line: number;
  username: string;
  serial: string;
  /** False: no passcode on the line, associated without proof of possession. */
  proven: boolean;
}

export interface BulkReport {
  dryRun: boolean;
  associated: BulkLine[];
}

/** The most lines one file may hold. */
export const BULK_MAX_LINES = 10_000;

interface Planned extends BulkLine {
  userId: number;
  tokenId: number;
  counter: number;
  next: number;
}

export async function associateBulk(ctx: ServiceContext, audit: AuditService, actor: Actor, account: AccountRow, csv: string, options: { dryRun: boolean }): Promise<BulkReport> {
  const refuse = (line: number, message: string): never => {
    throw new ServiceError('invalid_request', `line ${line}: ${message}; nothing was associated`, { field: 'file', line });
  };
  const lines = csv.split(/\r?\n/);
  if (lines.length > BULK_MAX_LINES + 1) throw new ServiceError('invalid_request', `the file has over ${BULK_MAX_LINES} lines; split it`, { field: 'file' });
  const planned: Planned[] = [];
  /** How many tokens each user of the file holds once the lines so far are associated. */
  const seenUsers = new Map<string, number>();
  const seenSerials = new Set<string>();
  const { associateWindow, totpWindow, maxTokensPerUser: limit } = settingsOf(account);
  for (const [index, raw] of lines.entries()) {
    const number = index + 1;
    const text = raw.trim();
    if (text === '' || text.startsWith('#')) continue;
    const cells = text.split(',').map((cell) => cell.trim());
    if (cells.length < 2 || cells.length > 3) refuse(number, 'expected username,serial[,otp]');
    const [username = '', serialText = '', otp = ''] = cells;
    const serial = normalizeSerial(serialText) ?? refuse(number, `"${serialText}" is not a serial number`);
    const user = (await findUserByName(ctx.db, username)) ?? refuse(number, `no user "${username}"`);
    if (user.account_id !== account.id) refuse(number, `no user "${username}"`);
    if (seenSerials.has(serial)) refuse(number, `token ${serial} is on an earlier line too`);
    seenSerials.add(serial);
    // Each line adds a token to what the user holds (earlier lines' included), while under the limit.
    const holding = (seenUsers.get(user.username_key) ?? (await findTokensOfUser(ctx.db, user.id)).length) + 1;
    if (holding > limit) refuse(number, `user "${username}" would hold ${count(holding, 'token')}, over the account's limit of ${limit}`);
    seenUsers.set(user.username_key, holding);
    const token = (await findTokenBySerial(ctx.db, account.id, serial)) ?? refuse(number, `no token ${serial} in the account`);
    if (token.status !== 'available') refuse(number, `token ${serial} is ${token.status}`);
    if (isTokenOutsideValidity(token, ctx.now())) refuse(number, `token ${serial} is outside its validity dates`);
    let next = Number(token.counter);
    if (otp !== '') {
      if (!isWellFormedPasscode(otp, token.digits)) refuse(number, `the passcode must be exactly ${token.digits} digits`);
      const matched = matchPasscode(token, openTokenSecret(ctx.masterKey, token), otp, { hotp: associateWindow, totp: totpWindow }, ctx.now());
      if (matched === null) refuse(number, `the passcode is not one of token ${serial}'s next codes`);
      else next = matched + 1;
    }
    planned.push({ line: number, username: user.username, serial, proven: otp !== '', userId: user.id, tokenId: token.id, counter: Number(token.counter), next });
  }
  if (planned.length === 0) throw new ServiceError('invalid_request', 'the file has no lines to associate', { field: 'file' });
  const report: BulkReport = { dryRun: options.dryRun, associated: planned.map(({ line, username, serial, proven }) => ({ line, username, serial, proven })) };
  if (options.dryRun) return report;

  const now = ctx.now();
  await inTransaction(ctx.db, async (trx) => {
    for (const p of planned) {
      if (!(await bindToken(trx, { tokenId: p.tokenId, userId: p.userId, label: null, maxTokens: limit }, p.counter, p.next, now))) {
        throw new ServiceError('conflict', `line ${p.line}: token ${p.serial} changed meanwhile; nothing was associated, run it again`);
      }
    }
  });
  for (const p of planned) {
    await audit.record(actor, {
      action: 'token.associate',
      outcome: 'success',
      reason: p.proven ? `bulk, line ${p.line}` : `bulk, line ${p.line}: unproven (no passcode)`,
      accountId: account.id,
      targetUser: p.username,
      targetSerial: p.serial,
    });
  }
  return report;
}
