// Property: through a real `otpgate serve` and Debian's radclient, an `--otp-only` RADIUS client (the
// device checked the password itself) sends the passcode alone as User-Password: the passcode and the IP
// rules are still enforced, a password is not a passcode. A directory user signs in over PAP with their
// directory password and passcode; when the directory is down, RADIUS sends no reply at all (fail closed).
// A directory group's restriction applies over RADIUS too.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { after, before, test } from 'node:test';
import { oathCode } from '../helpers/otp.js';
import { addUsersWithTokens, createInstallation, RADIUS_SECRET, signInEvents, startServe, type Installation, type RunningServer, type UserWithToken } from '../helpers/radius-e2e.js';
import { accessRequest, decodeReply, rawClient } from '../radius/fixture.js';
import { PacketCode } from '../../src/radius/radius-packet.js';
import { SERVICE_DN, SERVICE_PASSWORD, startSlapd, SUFFIX, type Slapd } from '../helpers/slapd.js';

let installation: Installation;
let server: RunningServer;
let slapd: Slapd;
let alice: UserWithToken;
let fay: UserWithToken;
let dora: { serial: string; secretHex: string };

before(async () => {
  slapd = await startSlapd();
  await slapd.addPeople([{ uid: 'dora', password: 'dora directory password', groups: ['vpn-users'] }]);
  installation = await createInstallation();
  [alice, fay] = (await addUsersWithTokens(installation, ['alice', 'fay'])) as [UserWithToken, UserWithToken];
  const cli = async (args: string[], input?: string) => {
    const result = await installation.cli(args, input);
    assert.equal(result.code, 0, `${args.join(' ')}: ${result.stderr}`);
    return result;
  };
  await cli(['radius', 'client', 'add', 'vpn-otp', '--ip', '127.0.0.1/32', '--otp-only', '--secret', RADIUS_SECRET]);
  await cli(['radius', 'client', 'add', 'vpn-pap', '--ip', '127.0.0.2/32', '--secret', RADIUS_SECRET]);
  await cli(['restriction', 'set', 'fay', '--default', 'deny']);
  // A directory user with a token: set the directory, sync, associate.
  await cli(['directory', 'set', '--url', slapd.url, '--bind-dn', SERVICE_DN, '--base-dn', SUFFIX], `${SERVICE_PASSWORD}\n`);
  await cli(['directory', 'sync']);
  dora = { serial: '7700000000099', secretHex: Buffer.from('seed-of-dora........').toString('hex') };
  const csvFile = `${installation.dir}/dora.csv`;
  const { writeFileSync } = await import('node:fs');
  writeFileSync(csvFile, `${dora.serial}, ${dora.secretHex}\n`);
  await cli(['token', 'import', csvFile, '--format', 'csv']);
  await cli(['token', 'associate', 'dora', dora.serial, oathCode(dora.secretHex, 0)]);
  server = await startServe(installation);
});

after(async () => {
  await server?.stop();
  await installation?.remove();
  await slapd?.remove();
});

/** Runs Debian's radclient (from 127.0.0.1: the otp-only client); returns the reply's code, or null when none came. */
function radclient(attributes: string[]): Promise<string | null> {
  return new Promise((done) => {
    const child = execFile('radclient', ['-x', '-r', '1', '-t', '4', `127.0.0.1:${server.radiusPort}`, 'auth', RADIUS_SECRET], (_error, stdout, stderr) => {
      done(/Received (Access-\w+) Id/.exec(`${stdout}\n${stderr}`)?.[1] ?? null);
    });
    child.stdin?.end(`${attributes.join('\n')}\n`);
  });
}

test('--otp-only: the passcode alone is accepted; a wrong one, or the password, is rejected', async () => {
  const code = oathCode(alice.secretHex, 1);
  assert.equal(await radclient(['User-Name = "alice"', `User-Password = "${code}"`, 'Message-Authenticator = 0x00']), 'Access-Accept');
  assert.equal(await radclient(['User-Name = "alice"', `User-Password = "${code}"`, 'Message-Authenticator = 0x00']), 'Access-Reject', 'a replay');
  assert.equal(await radclient(['User-Name = "alice"', `User-Password = "${alice.password}"`, 'Message-Authenticator = 0x00']), 'Access-Reject');
  const events = await signInEvents(installation, 'alice');
  assert.equal(events[0]?.reason, 'passcode_malformed');
});

