// API keys for applications: 256-bit random values shown once; only their SHA-256 is stored.
import { createHash, randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { deleteApiKey, findApiKeyByHash, insertApiKey, listApiKeys } from '../store/api-key-store.js';
import type { AccountRow, ApiKeyRow } from '../store/schema.js';
import type { AuditService } from './audit-service.js';
import type { Actor, ServiceContext } from './context.js';
import { ServiceError } from './errors.js';
import { isoTime } from './views.js';

export const API_KEY_SCOPES = ['admin', 'helpdesk', 'check', 'otp-only'] as const;
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

/**
 * How long a process keeps a key it has authenticated (ms). Every API request authenticates its key, and
 * the look-up was one database query per request. The consequence: `otpgate apikey remove` run in ANOTHER
 * process (the CLI, or another instance) takes effect in a running server up to this long after it
 * returns. Within one process, `remove` drops the key from this cache at once. Unknown keys are not kept
 * (a new key works at once; guessed keys cannot fill the cache).
 */
export const API_KEY_CACHE_MS = 5000;
/** The most keys kept; the oldest entry goes first. */
const API_KEY_CACHE_SIZE = 1000;

function hashKey(key: string): string {
  return createHash('sha256').update(key).digest('hex');
}

function toPrincipal(row: ApiKeyRow): ApiKeyPrincipal {
  return { id: row.id, name: row.name, accountId: row.account_id, scopes: row.scopes.split(',') as ApiKeyScope[], allowClientIp: row.allow_client_ip === 1 };
}

export class ApiKeyService {
  /** Principals by key hash, with when they were read (performance.now(), not the service clock). */
  readonly #cache = new Map<string, { principal: ApiKeyPrincipal; readAt: number }>();
  /** Moves on at every removal: a look-up that began before a removal does not cache what it read. */
  #removals = 0;

  constructor(
    private readonly ctx: ServiceContext,
    private readonly audit: AuditService,
  ) {}

  /** Creates a key and returns it: the only time it is ever shown. */
  async create(actor: Actor, account: AccountRow, name: string, scopes: string[], allowClientIp: boolean): Promise<{ key: string; view: ApiKeyView }> {
    if (!NAME.test(name)) throw new ServiceError('invalid_request', `API key name "${name}" must be 1-100 of letters, digits and . _ -`);
    const wanted = scopes.length === 0 ? ['check'] : [...new Set(scopes)];
    const unknown = wanted.filter((s) => !(API_KEY_SCOPES as readonly string[]).includes(s));
    if (unknown.length > 0) throw new ServiceError('invalid_request', `unknown scope ${unknown.join(', ')} (${API_KEY_SCOPES.join(', ')})`);
    if ((await listApiKeys(this.ctx.db, account.id)).some((k) => k.name === name)) {
      throw new ServiceError('invalid_request', `an API key named "${name}" already exists in account "${account.name}"`);
    }
    const key = `${KEY_PREFIX}${randomBytes(32).toString('base64url')}`;
    const createdAt = this.ctx.now();
    await insertApiKey(this.ctx.db, { account_id: account.id, name, key_hash: hashKey(key), scopes: wanted.join(','), allow_client_ip: allowClientIp ? 1 : 0, created_at: createdAt });
    await this.audit.record(actor, { action: 'apikey.create', outcome: 'success', accountId: account.id, reason: `${name}: ${wanted.join(',')}${allowClientIp ? ', client-ip' : ''}` });
    return { key, view: { name, scopes: wanted as ApiKeyScope[], allowClientIp, createdAt: isoTime(createdAt), lastUsedAt: null } };
  }

  /** The key's principal, or null for an unknown key. */
  async authenticate(key: string): Promise<ApiKeyPrincipal | null> {
    if (!key.startsWith(KEY_PREFIX) || key.length > 200) return null;
    const hash = hashKey(key);
    const cached = this.#cache.get(hash);
    if (cached && performance.now() - cached.readAt < API_KEY_CACHE_MS) return { ...cached.principal, scopes: [...cached.principal.scopes] };
    const readAt = performance.now();
    const removals = this.#removals;
    const row = await findApiKeyByHash(this.ctx.db, hash);
    this.#cache.delete(hash);
    if (!row) return null;
    const principal = toPrincipal(row);
    if (removals !== this.#removals) return { ...principal, scopes: [...principal.scopes] };
    if (this.#cache.size >= API_KEY_CACHE_SIZE) this.#cache.delete(this.#cache.keys().next().value as string);
    this.#cache.set(hash, { principal, readAt });
    return { ...principal, scopes: [...principal.scopes] };
  }

  async list(account: AccountRow): Promise<ApiKeyView[]> {
    return (await listApiKeys(this.ctx.db, account.id)).map((row) => {
      const p = toPrincipal(row);
      return {
        name: p.name,
        scopes: p.scopes,
        allowClientIp: p.allowClientIp,
        createdAt: isoTime(row.created_at),
        lastUsedAt: isoTime(row.last_used_at),
      };
    });
  }

  async remove(actor: Actor, account: AccountRow, name: string): Promise<void> {
    this.#removals++;
    const deleted = await deleteApiKey(this.ctx.db, account.id, name);
    this.#removals++;
    // This process stops accepting the key at once (other processes within API_KEY_CACHE_MS).
    for (const [hash, { principal }] of this.#cache) {
      if (principal.accountId === account.id && principal.name === name) this.#cache.delete(hash);
    }
    if (!deleted) throw new ServiceError('api_key_not_found', `no API key "${name}" in account "${account.name}"`);
    await this.audit.record(actor, { action: 'apikey.remove', outcome: 'success', accountId: account.id, reason: name });
  }
}
