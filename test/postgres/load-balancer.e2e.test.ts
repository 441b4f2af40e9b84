// Property: behind a real nginx (the configuration in docs/several-instances.md), the client address the IP
// rules see is the end user's, on every instance; a client that sends its own X-Forwarded-For through nginx
// cannot choose its address. nginx runs on 127.0.0.1 (the only trusted proxy); the test's clients bind to
// other loopback addresses (127.0.0.2, 127.0.0.3) so that they are not the proxy. And one passcode of a
// user with two tokens, sent 100 times at once through nginx (its round robin spreading them over both
// instances), is accepted exactly once (docs/several-tokens.md).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { OPERATOR } from '../../src/services/context.js';
import { importTokens } from '../helpers/engines.js';
import { freePort } from '../helpers/ports.js';
import { oathCode } from '../helpers/otp.js';
import { randomSecretHex } from '../helpers/secrets.js';
import { request, startCluster, type Cluster } from './fixture.js';
import { postgresSkipReason } from './test-database.js';

const skip = await postgresSkipReason();
const DOC = join(import.meta.dirname, '..', '..', 'docs', 'several-instances.md');

/** The documented nginx block, pointed at the test's instances and port. */
async function documentedConfig(upstreams: string[], port: number): Promise<string> {
  const doc = await readFile(DOC, 'utf8');
  const block = /```nginx\n([\s\S]*?)```/.exec(doc)?.[1];
  assert.ok(block, 'docs/several-instances.md has an nginx block');
  let config = block.replace('listen 80;', `listen 127.0.0.1:${port};`);
  for (const [i, documented] of ['10.0.0.11:8080', '10.0.0.12:8080'].entries()) {
    assert.ok(config.includes(documented), `the block names ${documented}`);
    config = config.replace(documented, upstreams[i]!);
  }
  return config;
}

