// Hardware time-based tokens (SPEC, "Time-based tokens"; RFC 6238) on both engines: a passcode is accepted for
// the server's step ± totpWindow around the token's recorded drift; a step at or before the last accepted one
// is a replay, also when two requests race with it (one winner); a card whose clock drifted is re-synced with
// two consecutive codes searched over ± totpSyncSteps, which records the drift; an association proves one code
// the same way. Every code comes from Debian's oathtool (--totp -N), the service's clock set to the same time.
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { loadConfig } from '../../src/runtime/config.js';
import { openInstance, type Instance } from '../../src/runtime/instance.js';
import { OPERATOR } from '../../src/services/context.js';
import { ServiceError } from '../../src/services/errors.js';
import type { Services } from '../../src/services/services.js';
import { findTokenBySerial } from '../../src/store/token-store.js';
import { engineCases, inputOf, type TestInstallation } from '../helpers/engines.js';
import { oathTotpCode, type Algorithm } from '../helpers/otp.js';

const PASSWORD = 'time-based password';
/** A fixed time mid-step (10 s into a 30-s and a 60-s step), so that no code of the test sits on a step's edge. */
const T0 = Date.UTC(2027, 2, 1, 9, 0, 10);
const MINUTE = 60_000;

interface Card {
  serial: string;
  secretHex: string;
  step: number;
  digits: number;
  algorithm: Algorithm;
  /** The card's clock runs this many ms ahead of true time (negative: behind). */
  skewMs: number;
}

/** The code the card shows when the true time is `atMs`: oathtool at the card's own time. */
const codeOf = (card: Card, atMs: number) => oathTotpCode(card.secretHex, new Date(atMs + card.skewMs), card.step, card.digits, card.algorithm);

let serials = 0;

