// Property: every sign-in check and every change made through the API writes an audit event naming the
// API key (actor "apikey:<name>"), the client address and the outcome (and, for checks and refusals, the
// reason); GET /audit filters by user, time range and outcome, newest first, in pages.
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { test } from 'node:test';
import type { AuditEventView } from '../../src/services/audit-service.js';
import { PASSWORD, call, check, makeFixture } from './fixtures.js';
import { oathCode } from '../helpers/otp.js';

type Event = AuditEventView;

test('every check and change through the API is audited with actor, client IP, outcome and reason', async (t) => {
  const f = await makeFixture();
  t.after(() => f.close());
  const from = '192.0.2.44';
  const admin = (method: string, url: string, body?: unknown) => call(f.app, method, url, { key: f.keys.admin, body, remoteAddress: from });
  const spare = f.spare[0]!;
  const steps: { run: () => Promise<unknown>; action: string; outcome: string; actor?: string; reason?: RegExp }[] = [
    { run: () => check(f.app, f.keys.check, { username: 'bob', password: PASSWORD }, { remoteAddress: from }), action: 'signin', outcome: 'accept', actor: 'apikey:acme-app', reason: /password_only/ },
    { run: () => check(f.app, f.keys.check, { username: 'bob', password: 'wrong password' }, { remoteAddress: from }), action: 'signin', outcome: 'reject', actor: 'apikey:acme-app', reason: /wrong_password/ },
    { run: () => check(f.app, f.keys.otpOnly, { username: 'alice' }, { remoteAddress: from }), action: 'signin', outcome: 'otp_required', actor: 'apikey:acme-otp', reason: /passcode_missing/ },
    { run: () => admin('POST', '/api/v1/users', { username: 'erin', password: PASSWORD }), action: 'user.create', outcome: 'success' },
    { run: () => admin('PATCH', '/api/v1/users/erin', { displayName: 'Erin E.' }), action: 'user.update', outcome: 'success', reason: /displayName/ },
    { run: () => admin('PUT', '/api/v1/users/erin/restrictions', { rules: [{ cidr: '10.0.0.0/8', action: 'allow' }], default: 'require_otp' }), action: 'restriction.set', outcome: 'success', reason: /1 rules/ },
    { run: () => admin('POST', '/api/v1/users/erin/token', { serial: spare.serial, otp: oathCode(spare.hex, 25) }), action: 'token.associate', outcome: 'failure', reason: /not in window/ },
    { run: () => admin('POST', '/api/v1/users/erin/token', { serial: spare.serial, otp: oathCode(spare.hex, 3) }), action: 'token.associate', outcome: 'success' },
    { run: () => admin('POST', '/api/v1/users/erin/token/resync', { otp1: oathCode(spare.hex, 9), otp2: oathCode(spare.hex, 11) }), action: 'token.resync', outcome: 'failure', reason: /not consecutive/ },
    { run: () => admin('POST', '/api/v1/users/erin/token/resync', { otp1: oathCode(spare.hex, 9), otp2: oathCode(spare.hex, 10) }), action: 'token.resync', outcome: 'success' },
    { run: () => admin('POST', `/api/v1/tokens/${spare.serial}/unlock`), action: 'token.unlock', outcome: 'success' },
    { run: () => admin('DELETE', '/api/v1/users/erin/token'), action: 'token.disassociate', outcome: 'success' },
    { run: () => admin('DELETE', '/api/v1/users/erin'), action: 'user.delete', outcome: 'success' },
  ];
  for (const step of steps) {
    const answer = (await step.run()) as { statusCode?: number; body?: unknown };
    const [event] = (await call(f.app, 'GET', '/api/v1/audit?limit=1', { key: f.keys.admin })).json<{ events: Event[] }>().events;
    const label = `${step.action} (${JSON.stringify(answer.body ?? answer)})`;
    assert.ok(event, label);
    assert.equal(event.action, step.action, label);
    assert.equal(event.outcome, step.outcome, label);
    assert.equal(event.actor, step.actor ?? 'apikey:acme-admin', label);
    assert.equal(event.clientIp, from, label);
    if (step.reason) assert.match(event.reason ?? '', step.reason, label);
  }
  // An import through the API (multipart) is audited too.
  const form = new FormData();
  form.append('file', new Blob(['5000000000001,3132333435363738393031323334353637383930\n']), 'tokens.csv');
  const request = new Request('http://x/', { method: 'POST', body: form });
  const response = await f.app.inject({
    method: 'POST',
    url: '/api/v1/tokens/import',
    headers: { authorization: `Bearer ${f.keys.admin}`, 'content-type': request.headers.get('content-type')! },
    payload: Readable.from(Buffer.from(await request.arrayBuffer())),
    remoteAddress: from,
  });
  assert.equal(response.statusCode, 200, response.body);
  const [imported] = (await call(f.app, 'GET', '/api/v1/audit?limit=1', { key: f.keys.admin })).json<{ events: Event[] }>().events;
  assert.deepEqual([imported?.action, imported?.outcome, imported?.actor, imported?.clientIp], ['token.import', 'success', 'apikey:acme-admin', from]);
});

