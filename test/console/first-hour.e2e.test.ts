// A new administrator's first hour (issue 15, console items 2-7), in a real browser at desktop (1100 px) and
// phone (390 px) width: restriction actions named by what they do and the restriction in force shown before
// its editor; the account-wide restriction page; an expired session that says so and returns to the page
// asked for (and never off the site); paged lists with totals, a bulk change that asks first and says how
// many changed; managing people; an audit log with seconds, plain reasons and one actor name per person;
// and the smaller things (capitals, every invalid field at once, no cut-off options, "No user X", a
// favicon, a focus ring of 3:1, one neutral answer at self-association).
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, test } from 'node:test';
import type { BrowserContext, Page } from 'playwright-core';
import { safeReturnPath } from '../../src/console/return-to.js';
import { OPERATOR } from '../../src/services/context.js';
import { screenshot, startConsole, type ConsoleFixture } from './fixtures.js';
import { oathCode } from '../helpers/otp.js';
import { randomSecretHex } from '../helpers/secrets.js';

let fx: ConsoleFixture;
let admin: BrowserContext;
let page: Page;
const PHONE = { width: 390, height: 844 };
const DESKTOP = { width: 1100, height: 800 };
const path = (p: Page) => new URL(p.url()).pathname;
const tokens = Array.from({ length: 3 }, (_, i) => ({ serial: `700000000000${i}`, secretHex: randomSecretHex() }));

before(async () => {
  fx = await startConsole();
  await fx.importTokens(tokens);
  admin = await fx.newContext();
  page = await fx.signIn(admin, 'admin', fx.adminPassword);
});
after(async () => fx?.close());

/** Both widths: the callback runs at each, with a screenshot named for it. */
async function atBothWidths(p: Page, name: string, check: (width: 'desktop' | 'phone') => Promise<void>): Promise<void> {
  for (const [width, size] of [['desktop', DESKTOP], ['phone', PHONE]] as const) {
    await p.setViewportSize(size);
    await check(width);
    await screenshot(p, `${name}-${width}`);
  }
  await p.setViewportSize(DESKTOP);
}

/** Makes this browser's session idle past the 30-minute timeout, as if it had been left alone. */
async function idleSessionOf(context: BrowserContext): Promise<void> {
  const cookie = (await context.cookies()).find((c) => c.name === 'otpgate_session')!;
  const idHash = createHash('sha256').update(cookie.value).digest('hex');
  const idled = await fx.instance.database.db.updateTable('sessions').set({ last_seen_at: Date.now() - 31 * 60 * 1000 }).where('id_hash', '=', idHash).executeTakeFirst();
  assert.equal(Number(idled.numUpdatedRows), 1);
}

// ---- item 2 -------------------------------------------------------------------------------------------

