// Property: `otpgate radius client add|list|remove` manage RADIUS clients with the rules of the service:
// a shared secret under 16 characters, an invalid network or an unknown account is refused (exit 1, with a
// message, nothing added); the secret is never printed and is stored only sealed; list and remove work.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { createInstallation, type Installation } from '../helpers/radius-e2e.js';

const SECRET = 'cli-test-secret-which-is-long-enough';

let installation: Installation;

before(async () => {
  installation = await createInstallation();
});

after(async () => {
  await installation?.remove();
});

interface ClientView {
  name: string;
  cidr: string;
  challenge: boolean;
  requireMessageAuthenticator: boolean;
  trustCallingStationId: boolean;
}

async function listClients(): Promise<ClientView[]> {
  const result = await installation.cli(['radius', 'client', 'list', '--json']);
  assert.equal(result.code, 0, result.stderr);
  return JSON.parse(result.stdout) as ClientView[];
}

test('a secret shorter than 16 characters is refused', async () => {
  const result = await installation.cli(['radius', 'client', 'add', 'vpn', '--ip', '10.0.0.1', '--secret', 'fifteen-chars!!']);
  assert.equal(result.code, 1);
  assert.match(result.stderr, /at least 16 characters/);
  assert.doesNotMatch(result.stderr, /fifteen-chars/, 'the refused secret is not echoed');
  assert.deepEqual(await listClients(), []);
});

test('an invalid network, an unknown account and a missing --ip are refused', async () => {
  const badCidr = await installation.cli(['radius', 'client', 'add', 'vpn', '--ip', '10.0.0.0/33', '--secret', SECRET]);
  assert.equal(badCidr.code, 1);
  assert.match(badCidr.stderr, /invalid prefix length/);
  const noAccount = await installation.cli(['radius', 'client', 'add', 'vpn', '--ip', '10.0.0.1', '--secret', SECRET, '--account', 'nosuch']);
  assert.equal(noAccount.code, 1);
  assert.match(noAccount.stderr, /no account "nosuch"/);
  const noIp = await installation.cli(['radius', 'client', 'add', 'vpn', '--secret', SECRET]);
  assert.equal(noIp.code, 2);
  assert.match(noIp.stderr, /--ip/);
  assert.deepEqual(await listClients(), []);
});

test('add, list and remove; the secret is neither shown nor stored in clear', async () => {
  const added = await installation.cli(['radius', 'client', 'add', 'asa', '--ip', '192.0.2.7/24', '--secret', SECRET, '--challenge', '--trust-calling-station-id']);
  assert.equal(added.code, 0, added.stderr);
  // The secret may also come from standard input, out of the shell history.
  const fromStdin = await installation.cli(['radius', 'client', 'add', 'ovpn', '--ip', '2001:db8::1', '--no-require-message-authenticator'], `${SECRET}-2\n`);
  assert.equal(fromStdin.code, 0, fromStdin.stderr);
  assert.match(fromStdin.stderr, /Blast-RADIUS/, 'switching Message-Authenticator off warns');
  const duplicate = await installation.cli(['radius', 'client', 'add', 'asa', '--ip', '198.51.100.1', '--secret', SECRET]);
  assert.equal(duplicate.code, 1);
  assert.match(duplicate.stderr, /already exists/);

  const list = await listClients();
  assert.deepEqual(
    list.map(({ name, cidr, challenge, requireMessageAuthenticator, trustCallingStationId }) => ({ name, cidr, challenge, requireMessageAuthenticator, trustCallingStationId })),
    [
      { name: 'asa', cidr: '192.0.2.0/24', challenge: true, requireMessageAuthenticator: true, trustCallingStationId: true },
      { name: 'ovpn', cidr: '2001:db8::1/128', challenge: false, requireMessageAuthenticator: false, trustCallingStationId: false },
    ],
  );
  const table = await installation.cli(['radius', 'client', 'list']);
  assert.match(table.stdout, /asa\s+192\.0\.2\.0\/24\s+challenge/);
  for (const output of [added.stdout, added.stderr, table.stdout, JSON.stringify(list)]) assert.ok(!output.includes(SECRET), 'the secret is never printed');
  for (const file of readdirSync(installation.dir).filter((name) => name.startsWith('otpgate.db'))) {
    assert.ok(!readFileSync(join(installation.dir, file)).includes(SECRET), `${file} holds no secret in clear`);
  }

  const audit = await installation.cli(['audit', 'list', '--json']);
  const actions = (JSON.parse(audit.stdout) as { action: string }[]).map((e) => e.action);
  assert.ok(actions.includes('radius_client.add'));

  const unconfirmed = await installation.cli(['radius', 'client', 'remove', 'asa']);
  assert.equal(unconfirmed.code, 2, 'without a terminal, removing needs --yes');
  assert.match(unconfirmed.stderr, /--yes/);
  const removed = await installation.cli(['radius', 'client', 'remove', 'asa', '--yes']);
  assert.equal(removed.code, 0, removed.stderr);
  assert.deepEqual((await listClients()).map((c) => c.name), ['ovpn']);
  const again = await installation.cli(['radius', 'client', 'remove', 'asa']);
  assert.equal(again.code, 1);
  assert.match(again.stderr, /no RADIUS client "asa"/);
});
