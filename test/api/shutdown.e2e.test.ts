// Property: on SIGTERM, `otpgate serve` stops accepting connections, lets a request in flight finish with
// its real answer, and exits 0.
import assert from 'node:assert/strict';
import { rm } from 'node:fs/promises';
import { connect } from 'node:net';
import { test } from 'node:test';
import { waitFor } from '../helpers/wait.js';
import { serve, testEnv } from '../helpers/app.js';
import { createKey, runCli } from '../helpers/cli.js';
import { makeTempDir } from '../helpers/temp-dir.js';

test('SIGTERM: the request in flight completes, new connections are refused, exit code 0', async (t) => {
  const dir = makeTempDir('otpgate-shutdown-');
  const env = testEnv(dir);
  const server = await serve(env);
  t.after(async () => {
    await server.stop();
    await rm(dir, { recursive: true, force: true });
  });
  assert.equal((await runCli(['user', 'create', 'bob', '--password', 'bobs long password'], env)).code, 0);
  const key = await createKey(env, 'app', '--scope', 'check');
  const { port } = new URL(server.url);

  // A request whose body arrives in two halves, with SIGTERM in between. `Expect: 100-continue` makes the
  // server say when it has read the headers: from then on the request is in flight.
  const body = JSON.stringify({ username: 'bob', password: 'bobs long password' });
  const socket = connect(Number(port), '127.0.0.1');
  t.after(() => socket.destroy());
  let answer = '';
  socket.on('data', (chunk: Buffer) => (answer += chunk.toString()));
  const closed = new Promise<void>((resolve) => socket.on('close', () => resolve()));
  await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
  socket.write(
    `POST /api/v1/auth/check HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${key}\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\nExpect: 100-continue\r\nConnection: close\r\n\r\n`,
  );
  await waitFor('the server to read the request headers', () => answer.startsWith('HTTP/1.1 100 Continue\r\n\r\n'));
  socket.write(body.slice(0, 10));
  server.child.kill('SIGTERM');
  // The listener closes: a new connection is refused.
  const probe = () =>
    new Promise<boolean>((resolve) => {
      const connection = connect(Number(port), '127.0.0.1');
      connection.once('connect', () => {
        connection.destroy();
        resolve(false);
      });
      connection.once('error', () => resolve(true));
    });
  let refused = false;
  await waitFor('the listener to close after SIGTERM', async () => (refused = await probe()));
  assert.ok(refused, 'no new connections after SIGTERM');
  assert.equal(server.child.exitCode, null, 'still running while a request is in flight');
  socket.write(body.slice(10));
  await closed;
  assert.match(answer, /^HTTP\/1\.1 100 Continue\r\n\r\nHTTP\/1\.1 200 /);
  assert.ok(answer.endsWith('{"result":"accept"}'), answer);
  assert.equal(await server.exited, 0, server.stderr());
});
