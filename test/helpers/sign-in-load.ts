// Sign-in load against a running server: each user signs in again and again through POST /auth/check with
// an otp-only key, each time with their next code (from oathtool), until stopped.
import { oathCode } from './otp.js';

export interface LoadUser {
  name: string;
  hex: string;
}

export interface SignInLoad {
  /** Each user's next counter. */
  counters: Map<string, number>;
  /** Every answer so far: the result, or `HTTP status` for an error. */
  results: string[];
  stop(): Promise<void>;
}

export function startSignInLoad(baseUrl: string, key: string, users: readonly LoadUser[]): SignInLoad {
  let stopped = false;
  const counters = new Map(users.map((u) => [u.name, 1]));
  const results: string[] = [];
  const running = Promise.all(
    users.map(async (u) => {
      while (!stopped) {
        const c = counters.get(u.name)!;
        const response = await fetch(`${baseUrl}/api/v1/auth/check`, { method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, body: JSON.stringify({ username: u.name, otp: oathCode(u.hex, c) }) });
        results.push(response.status === 200 ? ((await response.json()) as { result: string }).result : `HTTP ${response.status}`);
        counters.set(u.name, c + 1);
      }
    }),
  );
  return {
    counters,
    results,
    async stop() {
      stopped = true;
      await running;
    },
  };
}
