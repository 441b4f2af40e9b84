// Which storage errors mean "the database cannot be reached" (nothing was decided: 503, never accept),
// on either engine. The HTTP layer and the CLI ask here instead of knowing each driver's errors.
import { isPostgresConnectionError } from './postgres/postgres-database.js';

/** Socket errors, PostgreSQL's SQLSTATE classes 08 (connection) and 57P (shutdown, cannot connect now), SQLite I/O. */
const UNAVAILABLE_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN', 'SQLITE_CANTOPEN', 'SQLITE_IOERR']);

export function isDatabaseUnavailable(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === 'string') {
    if (UNAVAILABLE_CODES.has(code) || code.startsWith('SQLITE_BUSY') || code.startsWith('08') || code.startsWith('57P')) return true;
  }
  // Node reports a refused connection to a name with several addresses as an AggregateError.
  if (error instanceof AggregateError) return error.errors.some(isDatabaseUnavailable);
  return isPostgresConnectionError(error);
}

/**
 * True when the database refused a value (a constraint or data error), which one row of a batch can cause;
 * false for the connection or the engine failing.
 */
export function isRefusedValue(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code !== 'string') return false;
  return /^(22|23)[0-9A-Z]{3}$/.test(code) || code.startsWith('SQLITE_CONSTRAINT') || code === 'SQLITE_MISMATCH' || code === 'SQLITE_TOOBIG';
}
