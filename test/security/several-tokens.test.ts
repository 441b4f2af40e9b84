// Property (SPEC, "Several tokens per user"; issue 26): a user holding several tokens signs in with a passcode
// from any usable one of them; every token the passcode matched moves past it, so a seed shared by two tokens
// cannot replay through the other; of 100 racing copies of one passcode exactly one is accepted (on PostgreSQL
// over two instances of one database); a wrong passcode counts once for the user, a success from any token
// clears the count, and at maxFailures the lock falls on every token (a spare never reaches a limit on its
// own); a disabled or expired token beside usable ones changes nothing and accepts nothing. Both engines.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { loadConfig } from '../../src/runtime/config.js';
import { openInstance, type Instance } from '../../src/runtime/instance.js';
import type { Actor } from '../../src/services/context.js';
import type { SignInOutcome } from '../../src/services/sign-in-service.js';
import { listAuditEvents } from '../../src/store/audit-log.js';
import { findTokenBySerial } from '../../src/store/token-store.js';
import { engineCases, importTokens, type TestInstallation } from '../helpers/engines.js';
import { oathCode, wrongCode } from '../helpers/otp.js';
import { randomSecretHex } from '../helpers/secrets.js';

const actor: Actor = { name: 'several-tokens-test', accountId: null, clientIp: null };
const PASSWORD = 'several-tokens-password';

