// The sign-in check keeps the seeds it opened (services/sealed-secrets.ts, openTokenSecretForCheck), and a
// kept seed is used only while the row still holds what it was opened from: a sealed seed moved onto the
// row after it was kept does not sign in with the kept one (it fails to open, loudly, as without the
// cache), and a row re-sealed under a new key is opened again under that key.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Actor } from '../../src/services/context.js';
import { engineCases, importTokens, type TestInstallation } from '../helpers/engines.js';
import { findTokenBySerial } from '../../src/store/token-store.js';
import { oathCode } from '../helpers/otp.js';
import { randomSecretHex } from '../helpers/secrets.js';

const actor: Actor = { name: 'test', accountId: null, clientIp: '192.0.2.10' };

const [sqlite] = await engineCases();

describe('seeds kept opened by the sign-in check', () => {
  let t: TestInstallation;
  const secrets = [randomSecretHex(), randomSecretHex()];
  const serials = ['KEPT0001', 'KEPT0002'];
  before(async () => {
    t = await sqlite!.start();
    await importTokens(t.services, t.account, serials.map((serial, i) => ({ serial, secretHex: secrets[i]! })));
    for (const [i, name] of ['keeper', 'other'].entries()) {
      await t.services.users.create(actor, t.account, { username: name, password: 'kept-password-1' });
      await t.services.tokens.associate(actor, t.account, name, serials[i]!, oathCode(secrets[i]!, 0));
    }
  });
  after(() => t?.close());

  const check = (username: string, otp: string) => t.services.signIn.check({ accountId: t.account.id, username, password: null, passcode: otp, actor });

  test('a kept seed signs in again; a sealed seed moved onto its row afterwards does not open', async () => {
    assert.equal((await check('keeper', oathCode(secrets[0]!, 1))).result, 'accept');
    assert.equal((await check('keeper', oathCode(secrets[0]!, 2))).result, 'accept', 'the second check uses the kept seed');
    // The other token's sealed seed copied onto keeper's row: with the kept seed used regardless, the next
    // code of keeper's own seed would be accepted.
    const other = await findTokenBySerial(t.services.ctx.db, t.account.id, serials[1]!);
    const mine = await findTokenBySerial(t.services.ctx.db, t.account.id, serials[0]!);
    await t.services.ctx.db.updateTable('tokens').set({ secret_sealed: other!.secret_sealed }).where('id', '=', mine!.id).execute();
    await assert.rejects(check('keeper', oathCode(secrets[0]!, 3)), /does not open/);
    await t.services.ctx.db.updateTable('tokens').set({ secret_sealed: mine!.secret_sealed }).where('id', '=', mine!.id).execute();
    assert.equal((await check('keeper', oathCode(secrets[0]!, 3))).result, 'accept', 'its own sealed seed opens again');
  });
});
