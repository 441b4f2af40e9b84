// Associate (the seed: serial number + one OTP code): the token must be available in the same account and
// the code one of its next associateWindow codes; every refusal has its own code (a token of another
// account answers token_not_found like an unknown one, by the SPEC's 404 rule) and its own audit reason.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { OPERATOR } from '../../src/services/context.js';
import { ServiceError } from '../../src/services/errors.js';
import { toAccountView } from '../../src/services/account-service.js';
import { auditEvents, importCsv, makeInstallation, PASSWORD, tokenOf, type Installation } from '../helpers/installation.js';
import { oathCode } from '../helpers/otp.js';
import { randomSecretHex } from '../helpers/secrets.js';

function refusedWith(code: string, message?: RegExp) {
  return (error: unknown) => {
    assert.ok(error instanceof ServiceError, String(error));
    assert.equal(error.code, code);
    if (message) assert.match(error.message, message);
    return true;
  };
}

describe('associate', () => {
  let inst: Installation;
  const secret = randomSecretHex();
  const otherSecret = randomSecretHex();
  before(async () => {
    inst = await makeInstallation();
    await importCsv(inst.services, inst.account, `1111111111111,${secret}\n2222222222222,${randomSecretHex()}\n`);
    const other = await inst.services.accounts.create(OPERATOR, 'other');
    await importCsv(inst.services, other, `3333333333333,${otherSecret}\n`);
    for (const name of ['alice', 'bob', 'carol']) await inst.services.users.create(OPERATOR, inst.account, { username: name, password: PASSWORD });
  });
  after(() => inst.cleanup());

  const associate = (user: string, serial: string, otp: string) => inst.services.tokens.associate(OPERATOR, inst.account, user, serial, otp);
  const lastReason = async (user: string) => (await auditEvents(inst, { username: user }))[0]!.reason;

  it('refuses a code at C + associateWindow, and a malformed code, without binding', async () => {
    await assert.rejects(associate('alice', '1111111111111', oathCode(secret, 20)), refusedWith('passcode_not_accepted'));
    await assert.rejects(associate('alice', '1111111111111', '12345'), refusedWith('invalid_passcode'));
    const token = await inst.services.tokens.show(inst.account, '1111111111111');
    assert.deepEqual([token.status, token.username, token.counter], ['available', null, 0]);
  });

  it('binds with a code at C + associateWindow - 1, typed serial normalised, and moves C past it', async () => {
    const view = await associate('alice', '1111 11111-1111', oathCode(secret, 19));
    assert.deepEqual([view.status, view.username, view.counter], ['associated', 'alice', 20]);
    assert.equal((await tokenOf(inst, 'alice')).serial, '1111111111111');
  });

  it("refuses a user who already holds the account's maxTokensPerUser tokens (token_limit), naming them", async () => {
    await inst.services.accounts.updateSettings(OPERATOR, inst.account, { maxTokensPerUser: 1 });
    try {
      const account = await inst.services.accounts.resolve(OPERATOR);
      await assert.rejects(inst.services.tokens.associate(OPERATOR, account, 'alice', '2222222222222', '000000'), refusedWith('token_limit', /1111111111111/));
      assert.equal(await lastReason('alice'), 'token limit reached');
    } finally {
      await inst.services.accounts.updateSettings(OPERATOR, inst.account, { maxTokensPerUser: 3 });
    }
  });

  it('refuses a token already associated with someone else, naming them to an administrator only', async () => {
    await assert.rejects(associate('bob', '1111111111111', oathCode(secret, 20)), refusedWith('token_not_available', /token 1111111111111 is already associated with "alice"/));
    assert.equal(await lastReason('bob'), 'token associated');
    assert.equal((await tokenOf(inst, 'alice')).counter, 20);
    // A user associating their own token is not told who holds the serial they typed.
    const before = toAccountView(inst.account).settings;
    await inst.services.accounts.updateSettings(OPERATOR, inst.account, { selfAssociation: true });
    try {
      const open = await inst.services.accounts.resolve(OPERATOR, inst.account.name);
      await assert.rejects(
        inst.services.tokens.selfAssociate({ name: 'console:bob', accountId: open.id, clientIp: '192.0.2.5' }, open, 'bob', '1111111111111', oathCode(secret, 20)),
        (error: unknown) => refusedWith('token_not_available', /already associated with a user/)(error) && !(error as Error).message.includes('alice'),
      );
    } finally {
      await inst.services.accounts.updateSettings(OPERATOR, inst.account, before);
    }
  });

  it('refuses an unknown serial', async () => {
    await assert.rejects(associate('bob', '9999999999999', '000000'), refusedWith('token_not_found'));
    assert.equal(await lastReason('bob'), 'unknown serial');
  });

  it("answers a token of another account as not found, and audits it as an unknown serial", async () => {
    await assert.rejects(associate('bob', '3333333333333', oathCode(otherSecret, 0)), refusedWith('token_not_found'));
    assert.equal(await lastReason('bob'), 'unknown serial', "account A's audit log does not learn that the serial exists elsewhere");
    const other = await inst.services.accounts.resolve(OPERATOR, 'other');
    assert.equal((await inst.services.tokens.show(other, '3333333333333')).status, 'available');
  });

  it('refuses an invalid serial and an unknown user', async () => {
    await assert.rejects(associate('bob', 'bad/serial', '000000'), refusedWith('invalid_serial'));
    await assert.rejects(associate('nobody', '2222222222222', '000000'), refusedWith('user_not_found'));
  });

  it('returns the token to the inventory on disassociate, counter kept, so another user can associate it', async () => {
    const view = await inst.services.tokens.disassociate(OPERATOR, inst.account, 'alice');
    assert.deepEqual([view.status, view.username, view.counter], ['available', null, 20]);
    await assert.rejects(associate('carol', '1111111111111', oathCode(secret, 19)), refusedWith('passcode_not_accepted'));
    assert.equal((await associate('carol', '1111111111111', oathCode(secret, 20))).username, 'carol');
  });
});
