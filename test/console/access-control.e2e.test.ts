// Properties: a console POST without its CSRF token changes nothing (every sign-in step and sign-out
// included, and a console session calling the JSON API without X-CSRF-Token); a plain
// user gets no admin page and no admin data; an admin of one account cannot reach another account's user
// by URL (404, never 403).
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { OPERATOR } from '../../src/services/context.js';
import { screenshot, startConsole, type ConsoleFixture } from './fixtures.js';
import { oathCode } from '../helpers/otp.js';
import { randomSecretHex } from '../helpers/secrets.js';

let fx: ConsoleFixture;
let adminCookie = '';
let adminCsrf = '';
const secretHex = randomSecretHex();

before(async () => {
  fx = await startConsole();
  await fx.importTokens([{ serial: '4000000000001', secretHex }]);
  await fx.createUser('nora');
  await fx.instance.services.tokens.associate(OPERATOR, fx.account, 'nora', '4000000000001', oathCode(secretHex, 0));
  const context = await fx.newContext();
  const page = await fx.signIn(context, 'admin', fx.adminPassword);
  const cookie = (await context.cookies()).find((c) => c.name === 'otpgate_session')!;
  adminCookie = `otpgate_session=${cookie.value}`;
  await page.goto('/admin/users/nora/token/disassociate');
  adminCsrf = await page.locator('input[name="_csrf"]').first().inputValue();
});
after(async () => fx?.close());

const form = (fields: Record<string, string>) => ({ 'content-type': 'application/x-www-form-urlencoded', payload: new URLSearchParams(fields).toString() });

test('an admin POST without its CSRF token, or with a wrong one, is refused and changes nothing', async () => {
  for (const fields of [{}, { _csrf: 'x'.repeat(43) }, { _csrf: '' }] as Record<string, string>[]) {
    const { payload, ...headers } = form(fields);
    const response = await fx.app.inject({ method: 'POST', url: '/admin/users/nora/token/disassociate', headers: { ...headers, cookie: adminCookie }, payload });
    assert.equal(response.statusCode, 403);
    assert.match(response.body, /Form expired/);
  }
  assert.equal((await fx.instance.services.tokens.ofUser(fx.account, 'nora')).status, 'associated');

  // The same request with the token does it: the refusal above was the CSRF check.
  const { payload, ...headers } = form({ _csrf: adminCsrf });
  const done = await fx.app.inject({ method: 'POST', url: '/admin/users/nora/token/disassociate', headers: { ...headers, cookie: adminCookie }, payload });
  assert.equal(done.statusCode, 303);
  assert.equal((await fx.instance.services.tokens.show(fx.account, '4000000000001')).status, 'available');
});

test('the import form without its CSRF token imports nothing', async () => {
  const boundary = 'b0undary';
  const body = [`--${boundary}`, 'Content-Disposition: form-data; name="file"; filename="t.csv"', 'Content-Type: text/csv', '', `4000000000099,${randomSecretHex()}`, `--${boundary}--`, ''].join('\r\n');
  const response = await fx.app.inject({ method: 'POST', url: '/admin/tokens/import', headers: { cookie: adminCookie, 'content-type': `multipart/form-data; boundary=${boundary}` }, payload: body });
  assert.equal(response.statusCode, 403);
  await assert.rejects(fx.instance.services.tokens.show(fx.account, '4000000000099'));
});

test('the sign-in form without its CSRF pair is refused before the password is checked', async () => {
  const { payload, ...headers } = form({ username: 'admin', password: fx.adminPassword });
  const response = await fx.app.inject({ method: 'POST', url: '/login', headers, payload });
  assert.equal(response.statusCode, 403);
  assert.equal(response.headers['set-cookie'], undefined, 'no session was started');
  // A token from one browser does not go with another browser's cookie.
  const first = await fx.app.inject({ url: '/login' });
  const token = /name="_csrf" value="([^"]+)"/.exec(first.body)![1]!;
  const second = await fx.app.inject({ url: '/login' });
  const otherCookie = String(second.headers['set-cookie']).split(';')[0]!;
  const mixed = form({ _csrf: token, username: 'admin', password: fx.adminPassword });
  const refused = await fx.app.inject({ method: 'POST', url: '/login', headers: { 'content-type': mixed['content-type'], cookie: otherCookie }, payload: mixed.payload });
  assert.equal(refused.statusCode, 403);
});