for (const engine of await engineCases()) {
  describe(`time-based tokens on ${engine.engine}`, { skip: engine.skip }, () => {
    let t: TestInstallation;
    /** On PostgreSQL a second instance on the same database (its own pool), as a second process is. */
    let other: Instance;
    let nowMs = T0;
    const setTime = (ms: number) => void (nowMs = ms);
    before(async () => {
      t = await engine.start();
      other = engine.engine === 'postgres' ? await openInstance(loadConfig(t.env)) : t.instance;
      // The services read the time the test sets: oathtool's --now and the service's clock agree.
      t.services.ctx.now = () => nowMs;
      other.services.ctx.now = () => nowMs;
    });
    after(async () => {
      if (other !== t?.instance) await other?.close();
      await t?.close();
    });

    /** Imports a TOTP card (the seed file's time step, algorithm and digits) and a user; not associated yet. */
    const newCard = async (options: Partial<Omit<Card, 'serial' | 'secretHex'>> = {}): Promise<{ card: Card; username: string }> => {
      const algorithm = options.algorithm ?? 'SHA1';
      const card: Card = {
        serial: `TOTP${String(++serials).padStart(4, '0')}`,
        secretHex: randomBytes(algorithm === 'SHA512' ? 64 : algorithm === 'SHA256' ? 32 : 20).toString('hex'),
        step: options.step ?? 30,
        digits: options.digits ?? 6,
        algorithm,
        skewMs: options.skewMs ?? 0,
      };
      const csv = `${card.serial},${card.secretHex},totp,${card.digits},${card.step},${card.algorithm}\n`;
      const report = await t.services.imports.import(OPERATOR, t.account, { input: inputOf(csv), format: 'csv' });
      assert.equal(report.imported, 1);
      const username = `totp${serials}`;
      await t.services.users.create(OPERATOR, t.account, { username, password: PASSWORD });
      return { card, username };
    };
    /** A card associated at `atMs` with the code it showed then (its clock still right). */
    const associatedCard = async (options: Partial<Omit<Card, 'serial' | 'secretHex'>> = {}, atMs = nowMs) => {
      const made = await newCard(options);
      setTime(atMs);
      await t.services.tokens.associate(OPERATOR, t.account, made.username, made.card.serial, codeOf({ ...made.card, skewMs: 0 }, atMs));
      made.card.skewMs = options.skewMs ?? 0;
      return made;
    };
    const signIn = (services: Services, username: string, passcode: string) =>
      services.signIn.check({ accountId: t.account.id, username, password: PASSWORD, passcode, actor: { name: 'test', accountId: null, clientIp: null } });
    /** Changes the account's settings and reads the account again (the services take the row they are given). */
    const settle = async (changes: Parameters<Services['accounts']['updateSettings']>[2]) => {
      await t.services.accounts.updateSettings(OPERATOR, t.account, changes);
      t.account = await t.services.accounts.resolve(OPERATOR);
    };
    const stored = async (serial: string) => (await findTokenBySerial(t.services.ctx.db, t.account.id, serial))!;

    test('a card 4 minutes fast is refused; two consecutive codes re-sync it, the drift is stored, and its codes are accepted after', async () => {
      const { card, username } = await associatedCard({}, T0);
      // Months later its clock runs 4 minutes (8 steps of 30 s) fast: beyond the window of ± 1 step.
      card.skewMs = 4 * MINUTE;
      const later = T0 + 90 * 24 * 60 * MINUTE;
      setTime(later);
      assert.equal((await signIn(t.services, username, codeOf(card, later))).reason, 'passcode_wrong');
      // The user reads a code, waits for the next, and sends both: the second is what the card shows now.
      const first = codeOf(card, later - 30_000);
      const second = codeOf(card, later);
      const view = await t.services.tokens.resync(OPERATOR, t.account, username, first, second);
      assert.deepEqual([view.driftSteps, view.status, view.failCount], [8, 'associated', 0]);
      assert.equal(Number((await stored(card.serial)).drift_steps), 8);
      // The re-sync's codes are spent: neither signs in.
      assert.equal((await signIn(t.services, username, second)).result, 'reject');
      // The card's next code is accepted, and again after a reopen (the drift is in the database).
      setTime(later + 30_000);
      assert.deepEqual(await signIn(t.services, username, codeOf(card, later + 30_000)).then((o) => [o.result, o.reason]), ['accept', 'passcode_accepted']);
      setTime(later + 5 * MINUTE);
      assert.equal((await signIn(t.services, username, codeOf(card, later + 5 * MINUTE))).result, 'accept');
      // A code of the server's own step (what the card would show without its drift) is 8 steps off: refused.
      setTime(later + 10 * MINUTE);
      assert.equal((await signIn(t.services, username, codeOf({ ...card, skewMs: 0 }, later + 10 * MINUTE))).reason, 'passcode_wrong');
    });

    test('a card behind the server (60-s steps, SHA-256, 8 digits) re-syncs to a negative drift', async () => {
      const { card, username } = await associatedCard({ step: 60, digits: 8, algorithm: 'SHA256' }, T0);
      card.skewMs = -7 * MINUTE;
      const later = T0 + 10 * 24 * 60 * MINUTE;
      setTime(later);
      assert.equal((await signIn(t.services, username, codeOf(card, later))).reason, 'passcode_wrong');
      const view = await t.services.tokens.resync(OPERATOR, t.account, username, codeOf(card, later - 60_000), codeOf(card, later));
      assert.equal(view.driftSteps, -7);
      setTime(later + 60_000);
      assert.equal((await signIn(t.services, username, codeOf(card, later + 60_000))).result, 'accept');
    });

    test('SHA-512 with 7 digits: accepted one step either side (totpWindow 1), refused two steps off', async () => {
      const { card, username } = await associatedCard({ algorithm: 'SHA512', digits: 7 }, T0 + MINUTE);
      const at = T0 + 30 * MINUTE;
      setTime(at);
      assert.equal((await signIn(t.services, username, codeOf(card, at + 60_000))).reason, 'passcode_wrong', 'two steps ahead');
      assert.equal((await signIn(t.services, username, codeOf(card, at - 30_000))).result, 'accept', 'one step behind');
      assert.equal((await signIn(t.services, username, codeOf(card, at + 30_000))).result, 'accept', 'one step ahead');
      assert.equal(Number((await stored(card.serial)).drift_steps), 0, 'a sign-in does not move the recorded drift');
    });

    test('the same step twice: the second is refused as a replay, and so is an earlier step of the window once a later one was accepted', async () => {
      const { card, username } = await associatedCard({}, T0 + 2 * MINUTE);
      const at = T0 + 20 * MINUTE;
      setTime(at);
      const code = codeOf(card, at);
      assert.equal((await signIn(t.services, username, code)).result, 'accept');
      const again = await signIn(t.services, username, code);
      assert.deepEqual([again.result, again.reason], ['reject', 'passcode_replayed']);
      // Still within its 30 s, and later while the step is still in the window: refused.
      setTime(at + 25_000);
      assert.equal((await signIn(t.services, username, code)).reason, 'passcode_replayed');
      // The step before (in the window of ± 1) was never used, but it is before the last accepted one.
      assert.equal((await signIn(t.services, username, codeOf(card, at - 30_000))).result, 'reject');
      // The association's own code is spent too.
      const { card: fresh, username: freshUser } = await newCard();
      setTime(at);
      const associateCode = codeOf(fresh, at);
      await t.services.tokens.associate(OPERATOR, t.account, freshUser, fresh.serial, associateCode);
      assert.equal((await signIn(t.services, freshUser, associateCode)).reason, 'passcode_replayed');
      assert.equal((await signIn(t.services, freshUser, codeOf(fresh, at + 30_000))).result, 'accept');
    });

    test('racing uses of one code (over two instances on PostgreSQL): exactly one is accepted', async () => {
      const { card, username } = await associatedCard({}, T0 + 3 * MINUTE);
      // The losers count as replays of a good code; a lock must not get in the way of counting them.
      await settle({ maxFailures: 100 });
      const at = T0 + 40 * MINUTE;
      setTime(at);
      const code = codeOf(card, at);
      const instances = [t.services, other.services];
      const outcomes = await Promise.all(Array.from({ length: 30 }, (_, i) => signIn(instances[i % 2]!, username, code)));
      assert.equal(outcomes.filter((o) => o.result === 'accept').length, 1);
      assert.ok(outcomes.every((o) => o.result === 'accept' || o.reason === 'passcode_replayed' || o.reason === 'throttled'), JSON.stringify(outcomes));
      const row = await stored(card.serial);
      assert.equal(Number(row.counter), Math.floor(at / 30_000) + 1, 'the next allowed step is the one after the accepted step');
      await settle({ maxFailures: 10 });
    });

    test('racing re-syncs of one pair: exactly one wins, and the pair cannot re-sync again', async () => {
      const { card, username } = await associatedCard({}, T0 + 4 * MINUTE);
      card.skewMs = 3 * MINUTE;
      const at = T0 + 50 * MINUTE;
      setTime(at);
      const pair = [codeOf(card, at - 30_000), codeOf(card, at)] as const;
      const instances = [t.services, other.services];
      const results = await Promise.allSettled(Array.from({ length: 6 }, (_, i) => instances[i % 2]!.tokens.resync(OPERATOR, t.account, username, pair[0], pair[1])));
      assert.equal(results.filter((r) => r.status === 'fulfilled').length, 1);
      for (const r of results) if (r.status === 'rejected') assert.ok(r.reason instanceof ServiceError && r.reason.code === 'resync_failed', String(r.reason));
      assert.equal(Number((await stored(card.serial)).drift_steps), 6);
      await assert.rejects(t.services.tokens.resync(OPERATOR, t.account, username, pair[0], pair[1]), (e: unknown) => e instanceof ServiceError && e.code === 'resync_failed');
      await t.services.tokenStates.unlockHolder(OPERATOR, t.account, username);
    });

    test('re-sync searches ± totpSyncSteps: a pair just inside is found, one just outside is refused and counts', async () => {
      await settle({ totpSyncSteps: 20 });
      try {
        const { card, username } = await associatedCard({}, T0 + 5 * MINUTE);
        const at = T0 + 60 * MINUTE;
        setTime(at);
        // 21 steps fast: its first code is 20 steps ahead (inside), its second 21 (just after, as a pair's may be).
        card.skewMs = 21 * 30_000;
        const outside = { ...card, skewMs: 22 * 30_000 };
        await assert.rejects(t.services.tokens.resync(OPERATOR, t.account, username, codeOf(outside, at - 30_000), codeOf(outside, at)), (e: unknown) => e instanceof ServiceError && e.code === 'resync_failed');
        assert.equal((await t.services.tokens.ofUser(t.account, username)).failCount, 1);
        const view = await t.services.tokens.resync(OPERATOR, t.account, username, codeOf(card, at - 30_000), codeOf(card, at));
        assert.deepEqual([view.driftSteps, view.failCount], [21, 0]);
      } finally {
        await settle({ totpSyncSteps: 2880 });
      }
    });

    test('totpWindow: 0 accepts the drifted step alone, 3 accepts three steps off', async () => {
      const { card, username } = await associatedCard({}, T0 + 6 * MINUTE);
      const at = T0 + 70 * MINUTE;
      try {
        await settle({ totpWindow: 0 });
        setTime(at);
        assert.equal((await signIn(t.services, username, codeOf(card, at + 30_000))).reason, 'passcode_wrong');
        assert.equal((await signIn(t.services, username, codeOf(card, at))).result, 'accept');
        await settle({ totpWindow: 3 });
        setTime(at + MINUTE);
        assert.equal((await signIn(t.services, username, codeOf(card, at + MINUTE + 90_000))).result, 'accept');
      } finally {
        await settle({ totpWindow: 1 });
      }
      await assert.rejects(t.services.accounts.updateSettings(OPERATOR, t.account, { totpWindow: 11 }), (e: unknown) => e instanceof ServiceError && e.details?.field === 'totpWindow');
    });

    test('association proves one code the same way: a card 4 minutes fast is refused, one in the window is accepted', async () => {
      const { card, username } = await newCard({ skewMs: 4 * MINUTE });
      const at = T0 + 80 * MINUTE;
      setTime(at);
      await assert.rejects(t.services.tokens.associate(OPERATOR, t.account, username, card.serial, codeOf(card, at)), (e: unknown) => e instanceof ServiceError && e.code === 'passcode_not_accepted');
      const view = await t.services.tokens.associate(OPERATOR, t.account, username, card.serial, codeOf({ ...card, skewMs: 30_000 }, at));
      assert.deepEqual([view.status, view.driftSteps], ['associated', 0]);
    });
  });
}