test('restriction actions are named by what they do; the account-wide restriction has a page; a user tab says what applies before the form', async () => {
  await fx.createUser('alice', { displayName: 'Alice' });
  await page.getByRole('link', { name: 'Account restriction' }).click();
  assert.equal(path(page), '/admin/restriction');
  assert.match(await page.locator('#account-restriction-summary').innerText(), /^none/);
  const labels = await page.getByLabel('Default action (addresses that match no rule)').locator('option').allInnerTexts();
  assert.deepEqual(labels, ['Allow (passcode for token users)', 'Passcode required', 'Deny sign-in']);
  assert.ok(!labels.some((l) => /password only/i.test(l)), 'no "password only" for an action that still asks a token user for a passcode');

  await page.getByLabel('Network of rule 1').fill('10.0.0.0/8');
  await page.getByLabel('Action of rule 1').selectOption('allow');
  await page.getByLabel('Default action (addresses that match no rule)').selectOption('require_otp');
  await page.getByRole('button', { name: 'Save' }).click();
  // Item 1: before saving, the console says whom the change affects (here: users without a token, asked to
  // associate one at their next sign-in), and saves only when asked again.
  assert.match(await page.locator('#change-impact').innerText(), /2 users would need a passcode and have no token: at the next sign-in they are asked to associate one: admin, alice/);
  await screenshot(page, 'first-hour-change-impact');
  await page.getByRole('button', { name: 'Save anyway' }).click();
  assert.match(await page.getByRole('status').innerText(), /account-wide restriction is saved/);
  const saved = fx.instance.services.restrictions.showForAccount(await fx.instance.services.accounts.byId(fx.account.id));
  assert.equal(saved.source, 'account');
  assert.equal(saved.default, 'require_otp');
  assert.deepEqual(saved.rules.map((r) => [r.cidr, r.action]), [['10.0.0.0/8', 'allow']]);
  await atBothWidths(page, 'first-hour-account-restriction', async () => {
    assert.match(await page.locator('#account-restriction-summary').innerText(), /10\.0\.0\.0\/8: Allow \(passcode for token users\); any other address: Passcode required/);
  });

  await page.goto('/admin/users/alice/access');
  await atBothWidths(page, 'first-hour-user-access-account', async () => {
    assert.match(await page.locator('#restriction-applies').innerText(), /the account-wide restriction/);
    assert.match(await page.locator('#restriction-summary').innerText(), /any other address: Passcode required/);
    // The read-only line comes before the editable form.
    const before = await page.locator('#restriction-summary').evaluate((summary) => {
      const form = document.querySelector('form[action$="/restrictions"]')!;
      return Boolean(summary.compareDocumentPosition(form) & Node.DOCUMENT_POSITION_FOLLOWING);
    });
    assert.ok(before, 'the summary precedes the form');
  });

  // Removing it from its page: users fall back to none.
  await page.goto('/admin/restriction');
  await page.getByRole('button', { name: 'Remove the account-wide restriction' }).click();
  assert.match(await page.locator('#account-restriction-summary').innerText(), /^none/);
  assert.equal((await fx.instance.services.restrictions.showForUser(fx.account, 'alice')).source, 'none');
});

// ---- item 3 -------------------------------------------------------------------------------------------

test('a form sent after the idle timeout lands on sign-in saying the session expired and the form was not saved; signing in returns to its page', async () => {
  const context = await fx.newContext();
  const p = await fx.signIn(context, 'admin', fx.adminPassword);
  await p.goto('/admin/users/alice');
  await p.getByLabel('Display name').fill('Alice Typed While Idle');
  await idleSessionOf(context);
  await p.getByRole('button', { name: 'Save' }).click();
  assert.equal(path(p), '/login');
  assert.match(await p.locator('#session-expired').innerText(), /Your session expired[\s\S]*the form you sent was not saved/);
  await screenshot(p, 'first-hour-session-expired-form');
  assert.equal((await fx.instance.services.users.show(fx.account, 'alice')).displayName, 'Alice', 'nothing was saved');

  await p.getByLabel('Username').fill('admin');
  await p.getByLabel('Password').fill(fx.adminPassword);
  await p.getByRole('button', { name: 'Sign in' }).click();
  assert.equal(path(p), '/admin/users/alice', 'back on the page the form was on');

  // A page asked for (GET) after the timeout: the same, and back to that page with its query.
  await idleSessionOf(context);
  await p.goto('/admin/audit?user=alice');
  assert.equal(path(p), '/login');
  assert.match(await p.locator('#session-expired').innerText(), /Your session expired/);
  await p.getByLabel('Username').fill('admin');
  await p.getByLabel('Password').fill(fx.adminPassword);
  await p.getByRole('button', { name: 'Sign in' }).click();
  // (The administrator holds no token: the sign-in adds its notice, done=add_token, to the page asked for.)
  assert.equal(new URL(p.url()).pathname + new URL(p.url()).search, '/admin/audit?user=alice&done=add_token');

  // A first visit (no session at all) is not called expired.
  const fresh = await (await fx.newContext()).newPage();
  await fresh.goto('/admin/users');
  assert.equal(path(fresh), '/login');
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
    if (!next.startsWith('/%')) assert.equal(path(p), '/admin/users', `${next}: the admin's home, not the given target`);
    await context.close();
  }
  // The same rule directly, including a posted value (the hidden field can be edited).
  assert.equal(safeReturnPath('/admin/users?q=a'), '/admin/users?q=a');
  for (const bad of ['//evil.example', '/\\evil.example', 'https://evil.example', 'evil.example', '/login', '/logout', '', 42]) assert.equal(safeReturnPath(bad), null, String(bad));
});

