// Property: The console's forms and pages at both widths: every invalid field named at once with capitalised messages,
// "No user X", no missing favicon, a focus ring of at least 3:1, and no select that cuts off its options.
// (From the console's first-hour review, issue 15.) Its own console and browser: no test here depends on another.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { BrowserContext, Page } from 'playwright-core';
import { screenshot, startConsole, type ConsoleFixture } from './fixtures.js';
import { atBothWidths } from './widths.js';

let fx: ConsoleFixture;
let admin: BrowserContext;
let page: Page;

before(async () => {
  fx = await startConsole();
  await fx.createUser('alice', { displayName: 'Alice' });
  admin = await fx.newContext();
  page = await fx.signIn(admin, 'admin', fx.adminPassword);
});
after(async () => fx?.close());

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
test('create user names every invalid field at once, with messages that start with a capital', async () => {
  await page.goto('/admin/users/new');
  await page.getByLabel('Username').fill('no spaces allowed');
  await page.getByLabel('Password').fill('short');
  await page.getByRole('button', { name: 'Create user' }).click();
  assert.match(await page.locator('#username-error').innerText(), /^Username "no spaces allowed" must be/);
  assert.match(await page.locator('#password-error').innerText(), /^The password must have at least 8 characters\.$/);
  assert.match(await page.getByRole('alert').innerText(), /correct the fields marked below/);
  await atBothWidths(page, 'form-details-create-user-errors', async () => undefined);
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
  await screenshot(page, 'form-details-focus-ring');

  await page.getByRole('link', { name: 'Tokens' }).focus();
  const header = await page.evaluate(() => ({ outline: getComputedStyle(document.activeElement!).outlineColor, bar: getComputedStyle(document.querySelector('header.top')!).backgroundColor }));
  const inHeader = contrast(header.outline, header.bar);
  assert.ok(inHeader >= 3, `header focus ring ${header.outline} on ${header.bar}: ${inHeader.toFixed(2)}:1`);
});

test('no select cuts off its options, at desktop or phone width', async () => {
  for (const url of ['/admin/users/alice/access', '/admin/restriction', '/admin/tokens', '/admin/audit', '/admin/users/new']) {
    await page.goto(url);
    await atBothWidths(page, `form-details-selects${url.replaceAll('/', '-')}`, async (width) => {
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
