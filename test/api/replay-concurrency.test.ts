// Property: one valid passcode sent in 100 concurrent /auth/check requests over a real port signs in
// exactly once; every other request is refused (reject, or 429 once the user's back-off starts).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PASSWORD, makeFixture } from './fixtures.js';
import { oathCode } from '../helpers/otp.js';

test('100 concurrent checks with one valid code: exactly one accept', async (t) => {
  const f = await makeFixture();
  t.after(() => f.close());
  const address = await f.app.listen({ host: '127.0.0.1', port: 0 });
  const code = oathCode(f.aliceToken.hex, 4);
  const body = JSON.stringify({ username: 'alice', password: PASSWORD, otp: code });
  const answers = await Promise.all(
    Array.from({ length: 100 }, async () => {
      const response = await fetch(`${address}/api/v1/auth/check`, {
        method: 'POST',
        headers: { authorization: `Bearer ${f.keys.check}`, 'content-type': 'application/json' },
        body,
      });
      const json = (await response.json()) as { result?: string; error?: { code: string } };
      return response.status === 200 ? json.result : `${response.status} ${json.error?.code}`;
    }),
  );
  const counts = new Map<string | undefined, number>();
  for (const answer of answers) counts.set(answer, (counts.get(answer) ?? 0) + 1);
  assert.equal(counts.get('accept'), 1, JSON.stringify([...counts]));
  for (const [answer] of counts) assert.ok(['accept', 'reject', '429 too_many_attempts'].includes(answer ?? ''), `unexpected answer ${answer}`);
  const token = await f.services.tokens.show(f.acme, f.aliceToken.serial);
  assert.equal(token.counter, 5, 'the counter moved once, past the code');
  const accepted = (await f.services.audit.list({ accountId: f.acme.id, username: 'alice', outcome: 'accept', limit: 1000 })).length;
  assert.equal(accepted, 1, 'one accept in the audit log');
});