// ---- item 4 -------------------------------------------------------------------------------------------

test('users: paged with a total and Previous/Next; "all matching" on the bulk step; it asks first, says how many changed and keeps the search', async () => {
  for (let i = 0; i < 57; i++) await fx.instance.services.users.create(OPERATOR, fx.account, { username: `bulk${String(i).padStart(2, '0')}`, password: 'long-enough-pw' });
  await page.goto('/admin/users');
  const total = await fx.instance.services.users.count(fx.account);
  assert.equal(total, 59);
  assert.match(await page.locator('.pager-count').first().innerText(), new RegExp(`^1–50 of ${total}$`));
  await page.getByRole('link', { name: 'Next' }).first().click();
  assert.match(await page.locator('.pager-count').first().innerText(), new RegExp(`^51–${total} of ${total}$`));
  assert.equal(await page.getByRole('table', { name: 'Users list' }).locator('tbody tr').count(), total - 50);
  await page.getByRole('link', { name: 'Previous' }).first().click();
  assert.match(await page.locator('.pager-count').first().innerText(), /^1–50 of/);

  // The list comes first; ticking a row brings the bulk action, whose next step offers "all matching".
  await page.getByLabel('Find users').fill('bulk');
  await page.getByRole('button', { name: 'Search' }).click();
  assert.equal(await page.locator('#bulk-bar').isVisible(), false, 'no bulk action before a row is ticked');
  await page.getByRole('checkbox', { name: 'Select bulk00' }).check();
  await page.getByRole('button', { name: 'Set access restriction for the ticked users…' }).click();
  await page.getByLabel(/^Instead, all 57 users matching “bulk”/).check();
  await page.getByLabel('Network of rule 1').fill('192.0.2.0/24');
  await page.getByLabel('Action of rule 1').selectOption('deny');
  await page.getByRole('button', { name: 'Continue to confirmation…' }).click();
  assert.match(await page.locator('#confirm-question').innerText(), /^Replace the restriction of 57 users\?$/);
  assert.equal((await fx.instance.services.restrictions.showForUser(fx.account, 'bulk00')).source, 'none', 'nothing changes before the confirmation');
  await atBothWidths(page, 'first-hour-users-bulk-confirm', async () => undefined);
  await page.getByRole('button', { name: 'Replace 57 restrictions' }).click();
  assert.match(await page.getByRole('status').innerText(), /access restriction of 57 users is replaced/);
  assert.equal(await page.getByLabel('Find users').inputValue(), 'bulk', 'the search is kept across the bulk action');
  assert.equal(new URL(page.url()).searchParams.get('q'), 'bulk');
  for (const name of ['bulk00', 'bulk56']) assert.deepEqual((await fx.instance.services.restrictions.showForUser(fx.account, name)).rules.map((r) => r.action), ['deny']);
  assert.equal((await fx.instance.services.restrictions.showForUser(fx.account, 'alice')).source, 'none', 'users outside the search are untouched');
  await atBothWidths(page, 'first-hour-users', async () => {
    assert.match(await page.locator('.pager-count').first().innerText(), /^1–50 of 57$/);
  });
});

