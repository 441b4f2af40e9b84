// Property: the console session cookie is HttpOnly and SameSite=Lax (Secure and __Host- prefixed when
// secure cookies are on); the session id changes after the password step and after the passcode step,
// and the old ids stop working; signing out ends the session on the server, not just in the browser.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { OPERATOR } from '../../src/services/context.js';
import { startConsole, type ConsoleFixture } from './fixtures.js';
import { oathCode } from '../helpers/otp.js';
import { randomSecretHex } from '../helpers/secrets.js';

let fx: ConsoleFixture;
const secretHex = randomSecretHex();
let password = '';

before(async () => {
  fx = await startConsole();
  await fx.importTokens([{ serial: '5000000000001', secretHex }]);
  password = await fx.createUser('sam');
  await fx.instance.services.tokens.associate(OPERATOR, fx.account, 'sam', '5000000000001', oathCode(secretHex, 0));
});
after(async () => fx?.close());

async function accountStatus(cookieValue: string): Promise<number> {
  const response = await fx.app.inject({ url: '/account', headers: { cookie: `otpgate_session=${cookieValue}` } });
  return response.statusCode;
}

test('cookie flags, and a new session id after each step; the old ones no longer work', async () => {
  const context = await fx.newContext();
  await context.addCookies([{ name: 'otpgate_session', value: 'planted-by-an-attacker-0123456789', url: fx.baseUrl }]);
  const page = await fx.signIn(context, 'sam', password);
  assert.equal(new URL(page.url()).pathname, '/login/passcode');
  const half = (await context.cookies()).find((c) => c.name === 'otpgate_session')!;
  assert.equal(half.httpOnly, true);
  assert.equal(half.sameSite, 'Lax');
  assert.equal(half.path, '/');
  assert.notEqual(half.value, 'planted-by-an-attacker-0123456789', 'a planted id is never adopted');
  assert.equal(await accountStatus(half.value), 303, 'the half session is not a signed-in session');

  await page.getByLabel('Passcode').fill(oathCode(secretHex, 1));
  await page.getByRole('button', { name: 'Submit' }).click();
  assert.equal(new URL(page.url()).pathname, '/account');
  const full = (await context.cookies()).find((c) => c.name === 'otpgate_session')!;
  assert.notEqual(full.value, half.value, 'the id rotates after the passcode step');
  assert.equal(full.httpOnly, true);
  assert.equal(await accountStatus(full.value), 200);
  assert.equal(await accountStatus(half.value), 303, 'the half-session id is gone');

  await page.getByRole('button', { name: 'Sign out' }).click();
  assert.equal(new URL(page.url()).pathname, '/login');
  assert.equal((await context.cookies()).find((c) => c.name === 'otpgate_session'), undefined, 'the cookie is cleared');
  assert.equal(await accountStatus(full.value), 303, 'the session ended on the server');
});

test('with secure cookies on, the session cookie is __Host- prefixed and Secure', async () => {
  const secure = await startConsole({ secureCookies: true });
  try {
    const name = 'admin';
    const first = await secure.app.inject({ url: '/login' });
    const pre = String(first.headers['set-cookie']);
    assert.match(pre, /^__Host-otpgate_presession=[^;]+; Path=\/; HttpOnly; Secure; SameSite=Lax/);
    const token = /name="_csrf" value="([^"]+)"/.exec(first.body)![1]!;
    const response = await secure.app.inject({
      method: 'POST',
      url: '/login',
      headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: pre.split(';')[0]! },
      payload: new URLSearchParams({ _csrf: token, username: name, password: secure.adminPassword }).toString(),
    });
    assert.equal(response.statusCode, 303);
    const cookies = ([] as string[]).concat(response.headers['set-cookie'] ?? []);
    const session = cookies.find((c) => c.startsWith('__Host-otpgate_session='))!;
    assert.match(session, /; Path=\/; HttpOnly; Secure; SameSite=Lax/);
    assert.doesNotMatch(session, /Domain=/i);
    assert.match(String(response.headers['strict-transport-security']), /max-age=/);
  } finally {
    await secure.close();
  }
});

test('security headers: a CSP with no inline script or style, no framing, no sniffing', async () => {
  const response = await fx.app.inject({ url: '/login' });
  const csp = String(response.headers['content-security-policy']);
  assert.match(csp, /script-src 'none'/);
  assert.match(csp, /style-src 'self'(;|$)/);
  assert.match(csp, /frame-ancestors 'none'/);
  assert.doesNotMatch(csp, /unsafe-inline/);
  assert.equal(response.headers['x-content-type-options'], 'nosniff');
  assert.equal(response.headers['cache-control'], 'no-store');
  assert.doesNotMatch(response.body, /<script|style=/i);
});
