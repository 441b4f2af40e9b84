// Issue #29 item 11 in the token service: whether a password-alone sign-in suggests a token (an administrator
// who holds none), whether a signed-in user may associate one from /account (self-association on, under
// maxTokensPerUser), and that such an association is audited as token.associate without recording a sign-in
// (the user was signed in already), while the sign-in prompt's association still records its sign-in.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { OPERATOR } from '../../src/services/context.js';
import { importCsv, makeInstallation, PASSWORD, type Installation } from '../helpers/installation.js';
import { oathCode } from '../helpers/otp.js';
import { randomSecretHex } from '../helpers/secrets.js';

describe('associating a token of one\'s own', () => {
  let inst: Installation;
  const secrets = [randomSecretHex(), randomSecretHex(), randomSecretHex()];
  const serials = ['6100000000001', '6100000000002', '6100000000003'];
  const actor = (name: string) => ({ name: `console:${name}`, accountId: inst.account.id, clientIp: '192.0.2.7' });
  const account = () => inst.services.accounts.resolve(OPERATOR, inst.account.name);
  before(async () => {
    inst = await makeInstallation();
    await importCsv(inst.services, inst.account, serials.map((s, i) => `${s},${secrets[i]}`).join('\n') + '\n');
    await inst.services.users.create(OPERATOR, inst.account, { username: 'boss', password: PASSWORD, role: 'admin' });
    await inst.services.users.create(OPERATOR, inst.account, { username: 'pat', password: PASSWORD });
  });
  after(() => inst.cleanup());

  it('suggests a token to an administrator who holds none, and to no one else', async () => {
    assert.equal(await inst.services.tokens.suggestsOwnToken(await account(), 'boss'), true);
    assert.equal(await inst.services.tokens.suggestsOwnToken(await account(), 'pat'), false);
    await inst.services.tokens.selfAssociate(actor('boss'), await account(), 'boss', serials[0]!, oathCode(secrets[0]!, 0), 'account');
    assert.equal(await inst.services.tokens.suggestsOwnToken(await account(), 'boss'), false);
  });

  it("audits an association from /account as token.associate, with no sign-in event; the sign-in prompt's records one", async () => {
    const ofTokens = <T extends { action: string }>(events: T[]) => events.filter((e) => e.action !== 'user.create');
    const events = ofTokens(await inst.services.audit.list({ accountId: inst.account.id, username: 'boss', limit: 10 }));
    assert.deepEqual(events.map((e) => [e.action, e.outcome, e.actor, e.serial]), [['token.associate', 'success', 'console:boss', serials[0]]]);
    await inst.services.tokens.selfAssociate(actor('pat'), await account(), 'pat', serials[1]!, oathCode(secrets[1]!, 0));
    const patEvents = ofTokens(await inst.services.audit.list({ accountId: inst.account.id, username: 'pat', limit: 10 }));
    assert.deepEqual(patEvents.map((e) => [e.action, e.reason]).sort(), [['signin', 'token_associated'], ['token.associate', null]]);
  });

  it('allows it under the limit with self-association on; says limit or off otherwise, and the service refuses then', async () => {
    assert.equal(await inst.services.tokens.ownAssociation(await account(), 'pat'), 'allowed');
    await inst.services.accounts.updateSettings(OPERATOR, await account(), { maxTokensPerUser: 1 });
    assert.equal(await inst.services.tokens.ownAssociation(await account(), 'pat'), 'limit');
    await assert.rejects(inst.services.tokens.selfAssociate(actor('pat'), await account(), 'pat', serials[2]!, oathCode(secrets[2]!, 0), 'account'), /limit/);
    await inst.services.accounts.updateSettings(OPERATOR, await account(), { maxTokensPerUser: 3, selfAssociation: false });
    assert.equal(await inst.services.tokens.ownAssociation(await account(), 'pat'), 'off');
    await assert.rejects(inst.services.tokens.selfAssociate(actor('pat'), await account(), 'pat', serials[2]!, oathCode(secrets[2]!, 0), 'account'), /associate a token themselves/);
    assert.equal((await inst.services.tokens.listOfUser(await account(), 'pat')).length, 1);
  });
});
