// Reports an administrator asks for on day 2: tokens nobody has used for a while, users without a token,
// tokens in one status (locked). One account at a time.
import { listTokens } from '../store/token-store.js';
import { listUsers } from '../store/user-store.js';
import type { TokenStatus } from '../core/token-status.js';
import type { Account, ServiceContext } from './context.js';
import { ServiceError } from './errors.js';
import { toTokenView, toUserView, type TokenView, type UserView } from './views.js';

const DAY_MS = 24 * 60 * 60 * 1000;

export class ReportService {
  constructor(private readonly ctx: ServiceContext) {}

  /** Tokens in users' hands that signed no one in for `days` days (never, or last more than that ago). */
  async unusedTokens(account: Account, days: number): Promise<TokenView[]> {
    if (!Number.isInteger(days) || days < 1 || days > 3650) throw new ServiceError('invalid_request', 'unusedDays must be a whole number from 1 to 3650', { field: 'unusedDays' });
    const rows = await listTokens(this.ctx.db, { accountId: account.id, unusedSince: this.ctx.now() - days * DAY_MS, limit: 10_000 });
    return rows.map((row) => toTokenView(row, row.username));
  }

  async tokensWithStatus(account: Account, status: TokenStatus): Promise<TokenView[]> {
    const rows = await listTokens(this.ctx.db, { accountId: account.id, status, limit: 10_000 });
    return rows.map((row) => toTokenView(row, row.username));
  }

  async usersWithoutToken(account: Account): Promise<UserView[]> {
    return (await listUsers(this.ctx.db, { accountId: account.id, withoutToken: true, limit: 10_000 })).map((row) => toUserView(row, []));
  }
}
