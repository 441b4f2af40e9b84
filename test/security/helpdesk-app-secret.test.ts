// The help desk starts an authenticator app for a user only through a temporary code handed to the user, and
// never sees the app's secret (docs/time-based-tokens.md, "The help desk"). Through the real Fastify app:
// - the only routes that show an app's secret are /account/app and /login/associate/app, which act on the
//   signed-in user's own session (no username in the path, none read from the form): a route added later that
//   names app enrolment fails this test until it is reviewed;
// - the documented path works: a help-desk console session issues a temporary code, the user steps up with
//   it on /account and adds the app; meanwhile, and after activation, every GET route of the console and the
//   API answers the help desk (session and helpdesk-scope API key, paths filled with the user's name and the
//   app's serial) without the secret in any form, and a help desk's POST to /account/app/start naming the user
//   touches only the help desk's own enrolment. The command line (`token enrol-app`) is the operator's: it
//   runs on the host with the data directory and master key, and no role reaches it.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { after, before, test } from 'node:test';
import type { LightMyRequestResponse } from 'fastify';
import { mayUsePage } from '../../src/console/admin-guard.js';
import { OPERATOR } from '../../src/services/context.js';
import { call, makeFixture, PASSWORD, type Fixture } from '../helpers/app.js';

let f: Fixture;
let deskKey: string;

before(async () => {
  f = await makeFixture();
  await f.services.users.create(OPERATOR, f.acme, { username: 'desk', password: PASSWORD, role: 'helpdesk' });
  await f.services.users.create(OPERATOR, f.acme, { username: 'ulla', password: PASSWORD, role: 'user' });
  deskKey = (await f.services.apiKeys.create(OPERATOR, f.acme, 'desk-key', ['helpdesk'], false)).key;
});
after(() => f?.close());

interface Browser {
  cookie: string;
  csrf: string;
  get(url: string): Promise<LightMyRequestResponse>;
  post(url: string, fields: Record<string, string>): Promise<LightMyRequestResponse>;
}

