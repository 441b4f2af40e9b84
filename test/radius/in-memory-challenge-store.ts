// A ChallengeStore in memory, for RADIUS server tests that need no database: the same contract as the
// services' RadiusChallengeService (random State, bound to client and username, expires, used once).
import type { ChallengeStore } from '../../src/radius/challenge-store.js';
import { STATE_LENGTH } from '../../src/services/radius-challenge-service.js';

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
