// Property: a user associating their own token at sign-in (self-association) cannot guess serials and codes
// without limit: each refused attempt counts toward the user's sign-in back-off, and while it runs further
// attempts are refused with too_many_attempts before any token is looked at — even the right code.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { OPERATOR } from '../../src/services/context.js';
import { ServiceError } from '../../src/services/errors.js';
import { importCsv, makeInstallation, PASSWORD, type Installation } from '../helpers/installation.js';
import { oathCode } from '../helpers/otp.js';
import { randomSecretHex } from '../helpers/secrets.js';

describe('self-association back-off', () => {
  let inst: Installation;
  const secret = randomSecretHex();
  before(async () => {
    inst = await makeInstallation();
    await importCsv(inst.services, inst.account, `5555555555555,${secret}\n`);
    await inst.services.users.create(OPERATOR, inst.account, { username: 'erin', password: PASSWORD });
  });
  after(() => inst.cleanup());

  const selfAssociate = (serial: string, otp: string) =>
    inst.services.tokens.selfAssociate({ name: 'console:erin', accountId: inst.account.id, clientIp: '192.0.2.5' }, inst.account, 'erin', serial, otp);
  const refusedWith = (code: string) => (error: unknown) => error instanceof ServiceError && error.code === code;

  it('counts wrong guesses, then refuses even the right code until the back-off ends', async () => {
    // USER_THROTTLE allows 3 free failures; the 4th starts a 1 s back-off.
    for (let i = 0; i < 4; i++) await assert.rejects(selfAssociate('5555555555555', oathCode(secret, 50 + i)), refusedWith('passcode_not_accepted'));
    await assert.rejects(selfAssociate('5555555555555', oathCode(secret, 0)), refusedWith('too_many_attempts'));
    assert.equal((await inst.services.tokens.show(inst.account, '5555555555555')).status, 'available', 'nothing was bound while throttled');

    inst.clock.advanceSeconds(2);
    const view = await selfAssociate('5555555555555', oathCode(secret, 0));
    assert.deepEqual([view.status, view.username], ['associated', 'erin']);
  });
});
