// Property: An expired session says so, keeps nothing the form sent, and signing in again returns to the page asked
// for — and never to another site.
// (From the console's first-hour review, issue 15.) Its own console and browser: no test here depends on another.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { BrowserContext } from 'playwright-core';
import { safeReturnPath } from '../../src/console/return-to.js';
import { screenshot, startConsole, type ConsoleFixture } from './fixtures.js';
import { idleSessionOf, pathOf } from './widths.js';

let fx: ConsoleFixture;
let admin: BrowserContext;

before(async () => {
  fx = await startConsole();
  await fx.createUser('alice', { displayName: 'Alice' });
  admin = await fx.newContext();
  await fx.signIn(admin, 'admin', fx.adminPassword);
});
after(async () => fx?.close());

test('a form sent after the idle timeout lands on sign-in saying the session expired and the form was not saved; signing in returns to its page', async () => {
  const context = await fx.newContext();
  const p = await fx.signIn(context, 'admin', fx.adminPassword);
  await p.goto('/admin/users/alice');
  await p.getByLabel('Display name').fill('Alice Typed While Idle');
  await idleSessionOf(fx, context);
  await p.getByRole('button', { name: 'Save' }).click();
  assert.equal(pathOf(p), '/login');
  assert.match(await p.locator('#session-expired').innerText(), /Your session expired[\s\S]*the form you sent was not saved/);
  await screenshot(p, 'session-expiry-session-expired-form');
  assert.equal((await fx.instance.services.users.show(fx.account, 'alice')).displayName, 'Alice', 'nothing was saved');

  await p.getByLabel('Username').fill('admin');
  await p.getByLabel('Password').fill(fx.adminPassword);
  await p.getByRole('button', { name: 'Sign in' }).click();
  assert.equal(pathOf(p), '/admin/users/alice', 'back on the page the form was on');

  // A page asked for (GET) after the timeout: the same, and back to that page with its query.
  await idleSessionOf(fx, context);
  await p.goto('/admin/audit?user=alice');
  assert.equal(pathOf(p), '/login');
  assert.match(await p.locator('#session-expired').innerText(), /Your session expired/);
  await p.getByLabel('Username').fill('admin');
  await p.getByLabel('Password').fill(fx.adminPassword);
  await p.getByRole('button', { name: 'Sign in' }).click();
  // (The administrator holds no token: the sign-in adds its notice, done=add_token, to the page asked for.)
  assert.equal(new URL(p.url()).pathname + new URL(p.url()).search, '/admin/audit?user=alice&done=add_token');

  // A first visit (no session at all) is not called expired.
  const fresh = await (await fx.newContext()).newPage();
  await fresh.goto('/admin/users');
  assert.equal(pathOf(fresh), '/login');
  assert.equal(await fresh.locator('#session-expired').count(), 0);
});

test('the return path is this site only: other hosts, schemes and protocol-relative tricks stay on the console', async () => {
  const origin = new URL(fx.baseUrl).origin;
  for (const next of ['//evil.example/', '/\\evil.example', 'https://evil.example/', '/%0d//evil.example', '///evil.example', 'javascript:alert(1)', '/\t/evil.example']) {
    const context = await fx.newContext();
    const p = await context.newPage();
    await p.goto(`/login?next=${encodeURIComponent(next)}`);
    await p.getByLabel('Username').fill('admin');
    await p.getByLabel('Password').fill(fx.adminPassword);
    await p.getByRole('button', { name: 'Sign in' }).click();
    assert.equal(new URL(p.url()).origin, origin, next);
    assert.ok(!new URL(p.url()).pathname.startsWith('//'), next);
    if (!next.startsWith('/%')) assert.equal(pathOf(p), '/admin/users', `${next}: the admin's home, not the given target`);
    await context.close();
  }
  // The same rule directly, including a posted value (the hidden field can be edited).
  assert.equal(safeReturnPath('/admin/users?q=a'), '/admin/users?q=a');
  for (const bad of ['//evil.example', '/\\evil.example', 'https://evil.example', 'evil.example', '/login', '/logout', '', 42]) assert.equal(safeReturnPath(bad), null, String(bad));
});
