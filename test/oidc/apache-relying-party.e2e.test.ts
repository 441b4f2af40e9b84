// A real relying party (SPEC, "OpenID Connect provider"; issue #28): Debian's apache2 with
// mod_auth_openidc, configured as docs/oidc.md says, protects a CGI that prints REMOTE_USER. A real
// `otpgate serve` with OTPGATE_PUBLIC_URL is its provider; the client is registered with the CLI. Chromium
// visits the protected page, signs in on otpgate's pages (password, then an oathtool passcode), lands back
// on Apache as alice with acr urn:otpgate:acr:otp, then logs out through mod_auth_openidc's logout
// (end_session): afterwards the protected page asks for a sign-in again.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { CHROMIUM_ARGS } from '../console/fixtures.js';
import { apacheAddresses, startApache, type ApacheRelyingParty } from '../helpers/apache.js';
import { PASSWORD, serve, testEnv, type Served } from '../helpers/app.js';
import { runCli } from '../helpers/cli.js';
import { oathCode } from '../helpers/otp.js';
import { randomSecretHex } from '../helpers/secrets.js';
import { freePort } from '../helpers/ports.js';
import { makeTempDir } from '../helpers/temp-dir.js';

let dir: string;
let server: Served;
let apache: ApacheRelyingParty;
let browser: Browser;
let otpgate: string;
const hex = randomSecretHex();
let counter = 1;

async function cli(args: string[], env: NodeJS.ProcessEnv): Promise<string> {
  const result = await runCli(args, env);
  assert.equal(result.code, 0, `otpgate ${args.join(' ')}: ${result.stderr}`);
  return result.stdout;
}

before(async () => {
  dir = makeTempDir('otpgate-apache-rp-');
  const port = await freePort();
  otpgate = `http://127.0.0.1:${port}`;
  const env = testEnv(join(dir, 'data'), { OTPGATE_PORT: String(port), OTPGATE_PUBLIC_URL: otpgate });
  await cli(['init'], env);
  await cli(['user', 'create', 'alice', '--password', PASSWORD], env);
  const csv = join(dir, 'tokens.csv');
  writeFileSync(csv, `# serial, secret, type, digits, counter, algorithm\nAPACHE0001,${hex},hotp,6,0,sha1\n`);
  await cli(['token', 'import', csv], env);
  await cli(['token', 'associate', 'alice', 'APACHE0001', oathCode(hex, 0)], env);

  const addresses = await apacheAddresses();
  const added = JSON.parse(await cli(['oidc', 'client', 'add', 'intranet', '--redirect-uri', addresses.redirectUri, '--post-logout-redirect-uri', addresses.signedOutUrl, '--json'], env)) as { clientId: string; clientSecret: string };
  server = await serve(env);
  apache = await startApache(addresses, { clientId: added.clientId, clientSecret: added.clientSecret, metadataUrl: `${otpgate}/oidc/.well-known/openid-configuration` });
  browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });
});

after(async () => {
  await browser?.close();
  await apache?.stop();
  await server?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

async function signInOnOtpgate(page: Page): Promise<void> {
  assert.equal(new URL(page.url()).origin, otpgate, `the protected page sends the browser to otpgate (at ${page.url()})`);
  assert.equal(new URL(page.url()).pathname, '/login');
  await page.getByLabel('Username').fill('alice');
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL((url) => url.pathname === '/login/passcode');
  await page.getByLabel('Passcode').fill(oathCode(hex, counter++));
  await page.getByRole('button', { name: 'Submit' }).click();
}

test('Apache mod_auth_openidc signs alice in through otpgate (password, passcode) in Chromium, and logs her out', async () => {
  const context = await browser.newContext();
  const page = await context.newPage();
  const consoleMessages: string[] = [];
  page.on('console', (message) => consoleMessages.push(message.text()));
  try {
    await page.goto(apache.protectedUrl);
    await signInOnOtpgate(page);
    await page.waitForURL(apache.protectedUrl, { timeout: 10_000 }).catch(() => undefined);
    const body = await page.locator('body').innerText();
    assert.equal(page.url(), apache.protectedUrl, `back on Apache (page: ${body.slice(0, 300)}; browser console: ${consoleMessages.join(' | ')}; apache: ${apache.errorLog().slice(-2000)})`);
    assert.match(body, /^REMOTE_USER=alice$/m);
    assert.match(body, /^ACR=urn:otpgate:acr:otp$/m);

    // Logout: mod_auth_openidc ends its session and sends the browser to otpgate's end_session, which asks
    // for a confirmation, then returns to the post-logout redirect URI registered for the client.
    await page.goto(`${apache.redirectUri}?logout=${encodeURIComponent(apache.signedOutUrl)}`);
    assert.equal(new URL(page.url()).origin, otpgate, `end_session at otpgate (at ${page.url()})`);
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.waitForURL(apache.signedOutUrl);
    assert.match(await page.locator('body').innerText(), /Signed out of the intranet/);

    // Signed out of both: the protected page asks for the password and the passcode again.
    await page.goto(apache.protectedUrl);
    await signInOnOtpgate(page);
    await page.waitForURL(apache.protectedUrl);
    assert.match(await page.locator('body').innerText(), /^REMOTE_USER=alice$/m);
  } finally {
    await context.close();
  }
});