test('tokens: paged with a total, the filter kept by Previous/Next, the import behind a button at the top', async () => {
  await fx.importTokens(Array.from({ length: 130 }, (_, i) => ({ serial: `71${String(i).padStart(11, '0')}`, secretHex: randomSecretHex() })));
  await page.goto('/admin/tokens');
  const importButton = await page.locator('summary', { hasText: 'Import seed file' }).boundingBox();
  const table = await page.getByRole('table', { name: 'Inventory' }).boundingBox();
  assert.ok(importButton && table && importButton.y < table.y, 'Import is above the list');
  assert.equal(await page.getByLabel('Seed file').isVisible(), false, 'the form is behind its button');
  assert.match(await page.locator('.pager-count').first().innerText(), /^1–100 of 133$/);

  await page.getByLabel('Status').selectOption('available');
  await page.getByRole('button', { name: 'Filter' }).click();
  assert.match(await page.locator('.pager-count').first().innerText(), /^1–100 of 133$/);
  await page.getByRole('link', { name: 'Next' }).first().click();
  assert.equal(new URL(page.url()).searchParams.get('status'), 'available', 'the filter is kept');
  assert.match(await page.locator('.pager-count').first().innerText(), /^101–133 of 133$/);
  assert.equal(await page.getByLabel('Status').inputValue(), 'available');
  await page.getByRole('link', { name: 'Previous' }).first().click();
  assert.equal(new URL(page.url()).searchParams.get('status'), 'available');
  // An import from the filtered list shows its result alone, whose "Back to tokens" returns to the same list.
  await page.locator('summary', { hasText: 'Import seed file' }).click();
  await page.getByLabel('Seed file').setInputFiles({ name: 'one.csv', mimeType: 'text/csv', buffer: Buffer.from(`7200000000000,${randomSecretHex()}\n`) });
  await page.getByRole('button', { name: 'Import', exact: true }).click();
  assert.match(await page.locator('#import-report').innerText(), /imported 1/);
  await page.getByRole('link', { name: 'Back to tokens' }).click();
  assert.equal(await page.getByLabel('Status').inputValue(), 'available', 'the filter is kept across the import');
  assert.match(await page.locator('.pager-count').first().innerText(), /^1–100 of 134$/);
  await page.goto('/admin/tokens?status=available');
  await atBothWidths(page, 'first-hour-tokens', async () => {
    await page.locator('summary', { hasText: 'Import seed file' }).click();
    assert.equal(await page.getByLabel('Seed file').isVisible(), true);
    await page.locator('summary', { hasText: 'Import seed file' }).click();
  });
});

// ---- item 5 -------------------------------------------------------------------------------------------

