// `otpgate oidc client add|list|show|update|remove` and `oidc key list|rotate`, run as `node bin/otpgate.js`: the
// secret printed once and never again, sealed at rest (not in the database file in clear), a redirect URI
// refused when not absolute https (or http on loopback), removal asks first, rotation moves the keys on.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { makeTempDir, testEnv } from '../helpers/installation.js';
import { runCli } from '../helpers/cli.js';

describe('oidc on the command line', () => {
  const dir = makeTempDir();
  const env = testEnv(dir);
  const cli = (...args: string[]) => runCli(args, env);
  const ok = async (...args: string[]) => {
    const result = await cli(...args);
    assert.equal(result.code, 0, `${args.join(' ')}: ${result.stderr}`);
    return result;
  };
  before(() => ok('init'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('add prints the id and the secret once; list and show never print the secret; the secret is sealed at rest', async () => {
    const added = await ok('oidc', 'client', 'add', 'grafana', '--redirect-uri', 'https://grafana.example.com/login/generic_oauth', '--allowed-group', 'ops', '--json');
    const view = JSON.parse(added.stdout) as { clientId: string; clientSecret: string; allowedGroups: string[] };
    assert.match(view.clientId, /^grafana-/);
    assert.ok(view.clientSecret.length >= 40);
    assert.deepEqual(view.allowedGroups, ['ops']);
    const list = await ok('oidc', 'client', 'list');
    const show = await ok('oidc', 'client', 'show', 'grafana');
    for (const output of [list.stdout, show.stdout]) {
      assert.ok(output.includes(view.clientId));
      assert.ok(!output.includes(view.clientSecret));
    }
    const database = readFileSync(join(dir, 'otpgate.db'));
    assert.ok(!database.includes(Buffer.from(view.clientSecret)), 'the secret is not in the database in clear');
    const publicClient = await ok('oidc', 'client', 'add', 'cli-app', '--public', '--redirect-uri', 'http://127.0.0.1:8400/callback');
    assert.doesNotMatch(publicClient.stdout, /client secret/);
  });

  it('refuses a redirect URI that is not https (or http on loopback), and a second client of the same name', async () => {
    const plain = await cli('oidc', 'client', 'add', 'bad', '--redirect-uri', 'http://app.example.com/cb');
    assert.notEqual(plain.code, 0);
    assert.match(plain.stderr, /must be https/);
    const again = await cli('oidc', 'client', 'add', 'grafana', '--redirect-uri', 'https://grafana.example.com/cb');
    assert.notEqual(again.code, 0);
    assert.match(again.stderr, /already exists/);
  });

  it('update replaces the lists it is given and keeps the others; --any-group clears the groups', async () => {
    const before = JSON.parse((await ok('oidc', 'client', 'show', 'grafana', '--json')).stdout) as { clientId: string; redirectUris: string[]; allowedGroups: string[] };
    const updated = await ok('oidc', 'client', 'update', 'grafana', '--redirect-uri', 'https://grafana.example.com/a', '--redirect-uri', 'https://grafana.example.com/b', '--json');
    const view = JSON.parse(updated.stdout) as typeof before;
    assert.deepEqual(view.redirectUris, ['https://grafana.example.com/a', 'https://grafana.example.com/b']);
    assert.deepEqual(view.allowedGroups, before.allowedGroups, 'a list not given stays');
    assert.equal(view.clientId, before.clientId);
    await ok('oidc', 'client', 'update', 'grafana', '--any-group');
    assert.deepEqual((JSON.parse((await ok('oidc', 'client', 'show', 'grafana', '--json')).stdout) as typeof before).allowedGroups, []);
    const refused = await cli('oidc', 'client', 'update', 'grafana', '--redirect-uri', 'https://grafana.example.com/cb#x');
    assert.notEqual(refused.code, 0);
    assert.match(refused.stderr, /fragment/);
  });

  it('remove asks first, then removes', async () => {
    const unasked = await cli('oidc', 'client', 'remove', 'grafana');
    assert.equal(unasked.code, 2);
    await ok('oidc', 'client', 'remove', 'grafana', '--yes');
    const gone = await cli('oidc', 'client', 'show', 'grafana');
    assert.notEqual(gone.code, 0);
    assert.match(gone.stderr, /no OpenID client/);
  });

  it('key rotate: the next key signs, the old one stays published as retired', async () => {
    await ok('oidc', 'key', 'rotate');
    const first = JSON.parse((await ok('oidc', 'key', 'list', '--json')).stdout) as { kid: string; status: string }[];
    await ok('oidc', 'key', 'rotate');
    const second = JSON.parse((await ok('oidc', 'key', 'list', '--json')).stdout) as { kid: string; status: string }[];
    const current = (keys: typeof first) => keys.find((k) => k.status === 'current')!.kid;
    const next = first.find((k) => k.status === 'next')!.kid;
    assert.equal(current(second), next, 'the key published ahead is the one that signs next');
    assert.equal(second.find((k) => k.kid === current(first))!.status, 'retired');
  });
});
