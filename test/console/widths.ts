// Helpers for the console's browser tests that look at a page at desktop (1100 px) and phone (390 px) width,
// and that age a browser's session past the idle timeout.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import type { BrowserContext, Page } from 'playwright-core';
import { screenshot, type ConsoleFixture } from './fixtures.js';

export const PHONE = { width: 390, height: 844 };
export const DESKTOP = { width: 1100, height: 800 };

/** The path of the page's URL. */
export const pathOf = (p: Page): string => new URL(p.url()).pathname;

/** Both widths: the callback runs at each, with a screenshot named for it. */
export async function atBothWidths(p: Page, name: string, check: (width: 'desktop' | 'phone') => Promise<void>): Promise<void> {
  for (const [width, size] of [['desktop', DESKTOP], ['phone', PHONE]] as const) {
    await p.setViewportSize(size);
    await check(width);
    await screenshot(p, `${name}-${width}`);
  }
  await p.setViewportSize(DESKTOP);
}

/** Makes this browser's session idle past the 30-minute timeout, as if it had been left alone. */
export async function idleSessionOf(fx: ConsoleFixture, context: BrowserContext): Promise<void> {
  const cookie = (await context.cookies()).find((c) => c.name === 'otpgate_session')!;
  const idHash = createHash('sha256').update(cookie.value).digest('hex');
  const idled = await fx.instance.database.db.updateTable('sessions').set({ last_seen_at: Date.now() - 31 * 60 * 1000 }).where('id_hash', '=', idHash).executeTakeFirst();
  assert.equal(Number(idled.numUpdatedRows), 1);
}