/** A console sign-in with the password (these users need no passcode), as a browser would make it. */
async function consoleSignIn(username: string): Promise<Browser> {
  const login = await f.app.inject({ method: 'GET', url: '/login' });
  const preCsrf = /name="_csrf" value="([^"]+)"/.exec(login.body)?.[1] ?? '';
  const preCookie = String(login.headers['set-cookie'] ?? '').split(';')[0]!;
  const signedIn = await f.app.inject({ method: 'POST', url: '/login', headers: { cookie: preCookie, 'content-type': 'application/x-www-form-urlencoded' }, payload: new URLSearchParams({ _csrf: preCsrf, username, password: PASSWORD }).toString() });
  assert.equal(signedIn.statusCode, 303, signedIn.body);
  const cookie = ([] as string[]).concat(signedIn.headers['set-cookie'] ?? []).map((c) => c.split(';')[0]).join('; ');
  const account = await f.app.inject({ method: 'GET', url: '/account/app', headers: { cookie } });
  const csrf = /name="_csrf" value="([^"]+)"/.exec(account.body)?.[1];
  assert.ok(csrf, account.body);
  return {
    cookie,
    csrf,
    get: (url) => f.app.inject({ method: 'GET', url, headers: { cookie } }),
    post: (url, fields) => f.app.inject({ method: 'POST', url, headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' }, payload: new URLSearchParams({ _csrf: csrf, ...fields }).toString() }),
  };
}

/** Every form of a base32 secret a page or answer could carry it in. */
function formsOf(base32: string): string[] {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  const bits = [...base32].map((c) => alphabet.indexOf(c).toString(2).padStart(5, '0')).join('');
  const bytes = Buffer.from(bits.match(/.{8}/g)!.map((b) => parseInt(b, 2)));
  return [base32, base32.toLowerCase(), base32.match(/.{4}/g)!.join(' '), bytes.toString('hex'), bytes.toString('base64'), bytes.toString('base64url'), `secret=${base32}`];
}

/** GETs every route of the server as the help desk (console session, then API key) and checks no answer holds a secret. */
async function helpDeskSeesNone(desk: Browser, secrets: string[], serial: string): Promise<number> {
  const values: Record<string, string> = { username: 'ulla', serial, name: 'x', group: 'x', id: 'no-such-result' };
  let reached = 0;
  for (const route of f.app.otpgateRoutes.filter((r) => r.method === 'GET')) {
    const url = route.url.replace(/:([A-Za-z0-9_]+)/g, (_, param: string) => {
      const value = values[param];
      if (value === undefined) throw new Error(`route ${route.url} has a parameter :${param} this test cannot fill; add it`);
      return encodeURIComponent(value);
    });
    for (const answer of [await desk.get(url), ...(url.startsWith('/api/') ? [await call(f.app, 'GET', url, { key: deskKey })] : [])]) {
      if (answer.statusCode === 200) reached++;
      for (const secret of secrets) assert.ok(!answer.body.includes(secret), `GET ${url} (${answer.statusCode}) shows the help desk the app's secret`);
      assert.ok(!/otpauth:\/\//.test(answer.body) || url === '/account/app' || url === '/login/associate/app', `GET ${url} holds an otpauth URI`);
    }
  }
  return reached;
}

test('only /account/app and /login/associate/app show an app secret, and they name no user; no help-desk page is one', () => {
  const enrolling = f.app.otpgateRoutes.filter((r) => /enrol|\/app\b|otpauth|totp/i.test(r.url));
  assert.deepEqual([...new Set(enrolling.map((r) => r.url))].sort(), ['/account/app', '/account/app/activate', '/account/app/cancel', '/account/app/start', '/login/associate/app'].sort());
  for (const route of enrolling) {
    assert.ok(!route.url.includes(':'), `${route.url} takes no parameter`);
    assert.equal(mayUsePage('helpdesk', route.method, `/admin${route.url}`), false);
  }
  // No API route starts or shows an enrolment.
  assert.equal(f.app.otpgateRoutes.filter((r) => r.url.startsWith('/api/') && /enrol|app/i.test(r.url)).length, 0);
});

test('the help desk hands a temporary code; the user steps up with it and adds the app; the help desk never sees the secret', async () => {
  const desk = await consoleSignIn('desk');
  // 1. The help desk issues a temporary code for ulla (a code, not a secret: it signs in, it adds no token).
  const issued = await desk.post('/admin/users/ulla/temp-code', {});
  assert.equal(issued.statusCode, 200, issued.body);
  const tempCode = /id="temp-code-value">([^<]+)</.exec(issued.body)?.[1]?.trim();
  assert.ok(tempCode);
  assert.ok(!/otpauth|app-secret|app-qr/.test(issued.body));

  // 2. ulla signs in and steps up on /account with her password and that code; she sees her app's secret.
  const ulla = await consoleSignIn('ulla');
  const refused = await ulla.post('/account/app/start', { password: PASSWORD, otp: '' });
  assert.equal(refused.statusCode, 400, 'her password alone is no step-up (she could sign in with it; the help desk could not vouch)');
  const started = await ulla.post('/account/app/start', { password: PASSWORD, otp: tempCode });
  assert.equal(started.statusCode, 303, started.body);
  const page = await ulla.get('/account/app');
  const grouped = /id="app-secret">([A-Z2-7 ]+)</.exec(page.body)?.[1];
  assert.ok(grouped, page.body);
  const base32 = grouped.replace(/ /g, '');
  const secrets = formsOf(base32);

  // 3. While it is pending: nothing the help desk reaches shows it.
  assert.ok((await helpDeskSeesNone(desk, secrets, f.aliceToken.serial)) >= 10, 'the help desk reached its pages');
  // The help desk's /account/app is its own: a POST naming ulla starts (at most) the help desk's own enrolment.
  const deskStart = await desk.post('/account/app/start', { username: 'ulla', password: PASSWORD, otp: '' });
  assert.ok([303, 400].includes(deskStart.statusCode), deskStart.body);
  const deskPage = await desk.get('/account/app');
  for (const secret of secrets) assert.ok(!deskPage.body.includes(secret));
  assert.equal((await ulla.get('/account/app')).body.includes(grouped), true, "ulla's enrolment is as it was");

  // 4. ulla activates with her app's code; afterwards the help desk sees the app's serial, never its secret.
  const code = execFileSync('oathtool', ['--totp', '-b', '-N', `@${Math.floor(f.clock.now / 1000)}`, base32], { encoding: 'utf8' }).trim();
  const activated = await ulla.post('/account/app/activate', { code });
  assert.equal(activated.statusCode, 303, activated.body);
  const [app] = (await f.services.tokens.listOfUser(f.acme, 'ulla')).filter((t) => t.serial.startsWith('APP-'));
  assert.ok(app);
  assert.ok((await helpDeskSeesNone(desk, secrets, app.serial)) >= 10);
  assert.match((await desk.get('/admin/users/ulla/access')).body, new RegExp(app.serial));
  assert.match((await call(f.app, 'GET', `/api/v1/tokens/${app.serial}`, { key: deskKey })).body, new RegExp(app.serial));
  for (const secret of secrets) assert.ok(!(await ulla.get('/account/app')).body.includes(secret), 'never shown again, even to ulla');

  // The audit: the help desk issued a code; the enrolment is ulla's own.
  const events = await f.services.audit.list({ accountId: f.acme.id, username: 'ulla', limit: 50 });
  const byDesk = events.filter((e) => e.actor.includes('desk')).map((e) => e.action);
  assert.ok(byDesk.includes('temp_code.issue'));
  assert.ok(byDesk.every((action) => !action.startsWith('token.enrol')), byDesk.join(', '));
  assert.ok(events.some((e) => e.action === 'token.enrol' && e.outcome === 'success' && !e.actor.includes('desk')));
});