test('GET /audit filters by user, time range and outcome, newest first, in pages', async (t) => {
  const f = await makeFixture();
  t.after(() => f.close());
  const start = f.clock.now;
  // One sign-in a minute: bob accept, alice otp_required, bob reject, alice accept, bob accept.
  const attempts: [string, Record<string, string>][] = [
    ['bob', { password: PASSWORD }],
    ['alice', { password: PASSWORD }],
    ['bob', { password: 'wrong password' }],
    ['alice', { password: PASSWORD, otp: oathCode(f.aliceToken.hex, 1) }],
    ['bob', { password: PASSWORD }],
  ];
  for (const [username, rest] of attempts) {
    f.clock.advance(60);
    await check(f.app, f.keys.check, { username, ...rest });
  }
  const get = async (query: string) => {
    const response = await call(f.app, 'GET', `/api/v1/audit?${query}`, { key: f.keys.admin });
    assert.equal(response.statusCode, 200, response.body);
    return response.json<{ events: Event[]; nextBefore: number | null }>();
  };
  const minute = (n: number) => new Date(start + n * 60_000).toISOString();

  const bob = await get('user=BOB');
  assert.deepEqual(bob.events.filter((e) => e.action === 'signin').map((e) => e.outcome), ['accept', 'reject', 'accept'], 'newest first, user matched ignoring case');
  const rejects = await get('outcome=reject');
  assert.deepEqual(rejects.events.map((e) => [e.user, e.outcome]), [['bob', 'reject']]);
  // Minutes 2 to 4 (from inclusive, to exclusive): alice otp_required, bob reject, alice accept.
  const window = await get(`from=${encodeURIComponent(minute(2))}&to=${encodeURIComponent(minute(4))}`);
  assert.deepEqual(window.events.map((e) => e.outcome), ['reject', 'otp_required']);
  const window2 = await get(`from=${encodeURIComponent(minute(2))}&to=${encodeURIComponent(minute(5))}`);
  assert.deepEqual(window2.events.map((e) => e.outcome), ['accept', 'reject', 'otp_required']);
  const combined = await get(`user=alice&outcome=accept&from=${encodeURIComponent(minute(1))}`);
  assert.deepEqual(combined.events.map((e) => [e.user, e.outcome]), [['alice', 'accept']]);
  for (const list of [bob, window2]) {
    const times = list.events.map((e) => Date.parse(e.at));
    assert.deepEqual(times, [...times].sort((a, b) => b - a), 'newest first');
  }

  // Pages of two, following nextBefore, give every sign-in once, in order.
  const seen: number[] = [];
  let before: number | null = null;
  for (let page = 0; page < 10; page++) {
    const result = await get(`limit=2&outcome=accept${before === null ? '' : `&before=${before}`}`);
    seen.push(...result.events.map((e) => e.id));
    before = result.nextBefore;
    if (before === null) break;
  }
  assert.equal(seen.length, 3);
  assert.deepEqual(seen, [...seen].sort((a, b) => b - a));
  assert.equal(new Set(seen).size, 3);

  const bad = await call(f.app, 'GET', '/api/v1/audit?from=yesterday', { key: f.keys.admin });
  assert.equal(bad.statusCode, 400);
  assert.equal(bad.json<{ error: { code: string } }>().error.code, 'invalid_request');
});
