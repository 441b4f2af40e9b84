// Property: API keys are cached per process for at most API_KEY_CACHE_MS, and removing a key stops it at
// once in the process that removed it; another process (here a second instance on the same database)
// stops accepting it within API_KEY_CACHE_MS.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { waitFor } from '../helpers/wait.js';
import { loadConfig } from '../../src/runtime/config.js';
import { openInstance, type Instance } from '../../src/runtime/instance.js';
import { API_KEY_CACHE_MS } from '../../src/services/api-key-service.js';
import { OPERATOR } from '../../src/services/context.js';
import { engineCases, type TestInstallation } from '../helpers/engines.js';

const sqlite = (await engineCases()).find((c) => c.engine === 'sqlite')!;
let t: TestInstallation;
let other: Instance;
before(async () => {
  t = await sqlite.start();
  other = await openInstance(loadConfig(t.env));
});
after(async () => {
  await other?.close();
  await t?.close();
});

test('a removed key stops working at once in the process that removed it', async () => {
  const { key } = await t.services.apiKeys.create(OPERATOR, t.account, 'cache-here', ['check'], false);
  const principal = await t.services.apiKeys.authenticate(key);
  assert.equal(principal?.name, 'cache-here');
  assert.deepEqual(principal?.scopes, ['check']);
  assert.equal((await t.services.apiKeys.authenticate(key))?.name, 'cache-here', 'served again (from the cache)');
  await t.services.apiKeys.remove(OPERATOR, t.account, 'cache-here');
  assert.equal(await t.services.apiKeys.authenticate(key), null);
});

test('a key removed by another process stops working within API_KEY_CACHE_MS', async () => {
  const { key } = await t.services.apiKeys.create(OPERATOR, t.account, 'cache-elsewhere', ['otp-only'], false);
  assert.equal((await t.services.apiKeys.authenticate(key))?.name, 'cache-elsewhere');
  // The cache entry was read no later than this (the cache measures its age with performance.now() too).
  const readBy = performance.now();
  await other.services.apiKeys.remove(OPERATOR, t.account, 'cache-elsewhere');
  assert.equal(await other.services.apiKeys.authenticate(key), null, 'the removing instance refuses it at once');
  // Wait until the entry is older than API_KEY_CACHE_MS by the cache's own clock (a timer alone may fire early).
  await waitFor('the cache entry to expire', () => performance.now() - readBy > API_KEY_CACHE_MS, { timeoutMs: API_KEY_CACHE_MS + 30_000 });
  assert.equal(await t.services.apiKeys.authenticate(key), null, 'the other instance refuses it once its cache entry expired');
});

test('an unknown key is refused and a new key works at once (misses are not cached)', async () => {
  assert.equal(await t.services.apiKeys.authenticate('otpg_not-a-real-key'), null);
  const { key } = await other.services.apiKeys.create(OPERATOR, t.account, 'fresh', ['check'], false);
  assert.equal((await t.services.apiKeys.authenticate(key))?.name, 'fresh');
});
