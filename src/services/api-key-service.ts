// API keys for applications: 256-bit random values shown once; only their SHA-256 is stored.
import { createHash, randomBytes } from 'node:crypto';
import { deleteApiKey, findApiKeyByHash, insertApiKey, listApiKeys } from '../store/api-key-store.js';
import type { AccountRow, ApiKeyRow } from '../store/schema.js';
import type { AuditService } from './audit-service.js';
import type { Actor, ServiceContext } from './context.js';
import { ServiceError } from './errors.js';

export const API_KEY_SCOPES = ['admin', 'check', 'otp-only'] as const;
export type ApiKeyScope = (typeof API_KEY_SCOPES)[number];
const KEY_PREFIX = 'otpg_';
const NAME = /^[A-Za-z0-9._-]{1,100}$/;

export interface ApiKeyPrincipal {
  id: number;
  name: string;
  accountId: number;
  scopes: ApiKeyScope[];
  allowClientIp: boolean;
}

export interface ApiKeyView {
  name: string;
  scopes: ApiKeyScope[];
  allowClientIp: boolean;
  createdAt: string;
  lastUsedAt: string | null;
}

function hashKey(key: string): string {
  return createHash('sha256').update(key).digest('hex');
}

function toPrincipal(row: ApiKeyRow): ApiKeyPrincipal {
  return { id: row.id, name: row.name, accountId: row.account_id, scopes: row.scopes.split(',') as ApiKeyScope[], allowClientIp: row.allow_client_ip === 1 };
}

export class ApiKeyService {
  constructor(
    private readonly ctx: ServiceContext,
    private readonly audit: AuditService,
  ) {}

  /** Creates a key and returns it: the only time it is ever shown. */
  async create(actor: Actor, account: AccountRow, name: string, scopes: string[], allowClientIp: boolean): Promise<{ key: string; view: ApiKeyView }> {
    if (!NAME.test(name)) throw new ServiceError('invalid_request', `API key name "${name}" must be 1-100 of letters, digits and . _ -`);
    const wanted = scopes.length === 0 ? ['check'] : [...new Set(scopes)];
    const unknown = wanted.filter((s) => !(API_KEY_SCOPES as readonly string[]).includes(s));
    if (unknown.length > 0) throw new ServiceError('invalid_request', `unknown scope ${unknown.join(', ')} (admin, check, otp-only)`);
    if ((await listApiKeys(this.ctx.db, account.id)).some((k) => k.name === name)) {
      throw new ServiceError('invalid_request', `an API key named "${name}" already exists in account "${account.name}"`);
    }
    const key = `${KEY_PREFIX}${randomBytes(32).toString('base64url')}`;
    const createdAt = this.ctx.now();
    await insertApiKey(this.ctx.db, { account_id: account.id, name, key_hash: hashKey(key), scopes: wanted.join(','), allow_client_ip: allowClientIp ? 1 : 0, created_at: createdAt });
    await this.audit.record(actor, { action: 'apikey.create', outcome: 'success', accountId: account.id, reason: `${name}: ${wanted.join(',')}${allowClientIp ? ', client-ip' : ''}` });
    return { key, view: { name, scopes: wanted as ApiKeyScope[], allowClientIp, createdAt: new Date(createdAt).toISOString(), lastUsedAt: null } };
  }

  /** The key's principal, or null for an unknown key. */
  async authenticate(key: string): Promise<ApiKeyPrincipal | null> {
    if (!key.startsWith(KEY_PREFIX) || key.length > 200) return null;
    const row = await findApiKeyByHash(this.ctx.db, hashKey(key));
    return row ? toPrincipal(row) : null;
  }

  async list(account: AccountRow): Promise<ApiKeyView[]> {
    return (await listApiKeys(this.ctx.db, account.id)).map((row) => {
      const p = toPrincipal(row);
      return {
        name: p.name,
        scopes: p.scopes,
        allowClientIp: p.allowClientIp,
        createdAt: new Date(Number(row.created_at)).toISOString(),
        lastUsedAt: row.last_used_at === null ? null : new Date(Number(row.last_used_at)).toISOString(),
      };
    });
  }

  async remove(actor: Actor, account: AccountRow, name: string): Promise<void> {
    if (!(await deleteApiKey(this.ctx.db, account.id, name))) throw new ServiceError('api_key_not_found', `no API key "${name}" in account "${account.name}"`);
    await this.audit.record(actor, { action: 'apikey.remove', outcome: 'success', accountId: account.id, reason: name });
  }
}