test('a plain user gets a 404 for every admin page and POST, with no admin data', async () => {
  const password = await fx.createUser('pete', { displayName: 'Pete' });
  const context = await fx.newContext();
  const page = await fx.signIn(context, 'pete', password);
  assert.equal(new URL(page.url()).pathname, '/account');
  assert.equal(await page.getByRole('link', { name: 'Users' }).count(), 0, 'no admin links');
  for (const url of ['/admin', '/admin/users', '/admin/users/nora/access', '/admin/tokens', '/admin/audit', '/admin/settings', '/admin/directory', '/admin/groups', '/admin/groups/restriction?group=staff']) {
    const response = await page.goto(url);
    assert.equal(response!.status(), 404, url);
    const text = await page.locator('main').innerText();
    assert.ok(!text.includes('nora') && !text.includes('4000000000001'), `${url} shows no admin data`);
  }
  await screenshot(page, 'not-found');
  const cookie = (await context.cookies()).find((c) => c.name === 'otpgate_session')!;
  const { payload, ...headers } = form({ default: 'deny' });
  const post = await fx.app.inject({ method: 'POST', url: '/admin/users/nora/restrictions', headers: { ...headers, cookie: `otpgate_session=${cookie.value}` }, payload });
  assert.equal(post.statusCode, 404);
  assert.equal((await fx.instance.services.restrictions.showForUser(fx.account, 'nora')).source, 'none');
});

test("an admin cannot open another account's user by URL (404)", async () => {
  const other = await fx.instance.services.accounts.create(OPERATOR, 'other');
  await fx.createUser('olga', { account: other, displayName: 'Olga of other' });
  for (const url of ['/admin/users/olga', '/admin/users/olga/access', '/admin/users/olga/token/associate', '/admin/users/olga/token/disassociate']) {
    const response = await fx.app.inject({ url, headers: { cookie: adminCookie } });
    assert.equal(response.statusCode, 404, url);
    assert.ok(!response.body.includes('Olga of other'));
  }
  const { payload, ...headers } = form({ _csrf: adminCsrf, displayName: 'hijacked' });
  const post = await fx.app.inject({ method: 'POST', url: '/admin/users/olga', headers: { ...headers, cookie: adminCookie }, payload });
  assert.equal(post.statusCode, 404);
  assert.equal((await fx.instance.services.users.show(other, 'olga')).displayName, 'Olga of other');
  const list = await fx.app.inject({ url: '/admin/users?q=olga', headers: { cookie: adminCookie } });
  assert.ok(!list.body.includes('/admin/users/olga') && !list.body.includes('Olga of other'), 'the other account\'s user is not listed');
});

// ---- the sign-in steps after the password: /login/passcode, /login/associate, /logout ----------------------

function cookieOf(response: { headers: Record<string, unknown> }, name: string): string | undefined {
  const cookies = ([] as string[]).concat((response.headers['set-cookie'] as string | string[] | undefined) ?? []);
  return cookies.find((c) => c.startsWith(`${name}=`))?.split(';')[0];
}

/** The password step through inject; returns the half (or full) session cookie and where it leads. */
async function passwordStep(username: string, password: string): Promise<{ cookie: string; location: string }> {
  const first = await fx.app.inject({ url: '/login' });
  const token = /name="_csrf" value="([^"]+)"/.exec(first.body)![1]!;
  const { payload, ...headers } = form({ _csrf: token, username, password });
  const response = await fx.app.inject({ method: 'POST', url: '/login', headers: { ...headers, cookie: cookieOf(first, 'otpgate_presession')! }, payload });
  assert.equal(response.statusCode, 303);
  return { cookie: cookieOf(response, 'otpgate_session')!, location: String(response.headers.location) };
}

/** The session's CSRF token, as the page at `url` carries it in its forms. */
async function csrfOf(cookie: string, url: string): Promise<string> {
  const page = await fx.app.inject({ url, headers: { cookie } });
  assert.equal(page.statusCode, 200, url);
  return /name="_csrf" value="([^"]+)"/.exec(page.body)![1]!;
}

