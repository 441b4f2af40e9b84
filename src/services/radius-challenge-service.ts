// Pending RADIUS Access-Challenges, shared by every instance on the database: a device may send the
// challenge's second request to another instance than the first. The State's SHA-256 is the key, so reading
// the table does not let anyone complete a challenge. This is the RADIUS server's ChallengeStore.
import { createHash, randomBytes } from 'node:crypto';
import { consumeChallenge, deleteChallenge, deleteExpiredChallenges, insertChallenge } from '../store/radius-challenge-store.js';
import { usernameKey } from '../store/user-store.js';
import type { ServiceContext } from './context.js';

/** RFC 2865 §5.24 leaves State's contents to the server; 16 random octets make it unguessable. */
export const STATE_LENGTH = 16;

function hashState(state: Buffer): string {
  return createHash('sha256').update(state).digest('hex');
}

export class RadiusChallengeService {
  constructor(
    private readonly ctx: Pick<ServiceContext, 'db' | 'now'>,
    private readonly random: (bytes: number) => Buffer = (bytes) => randomBytes(bytes),
  ) {}

  /** Creates a State for this client and username, valid for `ttlMs`; returns its octets. */
  async issue(clientId: number, username: string, ttlMs: number): Promise<Buffer> {
    const now = this.ctx.now();
    // Expired States are swept here rather than by a timer: issuing is when the table grows.
    await deleteExpiredChallenges(this.ctx.db, now);
    const state = this.random(STATE_LENGTH);
    if (state.length < STATE_LENGTH) throw new RangeError('random source returned too few octets');
    await insertChallenge(this.ctx.db, { stateHash: hashState(state), clientId, usernameKey: usernameKey(username), expiresAt: now + ttlMs });
    return Buffer.from(state);
  }

  /** Uses up a State: true only if it was issued to this client for this username and has not expired. */
  async consume(state: Buffer, clientId: number, username: string): Promise<boolean> {
    const stateHash = hashState(state);
    const consumed = await consumeChallenge(this.ctx.db, { stateHash, clientId, usernameKey: usernameKey(username), now: this.ctx.now() });
    // A State presented for another client or user, or too late, is spent too: it can never be tried twice.
    if (!consumed) await deleteChallenge(this.ctx.db, stateHash);
    return consumed;
  }
}
