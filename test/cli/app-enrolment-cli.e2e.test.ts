// `token enrol-app USER` and `token activate USER CODE` (SPEC, "Time-based tokens"), run as `node bin/otpgate.js`:
// the enrolment prints a QR code drawn in the terminal, the otpauth URI and the grouped key; run again it shows
// the same (pending) secret; a wrong code keeps it; a code from `oathtool --totp -b` activates it, and the user
// then signs in (`check`) with the app's next code. The real clock: codes are computed for now (± 1 step).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { makeTempDir, PASSWORD, testEnv } from '../helpers/installation.js';
import { runCli } from '../helpers/cli.js';

const totpAt = (base32: string, atMs: number) => execFileSync('oathtool', ['--totp', '-b', '-N', `@${Math.floor(atMs / 1000)}`, base32], { encoding: 'utf8' }).trim();

describe('authenticator apps on the command line', () => {
  const dir = makeTempDir();
  const env = testEnv(dir);
  const cli = (...args: string[]) => runCli(args, env);
  const ok = async (...args: string[]) => {
    const result = await cli(...args);
    assert.equal(result.code, 0, `${args.join(' ')}: ${result.stderr}`);
    return result;
  };
  before(async () => {
    await ok('init');
    await ok('user', 'create', 'ivo', '--password', PASSWORD);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('enrol-app prints the QR code, the URI and the key; shown again until activated; activate makes a token that signs in', async () => {
    const first = await ok('token', 'enrol-app', 'ivo');
    const uri = /^otpauth:\/\/totp\/default:ivo\?secret=([A-Z2-7]{32})&issuer=default$/m.exec(first.stdout);
    assert.ok(uri, first.stdout);
    const secret = uri[1]!;
    assert.match(first.stdout, /[█▀▄]/, 'a QR code drawn with block characters');
    assert.match(first.stdout, new RegExp(`^key: ${secret.match(/.{4}/g)!.join(' ')}$`, 'm'));
    assert.ok((await ok('token', 'enrol-app', 'ivo')).stdout.includes(uri[0]), 'the same pending secret again');
    const now = Date.now();
    const right = totpAt(secret, now);
    const wrong = await cli('token', 'activate', 'ivo', right === '123456' ? '654321' : '123456');
    assert.notEqual(wrong.code, 0);
    assert.match(wrong.stderr, /not the app's current code/);
    assert.match((await ok('token', 'activate', 'ivo', right)).stdout, /^authenticator app APP-[0-9A-F]{10} is now ivo's$/m);
    assert.notEqual((await cli('token', 'activate', 'ivo', right)).code, 0, 'nothing pending any more');
    await ok('check', 'ivo', '--password', PASSWORD, '--otp', totpAt(secret, now + 30_000));
  });

  it('account settings: --totp-issuer names the issuer; --app-enrolment off refuses', async () => {
    await ok('user', 'create', 'uma', '--password', PASSWORD);
    await ok('account', 'settings', '--totp-issuer', 'Acme Corp');
    assert.match((await ok('token', 'enrol-app', 'uma')).stdout, /^otpauth:\/\/totp\/Acme%20Corp:uma\?secret=[A-Z2-7]{32}&issuer=Acme%20Corp$/m);
    assert.notEqual((await cli('account', 'settings', '--totp-issuer', 'Acme:Corp')).code, 0);
    await ok('account', 'settings', '--app-enrolment', 'off');
    const refused = await cli('token', 'enrol-app', 'uma');
    assert.notEqual(refused.code, 0);
    assert.match(refused.stderr, /does not let users add an authenticator app/);
  });
});