test('an administrator resets a password, changes a role (confirmed), disables and enables, and deletes a user (confirmed)', async () => {
  await fx.createUser('bob', { displayName: 'Bob' });
  await fx.instance.services.tokens.associate(OPERATOR, fx.account, 'bob', tokens[0]!.serial, oathCode(tokens[0]!.secretHex, 0));
  await page.goto('/admin/users/bob');

  await page.getByLabel('New password').fill('short');
  await page.getByRole('button', { name: 'Reset password' }).click();
  assert.match(await page.locator('#reset-password-error').innerText(), /^The password must have at least 8 characters\.$/);
  await page.getByLabel('New password').fill('bobs-new-password');
  await page.getByRole('button', { name: 'Reset password' }).click();
  assert.match(await page.getByRole('status').innerText(), /password is changed/);
  const check = await fx.instance.services.signIn.check({ accountId: null, username: 'bob', password: 'bobs-new-password', passcode: oathCode(tokens[0]!.secretHex, 1), actor: OPERATOR });
  assert.equal(check.result, 'accept', 'the new password works');

  await page.getByLabel('Role').selectOption('admin');
  await page.getByRole('button', { name: 'Change role' }).click();
  assert.match(await page.locator('#confirm-question').innerText(), /Change the role of bob from User to Administrator\?/);
  assert.equal((await fx.instance.services.users.show(fx.account, 'bob')).role, 'user', 'not before the confirmation');
  await atBothWidths(page, 'first-hour-role-confirm', async () => undefined);
  await page.getByRole('button', { name: 'Make administrator' }).click();
  assert.equal((await fx.instance.services.users.show(fx.account, 'bob')).role, 'admin');
  assert.equal(await page.locator('#user-role').innerText(), 'Administrator');

  await page.getByRole('button', { name: 'Disable user' }).click();
  assert.equal((await fx.instance.services.users.show(fx.account, 'bob')).disabled, true);
  await page.getByRole('button', { name: 'Enable user' }).click();
  assert.equal((await fx.instance.services.users.show(fx.account, 'bob')).disabled, false);
  await atBothWidths(page, 'first-hour-user-details', async () => undefined);

  await page.getByRole('link', { name: 'Delete user' }).click();
  assert.match(await page.locator('#confirm-question').innerText(), /Delete Bob \(bob\)\?/);
  assert.match(await page.locator('main').innerText(), /token 7000000000000 returns to the inventory/);
  await page.getByRole('link', { name: 'Cancel' }).click();
  assert.equal(path(page), '/admin/users/bob', 'cancel changes nothing');
  await page.getByRole('link', { name: 'Delete user' }).click();
  await page.getByRole('button', { name: 'Delete user' }).click();
  assert.match(await page.getByRole('status').innerText(), /user is deleted/);
  await assert.rejects(fx.instance.services.users.show(fx.account, 'bob'));
  assert.equal((await fx.instance.services.tokens.show(fx.account, tokens[0]!.serial)).status, 'available');

  // Their own role and account are not changed from their own page.
  await page.goto('/admin/users/admin');
  assert.equal(await page.getByRole('button', { name: 'Change role' }).count(), 0);
  const own = await page.goto('/admin/users/admin/delete');
  assert.equal(own?.status(), 409);
  assert.equal((await fx.instance.services.users.show(fx.account, 'admin')).role, 'admin');
});

test('"Change my password" on /account: the current password first, both new ones the same; afterwards the new one signs in', async () => {
  const password = await fx.createUser('carol');
  const context = await fx.newContext();
  const p = await fx.signIn(context, 'carol', password);
  assert.equal(path(p), '/account');
  await p.getByLabel('Current password').fill('not-my-password');
  await p.getByLabel('New password', { exact: true }).fill('carols-new-password');
  await p.getByLabel('New password again').fill('carols-new-password');
  await p.getByRole('button', { name: 'Change password' }).click();
  assert.match(await p.locator('#password-current-error').innerText(), /^The current password is not right\.$/);
  await p.getByLabel('Current password').fill(password);
  await p.getByLabel('New password', { exact: true }).fill('carols-new-password');
  await p.getByLabel('New password again').fill('carols-other-password');
  await p.getByRole('button', { name: 'Change password' }).click();
  assert.match(await p.locator('#password-confirm-error').innerText(), /not the same/);
  await atBothWidths(p, 'first-hour-account-password-error', async () => undefined);
  await p.getByLabel('Current password').fill(password);
  await p.getByLabel('New password', { exact: true }).fill('carols-new-password');
  await p.getByLabel('New password again').fill('carols-new-password');
  await p.getByRole('button', { name: 'Change password' }).click();
  assert.equal(path(p), '/login');
  assert.match(await p.getByRole('status').innerText(), /Your password is changed/);
  const again = await fx.signIn(context, 'carol', 'carols-new-password');
  assert.equal(path(again), '/account');
});

// ---- item 6 -------------------------------------------------------------------------------------------

