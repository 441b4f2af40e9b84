// Property (RFC 5080 §2.2.2): a retransmission — same source address, source port, Identifier and Request
// Authenticator within 30 s — is answered with the first reply, byte for byte, and the sign-in runs once,
// also when the duplicate arrives while the first is still being processed (it waits for that result).
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { waitFor } from '../helpers/wait.js';
import { accessRequest, client, fakeSignIn, rawClient, startTestServer, type RawClient } from './fixture.js';

let raw: RawClient;
before(async () => {
  raw = await rawClient();
});
after(async () => {
  await raw.close();
});

test('identical bytes sent twice: one sign-in, two byte-identical replies', async () => {
  const server = await startTestServer([client()]);
  try {
    const request = accessRequest({ username: 'alice', password: 'correct horse123456' });
    const first = await raw.exchange(request, server.port);
    const second = await raw.exchange(request, server.port);
    assert.ok(first && second);
    assert.equal(first[0], 2);
    assert.deepEqual(second, first);
    assert.equal(server.calls.length, 1);
  } finally {
    await server.close();
  }
});

test('a duplicate that arrives while the first is still in sign-in waits for the same result', async () => {
  // The sign-in is held until the test lets it go, so the duplicate surely arrives while it runs.
  let release!: () => void;
  const held = new Promise<void>((resolve) => (release = resolve));
  const server = await startTestServer([client()], {
    signIn: async (request) => {
      await held;
      return fakeSignIn(request);
    },
  });
  try {
    const request = accessRequest({ username: 'alice', password: 'correct horse000000' });
    const replies = raw.receive(2);
    raw.send(request, server.port);
    await waitFor('the first sign-in to start', () => server.calls.length === 1);
    raw.send(request, server.port);
    await waitFor('the duplicate to reach the server', () => server.datagrams() === 2);
    release();
    const [first, second] = await replies;
    assert.equal(first?.[0], 3);
    assert.deepEqual(second, first);
    assert.equal(server.calls.length, 1);
  } finally {
    release();
    await server.close();
  }
});

test('after 30 s the same bytes are a new request and the sign-in runs again', async () => {
  const server = await startTestServer([client()]);
  try {
    const request = accessRequest({ username: 'alice', password: 'correct horse123456' });
    await raw.exchange(request, server.port);
    server.clock.now += 30_001;
    await raw.exchange(request, server.port);
    assert.equal(server.calls.length, 2);
  } finally {
    await server.close();
  }
});

test('another source port, or another Request Authenticator, is another request', async () => {
  const server = await startTestServer([client()]);
  const other = await rawClient();
  try {
    const request = accessRequest({ username: 'alice', password: 'correct horse123456', identifier: 5 });
    await raw.exchange(request, server.port);
    await other.exchange(request, server.port);
    await raw.exchange(accessRequest({ username: 'alice', password: 'correct horse123456', identifier: 5 }), server.port);
    assert.equal(server.calls.length, 3);
  } finally {
    await other.close();
    await server.close();
  }
});