test('--otp-only: the IP rules still apply (deny refuses a right passcode)', async () => {
  const code = oathCode(fay.secretHex, 1);
  assert.equal(await radclient(['User-Name = "fay"', `User-Password = "${code}"`, 'Message-Authenticator = 0x00']), 'Access-Reject');
  assert.equal((await signInEvents(installation, 'fay'))[0]?.reason, 'denied_by_rule');
});

test('a directory user over --otp-only signs in with the passcode alone', async () => {
  const code = oathCode(dora.secretHex, 1);
  assert.equal(await radclient(['User-Name = "dora"', `User-Password = "${code}"`, 'Message-Authenticator = 0x00']), 'Access-Accept');
});

test('PAP: a directory user signs in with directory password + passcode; the directory down, no reply at all; a local user still gets one', async () => {
  const client = await rawClient('127.0.0.2');
  try {
    const pap = async (username: string, password: string) => client.exchange(accessRequest({ secret: RADIUS_SECRET, username, password }), server.radiusPort, 6000);
    assert.equal(decodeReply(await pap('dora', `dora directory password${oathCode(dora.secretHex, 2)}`)).code, PacketCode.AccessAccept);
    await slapd.stop();
    try {
      assert.equal(await pap('dora', `dora directory password${oathCode(dora.secretHex, 3)}`), null, 'no reply: the device retries or fails over');
      assert.equal((await signInEvents(installation, 'dora'))[0]?.reason, 'directory_unavailable');
      assert.equal(decodeReply(await pap('alice', `${alice.password}${oathCode(alice.secretHex, 2)}`)).code, PacketCode.AccessAccept);
    } finally {
      await slapd.start();
    }
  } finally {
    await client.close();
  }
});

test("a directory group's restriction applies over RADIUS as well: set by the CLI while serve runs, then cleared", async () => {
  const set = await installation.cli(['restriction', 'set', '--group', 'VPN-USERS', '--default', 'deny', '--rule', '10.0.0.0/8=allow']);
  assert.equal(set.code, 0, set.stderr);
  const code = oathCode(dora.secretHex, 3);
  // The device's address (127.0.0.1) is outside the group's allowed network: refused before the passcode is looked at.
  assert.equal(await radclient(['User-Name = "dora"', `User-Password = "${code}"`, 'Message-Authenticator = 0x00']), 'Access-Reject');
  assert.equal((await signInEvents(installation, 'dora'))[0]?.reason, 'denied_by_rule');
  assert.equal((await installation.cli(['restriction', 'clear', '--group', 'vpn-users', '--yes'])).code, 0);
  assert.equal(await radclient(['User-Name = "dora"', `User-Password = "${code}"`, 'Message-Authenticator = 0x00']), 'Access-Accept');
});

test('PAP: another spelling of a directory user with a token (spaces, case, fullwidth) is that user: with the passcode it is accepted, the password alone is refused', async () => {
  const client = await rawClient('127.0.0.2');
  try {
    const pap = async (username: string, password: string) => decodeReply(await client.exchange(accessRequest({ secret: RADIUS_SECRET, username, password }), server.radiusPort, 6000)).code;
    // The accept comes first: four refusals in a row start dora's back-off, after which even a right passcode
    // is refused as throttled until it ends (test/security/throttle.test.ts tests that on its own).
    assert.equal(await pap('ＤＯＲＡ ', `dora directory password${oathCode(dora.secretHex, 10)}`), PacketCode.AccessAccept);
    assert.equal((await signInEvents(installation, 'dora'))[0]?.reason, 'passcode_accepted', 'filed under dora');
    const spellings = ['dora ', ' dora', 'DORA', 'ｄｏｒａ'];
    for (const name of spellings) {
      assert.equal(await pap(name, 'dora directory password'), PacketCode.AccessReject, `${JSON.stringify(name)} with the password alone`);
    }
    const events = await signInEvents(installation, 'dora');
    assert.deepEqual(events.slice(0, spellings.length).map((e) => e.reason), spellings.map(() => 'wrong_password'), 'each refusal filed under dora, none throttled');
  } finally {
    await client.close();
  }
});
