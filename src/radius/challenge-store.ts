// Pending Access-Challenges: the State handed out after a correct password, which the next request must
// carry with the passcode. A State is random, bound to one RADIUS client and one username, expires, and can
// be used once. This in-memory store serves one process; several instances behind a load balancer need a
// shared (database-backed) implementation of the same interface.

export interface ChallengeStore {
  /** Creates a State for this client and username, valid for `ttlMs`; returns its octets (at least 16). */
  issue(clientId: number, username: string, ttlMs: number): Promise<Buffer>;
  /**
   * Uses up a State. True only if it was issued to this client for this username and has not expired; the
   * State is gone afterwards whatever the answer, so a presented State can never be tried twice.
   */
  consume(state: Buffer, clientId: number, username: string): Promise<boolean>;
}

/** RFC 2865 §5.24 leaves State's contents to the server; 16 random octets make it unguessable. */
export const STATE_LENGTH = 16;

interface PendingChallenge {
  clientId: number;
  username: string;
  expiresAt: number;
}

export class InMemoryChallengeStore implements ChallengeStore {
  readonly #pending = new Map<string, PendingChallenge>();
  readonly #now: () => number;
  readonly #random: (bytes: number) => Buffer;

  constructor(options: { now: () => number; random: (bytes: number) => Buffer }) {
    this.#now = options.now;
    this.#random = options.random;
  }

  issue(clientId: number, username: string, ttlMs: number): Promise<Buffer> {
    this.#sweep();
    const state = this.#random(STATE_LENGTH);
    if (state.length < STATE_LENGTH) throw new RangeError('random source returned too few octets');
    this.#pending.set(state.toString('hex'), { clientId, username, expiresAt: this.#now() + ttlMs });
    return Promise.resolve(Buffer.from(state));
  }

  consume(state: Buffer, clientId: number, username: string): Promise<boolean> {
    const key = state.toString('hex');
    const pending = this.#pending.get(key);
    this.#pending.delete(key);
    const valid =
      pending !== undefined &&
      pending.clientId === clientId &&
      pending.username === username &&
      this.#now() < pending.expiresAt;
    return Promise.resolve(valid);
  }

  /** How many States are pending (expired ones included until the next sweep); for tests. */
  get size(): number {
    return this.#pending.size;
  }

  #sweep(): void {
    const now = this.#now();
    for (const [key, pending] of this.#pending) {
      if (now >= pending.expiresAt) this.#pending.delete(key);
    }
  }
}
