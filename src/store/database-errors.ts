// The one place that knows what each engine's errors mean. Services and adapters ask here (a unique key
// taken, contention worth a retry, a value the database refused, the database away) instead of knowing
// SQLSTATEs, SQLite result codes or node-postgres messages.

function codeOf(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

/** True for a unique-constraint violation, on either engine. */
export function isUniqueViolation(error: unknown): boolean {
  const code = codeOf(error);
  return code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY' || code === '23505';
}

/**
 * Contention that a transaction run again from the start can get past: SQLite answers BUSY (not after
 * busy_timeout) when a read transaction cannot become a write one because another process wrote meanwhile;
 * PostgreSQL's 40001 and 40P01 are serialisation failures and deadlocks.
 */
export function isContention(error: unknown): boolean {
  const code = codeOf(error);
  return code !== undefined && (code.startsWith('SQLITE_BUSY') || code === '40001' || code === '40P01');
}

/**
 * True when the database refused a value (a constraint or data error), which one row of a batch can cause;
 * false for the connection or the engine failing, which would fail each row alone just the same.
 */
export function isDataRefused(error: unknown): boolean {
  const code = codeOf(error);
  if (code === undefined) return false;
  return /^(22|23)[0-9A-Z]{3}$/.test(code) || code.startsWith('SQLITE_CONSTRAINT') || code === 'SQLITE_MISMATCH' || code === 'SQLITE_TOOBIG';
}

/** Socket errors (node-postgres passes Node's own up) and SQLite failing to open or read its file. */
const UNAVAILABLE_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN', 'SQLITE_CANTOPEN', 'SQLITE_IOERR']);

/**
 * PostgreSQL SQLSTATEs (Appendix A of its manual) that mean "not now" rather than "not this": 55000 (a
 * database set to ALLOW_CONNECTIONS false), 53300 (too many connections), 3D000 (the database is gone,
 * e.g. dropped or renamed during maintenance), 57P01-57P05 (shutting down, crash recovery, cannot connect
 * now, idle session ended); class 08 (connection exceptions) is matched by prefix.
 */
const UNAVAILABLE_SQLSTATES = new Set(['55000', '53300', '3D000', '57P01', '57P02', '57P03', '57P04', '57P05']);

/** node-postgres's own connection failures carry a message, not a code. */
const POSTGRES_CONNECTION_MESSAGE =
  /^(Connection terminated|Client has encountered a connection error|timeout exceeded when trying to connect|Connection terminated due to connection timeout|Query read timeout)/;

/**
 * True when the error means "the database cannot be reached or will not serve now": nothing was decided,
 * so the caller answers 503 and never accepts. SQLite's BUSY reaches here only after its busy_timeout.
 */
export function isDatabaseUnavailable(error: unknown): boolean {
  const code = codeOf(error);
  if (code !== undefined && (UNAVAILABLE_CODES.has(code) || UNAVAILABLE_SQLSTATES.has(code) || code.startsWith('08') || code.startsWith('SQLITE_BUSY'))) return true;
  // Node reports a refused connection to a name with several addresses as an AggregateError.
  if (error instanceof AggregateError) return error.errors.some(isDatabaseUnavailable);
  return error instanceof Error && POSTGRES_CONNECTION_MESSAGE.test(error.message);
}