const WITHOUT_OR_WRONG_CSRF: Record<string, string>[] = [{}, { _csrf: '' }, { _csrf: 'x'.repeat(43) }];

test('the passcode step without its CSRF token, or with a wrong one, is refused: the counter does not move and the session does not advance', async () => {
  const seed = randomSecretHex();
  await fx.importTokens([{ serial: '4000000000011', secretHex: seed }]);
  const password = await fx.createUser('csrf-pat');
  await fx.instance.services.tokens.associate(OPERATOR, fx.account, 'csrf-pat', '4000000000011', oathCode(seed, 0));
  const { cookie, location } = await passwordStep('csrf-pat', password);
  assert.equal(location, '/login/passcode');
  const csrf = await csrfOf(cookie, '/login/passcode');
  const before = await fx.instance.services.tokens.ofUser(fx.account, 'csrf-pat');

  for (const fields of WITHOUT_OR_WRONG_CSRF) {
    // The right passcode: only the CSRF check stands between this request and a full session.
    const { payload, ...headers } = form({ ...fields, otp: oathCode(seed, 1) });
    const response = await fx.app.inject({ method: 'POST', url: '/login/passcode', headers: { ...headers, cookie }, payload });
    assert.equal(response.statusCode, 403, JSON.stringify(fields));
    assert.match(response.body, /Form expired/);
    assert.equal(cookieOf(response, 'otpgate_session'), undefined, 'no new session id');
  }
  const after = await fx.instance.services.tokens.ofUser(fx.account, 'csrf-pat');
  assert.deepEqual({ counter: after.counter, failCount: after.failCount, status: after.status, lastUsedAt: after.lastUsedAt }, { counter: before.counter, failCount: before.failCount, status: before.status, lastUsedAt: before.lastUsedAt });
  assert.equal((await fx.app.inject({ url: '/account', headers: { cookie } })).statusCode, 303, 'the half session did not become a full one');
  assert.equal((await fx.app.inject({ url: '/login/passcode', headers: { cookie } })).statusCode, 200, 'the half session is still there');

  // The same request with the token signs in: the refusals above were the CSRF check.
  const { payload, ...headers } = form({ _csrf: csrf, otp: oathCode(seed, 1) });
  const done = await fx.app.inject({ method: 'POST', url: '/login/passcode', headers: { ...headers, cookie }, payload });
  assert.equal(done.statusCode, 303);
  assert.equal(done.headers.location, '/account');
  assert.equal((await fx.instance.services.tokens.ofUser(fx.account, 'csrf-pat')).counter, before.counter + 1);
});

test('the association step without its CSRF token, or with a wrong one, is refused: no token is associated and the session does not advance', async () => {
  const seed = randomSecretHex();
  await fx.importTokens([{ serial: '4000000000012', secretHex: seed }]);
  const password = await fx.createUser('csrf-ann');
  await fx.instance.services.restrictions.setForUser(OPERATOR, fx.account, 'csrf-ann', { rules: [], default: 'require_otp' });
  const { cookie, location } = await passwordStep('csrf-ann', password);
  assert.equal(location, '/login/associate');
  const csrf = await csrfOf(cookie, '/login/associate');

  for (const fields of WITHOUT_OR_WRONG_CSRF) {
    const { payload, ...headers } = form({ ...fields, serial: '4000000000012', otp: oathCode(seed, 0) });
    const response = await fx.app.inject({ method: 'POST', url: '/login/associate', headers: { ...headers, cookie }, payload });
    assert.equal(response.statusCode, 403, JSON.stringify(fields));
    assert.match(response.body, /Form expired/);
    assert.equal(cookieOf(response, 'otpgate_session'), undefined, 'no new session id');
  }
  const token = await fx.instance.services.tokens.show(fx.account, '4000000000012');
  assert.equal(token.status, 'available');
  assert.equal(token.username, null);
  assert.equal(token.counter, 0);
  assert.equal((await fx.instance.services.users.show(fx.account, 'csrf-ann')).token, null);
  assert.equal((await fx.app.inject({ url: '/account', headers: { cookie } })).statusCode, 303, 'the half session did not become a full one');

  const { payload, ...headers } = form({ _csrf: csrf, serial: '4000000000012', otp: oathCode(seed, 0) });
  const done = await fx.app.inject({ method: 'POST', url: '/login/associate', headers: { ...headers, cookie }, payload });
  assert.equal(done.statusCode, 303);
  assert.equal((await fx.instance.services.tokens.show(fx.account, '4000000000012')).username, 'csrf-ann');
});

