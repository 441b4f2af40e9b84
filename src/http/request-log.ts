// Fastify's logger for one request (request.log, reply.log), made only when the request logs something.
// Fastify makes a pino child logger per request, bound to its request id; making one costs a few µs
// (the bindings serialised, a logger object set up), and most requests never log through it: the access
// log line is written by its own logger (app.ts), and request.log is used only for errors, a failed
// directory test or a database outage. The child is made on the first call, with the same bindings and
// options as Fastify's own, so every line it writes is the line the eager child would have written (the
// request id included, redaction and level as configured).
import type { FastifyBaseLogger } from 'fastify';
import type { Bindings, ChildLoggerOptions, LogFn } from 'pino';

class RequestLog {
  #made: FastifyBaseLogger | undefined;

  constructor(
    private readonly parent: FastifyBaseLogger,
    private readonly bindings: Bindings,
    private readonly options: ChildLoggerOptions,
  ) {}

  /** The pino child for this request, made on first use. */
  made(): FastifyBaseLogger {
    this.#made ??= this.parent.child(this.bindings, this.options);
    return this.#made;
  }

  /** Whether the child exists yet (tests). */
  get isMade(): boolean {
    return this.#made !== undefined;
  }

  get level(): string {
    return this.#made?.level ?? this.options.level ?? this.parent.level;
  }

  set level(level: string) {
    this.made().level = level;
  }

  fatal(...args: Parameters<LogFn>): void {
    this.made().fatal(...args);
  }

  error(...args: Parameters<LogFn>): void {
    this.made().error(...args);
  }

  warn(...args: Parameters<LogFn>): void {
    this.made().warn(...args);
  }

  info(...args: Parameters<LogFn>): void {
    this.made().info(...args);
  }

  debug(...args: Parameters<LogFn>): void {
    this.made().debug(...args);
  }

  trace(...args: Parameters<LogFn>): void {
    this.made().trace(...args);
  }

  silent(): void {}

  child(bindings: Bindings, options?: ChildLoggerOptions): FastifyBaseLogger {
    return this.made().child(bindings, options);
  }
}

/** Fastify's childLoggerFactory: the request's logger, made when it first logs. */
export function lazyRequestLogger(logger: FastifyBaseLogger, bindings: Bindings, options: ChildLoggerOptions): FastifyBaseLogger {
  return new RequestLog(logger, bindings, options);
}

/** Whether a request's logger has made its pino child yet (tests). */
export function requestLogIsMade(log: FastifyBaseLogger): boolean {
  return log instanceof RequestLog ? log.isMade : true;
}
