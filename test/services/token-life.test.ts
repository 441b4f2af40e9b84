// A token's states beyond associate and disassociate, on both engines: disable (still the user's token, so
// OTP stays required, but no passcode from it is accepted: reason token_disabled), enable, retire (never
// associable again, kept listed), and validity dates (outside them: token_expired), kept from a PSKC file.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { OPERATOR, type Actor } from '../../src/services/context.js';
import { ServiceError } from '../../src/services/errors.js';
import type { Services } from '../../src/services/services.js';
import type { AccountRow } from '../../src/store/schema.js';
import { TestClock } from '../helpers/clock.js';
import { engineCases, importTokens, inputOf, type TestInstallation } from '../helpers/engines.js';
import { oathCode } from '../helpers/otp.js';
import { randomSecretHex } from '../helpers/secrets.js';

const PASSWORD = 'correct horse battery';
const actor: Actor = { name: 'api:test', accountId: null, clientIp: '192.0.2.20' };

function refusedWith(code: string) {
  return (error: unknown) => error instanceof ServiceError && error.code === code;
}

for (const engine of await engineCases()) {
  describe(`a token's states (${engine.engine})`, { skip: engine.skip }, () => {
    let installation: TestInstallation;
    let services: Services;
    let account: AccountRow;
    const tokens = Array.from({ length: 4 }, (_, i) => ({ serial: `66000000000${10 + i}`, secretHex: randomSecretHex() }));
    const [dis, ret, val, spare] = tokens as [(typeof tokens)[0], (typeof tokens)[0], (typeof tokens)[0], (typeof tokens)[0]];

    before(async () => {
      installation = await engine.start();
      services = installation.services;
      account = installation.account;
      await importTokens(services, account, tokens);
      for (const name of ['tl-dora', 'tl-rita', 'tl-vera', 'tl-sam']) await services.users.create(OPERATOR, account, { username: name, password: PASSWORD, role: 'user' });
    });
    after(() => installation?.close());

    const check = (username: string, passcode: string | null) =>
      services.signIn.check({ accountId: account.id, username, password: PASSWORD, passcode, actor: { ...actor, accountId: account.id }, clientIpIsEndUser: false });
    const lastSignIn = async (username: string) => (await services.audit.list({ accountId: account.id, username, limit: 50 })).find((e) => e.action === 'signin');

    test('disable: OTP is still asked for, the right passcode is refused (token_disabled) and the counter stays; enable restores it', async () => {
      await services.tokens.associate(OPERATOR, account, 'tl-dora', dis.serial, oathCode(dis.secretHex, 0));
      const disabled = await services.tokenStates.disable(OPERATOR, account, dis.serial);
      assert.deepEqual([disabled.status, disabled.username], ['disabled', 'tl-dora']);
      assert.equal((await check('tl-dora', null)).result, 'otp_required', 'a disabled token still makes OTP required');
      const refused = await check('tl-dora', oathCode(dis.secretHex, 1));
      assert.deepEqual([refused.result, refused.reason], ['reject', 'token_disabled']);
      assert.equal((await lastSignIn('tl-dora'))?.reason, 'token_disabled');
      assert.equal((await services.tokens.show(account, dis.serial)).counter, 1, 'a refused passcode does not move the counter');
      assert.equal((await services.users.show(account, 'tl-dora')).token?.status, 'disabled');
      // Disabling twice, re-syncing or unlocking a disabled token is refused; associating it to another user too.
      await assert.rejects(services.tokenStates.disable(OPERATOR, account, dis.serial), refusedWith('token_not_available'));
      await assert.rejects(services.tokenStates.unlock(OPERATOR, account, dis.serial), refusedWith('token_not_available'));
      await assert.rejects(services.tokens.resync(OPERATOR, account, 'tl-dora', oathCode(dis.secretHex, 1), oathCode(dis.secretHex, 2)), refusedWith('token_not_available'));
      await assert.rejects(services.tokens.associate(OPERATOR, account, 'tl-sam', dis.serial, oathCode(dis.secretHex, 1)), refusedWith('token_not_available'));

      const enabled = await services.tokenStates.enable(OPERATOR, account, dis.serial);
      assert.equal(enabled.status, 'associated');
      assert.equal((await check('tl-dora', oathCode(dis.secretHex, 1))).result, 'accept');
      await assert.rejects(services.tokenStates.enable(OPERATOR, account, dis.serial), refusedWith('token_not_available'));
      const actions = (await services.audit.list({ accountId: account.id, username: 'tl-dora', limit: 50 })).map((e) => `${e.action}:${e.outcome}`);
      for (const expected of ['token.disable:success', 'token.enable:success', 'token.disable:failure', 'token.enable:failure']) assert.ok(actions.includes(expected), expected);
    });

    test('a disabled token can be disassociated, and returns to the inventory enabled', async () => {
      await services.tokenStates.disable(OPERATOR, account, dis.serial);
      const view = await services.tokens.disassociate(OPERATOR, account, 'tl-dora');
      assert.deepEqual([view.status, view.username], ['available', null]);
    });

    test('retire: disassociated, never associable again, kept listed with its reason; a second retire is refused', async () => {
      await services.tokens.associate(OPERATOR, account, 'tl-rita', ret.serial, oathCode(ret.secretHex, 0));
      await assert.rejects(services.tokenStates.retire(OPERATOR, account, ret.serial, 'stolen'), refusedWith('invalid_request'));
      const retired = await services.tokenStates.retire(OPERATOR, account, ret.serial, 'lost');
      assert.deepEqual([retired.status, retired.username, retired.retiredReason], ['retired', null, 'lost']);
      assert.ok(retired.retiredAt !== null && Math.abs(Date.parse(retired.retiredAt) - Date.now()) < 60_000);
      assert.equal((await services.users.show(account, 'tl-rita')).token, null);
      // The user now has no token: with no restriction, the password alone signs in again.
      assert.deepEqual([(await check('tl-rita', null)).reason], ['password_only']);
      await assert.rejects(services.tokens.associate(OPERATOR, account, 'tl-rita', ret.serial, oathCode(ret.secretHex, 1)), refusedWith('token_not_available'));
      await assert.rejects(services.tokens.associate(OPERATOR, account, 'tl-sam', ret.serial, oathCode(ret.secretHex, 1)), refusedWith('token_not_available'));
      await assert.rejects(services.tokenStates.retire(OPERATOR, account, ret.serial, 'other'), refusedWith('token_not_available'));
      assert.deepEqual((await services.tokens.list(account, { status: 'retired' })).map((t) => t.serial), [ret.serial]);
      const retire = (await services.audit.list({ accountId: account.id, username: 'tl-rita', limit: 50 })).find((e) => e.action === 'token.retire' && e.outcome === 'success');
      assert.equal(retire?.reason, 'lost');
      assert.equal(retire?.serial, ret.serial);
      // An inventory token can be retired too (broken before it was handed out).
      assert.equal((await services.tokenStates.retire(OPERATOR, account, spare.serial, 'broken')).status, 'retired');
    });

    test('a token retired while its passcode is being checked: the sign-in never accepts after the retire', async () => {
      // Race a sign-in with a good code against the retire, many times over: the counter's compare-and-set
      // requires an associated token, so either the sign-in committed first or it is refused.
      const racers = Array.from({ length: 6 }, (_, i) => ({ serial: `66100000000${10 + i}`, secretHex: randomSecretHex() }));
      await importTokens(services, account, racers);
      const outcomes: string[] = [];
      for (const [i, racer] of racers.entries()) {
        // A user per round: a lost compare-and-set is a replay, which counts toward the user's back-off.
        const username = `tl-race${i}`;
        await services.users.create(OPERATOR, account, { username, password: PASSWORD, role: 'user' });
        await services.tokens.associate(OPERATOR, account, username, racer.serial, oathCode(racer.secretHex, 0));
        const [outcome] = await Promise.all([check(username, oathCode(racer.secretHex, 1)), services.tokenStates.retire(OPERATOR, account, racer.serial, 'returned')]);
        // Newest first: this round's sign-in (it names no serial when the retire came first) and retire.
        const events = await services.audit.list({ accountId: account.id, username, limit: 20 });
        const signIn = events.find((e) => e.action === 'signin');
        const retire = events.find((e) => e.action === 'token.retire' && e.serial === racer.serial);
        assert.ok(signIn && retire, 'both are audited');
        if (outcome.result === 'accept') assert.ok(signIn.id < retire.id, 'an accepted sign-in committed before the retire');
        else assert.equal(outcome.result, 'reject');
        outcomes.push(`${outcome.result}:${outcome.reason}`);
        assert.equal((await services.tokens.show(account, racer.serial)).status, 'retired');
      }
      // Each outcome is one of the two orders: accepted first, or refused (no token any more, or a lost compare-and-set).
      for (const outcome of outcomes) assert.match(outcome, /^(accept:passcode_accepted|reject:passcode_replayed|accept:password_only)$/);
    });

    test('validity dates: outside them the token is refused (token_expired); setting them is audited; an expired token is not associated', async () => {
      await services.tokens.associate(OPERATOR, account, 'tl-vera', val.serial, oathCode(val.secretHex, 0));
      const past = new Date(Date.now() - 60_000).toISOString();
      const view = await services.tokenStates.setValidity(OPERATOR, account, val.serial, { validUntil: past });
      assert.equal(view.validUntil, past);
      assert.equal(view.validFrom, null);
      assert.equal((await check('tl-vera', null)).result, 'otp_required');
      assert.deepEqual([(await check('tl-vera', oathCode(val.secretHex, 1))).reason], ['token_expired']);
      const future = new Date(Date.now() + 3_600_000).toISOString();
      await services.tokenStates.setValidity(OPERATOR, account, val.serial, { validFrom: future, validUntil: null });
      assert.deepEqual([(await check('tl-vera', oathCode(val.secretHex, 1))).reason], ['token_expired'], 'not valid yet');
      await services.tokenStates.setValidity(OPERATOR, account, val.serial, { validFrom: null });
      assert.equal((await check('tl-vera', oathCode(val.secretHex, 1))).result, 'accept');
      await assert.rejects(services.tokenStates.setValidity(OPERATOR, account, val.serial, { validFrom: future, validUntil: past }), refusedWith('invalid_request'));
      await assert.rejects(services.tokenStates.setValidity(OPERATOR, account, val.serial, { validUntil: 'next tuesday' }), refusedWith('invalid_request'));
      const set = (await services.audit.list({ accountId: account.id, limit: 100 })).find((e) => e.action === 'token.set_validity');
      assert.match(set?.reason ?? '', /^valid from open until open$/);

      await services.tokens.disassociate(OPERATOR, account, 'tl-vera');
      await services.tokenStates.setValidity(OPERATOR, account, val.serial, { validUntil: past });
      await assert.rejects(services.tokens.associate(OPERATOR, account, 'tl-vera', val.serial, oathCode(val.secretHex, 2)), refusedWith('token_not_available'));
    });

    test("a PSKC file's validity dates are kept on the token, and enforced once they pass", async () => {
      // An installation of its own on a test clock: the expiry passes when the test moves the clock, however
      // long the import and the association take on a loaded machine.
      const clock = new TestClock(Date.now());
      const own = await engine.start({ clock });
      try {
        const ownAccount = own.account;
        const secretHex = randomSecretHex();
        const until = new Date(clock.now + 60_000);
        const pskc = `<?xml version="1.0" encoding="UTF-8"?>
<KeyContainer Version="1.0" xmlns="urn:ietf:params:xml:ns:keyprov:pskc">
  <KeyPackage>
    <DeviceInfo><Manufacturer>Test</Manufacturer><SerialNo>6620000000001</SerialNo></DeviceInfo>
    <Key Id="k1" Algorithm="urn:ietf:params:xml:ns:keyprov:pskc:hotp">
      <AlgorithmParameters><ResponseFormat Length="6" Encoding="DECIMAL"/></AlgorithmParameters>
      <Data><Secret><PlainValue>${Buffer.from(secretHex, 'hex').toString('base64')}</PlainValue></Secret><Counter><PlainValue>0</PlainValue></Counter></Data>
      <Policy><StartDate>2020-01-01T00:00:00Z</StartDate><ExpiryDate>${until.toISOString()}</ExpiryDate></Policy>
    </Key>
  </KeyPackage>
</KeyContainer>`;
        const report = await own.services.imports.import(OPERATOR, ownAccount, { input: inputOf(pskc), format: 'pskc' });
        assert.equal(report.imported, 1, JSON.stringify(report.skipped));
        const token = await own.services.tokens.show(ownAccount, '6620000000001');
        assert.equal(token.validFrom, '2020-01-01T00:00:00.000Z');
        assert.equal(token.validUntil, until.toISOString());
        await own.services.users.create(OPERATOR, ownAccount, { username: 'tl-pia', password: PASSWORD, role: 'user' });
        await own.services.tokens.associate(OPERATOR, ownAccount, 'tl-pia', '6620000000001', oathCode(secretHex, 0));
        const ownCheck = (passcode: string) =>
          own.services.signIn.check({ accountId: ownAccount.id, username: 'tl-pia', password: PASSWORD, passcode, actor: { ...actor, accountId: ownAccount.id }, clientIpIsEndUser: false });
        clock.advance(59);
        assert.equal((await ownCheck(oathCode(secretHex, 1))).result, 'accept', 'valid until its expiry date');
        clock.advance(2);
        assert.deepEqual([(await ownCheck(oathCode(secretHex, 2))).reason], ['token_expired']);
      } finally {
        await own.close();
      }
    });

    test("a token's history: its events newest first, sign-ins only when asked, paged, the import last", async () => {
      const history = await services.tokens.history(account, dis.serial);
      assert.deepEqual(
        history.events.map((e) => `${e.action}:${e.outcome}`),
        [
          'token.disassociate:success',
          'token.disable:success',
          'token.enable:failure',
          'token.enable:success',
          'token.associate:failure', // tl-sam's try while it was disabled
          'token.disable:failure',
          'token.disable:success',
          'token.associate:success',
        ],
      );
      assert.equal(history.nextBefore, null);
      assert.ok(Date.parse(history.importedAt) <= Date.parse(history.events.at(-1)!.at));
      const withSignIns = await services.tokens.history(account, dis.serial, { signIns: true });
      assert.ok(withSignIns.events.some((e) => e.action === 'signin' && e.reason === 'token_disabled'));
      const page = await services.tokens.history(account, dis.serial, { limit: 3 });
      assert.equal(page.events.length, 3);
      assert.ok(page.nextBefore !== null);
      const rest = await services.tokens.history(account, dis.serial, { limit: 100, before: page.nextBefore });
      assert.deepEqual([...page.events, ...rest.events].map((e) => e.id), history.events.map((e) => e.id));
      const other = await services.accounts.create(OPERATOR, 'history-other');
      await assert.rejects(services.tokens.history(other, dis.serial), refusedWith('token_not_found'));
    });

    test('associate-bulk: all lines or none, the bad line named; a line without a passcode is unproven', async () => {
      const bulk = Array.from({ length: 3 }, (_, i) => ({ serial: `66300000000${10 + i}`, secretHex: randomSecretHex() }));
      await importTokens(services, account, bulk);
      for (const name of ['tl-b0', 'tl-b1', 'tl-b2']) await services.users.create(OPERATOR, account, { username: name, password: PASSWORD, role: 'user' });
      const lines = [`tl-b0,${bulk[0]!.serial},${oathCode(bulk[0]!.secretHex, 0)}`, `tl-b1,${bulk[1]!.serial}`, `tl-b2,${bulk[2]!.serial},${oathCode(bulk[2]!.secretHex, 50)}`];
      await assert.rejects(services.tokens.associateBulk(OPERATOR, account, lines.join('\n'), { dryRun: false }), (error: unknown) => error instanceof ServiceError && /^line 3: /.test(error.message));
      assert.deepEqual((await services.tokens.list(account, { q: '663' })).map((t) => t.status), ['available', 'available', 'available'], 'nothing associated');
      lines[2] = `tl-b2,${bulk[2]!.serial},${oathCode(bulk[2]!.secretHex, 3)}`;
      const report = await services.tokens.associateBulk(OPERATOR, account, lines.join('\n'), { dryRun: false });
      assert.deepEqual(report.associated.map((a) => a.proven), [true, false, true]);
      assert.deepEqual((await services.tokens.list(account, { q: '663' })).map((t) => [t.status, t.username, t.counter]), [['associated', 'tl-b0', 1], ['associated', 'tl-b1', 0], ['associated', 'tl-b2', 4]]);
    });

    test('the audit chain is whole after all of it', async () => {
      assert.equal((await services.audit.verify()).brokenAt, null);
    });
  });
}
