// Property: after a whole realistic session against `otpgate serve` logging at trace level to a file
// (OTPGATE_LOG_FILE), no token secret (hex or base32), passcode, password, API key, session cookie or
// Authorization value used in the session appears anywhere in the log file.
import assert from 'node:assert/strict';
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { PASSWORD, newToken, serve, testEnv } from '../helpers/app.js';
import { oathCode } from '../helpers/otp.js';
import { base32 } from '../helpers/secrets.js';
import { createKey, runCli } from '../helpers/cli.js';
import { makeTempDir } from '../helpers/temp-dir.js';

test('a session logged at trace level leaks no secret, passcode, password or key', async (t) => {
  const dir = makeTempDir('otpgate-log-');
  const logFile = join(dir, 'log', 'otpgate.log');
  const env = testEnv(join(dir, 'data'), { OTPGATE_LOG_FILE: logFile, OTPGATE_LOG_LEVEL: 'trace' });
  const server = await serve(env);
  t.after(async () => {
    await server.stop();
    await rm(dir, { recursive: true, force: true });
  });
  const firstAdminPassword = /password \(shown only now\): (\S+)/.exec(server.stdout())?.[1];
  assert.ok(firstAdminPassword, server.stdout());
  const adminKey = await createKey(env, 'admin-app', '--scope', 'admin');
  const checkKey = await createKey(env, 'app', '--scope', 'check');
  const otpKey = await createKey(env, 'otp-app', '--scope', 'otp-only', '--client-ip');
  const tokens = [newToken('3000000000001'), newToken('3000000000002')];
  const used = { passcodes: new Set<string>(), passwords: [PASSWORD, 'a new password 2', 'wrong password 9', firstAdminPassword] };
  const code = (hex: string, counter: number) => {
    const value = oathCode(hex, counter);
    used.passcodes.add(value);
    return value;
  };
  const api = async (method: string, path: string, key: string, body?: unknown, headers: Record<string, string> = {}) => {
    const response = await fetch(`${server.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${key}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
      ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
    });
    return { status: response.status, text: await response.text() };
  };

  // Import a seed file through the API.
  const form = new FormData();
  form.append('file', new Blob([tokens.map((tk) => `${tk.serial},${tk.hex}`).join('\n')]), 'tokens.csv');
  const imported = await fetch(`${server.url}/api/v1/tokens/import`, { method: 'POST', headers: { authorization: `Bearer ${adminKey}` }, body: form });
  assert.equal(imported.status, 200, await imported.text());
  const [one, two] = tokens as [(typeof tokens)[0], (typeof tokens)[0]];
  // Users, association, sign-ins right and wrong, re-sync, password change, restrictions.
  assert.equal((await api('POST', '/api/v1/users', adminKey, { username: 'alice', password: PASSWORD })).status, 201);
  assert.equal((await api('POST', '/api/v1/users', adminKey, { username: 'bob', password: PASSWORD })).status, 201);
  assert.equal((await api('POST', '/api/v1/users/alice/token', adminKey, { serial: one.serial, otp: code(one.hex, 30) })).status, 400);
  assert.equal((await api('POST', '/api/v1/users/alice/token', adminKey, { serial: one.serial, otp: code(one.hex, 0) })).status, 201);
  assert.equal((await api('POST', '/api/v1/users/bob/token', adminKey, { serial: two.serial, otp: code(two.hex, 2) })).status, 201);
  assert.equal((await api('POST', '/api/v1/auth/check', checkKey, { username: 'alice', password: PASSWORD, otp: code(one.hex, 1) })).text, '{"result":"accept"}');
  assert.equal((await api('POST', '/api/v1/auth/check', checkKey, { username: 'alice', password: PASSWORD, otp: code(one.hex, 1) })).text, '{"result":"reject"}');
  assert.equal((await api('POST', '/api/v1/auth/check', checkKey, { username: 'alice', password: 'wrong password 9', otp: code(one.hex, 2) })).text, '{"result":"reject"}');
  assert.equal((await api('POST', '/api/v1/auth/check', otpKey, { username: 'bob', otp: code(two.hex, 3), clientIp: '192.0.2.8' })).text, '{"result":"accept"}');
  assert.equal((await api('POST', '/api/v1/users/bob/token/resync', adminKey, { otp1: code(two.hex, 100), otp2: code(two.hex, 101) })).status, 200);
  assert.equal((await api('POST', '/api/v1/users/bob/token/resync', adminKey, { otp1: code(two.hex, 200), otp2: code(two.hex, 202) })).status, 400);
  assert.equal((await api('PATCH', '/api/v1/users/bob', adminKey, { password: 'a new password 2' })).status, 200);
  assert.equal((await api('PUT', '/api/v1/users/bob/restrictions', adminKey, { rules: [{ cidr: '10.0.0.0/8', action: 'deny' }], default: 'allow' })).status, 200);
  // Malformed and refused requests that carry secrets: bad JSON, extra fields, wrong scope, bad key, 404.
  assert.equal((await api('POST', '/api/v1/auth/check', checkKey, `{"username":"alice","password":"${PASSWORD}","otp":"${code(one.hex, 5)}"`)).status, 400);
  assert.equal((await api('POST', '/api/v1/auth/check', checkKey, { username: 'alice', password: PASSWORD, otp: code(one.hex, 6), secret: one.hex })).status, 400);
  assert.equal((await api('POST', '/api/v1/auth/check', adminKey, { username: 'alice', password: PASSWORD, otp: code(one.hex, 7) })).status, 403);
  assert.equal((await api('GET', '/api/v1/users', `${checkKey}x`)).status, 401);
  assert.equal((await api('GET', '/api/v1/nowhere', adminKey, undefined, { cookie: 'otpgate_session=cookie-value-that-must-not-leak' })).status, 404);
  assert.equal((await api('POST', '/api/v1/auth/check', checkKey, { username: 'alice', password: PASSWORD, otp: 'x'.repeat(70) })).status, 400);
  // The CLI on the same database, meanwhile.
  assert.equal((await runCli(['check', 'alice', '--password', PASSWORD, '--otp', code(one.hex, 8)], env)).code, 0);

  assert.equal(await server.stop(), 0);
  const log = await readFile(logFile, 'utf8');
  assert.ok(log.split('\n').length > 20, 'the session was logged at trace level');
  assert.match(log, /auth\/check/);
  const forbidden: [string, string][] = [
    ...tokens.flatMap((tk): [string, string][] => [
      [`secret of ${tk.serial} (hex)`, tk.hex],
      [`secret of ${tk.serial} (HEX)`, tk.hex.toUpperCase()],
      [`secret of ${tk.serial} (base32)`, base32(tk.hex)],
      [`secret of ${tk.serial} (base64)`, Buffer.from(tk.hex, 'hex').toString('base64')],
    ]),
    ...used.passwords.map((p): [string, string] => ['a password', p]),
    ['the admin key', adminKey],
    ['the check key', checkKey],
    ['the otp-only key', otpKey],
    ['the random part of a key', checkKey.slice(5, 25)],
    ['a cookie', 'cookie-value-that-must-not-leak'],
  ];
  const lineWith = (value: string) => log.split('\n').find((line) => line.includes(value))?.slice(0, 600);
  for (const [what, value] of forbidden) assert.ok(!log.includes(value), `${what} is in the log: ${lineWith(value)}`);
  // Passcodes are six digits: look for them as whole numbers (not inside a timestamp or a duration).
  for (const passcode of used.passcodes) {
    assert.doesNotMatch(log, new RegExp(`(?<![0-9.])${passcode}(?![0-9])`), `passcode ${passcode} is in the log`);
  }
});
