// The part of autocannon's API bench/load.mjs uses (autocannon ships no types): a run of requests built
// per request (setupRequest) and checked per response (onResponse), awaited for its summary.
declare module 'autocannon' {
  namespace autocannon {
    /** What autocannon sends: a request as configured, or as setupRequest returned it. */
    interface Request {
      method?: string;
      path?: string;
      headers?: Record<string, string>;
      body?: string | Buffer;
    }

    /**
     * A request in `Options.requests`; `context` is the connection's own object, kept between its requests
     * (methods, so that a caller may say what it keeps there).
     */
    interface RequestOptions extends Request {
      setupRequest?(request: Request, context: Record<string, unknown>): Request;
      onResponse?(status: number, body: string, context: Record<string, unknown>, headers: Record<string, string>): void;
    }

    interface Options {
      url: string;
      connections?: number;
      /** Seconds. */
      duration?: number;
      pipelining?: number;
      /** Seconds. */
      timeout?: number;
      requests?: RequestOptions[];
    }

    /** One of the result's histograms (only the fields bench reads). */
    interface Histogram {
      average: number;
      max: number;
      total: number;
    }

    interface Result {
      requests: Histogram;
      latency: Histogram;
      errors: number;
      timeouts: number;
      non2xx: number;
    }

    /** The running instance (an event emitter) is, without a callback, also a promise of the result. */
    type Instance = PromiseLike<Result>;
  }

  function autocannon(options: autocannon.Options): autocannon.Instance;
  export default autocannon;
}