for (const engine of await engineCases()) {
  describe(`several tokens per user on ${engine.engine}`, { skip: engine.skip }, () => {
    let t: TestInstallation;
    /** On PostgreSQL a second instance with its own pool on the same database; on SQLite the same one. */
    let other: Instance;
    let serialNumber = 0;
    before(async () => {
      t = await engine.start();
      other = engine.engine === 'postgres' ? await openInstance(loadConfig(t.env)) : t.instance;
    });
    after(async () => {
      if (other !== t?.instance) await other?.close();
      await t?.close();
    });

    /** A user holding one token per secret (in order), each associated with its passcode at counter 0. */
    async function userWith(username: string, secrets: string[]): Promise<string[]> {
      const serials = secrets.map(() => `SEV${String(++serialNumber).padStart(5, '0')}`);
      await importTokens(t.services, t.account, secrets.map((secretHex, i) => ({ serial: serials[i]!, secretHex })));
      await t.services.users.create(actor, t.account, { username, password: PASSWORD });
      for (const [i, serial] of serials.entries()) await t.services.tokens.associate(actor, t.account, username, serial, oathCode(secrets[i]!, 0));
      return serials;
    }

    const check = (username: string, passcode: string, services = t.services): Promise<SignInOutcome> =>
      services.signIn.check({ accountId: t.account.id, username, password: PASSWORD, passcode, actor });
    /** Steps past the per-user back-off (the lock, not the back-off, is what these tests count). */
    const forgetBackOff = () => t.services.ctx.db.deleteFrom('throttles').execute();
    const token = async (serial: string) => (await findTokenBySerial(t.services.ctx.db, t.account.id, serial))!;
    const failCountOf = async (username: string) =>
      Number((await t.services.ctx.db.selectFrom('users').select('otp_fail_count').where('username_key', '=', username).executeTakeFirstOrThrow()).otp_fail_count);

    test("either token's passcode signs in, and the audit event names the serial that matched", async () => {
      const [desk, spare] = [randomSecretHex(), randomSecretHex()];
      const serials = await userWith('either', [desk, spare]);
      assert.deepEqual([(await check('either', oathCode(desk, 1))).reason, (await check('either', oathCode(spare, 1))).reason], ['passcode_accepted', 'passcode_accepted']);
      const events = (await listAuditEvents(t.services.ctx.db, { accountId: t.account.id, action: 'signin', limit: 10 })).filter((e) => e.target_user === 'either');
      assert.deepEqual(events.map((e) => e.target_serial).reverse(), serials);
      assert.deepEqual([Number((await token(serials[0]!)).counter), Number((await token(serials[1]!)).counter)], [2, 2]);
    });

    test('a seed shared by two tokens: the accepted passcode moves both, so it cannot be replayed through the other', async () => {
      const shared = randomSecretHex();
      const serials = await userWith('shared', [shared, shared]);
      const code = oathCode(shared, 1);
      assert.equal((await check('shared', code)).reason, 'passcode_accepted');
      assert.deepEqual([Number((await token(serials[0]!)).counter), Number((await token(serials[1]!)).counter)], [2, 2]);
      const replay = await check('shared', code);
      assert.deepEqual([replay.result, replay.reason], ['reject', 'passcode_replayed']);
    });

    test('100 concurrent copies of one passcode (a shared seed, two instances on PostgreSQL): exactly one accept', async () => {
      const shared = randomSecretHex();
      const serials = await userWith('racer', [shared, shared, randomSecretHex()]);
      // The losers are replays of the last accepted code: they do not count toward the lock either way.
      const code = oathCode(shared, 1);
      const instances = [t.services, other.services];
      const outcomes = await Promise.all(Array.from({ length: 100 }, (_, i) => check('racer', code, instances[i % 2])));
      assert.equal(outcomes.filter((o) => o.result === 'accept').length, 1);
      assert.ok(outcomes.every((o) => o.result === 'accept' || (o.result === 'reject' && (o.reason === 'passcode_replayed' || o.reason === 'throttled'))));
      assert.deepEqual([Number((await token(serials[0]!)).counter), Number((await token(serials[1]!)).counter), Number((await token(serials[2]!)).counter)], [2, 2, 1]);
      assert.equal((await token(serials[2]!)).status, 'associated');
    });

    test('nine wrong passcodes, then a right one from the spare: accepted, and the count is cleared on every token', async () => {
      const [desk, spare] = [randomSecretHex(), randomSecretHex()];
      const serials = await userWith('nine', [desk, spare]);
      for (let i = 0; i < 9; i++) {
        await forgetBackOff();
        assert.equal((await check('nine', wrongCode(desk, 1))).reason, 'passcode_wrong', `attempt ${i + 1}`);
      }
      // Counted once per attempt (not once per token), and shown on both tokens.
      assert.equal(await failCountOf('nine'), 9);
      assert.deepEqual([(await token(serials[0]!)).fail_count, (await token(serials[1]!)).fail_count], [9, 9]);
      await forgetBackOff();
      assert.equal((await check('nine', oathCode(spare, 1))).reason, 'passcode_accepted');
      assert.equal(await failCountOf('nine'), 0);
      assert.deepEqual([(await token(serials[0]!)).fail_count, (await token(serials[1]!)).fail_count], [0, 0]);
      // The count starts again: nine more wrong ones do not lock.
      for (let i = 0; i < 9; i++) {
        await forgetBackOff();
        await check('nine', wrongCode(desk, 1));
      }
      assert.deepEqual([(await token(serials[0]!)).status, (await token(serials[1]!)).status], ['associated', 'associated']);
    });

    test("ten wrong passcodes lock both tokens: the lock is the user's, and one unlock lifts it", async () => {
      const [desk, spare] = [randomSecretHex(), randomSecretHex()];
      const serials = await userWith('ten', [desk, spare]);
      for (let i = 0; i < 10; i++) {
        await forgetBackOff();
        assert.equal((await check('ten', wrongCode(spare, 1))).reason, 'passcode_wrong', `attempt ${i + 1}`);
      }
      assert.deepEqual([(await token(serials[0]!)).status, (await token(serials[1]!)).status], ['locked', 'locked']);
      await forgetBackOff();
      const deskCode = oathCode(desk, 1);
      assert.deepEqual([(await check('ten', deskCode)).result, (await check('ten', oathCode(spare, 1))).result], ['locked', 'locked']);
      assert.equal(Number((await token(serials[0]!)).counter), 1, 'a locked token does not move');
      // The audit log has one lock event, not one per token.
      const locks = (await listAuditEvents(t.services.ctx.db, { accountId: t.account.id, action: 'token.lock', limit: 10 })).filter((e) => e.target_user === 'ten');
      assert.equal(locks.length, 1);
      await t.services.tokenStates.unlock(actor, t.account, serials[1]!);
      assert.deepEqual([(await token(serials[0]!)).status, (await token(serials[1]!)).status], ['associated', 'associated']);
      assert.equal(await failCountOf('ten'), 0);
      await forgetBackOff();
      assert.equal((await check('ten', deskCode)).reason, 'passcode_accepted');
    });

    test('simultaneous associations for one user never exceed maxTokensPerUser (two instances on PostgreSQL)', async () => {
      const limited = { ...t.account, max_tokens_per_user: 2 };
      for (let round = 0; round < 8; round++) {
        const username = `limit${round}`;
        await t.services.users.create(actor, t.account, { username, password: PASSWORD });
        const secrets = Array.from({ length: 6 }, () => randomSecretHex());
        const serials = secrets.map(() => `SEV${String(++serialNumber).padStart(5, '0')}`);
        await importTokens(t.services, t.account, secrets.map((secretHex, i) => ({ serial: serials[i]!, secretHex })));
        const instances = [t.services, other.services];
        const outcomes = await Promise.allSettled(serials.map((serial, i) => instances[i % 2]!.tokens.associate(actor, limited, username, serial, oathCode(secrets[i]!, 0))));
        const held = await t.services.tokens.listOfUser(t.account, username);
        assert.equal(held.length, 2, `round ${round}: the user holds the limit, not more`);
        assert.equal(outcomes.filter((o) => o.status === 'fulfilled').length, 2);
        for (const o of outcomes) if (o.status === 'rejected') assert.ok(['token_limit', 'conflict'].includes((o.reason as { code?: string }).code ?? ''), String(o.reason));
      }
    });

    test('bulk association and self-association add a token beside those the user holds', async () => {
      const [desk, bulk, self] = [randomSecretHex(), randomSecretHex(), randomSecretHex()];
      const [deskSerial] = await userWith('adder', [desk]);
      const [bulkSerial, selfSerial] = [`SEV${String(++serialNumber).padStart(5, '0')}`, `SEV${String(++serialNumber).padStart(5, '0')}`];
      await importTokens(t.services, t.account, [{ serial: bulkSerial, secretHex: bulk }, { serial: selfSerial, secretHex: self }]);
      await t.services.tokens.associateBulk(actor, t.account, `adder,${bulkSerial},${oathCode(bulk, 0)}\n`, { dryRun: false });
      await t.services.tokens.selfAssociate(actor, t.account, 'adder', selfSerial, oathCode(self, 0));
      assert.deepEqual((await t.services.tokens.listOfUser(t.account, 'adder')).map((v) => v.serial), [deskSerial, bulkSerial, selfSerial]);
      for (const secret of [desk, bulk, self]) assert.equal((await check('adder', oathCode(secret, 1))).reason, 'passcode_accepted');
    });

    test('a disabled and an expired token beside a usable one change nothing for it and accept nothing', async () => {
      const [usable, disabled, expired] = [randomSecretHex(), randomSecretHex(), randomSecretHex()];
      const serials = await userWith('mixed', [usable, disabled, expired]);
      await t.services.tokenStates.disable(actor, t.account, serials[1]!);
      await t.services.tokenStates.setValidity(actor, t.account, serials[2]!, { validUntil: new Date(Date.now() - 60_000).toISOString() });
      // No passcode: asked for one (the user holds tokens).
      assert.equal((await t.services.signIn.check({ accountId: t.account.id, username: 'mixed', password: PASSWORD, passcode: null, actor })).result, 'otp_required');
      for (const [i, secret] of [disabled, expired].entries()) {
        await forgetBackOff();
        const outcome = await check('mixed', oathCode(secret, 1));
        assert.deepEqual([outcome.result, outcome.reason], ['reject', 'passcode_wrong'], `token ${i + 2}`);
      }
      assert.deepEqual([Number((await token(serials[1]!)).counter), Number((await token(serials[2]!)).counter)], [1, 1], 'neither unusable token moved');
      await forgetBackOff();
      assert.equal((await check('mixed', oathCode(usable, 1))).reason, 'passcode_accepted');
      // Only unusable tokens left: a passcode is still asked for, and none is accepted.
      await t.services.tokenStates.disable(actor, t.account, serials[0]!);
      await forgetBackOff();
      assert.equal((await t.services.signIn.check({ accountId: t.account.id, username: 'mixed', password: PASSWORD, passcode: null, actor })).result, 'otp_required');
      const refused = await check('mixed', oathCode(usable, 2));
      assert.deepEqual([refused.result, refused.reason], ['reject', 'token_disabled']);
    });
  });
}
