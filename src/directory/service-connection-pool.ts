// Connections bound as a directory's service account, kept between sign-ins so that a password check does
// not open a TCP (and TLS) connection and bind each time. A connection is only ever handed out bound as the
// service account: ldapts silently reconnects a dropped connection unbound, so `isBound` is checked when one
// is taken, and the caller checks it again after its search. Idle connections close after a while (the
// timer does not keep a process alive), and close() closes them all.
import type { Client } from 'ldapts';

interface Idle {
  client: Client;
  timer: NodeJS.Timeout;
}

export class ServiceConnectionPool {
  readonly #idle = new Map<string, Idle[]>();
  #closed = false;

  constructor(
    /** Idle connections kept per directory (concurrent sign-ins open more; the extra ones close after use). */
    readonly maxIdle = 4,
    /** An idle connection closes after this long (directories close idle connections themselves too). */
    readonly idleMs = 30_000,
  ) {}

  /** An idle connection for this directory that is still bound, or undefined. */
  take(key: string): Client | undefined {
    const list = this.#idle.get(key);
    while (list && list.length > 0) {
      const { client, timer } = list.pop()!;
      clearTimeout(timer);
      if (client.isBound) return client;
      void client.unbind().catch(() => undefined);
    }
    return undefined;
  }

  /** Keeps a connection bound as the service account for the next sign-in, or closes it. */
  give(key: string, client: Client): void {
    const list = this.#idle.get(key) ?? [];
    if (this.#closed || !client.isBound || list.length >= this.maxIdle) {
      void client.unbind().catch(() => undefined);
      return;
    }
    const entry: Idle = {
      client,
      timer: setTimeout(() => {
        const at = list.indexOf(entry);
        if (at !== -1) list.splice(at, 1);
        void client.unbind().catch(() => undefined);
      }, this.idleMs).unref(),
    };
    list.push(entry);
    this.#idle.set(key, list);
  }

  /** How many idle connections are kept (for tests and health). */
  get size(): number {
    return [...this.#idle.values()].reduce((sum, list) => sum + list.length, 0);
  }

  async close(): Promise<void> {
    this.#closed = true;
    const all = [...this.#idle.values()].flat();
    this.#idle.clear();
    await Promise.all(all.map(({ client, timer }) => (clearTimeout(timer), client.unbind().catch(() => undefined))));
  }
}