test('sign-out without its CSRF token, or with a wrong one, is refused and the session goes on', async () => {
  const password = await fx.createUser('csrf-ola');
  const { cookie, location } = await passwordStep('csrf-ola', password);
  assert.equal(location, '/account');
  const csrf = await csrfOf(cookie, '/account');

  for (const fields of WITHOUT_OR_WRONG_CSRF) {
    const { payload, ...headers } = form(fields);
    const response = await fx.app.inject({ method: 'POST', url: '/logout', headers: { ...headers, cookie }, payload });
    assert.equal(response.statusCode, 403, JSON.stringify(fields));
    assert.match(response.body, /Form expired/);
    assert.equal(cookieOf(response, 'otpgate_session'), undefined, 'the cookie is not cleared');
  }
  assert.equal((await fx.app.inject({ url: '/account', headers: { cookie } })).statusCode, 200, 'still signed in');

  const { payload, ...headers } = form({ _csrf: csrf });
  const done = await fx.app.inject({ method: 'POST', url: '/logout', headers: { ...headers, cookie }, payload });
  assert.equal(done.statusCode, 303);
  assert.equal((await fx.app.inject({ url: '/account', headers: { cookie } })).statusCode, 303, 'signed out');
});

test('a console session calling a state-changing API route needs its CSRF token in X-CSRF-Token (401 without it)', async () => {
  await fx.createUser('csrf-api', { displayName: 'before' });
  const attempts: { method: 'POST' | 'PATCH' | 'DELETE'; url: string; body?: unknown }[] = [
    { method: 'POST', url: '/api/v1/users', body: { username: 'csrf-made', password: 'a long enough password' } },
    { method: 'PATCH', url: '/api/v1/users/csrf-api', body: { displayName: 'changed' } },
    { method: 'DELETE', url: '/api/v1/users/csrf-api' },
  ];
  const send = (attempt: (typeof attempts)[number], csrfHeader: Record<string, string>) =>
    fx.app.inject({
      method: attempt.method,
      url: attempt.url,
      headers: { cookie: adminCookie, ...csrfHeader, ...(attempt.body ? { 'content-type': 'application/json' } : {}) },
      ...(attempt.body ? { payload: JSON.stringify(attempt.body) } : {}),
    });
  for (const attempt of attempts) {
    for (const header of [{}, { 'x-csrf-token': '' }, { 'x-csrf-token': 'x'.repeat(43) }] as Record<string, string>[]) {
      const response = await send(attempt, header);
      assert.equal(response.statusCode, 401, `${attempt.method} ${attempt.url} ${JSON.stringify(header)}`);
      assert.equal(response.json().error.code, 'unauthorized');
    }
  }
  await assert.rejects(fx.instance.services.users.show(fx.account, 'csrf-made'), 'no user was created');
  assert.equal((await fx.instance.services.users.show(fx.account, 'csrf-api')).displayName, 'before', 'nothing was changed or deleted');
  // A read needs no CSRF token.
  assert.equal((await fx.app.inject({ url: '/api/v1/users/csrf-api', headers: { cookie: adminCookie } })).statusCode, 200);

  // With the session's token, each request does what it asks.
  assert.equal((await send(attempts[0]!, { 'x-csrf-token': adminCsrf })).statusCode, 201);
  assert.equal((await fx.instance.services.users.show(fx.account, 'csrf-made')).username, 'csrf-made');
  assert.equal((await send(attempts[1]!, { 'x-csrf-token': adminCsrf })).statusCode, 200);
  assert.equal((await fx.instance.services.users.show(fx.account, 'csrf-api')).displayName, 'changed');
  assert.equal((await send(attempts[2]!, { 'x-csrf-token': adminCsrf })).statusCode, 204);
  await assert.rejects(fx.instance.services.users.show(fx.account, 'csrf-api'));
});