test('audit: seconds on one line, plain reasons with their codes, one actor name per console user, stacked at phone width', async () => {
  const token = tokens[1]!;
  const password = await fx.createUser('dave');
  await fx.instance.services.tokens.associate(OPERATOR, fx.account, 'dave', token.serial, oathCode(token.secretHex, 0));
  const context = await fx.newContext();
  const p = await fx.signIn(context, 'dave', password);
  await p.getByLabel('OTP code').fill(oathCode(token.secretHex, 500)); // far outside the window: wrong
  await p.getByRole('button', { name: 'Submit' }).click();
  await p.getByLabel('OTP code').fill(oathCode(token.secretHex, 1));
  await p.getByRole('button', { name: 'Submit' }).click();
  assert.equal(path(p), '/account');

  const events = await fx.instance.services.audit.list({ accountId: fx.account.id, username: 'dave', limit: 20 });
  const signIns = events.filter((e) => e.action === 'signin');
  assert.ok(signIns.length >= 3);
  assert.deepEqual([...new Set(signIns.map((e) => e.actor))], ['console:dave'], 'the password and passcode steps name the same actor');

  await page.goto('/admin/audit?user=dave');
  const rows = page.locator('#audit-events tbody tr');
  const when = await rows.first().locator('td').first().innerText();
  assert.match(when, /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/);
  const details = await page.locator('#audit-events tbody td[data-label="Detail"]').allInnerTexts();
  assert.ok(details.some((d) => d === "The passcode is not one of the token's next codes passcode_wrong"), details.join(' | '));
  assert.ok(details.some((d) => d === 'Signed in with the password and passcode passcode_accepted'));
  assert.ok((await page.locator('#audit-events tbody td[data-label="Who"]').allInnerTexts()).includes('console:dave'));
  await atBothWidths(page, 'first-hour-audit', async (width) => {
    const cell = page.locator('#audit-events tbody tr').first().locator('td').first();
    const lineHeight = await cell.evaluate((td) => Number.parseFloat(getComputedStyle(td).lineHeight) || 24);
    const box = await cell.locator('time').boundingBox();
    assert.ok(box && box.height < lineHeight * 1.5, `${width}: the time is on one line (${box?.height} px)`);
    const display = await cell.evaluate((td) => getComputedStyle(td).display);
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    if (width === 'phone') {
      assert.notEqual(display, 'table-cell', 'stacked at phone width');
      assert.ok(overflow <= 0, `no sideways scrolling at phone width (${overflow} px)`);
      assert.match(await cell.evaluate((td) => getComputedStyle(td, '::before').content), /When/);
    } else {
      assert.equal(display, 'table-cell');
    }
  });
});

// ---- item 7 -------------------------------------------------------------------------------------------

test('create user names every invalid field at once, with messages that start with a capital', async () => {
  await page.goto('/admin/users/new');
  await page.getByLabel('Username').fill('no spaces allowed');
  await page.getByLabel('Password').fill('short');
  await page.getByRole('button', { name: 'Create user' }).click();
  assert.match(await page.locator('#username-error').innerText(), /^Username "no spaces allowed" must be/);
  assert.match(await page.locator('#password-error').innerText(), /^The password must have at least 8 characters\.$/);
  assert.match(await page.getByRole('alert').innerText(), /correct the fields marked below/);
  await atBothWidths(page, 'first-hour-create-user-errors', async () => undefined);
});

test('an unknown user is "No user X"; no page asks for a favicon in vain', async () => {
  const response = await page.goto('/admin/users/nobody-here');
  assert.equal(response?.status(), 404);
  assert.match(await page.locator('main').innerText(), /No user "nobody-here"/);

  const missing: string[] = [];
  page.on('response', (r) => {
    if (r.status() === 404 && !r.url().includes('nobody')) missing.push(r.url());
  });
  for (const url of ['/admin/users', '/admin/tokens', '/admin/audit', '/account']) {
    await page.goto(url);
    await page.waitForLoadState('networkidle');
  }
  assert.deepEqual(missing, []);
  const icon = await fx.app.inject({ url: '/favicon.ico' });
  assert.equal(icon.statusCode, 200);
  assert.match(String(icon.headers['content-type']), /image\/svg\+xml/);
});

