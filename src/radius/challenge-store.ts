// Pending Access-Challenges: the State handed out after a correct password, which the next request must
// carry with the passcode. A State is random, bound to one RADIUS client and one username, expires, and can
// be used once. The services keep them in the database (RadiusChallengeService), so that every instance behind
// one RADIUS virtual address shares them.

export interface ChallengeStore {
  /** Creates a State for this client and username, valid for `ttlMs`; returns its octets (at least 16). */
  issue(clientId: number, username: string, ttlMs: number): Promise<Buffer>;
  /**
   * Uses up a State. True only if it was issued to this client for this username and has not expired; the
   * State is gone afterwards whatever the answer, so a presented State can never be tried twice.
   */
  consume(state: Buffer, clientId: number, username: string): Promise<boolean>;
}
