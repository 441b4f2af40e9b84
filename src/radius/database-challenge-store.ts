// The ChallengeStore that several otpgate instances behind one RADIUS virtual address share: a device may
// send the challenge's second request to another instance than the first. The State's SHA-256 is the key.
import { createHash } from 'node:crypto';
import type { Kysely } from 'kysely';
import { consumeChallenge, deleteChallenge, deleteExpiredChallenges, insertChallenge } from '../store/radius-challenge-store.js';
import type { Database } from '../store/schema.js';
import { usernameKey } from '../store/user-store.js';
import { STATE_LENGTH, type ChallengeStore } from './challenge-store.js';

function hashState(state: Buffer): string {
  return createHash('sha256').update(state).digest('hex');
}

export class DatabaseChallengeStore implements ChallengeStore {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly now: () => number,
    private readonly random: (bytes: number) => Buffer,
  ) {}

  async issue(clientId: number, username: string, ttlMs: number): Promise<Buffer> {
    const now = this.now();
    // Expired States are swept here rather than by a timer: issuing is when the table grows.
    await deleteExpiredChallenges(this.db, now);
    const state = this.random(STATE_LENGTH);
    if (state.length < STATE_LENGTH) throw new RangeError('random source returned too few octets');
    await insertChallenge(this.db, { stateHash: hashState(state), clientId, usernameKey: usernameKey(username), expiresAt: now + ttlMs });
    return Buffer.from(state);
  }

  async consume(state: Buffer, clientId: number, username: string): Promise<boolean> {
    const stateHash = hashState(state);
    const consumed = await consumeChallenge(this.db, { stateHash, clientId, usernameKey: usernameKey(username), now: this.now() });
    // A State presented for another client or user, or too late, is spent too: it can never be tried twice.
    if (!consumed) await deleteChallenge(this.db, stateHash);
    return consumed;
  }
}
