// Property: of 16 processes that check the same valid passcode against one SQLite file at the same time,
// exactly one is accepted (the counter moves by compare-and-set); the others are refused as replays, and
// those duplicates of one good code do not count toward the token's lock.
//
// Through the HTTP API (the real Fastify app): one valid passcode sent in 100 concurrent /auth/check requests over a real port signs in
// exactly once; every other request is refused (reject, or 429 once the user's back-off starts).
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { after, before, describe, it, test } from 'node:test';
import { makeFixture } from '../helpers/app.js';
import { runCli } from '../helpers/cli.js';
import { makeTempDir, PASSWORD, testEnv, writeFile } from '../helpers/installation.js';
import { oathCode } from '../helpers/otp.js';
import { randomSecretHex } from '../helpers/secrets.js';

describe('replay under concurrency', () => {
  const dir = makeTempDir();
  const env = testEnv(dir);
  const secret = randomSecretHex();
  before(async () => {
    assert.equal((await runCli(['init'], env)).code, 0);
    const csv = writeFile(dir, 'seed.csv', `4000000000001,${secret}\n`);
    assert.equal((await runCli(['token', 'import', csv], env)).code, 0);
    assert.equal((await runCli(['user', 'create', 'alice', '--password', PASSWORD], env)).code, 0);
    assert.equal((await runCli(['token', 'associate', 'alice', '4000000000001', oathCode(secret, 0)], env)).code, 0);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('accepts one of 16 processes checking the same valid passcode at once', async () => {
    const code = oathCode(secret, 1);
    const results = await Promise.all(Array.from({ length: 16 }, () => runCli(['check', 'alice', '--password', PASSWORD, '--otp', code], env)));
    const accepted = results.filter((r) => r.code === 0);
    assert.equal(accepted.length, 1, JSON.stringify(results.map((r) => [r.code, r.stdout.trim(), r.stderr.trim()])));
    assert.equal(accepted[0]!.stdout.trim(), 'accept');
    for (const r of results.filter((x) => x.code !== 0)) {
      assert.equal(r.code, 1);
      // A loser is a replay (reject, its audit reason on standard error: docs/cli.md, `check`); once the
      // replays have backed the user off, later losers are told so. Anything else on standard error is a crash.
      const outcome = `${r.stdout.trim()} / ${r.stderr.trim()}`;
      assert.match(outcome, /^(reject \/ reason: passcode_replayed \([^\n]+\)|throttled \(retry in \d+ s\) \/ )$/, 'a loser is refused, not crashed');
    }
    const show = await runCli(['token', 'show', '4000000000001', '--json'], env);
    const token = JSON.parse(show.stdout);
    assert.equal(token.counter, 2);
    assert.equal(token.status, 'associated', 'duplicates of a good code never lock the token');
    assert.equal(token.failCount, 0);
  });
});

// ---- through the HTTP API ----------------------------------------------------------------------------

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
