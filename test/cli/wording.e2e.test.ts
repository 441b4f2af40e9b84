// The command line's words, second round (issue #29 items 15 and 16): counts in the singular for one, an
// encrypted seed file without its key names --psk and --psk-file, a busy port at `serve` names the address
// and the setting instead of EADDRINUSE, `token enable` says when it also lifts a lock, and the token help
// says once that "associated" is the console's Assigned. Run as `node bin/otpgate.js`.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { makeTempDir, PASSWORD, testEnv, writeFile } from '../helpers/installation.js';
import { runCli } from '../helpers/cli.js';
import { oathCode } from '../helpers/otp.js';
import { randomSecretHex } from '../helpers/secrets.js';

const ENCRYPTED_PSKC = '/work/shared/testdata/pskc/rfc6030/figure6.pskcxml';
const ENCRYPTED_PSKC_KEY = '12345678901234567890123456789012';

describe('command line wording (#29 items 15, 16)', () => {
  const dir = makeTempDir();
  const env = testEnv(dir);
  const secrets = Array.from({ length: 3 }, () => randomSecretHex());
  const serial = (i: number) => `839000000000${i}`;
  const cli = (...args: string[]) => runCli(args, env);
  const ok = async (...args: string[]) => {
    const result = await cli(...args);
    assert.equal(result.code, 0, `${args.join(' ')}: ${result.stderr}`);
    return result;
  };
  before(async () => {
    await ok('init');
    await ok('token', 'import', writeFile(dir, 's.csv', secrets.map((s, i) => `${serial(i)},${s}\n`).join('')));
    for (const name of ['ada', 'bea']) await ok('user', 'create', name, '--password', PASSWORD);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('counts one thing in the singular', async () => {
    const bulk = await ok('token', 'associate-bulk', writeFile(dir, 'bulk.csv', `bea,${serial(2)}\n`), '--dry-run');
    assert.match(bulk.stdout, /would associate 1 token \(1 unproven/);
    assert.doesNotMatch(bulk.stdout, /1 tokens/);
  });

  it('an encrypted PSKC file without its key names --psk and --psk-file; --psk-file reads the key', async () => {
    const refused = await cli('token', 'import', ENCRYPTED_PSKC, '--dry-run');
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /no pre-shared key was given; give the pre-shared key with --psk HEX or --psk-file FILE, or the password of a file encrypted with one with --password; nothing was imported\n$/);
    const read = await ok('token', 'import', ENCRYPTED_PSKC, '--dry-run', '--psk-file', writeFile(dir, 'key.hex', `${ENCRYPTED_PSKC_KEY}\n`));
    assert.match(read.stdout, /read 1 key, would import 1/);
    const both = await cli('token', 'import', ENCRYPTED_PSKC, '--psk', ENCRYPTED_PSKC_KEY, '--psk-file', writeFile(dir, 'key2.hex', ENCRYPTED_PSKC_KEY));
    assert.equal(both.code, 2);
    assert.match(both.stderr, /give one of --psk, --psk-file or --password/);
  });

  it('serve on a port already taken names the address, the port and OTPGATE_PORT (no raw EADDRINUSE)', async () => {
    const busy: Server = createServer();
    await new Promise<void>((resolve) => busy.listen(0, '127.0.0.1', resolve));
    const port = (busy.address() as { port: number }).port;
    try {
      const result = await runCli(['serve'], { ...env, OTPGATE_HOST: '127.0.0.1', OTPGATE_PORT: String(port), OTPGATE_LOG_LEVEL: 'warn' });
      assert.equal(result.code, 1);
      assert.match(result.stderr, new RegExp(`^otpgate: cannot listen for HTTP on 127\\.0\\.0\\.1:${port}: another program \\(perhaps another otpgate\\) already uses that port; stop it, or set OTPGATE_PORT to a free port\\n$`));
      assert.doesNotMatch(result.stderr, /EADDRINUSE/);
    } finally {
      await new Promise((resolve) => busy.close(resolve));
    }
  });

  it('token enable says when it also lifts a lock, and lifts it as unlock does', async () => {
    await ok('token', 'associate', 'ada', serial(0), oathCode(secrets[0]!, 0));
    await ok('account', 'settings', '--max-failures', '1');
    assert.equal((await cli('check', 'ada', '--password', PASSWORD, '--otp', oathCode(secrets[0]!, 400))).code, 1);
    assert.equal(JSON.parse((await ok('token', 'show', serial(0), '--json')).stdout).status, 'locked');
    await ok('token', 'disable', serial(0), '--yes');
    const enabled = await ok('token', 'enable', serial(0));
    assert.equal(enabled.stdout, `token ${serial(0)} of ada is enabled and unlocked: it was locked by wrong passcodes when disabled, and enabling lifts that lock (as token unlock does)\n`);
    assert.equal(JSON.parse((await ok('token', 'show', serial(0), '--json')).stdout).status, 'associated');
    // The back-off is cleared too: the right passcode signs in at once.
    assert.equal((await cli('check', 'ada', '--password', PASSWORD, '--otp', oathCode(secrets[0]!, 1))).stdout, 'accept\n');
    // A token that was not locked: just enabled.
    await ok('token', 'disable', serial(0), '--yes');
    assert.equal((await ok('token', 'enable', serial(0))).stdout, `token ${serial(0)} of ada is enabled\n`);
  });

  it('the token help says once that associated is shown as Assigned in the console', async () => {
    const help = (await ok('token', '--help')).stdout;
    assert.equal(help.match(/shown as Assigned in the console/g)?.length, 1);
    assert.doesNotMatch((await ok('token', 'list', '--help')).stdout, /Assigned/);
  });
});
