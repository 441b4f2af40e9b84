// Configuration from environment variables (docs/configuration.md lists each one).
import { resolve, join } from 'node:path';
import { DEFAULT_SCRYPT_COST, type ScryptCost } from '../crypto/password-hash.js';
import { DEFAULT_IMPORT_LIMIT_MB } from '../import/import-limit.js';
import type { NotificationSettings } from '../services/notification-service.js';

export interface Config {
  dataDir: string;
  databaseUrl: string | undefined;
  sqlitePath: string;
  keyFile: string;
  host: string;
  port: number;
  trustedProxies: string[];
  poolSize: number;
  passwordCost: ScryptCost;
  logLevel: string;
  logFile: string | undefined;
  /** The log on standard output: JSON lines, or short text lines; undefined: text on a terminal, else JSON. */
  logFormat: 'json' | 'text' | undefined;
  /** UDP port for RADIUS; undefined (OTPGATE_RADIUS_PORT unset) leaves RADIUS off. */
  radiusPort: number | undefined;
  radiusHost: string;
  /** Secure, __Host- cookies; off only for plain-HTTP local use. */
  secureCookies: boolean;
  /** The largest seed file an import reads (CLI) or accepts (API and console uploads), bytes. */
  importLimitBytes: number;
  migrateOnStart: boolean;
  /** `serve` syncs every account's directory this often (once across instances); 0 never. */
  directorySyncMinutes: number;
  notify: NotificationSettings;
  /** OTPGATE_METRICS_TOKEN: GET /metrics answers only with it; unset, there is no /metrics. */
  metricsToken: string | undefined;
  /** OTPGATE_PUBLIC_URL: the address browsers reach otpgate at; set, the OpenID Provider runs at it + /oidc. */
  publicUrl: string | undefined;
}

function publicUrlFrom(text: string | undefined): string | undefined {
  if (text === undefined || text === '') return undefined;
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new Error(`OTPGATE_PUBLIC_URL must be an absolute http(s) URL, not "${text}"`);
  }
  if ((url.protocol !== 'https:' && url.protocol !== 'http:') || url.search !== '' || url.hash !== '') throw new Error(`OTPGATE_PUBLIC_URL must be an http(s) URL without query or fragment, not "${text}"`);
  return url.href.replace(/\/+$/, '');
}

function integer(env: NodeJS.ProcessEnv, name: string, fallback: number, min: number, max: number): number {
  const text = env[name];
  if (text === undefined || text === '') return fallback;
  const value = Number(text);
  if (!Number.isInteger(value) || value < min || value > max) throw new Error(`${name} must be a whole number from ${min} to ${max}, not "${text}"`);
  return value;
}

function logFormatFrom(text: string | undefined): Config['logFormat'] {
  if (text === undefined || text === '' || text === 'auto') return undefined;
  if (text === 'json' || text === 'text') return text;
  throw new Error(`OTPGATE_LOG_FORMAT must be json, text or auto, not "${text}"`);
}

function boolean(env: NodeJS.ProcessEnv, name: string, fallback: boolean): boolean {
  const text = env[name];
  if (text === undefined || text === '') return fallback;
  if (text !== 'true' && text !== 'false') throw new Error(`${name} must be true or false, not "${text}"`);
  return text === 'true';
}

function notifySettings(env: NodeJS.ProcessEnv): NotificationSettings {
  const smtpUrl = env.OTPGATE_SMTP_URL || undefined;
  const mailFrom = env.OTPGATE_MAIL_FROM || undefined;
  if (smtpUrl !== undefined) {
    if (!/^smtps?:\/\/[^/]/.test(smtpUrl)) throw new Error('OTPGATE_SMTP_URL must be an smtp:// (STARTTLS when the server offers it) or smtps:// URL');
    if (mailFrom === undefined || !/^[^\s@<>]+@[^\s@<>]+$/.test(mailFrom)) throw new Error('OTPGATE_MAIL_FROM must be the sender address (name@domain) when OTPGATE_SMTP_URL is set');
  }
  return {
    allowPrivate: boolean(env, 'OTPGATE_WEBHOOK_ALLOW_PRIVATE', false),
    firstRetryMs: integer(env, 'OTPGATE_WEBHOOK_RETRY_SECONDS', 30, 1, 3600) * 1000,
    ...(smtpUrl !== undefined && mailFrom !== undefined ? { mail: { url: smtpUrl, from: mailFrom, ...(env.OTPGATE_SMTP_CA_FILE ? { caFile: env.OTPGATE_SMTP_CA_FILE } : {}) } } : {}),
  };
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const dataDir = resolve(env.OTPGATE_DATA_DIR ?? './data');
  const scryptLog2 = integer(env, 'OTPGATE_SCRYPT_LOG2N', Math.log2(DEFAULT_SCRYPT_COST.N), 10, 20);
  const radius = env.OTPGATE_RADIUS_PORT;
  const host = env.OTPGATE_HOST ?? '127.0.0.1';
  const databaseUrl = env.OTPGATE_DATABASE_URL || undefined;
  // Only PostgreSQL is reached by URL; anything else would silently fall back to the SQLite file.
  if (databaseUrl !== undefined && !/^postgres(ql)?:\/\//.test(databaseUrl)) {
    throw new Error('OTPGATE_DATABASE_URL must be a postgres:// (or postgresql://) URL; leave it unset for SQLite in OTPGATE_DATA_DIR');
  }
  return {
    dataDir,
    databaseUrl,
    sqlitePath: join(dataDir, 'otpgate.db'),
    keyFile: resolve(env.OTPGATE_KEY_FILE ?? join(dataDir, 'master.key')),
    host,
    port: integer(env, 'OTPGATE_PORT', 8080, 0, 65535),
    trustedProxies: (env.OTPGATE_TRUSTED_PROXIES ?? '').split(',').map((s) => s.trim()).filter(Boolean),
    poolSize: integer(env, 'OTPGATE_DB_POOL_SIZE', 10, 1, 200),
    passwordCost: { ...DEFAULT_SCRYPT_COST, N: 2 ** scryptLog2 },
    logLevel: env.OTPGATE_LOG_LEVEL ?? 'info',
    logFile: env.OTPGATE_LOG_FILE || undefined,
    logFormat: logFormatFrom(env.OTPGATE_LOG_FORMAT),
    radiusPort: radius === undefined || radius === '' ? undefined : integer(env, 'OTPGATE_RADIUS_PORT', 1812, 0, 65535),
    radiusHost: env.OTPGATE_RADIUS_HOST || host,
    secureCookies: (env.OTPGATE_SECURE_COOKIES ?? 'false') === 'true',
    importLimitBytes: integer(env, 'OTPGATE_IMPORT_LIMIT_MB', DEFAULT_IMPORT_LIMIT_MB, 1, 4096) * 1024 * 1024,
    migrateOnStart: env.OTPGATE_NO_MIGRATE !== '1',
    directorySyncMinutes: integer(env, 'OTPGATE_DIRECTORY_SYNC_MINUTES', 60, 0, 10080),
    metricsToken: env.OTPGATE_METRICS_TOKEN || undefined,
    publicUrl: publicUrlFrom(env.OTPGATE_PUBLIC_URL),
    notify: notifySettings(env),
  };
}
