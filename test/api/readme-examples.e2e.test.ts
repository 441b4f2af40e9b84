// Property: the curl examples of the README (the check) and docs/api.md (the import) work as written against a real `otpgate serve`: a `check` key from
// `otpgate apikey create app --scope check` checks a sign-in with curl, and `curl -F file=@tokens.csv` with
// an admin key imports a seed file. The commands below are run by bash exactly as those pages show them
// (only the port differs).
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdir, rm, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { PASSWORD, serve, testEnv } from '../helpers/app.js';
import { oathCode } from '../helpers/otp.js';
import { BIN, runCli } from '../helpers/cli.js';
import { makeTempDir } from '../helpers/temp-dir.js';

const HEX = '3132333435363738393031323334353637383930';

/** Runs a script with `otpgate` on PATH, as after `npm link` (a symlink to bin/otpgate.js in a temp dir). */
function bash(script: string, env: Record<string, string>, cwd: string): string {
  return execFileSync('bash', ['-euo', 'pipefail', '-c', script], { env: { ...process.env, ...env, PATH: `${join(cwd, 'path')}:${process.env.PATH ?? ''}` }, cwd, encoding: 'utf8' });
}

test('the README curl examples: apikey create + auth/check, and an import with curl -F', async (t) => {
  const dir = makeTempDir('otpgate-readme-');
  const env = testEnv(join(dir, 'data'));
  const server = await serve(env);
  t.after(async () => {
    await server.stop();
    await rm(dir, { recursive: true, force: true });
  });
  const base = server.url;
  await mkdir(join(dir, 'path'));
  await symlink(BIN, join(dir, 'path', 'otpgate'));
  await writeFile(join(dir, 'tokens.csv'), `# serial, secret (hex), type, digits, counter, algorithm\n0000000000001,${HEX},hotp,6,0,sha1\n0000000000002,${HEX}${HEX.slice(0, 8)},hotp,8\n`);

  // Import with curl -F, as a browser form sends it.
  const imported = bash(
    `ADMIN_KEY=$(otpgate apikey create importer --scope admin | tail -n 1)
curl -s -H "Authorization: Bearer $ADMIN_KEY" -F file=@tokens.csv ${base}/api/v1/tokens/import`,
    env,
    dir,
  );
  const report = JSON.parse(imported) as { imported: number; skipped: unknown[]; format: string };
  assert.deepEqual([report.format, report.imported, report.skipped.length], ['csv', 2, 0], imported);
  // A dry run of the same file: both serials are already known.
  const dry = JSON.parse(bash(`ADMIN_KEY=$(otpgate apikey create importer2 --scope admin | tail -n 1)
curl -s -H "Authorization: Bearer $ADMIN_KEY" -F dryRun=true -F file=@tokens.csv ${base}/api/v1/tokens/import`, env, dir)) as { imported: number; skipped: { reason: string }[]; dryRun: boolean };
  assert.equal(dry.dryRun, true);
  assert.equal(dry.imported, 0);
  assert.equal(dry.skipped.length, 2);

  assert.equal((await runCli(['user', 'create', 'alice', '--password', PASSWORD], env)).code, 0);
  assert.equal((await runCli(['token', 'associate', 'alice', '0000000000001', oathCode(HEX, 0)], env)).code, 0);

  // The README: create the key once, then check with curl.
  const key = bash('otpgate apikey create app --scope check | tail -n 1', env, dir).trim();
  assert.match(key, /^otpg_[A-Za-z0-9_-]{43}$/);
  const curlCheck = (body: string) =>
    bash(`curl -s -H "Authorization: Bearer $KEY" -H 'content-type: application/json' -d '${body}' ${base}/api/v1/auth/check`, { ...env, KEY: key }, dir);
  const code = oathCode(HEX, 1);
  assert.equal(curlCheck(`{"username":"alice","password":"${PASSWORD}","otp":"${code}"}`), '{"result":"accept"}');
  assert.equal(curlCheck(`{"username":"alice","password":"${PASSWORD}","otp":"${code}"}`), '{"result":"reject"}', 'the same code again is a replay');
  assert.equal(curlCheck(`{"username":"alice","password":"${PASSWORD}"}`), '{"result":"otp_required"}');
  // curl without -H content-type sends a form: refused clearly, not misread.
  const form = bash(`curl -s -H "Authorization: Bearer $KEY" -d '{"username":"alice"}' ${base}/api/v1/auth/check`, { ...env, KEY: key }, dir);
  assert.equal((JSON.parse(form) as { error: { code: string } }).error.code, 'unsupported_media_type');
  // From the repository root, `npx otpgate` runs the same command line (package.json bin).
  const viaNpx = execFileSync('npx', ['--no-install', 'otpgate', 'apikey', 'create', 'from-npx', '--scope', 'check'], { cwd: join(BIN, '..', '..'), env: { ...process.env, ...env }, encoding: 'utf8' });
  assert.match(viaNpx.trim().split('\n').at(-1)!, /^otpg_[A-Za-z0-9_-]{43}$/);
});