describe('nginx in front of two instances', { skip }, () => {
  let cluster: Cluster;
  let nginx: ChildProcess | undefined;
  let front: string;
  let apiKey: string;
  let accessLog: string;
  const duoSecrets = [randomSecretHex(), randomSecretHex()];

  before(async () => {
    cluster = await startCluster(2, { OTPGATE_TRUSTED_PROXIES: '127.0.0.1' });
    const { services } = cluster.admin;
    const account = await services.accounts.resolve(OPERATOR);
    apiKey = (await services.apiKeys.create(OPERATOR, account, 'app', ['check'], false)).key;
    // A user without a token whose rule allows only 127.0.0.2: accept from there, reject from anywhere else.
    await services.users.create(OPERATOR, account, { username: 'roamer', password: 'roamer-password' });
    await services.restrictions.setForUser(OPERATOR, account, 'roamer', { rules: [{ cidr: '127.0.0.2/32', action: 'allow' }], default: 'deny' });
    // A user with two tokens (a desk token and a spare), each associated at counter 0.
    await services.users.create(OPERATOR, account, { username: 'duo', password: 'duo-password' });
    for (const [i, secretHex] of duoSecrets.entries()) {
      await importTokens(services, account, [{ serial: `880000000000${i}`, secretHex }]);
      await services.tokens.associate(OPERATOR, account, 'duo', `880000000000${i}`, oathCode(secretHex, 0), true, i === 0 ? 'desk' : 'spare');
    }

    const prefix = join(cluster.dir, 'nginx');
    accessLog = join(prefix, 'access.log');
    await mkdir(join(prefix, 'temp'), { recursive: true });
    const port = await freePort();
    const upstreams = cluster.servers.map((s) => new URL(s.url).host);
    const conf = [
      'daemon off;',
      'worker_processes 1;',
      `pid ${join(prefix, 'nginx.pid')};`,
      `error_log ${join(prefix, 'error.log')} warn;`,
      'events { worker_connections 256; }',
      'http {',
      // Which instance served each request, to show that both did.
      "    log_format upstream '$remote_addr $upstream_addr';",
      `    access_log ${join(prefix, 'access.log')} upstream;`,
      ...['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map((t) => `    ${t}_temp_path ${join(prefix, 'temp', t)};`),
      await documentedConfig(upstreams, port),
      '}',
    ].join('\n');
    await writeFile(join(prefix, 'nginx.conf'), conf);
    nginx = spawn('/usr/sbin/nginx', ['-p', prefix, '-e', join(prefix, 'error.log'), '-c', join(prefix, 'nginx.conf')], { stdio: 'ignore' });
    front = `http://127.0.0.1:${port}`;
    for (let attempt = 0; ; attempt++) {
      const up = await request(`${front}/healthz`).catch(() => null);
      if (up?.status === 200) break;
      if (attempt > 100 || nginx.exitCode !== null) throw new Error(`nginx did not start: ${await readFile(join(prefix, 'error.log'), 'utf8').catch(() => '')}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  });

  after(async () => {
    if (nginx && nginx.exitCode === null) {
      const exited = new Promise((resolve) => nginx!.once('exit', resolve));
      nginx.kill('SIGQUIT');
      await exited;
    }
    await cluster?.close();
  });

  const check = (url: string, localAddress: string, headers: Record<string, string> = {}) =>
    request(`${url}/api/v1/auth/check`, { localAddress, headers: { authorization: `Bearer ${apiKey}`, ...headers }, json: { username: 'roamer', password: 'roamer-password' } });

  /** The client addresses recorded for the last `count` sign-ins of roamer. */
  async function recordedAddresses(count: number): Promise<(string | null)[]> {
    const { services } = cluster.admin;
    const events = await services.audit.list({ accountId: (await services.accounts.resolve(OPERATOR)).id, username: 'roamer', limit: count });
    return events.reverse().map((e) => e.clientIp);
  }

  test("the IP rules see the end user's address, on both instances", async () => {
    // Four requests from each address: nginx's round robin sends them to both instances.
    const results: string[] = [];
    for (const from of ['127.0.0.2', '127.0.0.3', '127.0.0.2', '127.0.0.3', '127.0.0.2', '127.0.0.3', '127.0.0.2', '127.0.0.3']) {
      const response = await check(front, from);
      assert.equal(response.status, 200);
      results.push(`${from} ${(response.body as { result: string }).result}`);
    }
    assert.deepEqual(results, Array.from({ length: 4 }, () => ['127.0.0.2 accept', '127.0.0.3 reject']).flat());
    assert.deepEqual(await recordedAddresses(8), Array.from({ length: 4 }, () => ['127.0.0.2', '127.0.0.3']).flat());
    const served = (await readFile(accessLog, 'utf8')).split('\n').filter((line) => /^127\.0\.0\.[23] /.test(line));
    for (const server of cluster.servers) {
      const host = new URL(server.url).host;
      assert.ok(served.some((line) => line.endsWith(` ${host}`)), `instance ${host} served some of the checks`);
    }
  });

  test('a client cannot choose its address by sending X-Forwarded-For through nginx', async () => {
    for (const forged of ['127.0.0.2', '127.0.0.1, 127.0.0.2', '127.0.0.2, 127.0.0.1', 'garbage, 127.0.0.2']) {
      const response = await check(front, '127.0.0.3', { 'x-forwarded-for': forged });
      assert.equal(response.status, 200);
      assert.equal((response.body as { result: string }).result, 'reject', `X-Forwarded-For: ${forged}`);
    }
    assert.deepEqual(await recordedAddresses(4), ['127.0.0.3', '127.0.0.3', '127.0.0.3', '127.0.0.3']);
  });

  test('an instance reached directly by an untrusted peer ignores X-Forwarded-For altogether', async () => {
    const response = await check(cluster.servers[0]!.url, '127.0.0.3', { 'x-forwarded-for': '127.0.0.2' });
    assert.equal((response.body as { result: string }).result, 'reject');
    assert.deepEqual(await recordedAddresses(1), ['127.0.0.3']);
  });

  test("a two-token user's passcode sent 100 times at once through nginx is accepted once, whichever instance gets it", async () => {
    const code = oathCode(duoSecrets[1]!, 1);
    const before = (await readFile(accessLog, 'utf8')).split('\n').length;
    const responses = await Promise.all(
      Array.from({ length: 100 }, () => request(`${front}/api/v1/auth/check`, { localAddress: '127.0.0.2', headers: { authorization: `Bearer ${apiKey}` }, json: { username: 'duo', password: 'duo-password', otp: code } })),
    );
    const results = responses.map((r) => (r.status === 200 ? (r.body as { result: string }).result : `HTTP ${r.status}`));
    assert.equal(results.filter((r) => r === 'accept').length, 1, results.join(','));
    assert.ok(results.every((r) => r === 'accept' || r === 'reject' || r === 'HTTP 429'), results.join(','));
    const served = (await readFile(accessLog, 'utf8')).split('\n').slice(before - 1).filter((line) => line.startsWith('127.0.0.2 '));
    for (const server of cluster.servers) {
      const host = new URL(server.url).host;
      assert.ok(served.some((line) => line.endsWith(` ${host}`)), `instance ${host} got some of the copies`);
    }
  });
});
