// Property: The administrator's user and restriction forms need their CSRF token, a plain user cannot reach them, and
// their confirmation pages escape what they show.
// (From the console's first-hour review, issue 15.) Its own console and browser: no test here depends on another.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { BrowserContext } from 'playwright-core';
import { OPERATOR } from '../../src/services/context.js';
import { startConsole, type ConsoleFixture } from './fixtures.js';

let fx: ConsoleFixture;
let admin: BrowserContext;

before(async () => {
  fx = await startConsole();
  await fx.createUser('alice', { displayName: 'Alice' });
  admin = await fx.newContext();
  await fx.signIn(admin, 'admin', fx.adminPassword);
});
after(async () => fx?.close());

test('the new forms need their CSRF token, and a plain user cannot reach the admin ones', async () => {
  const password = await fx.createUser('frank');
  const context = await fx.newContext();
  await fx.signIn(context, 'frank', password);
  const cookie = `otpgate_session=${(await context.cookies()).find((c) => c.name === 'otpgate_session')!.value}`;
  const post = (url: string, fields: Record<string, string>) =>
    fx.app.inject({ method: 'POST', url, headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' }, payload: new URLSearchParams(fields).toString() });
  const noCsrf = await post('/account/password', { current: password, new: 'franks-new-password', confirm: 'franks-new-password' });
  assert.equal(noCsrf.statusCode, 403);
  const check = await fx.instance.services.signIn.check({ accountId: null, username: 'frank', password, passcode: null, actor: OPERATOR });
  assert.equal(check.result, 'accept', 'the password is unchanged');
  for (const url of ['/admin/users/alice/delete', '/admin/users/alice/role', '/admin/users/alice/password', '/admin/restriction']) {
    const response = await post(url, { role: 'admin', confirm: 'yes', password: 'whatever-long', default: 'deny' });
    assert.equal(response.statusCode, 404, url);
  }
  assert.equal((await fx.instance.services.users.show(fx.account, 'alice')).role, 'user');
  assert.equal(fx.instance.services.restrictions.showForAccount(await fx.instance.services.accounts.byId(fx.account.id)).source, 'none');
});

test('the confirmation pages escape what they show', async () => {
  const hostile = '<img src=x onerror=alert(1)>"\'';
  await fx.createUser('gina', { displayName: hostile });
  const cookie = `otpgate_session=${(await admin.cookies()).find((c) => c.name === 'otpgate_session')!.value}`;
  const response = await fx.app.inject({ url: '/admin/users/gina/delete', headers: { cookie } });
  assert.equal(response.statusCode, 200);
  assert.ok(!response.body.includes('<img src=x'), 'the display name is not markup');
  assert.match(response.body, /Delete &lt;img src=x onerror=alert\(1\)&gt;/);
});