/** WCAG relative luminance and contrast ratio of two CSS rgb() colours. */
function contrast(a: string, b: string): number {
  const luminance = (color: string) => {
    const [r, g, bl] = color.match(/[\d.]+/g)!.slice(0, 3).map((v) => {
      const c = Number(v) / 255;
      return c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
    }) as [number, number, number];
    return 0.2126 * r + 0.7152 * g + 0.0722 * bl;
  };
  const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x) as [number, number];
  return (hi + 0.05) / (lo + 0.05);
}

test('the focus ring has at least 3:1 contrast against what is around it, in the page and in the header', async () => {
  await page.goto('/admin/users');
  await page.keyboard.press('Tab'); // the skip link
  for (let i = 0; i < 30; i++) {
    await page.keyboard.press('Tab');
    if (await page.evaluate(() => document.activeElement?.id === 'q')) break;
  }
  const field = await page.evaluate(() => {
    const el = document.activeElement!;
    return { id: el.id, outline: getComputedStyle(el).outlineColor, style: getComputedStyle(el).outlineStyle, page: getComputedStyle(document.documentElement).backgroundColor };
  });
  assert.equal(field.id, 'q', 'the search field has keyboard focus');
  assert.notEqual(field.style, 'none');
  const inPage = contrast(field.outline, field.page);
  assert.ok(inPage >= 3, `focus ring ${field.outline} on ${field.page}: ${inPage.toFixed(2)}:1`);
  assert.ok(contrast(field.outline, 'rgb(255, 255, 255)') >= 3, 'and on a white card');
  await screenshot(page, 'first-hour-focus-ring');

  await page.getByRole('link', { name: 'Tokens' }).focus();
  const header = await page.evaluate(() => ({ outline: getComputedStyle(document.activeElement!).outlineColor, bar: getComputedStyle(document.querySelector('header.top')!).backgroundColor }));
  const inHeader = contrast(header.outline, header.bar);
  assert.ok(inHeader >= 3, `header focus ring ${header.outline} on ${header.bar}: ${inHeader.toFixed(2)}:1`);
});

test('no select cuts off its options, at desktop or phone width', async () => {
  for (const url of ['/admin/users/alice/access', '/admin/restriction', '/admin/tokens', '/admin/audit', '/admin/users/new']) {
    await page.goto(url);
    await atBothWidths(page, `first-hour-selects${url.replaceAll('/', '-')}`, async (width) => {
      const cut = await page.evaluate(() => {
        const out: string[] = [];
        const probe = document.createElement('span');
        probe.style.position = 'absolute';
        probe.style.visibility = 'hidden';
        probe.style.whiteSpace = 'nowrap';
        document.body.append(probe);
        for (const select of Array.from(document.querySelectorAll('select'))) {
          if (select.offsetParent === null) continue; // not shown (a closed <details>)
          probe.style.font = getComputedStyle(select).font;
          const widest = Math.max(...Array.from(select.options).map((o) => ((probe.textContent = o.text), probe.getBoundingClientRect().width)));
          // The text area is the select's width less its padding and the arrow (about 20 px).
          const style = getComputedStyle(select);
          const room = select.getBoundingClientRect().width - Number.parseFloat(style.paddingLeft) - Number.parseFloat(style.paddingRight) - 20;
          if (widest > room + 0.5) out.push(`${select.id}: ${widest.toFixed(0)} > ${room.toFixed(0)}`);
        }
        probe.remove();
        return out;
      });
      assert.deepEqual(cut, [], `${url} at ${width}`);
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
      assert.ok(overflow <= 0, `${url} at ${width}: no sideways scrolling (${overflow} px)`);
    });
  }
});

