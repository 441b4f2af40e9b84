// Test fixture for the console: a real otpgate server on an ephemeral port over the one builder's installation,
// a headless chromium driven by playwright-core, oathtool for passcodes, and screenshots of every page.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { buildServer, type App } from '../../src/http/app.js';
import type { Instance } from '../../src/runtime/instance.js';
import { OPERATOR } from '../../src/services/context.js';
import type { AccountRow } from '../../src/store/schema.js';
import { buildInstallation } from '../helpers/installation.js';

export const SCREENSHOT_DIR = join(process.cwd(), 'test-output', 'screenshots');

export interface ConsoleFixture {
  baseUrl: string;
  instance: Instance;
  app: App;
  browser: Browser;
  account: AccountRow;
  adminPassword: string;
  /** A fresh browser profile (its own cookies). */
  newContext(): Promise<BrowserContext>;
  /** Signs in with a password only (users with no token and no OTP rule) and returns the page. */
  signIn(context: BrowserContext, username: string, password: string): Promise<Page>;
  createUser(username: string, options?: { role?: 'admin' | 'user'; displayName?: string; account?: AccountRow }): Promise<string>;
  importTokens(tokens: { serial: string; secretHex: string }[], account?: AccountRow): Promise<void>;
  close(): Promise<void>;
}

export const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];

/** Saves a full-page screenshot as test-output/screenshots/<name>.png. */
export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  await page.screenshot({ path: join(SCREENSHOT_DIR, `${name}.png`), fullPage: true });
}

export async function startConsole(options: { secureCookies?: boolean; importLimitMb?: number; env?: Record<string, string> } = {}): Promise<ConsoleFixture> {
  // The one builder (test/helpers/installation.ts), reading the real time: sessions age by the wall clock.
  const installation = await buildInstallation({
    env: {
      OTPGATE_SECURE_COOKIES: options.secureCookies ? 'true' : 'false',
      ...(options.importLimitMb === undefined ? {} : { OTPGATE_IMPORT_LIMIT_MB: String(options.importLimitMb) }),
      ...options.env,
    },
  });
  const { instance, config } = installation;
  const app = await buildServer(instance.services, config, { logger: false });
  const address = await app.listen({ host: '127.0.0.1', port: 0 });
  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });
  const services = instance.services;
  const account = await services.accounts.resolve(OPERATOR, 'default');
  const contexts: BrowserContext[] = [];

  return {
    baseUrl: address,
    instance,
    app,
    browser,
    account,
    adminPassword: installation.adminPassword,
    async newContext() {
      const context = await browser.newContext({ baseURL: address, viewport: { width: 1100, height: 800 } });
      contexts.push(context);
      return context;
    },
    async signIn(context, username, password) {
      const page = await context.newPage();
      await page.goto('/login');
      await page.getByLabel('Username').fill(username);
      await page.getByLabel('Password').fill(password);
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.waitForLoadState();
      return page;
    },
    async createUser(username, opts = {}) {
      const password = `pw-${username}-long-enough`;
      await services.users.create(OPERATOR, opts.account ?? account, { username, password, role: opts.role ?? 'user', ...(opts.displayName ? { displayName: opts.displayName } : {}) });
      return password;
    },
    async importTokens(tokens, target = account) {
      const csv = tokens.map((t) => `${t.serial},${t.secretHex}`).join('\n') + '\n';
      await services.imports.import(OPERATOR, target, { input: Readable.from([Buffer.from(csv)]), format: 'csv' });
    },
    async close() {
      for (const context of contexts) await context.close().catch(() => undefined);
      await browser.close().catch(() => undefined);
      await app.close();
      await installation.close();
    },
  };
}