test('self-association: a half-signed-in user gets one neutral answer whether the serial exists, is taken or the passcode is wrong', async () => {
  const [taken, free] = [tokens[1]!, tokens[2]!];
  const password = await fx.createUser('erin');
  await fx.instance.services.restrictions.setForUser(OPERATOR, fx.account, 'erin', { rules: [], default: 'require_otp' });
  const context = await fx.newContext();
  const p = await fx.signIn(context, 'erin', password);
  assert.equal(path(p), '/login/associate');
  const answers: { status: number; text: string }[] = [];
  for (const [serial, code] of [
    ['7999999999999', '123456'], // no such serial
    [taken.serial, oathCode(taken.secretHex, 5)], // dave's token
    [free.serial, oathCode(free.secretHex, 400)], // available, wrong passcode
  ] as const) {
    await p.getByLabel('Serial number').fill(serial);
    await p.getByLabel('OTP code').fill(code);
    const [response] = await Promise.all([p.waitForResponse((r) => r.url().endsWith('/login/associate') && r.request().method() === 'POST'), p.getByRole('button', { name: 'Submit' }).click()]);
    answers.push({ status: response.status(), text: await p.getByRole('alert').innerText() });
    assert.equal(await p.locator('#serial-error').count(), 0, 'no serial-specific message');
  }
  assert.equal(new Set(answers.map((a) => `${a.status} ${a.text}`)).size, 1, JSON.stringify(answers));
  assert.match(answers[0]!.text, /^That serial number and passcode do not match a token you can associate\./);
  assert.doesNotMatch(answers[0]!.text, /administrator|associated with a user|no token/i, 'no admin wording on an end-user page');
  await atBothWidths(p, 'first-hour-self-association-neutral', async () => undefined);
});

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

// ---- item 1 -------------------------------------------------------------------------------------------

test('before a change locks anyone out, the console says whom (administrators named first); Cancel changes nothing', async () => {
  const services = fx.instance.services;
  const context = await fx.newContext();
  const page = await fx.signIn(context, 'admin', fx.adminPassword);
  // Signed in first: with this restriction the admin (no token) is asked to associate one at sign-in.
  await services.restrictions.setForAccount(OPERATOR, await services.accounts.byId(fx.account.id), { rules: [], default: 'require_otp' });
  // Switching self-association off with that restriction in force: the admin (no token) could not sign in.
  await page.goto('/admin/settings');
  // As the only administrator, that is refused outright (Administrators keep a way in): no button to save.
  await page.getByLabel(/may associate one themselves/).uncheck();
  await page.getByRole('button', { name: 'Save' }).click();
  assert.match(await page.getByRole('alert').innerText(), /no administrator able to sign in \(admin: required to use OTP without a token, and self-association is off\)/);
  assert.equal(await page.getByRole('button', { name: 'Save anyway' }).count(), 0);
  await page.getByRole('link', { name: 'Back' }).click();
  // A second administrator with a way in (a restriction of their own that allows): the change is only warned about.
  await fx.createUser('root2', { role: 'admin' });
  await services.restrictions.setForUser(OPERATOR, await services.accounts.byId(fx.account.id), 'root2', { rules: [], default: 'allow' });
  await page.goto('/admin/settings');
  await page.getByLabel(/may associate one themselves/).uncheck();
  await page.getByRole('button', { name: 'Save' }).click();
  assert.match(await page.getByRole('alert').innerText(), /lock out administrators? [^:]*\badmin\b/);
  await atBothWidths(page, 'first-hour-change-impact-admin', async () => {
    assert.match(await page.locator('#change-impact').innerText(), /could not sign in/);
  });
  await page.getByRole('link', { name: 'Cancel' }).click();
  assert.equal((await services.accounts.byId(fx.account.id)).self_association, 1, 'nothing was saved');
  // A change that makes no one's way in harder is saved at once.
  await page.goto('/admin/restriction');
  await page.getByLabel('Default action (addresses that match no rule)').selectOption('allow');
  await page.getByRole('button', { name: 'Save' }).click();
  assert.match(await page.getByRole('status').innerText(), /account-wide restriction is saved/);
});
