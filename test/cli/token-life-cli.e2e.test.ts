// The command line of a token's life: disable (asks; --yes), enable, retire --reason, set --valid-until,
// temp-code (the code alone on the last line; --revoke), token show's history, and associate-bulk (all lines
// or none, the bad line named, --dry-run, unproven lines audited as such). Run as `node bin/otpgate.js`.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { makeTempDir, PASSWORD, testEnv, writeFile } from '../helpers/installation.js';
import { runCli } from '../helpers/cli.js';
import { oathCode } from '../helpers/otp.js';
import { randomSecretHex } from '../helpers/secrets.js';

describe('token life on the command line', () => {
  const dir = makeTempDir();
  const env = testEnv(dir);
  const secrets = Array.from({ length: 5 }, () => randomSecretHex());
  const serial = (i: number) => `810000000000${i}`;
  const cli = (...args: string[]) => runCli(args, env);
  const ok = async (...args: string[]) => {
    const result = await cli(...args);
    assert.equal(result.code, 0, `${args.join(' ')}: ${result.stderr}`);
    return result;
  };
  const status = async (i: number) => (JSON.parse((await ok('token', 'show', serial(i), '--json')).stdout) as { status: string }).status;
  before(async () => {
    await ok('init');
    await ok('token', 'import', writeFile(dir, 's.csv', secrets.map((s, i) => `${serial(i)},${s}\n`).join('')));
    for (const name of ['ada', 'bea', 'cy', 'dot', 'eve']) await ok('user', 'create', name, '--password', PASSWORD);
    await ok('token', 'associate', 'ada', serial(0), oathCode(secrets[0]!, 0));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('disable needs --yes off a terminal; enable; retire needs a reason; show prints the history', async () => {
    const unasked = await cli('token', 'disable', serial(0));
    assert.equal(unasked.code, 2);
    assert.match(unasked.stderr, /needs confirmation/);
    assert.equal(await status(0), 'associated');
    assert.match((await ok('token', 'disable', serial(0), '--yes')).stdout, /is disabled/);
    const check = await cli('check', 'ada', '--password', PASSWORD, '--otp', oathCode(secrets[0]!, 1));
    assert.equal(check.code, 1);
    await ok('token', 'enable', serial(0));
    assert.equal(await status(0), 'associated');
    const noReason = await cli('token', 'retire', serial(0), '--yes');
    assert.equal(noReason.code, 2);
    assert.equal((await cli('token', 'retire', serial(0), '--reason', 'eaten', '--yes')).code, 2);
    await ok('token', 'retire', serial(0), '--reason', 'broken', '--yes');
    assert.equal(await status(0), 'retired');
    assert.equal((await cli('token', 'associate', 'bea', serial(0), oathCode(secrets[0]!, 1))).code, 1, 'a retired token is never associated again');
    const shown = (await ok('token', 'show', serial(0))).stdout;
    assert.match(shown, /history \(newest first\)/);
    assert.match(shown, /token\.retire[\s\S]*token\.enable[\s\S]*token\.disable[\s\S]*token\.associate[\s\S]*token\.import/);
    const json = JSON.parse((await ok('token', 'show', serial(0), '--json')).stdout) as { history: { action: string }[]; retiredReason: string };
    assert.equal(json.retiredReason, 'broken');
    assert.deepEqual(json.history.slice(0, 2).map((e) => e.action), ['token.associate', 'token.retire'], "newest first: bea's refused association, then the retire");
  });

  it('set --valid-until in the past refuses the passcode; none reopens it', async () => {
    await ok('token', 'associate', 'bea', serial(1), oathCode(secrets[1]!, 0));
    await ok('token', 'set', serial(1), '--valid-until', '2020-01-01T00:00:00Z');
    assert.equal((await cli('check', 'bea', '--password', PASSWORD, '--otp', oathCode(secrets[1]!, 1))).code, 1);
    assert.equal((await cli('token', 'set', serial(1), '--valid-until', 'soonish')).code, 2);
    await ok('token', 'set', serial(1), '--valid-until', 'none');
    await ok('check', 'bea', '--password', PASSWORD, '--otp', oathCode(secrets[1]!, 1));
  });

  it('temp-code prints the code alone on the last line; it signs in; --revoke ends it', async () => {
    const issued = await ok('token', 'temp-code', 'bea', '--uses', '2', '--hours', '1');
    const code = issued.stdout.trim().split('\n').at(-1)!;
    assert.match(code, /^[0-9]{10}$/);
    await ok('check', 'bea', '--password', PASSWORD, '--otp', code);
    assert.equal((await cli('token', 'temp-code', 'bea', '--uses', '11')).code, 2);
    await ok('token', 'temp-code', 'bea', '--revoke');
    assert.equal((await cli('check', 'bea', '--password', PASSWORD, '--otp', code)).code, 1);
    assert.equal((await cli('token', 'temp-code', 'bea', '--revoke')).code, 1, 'nothing to revoke');
  });

  it('associate-bulk: one bad line associates nothing and is named; --dry-run writes nothing; then all, unproven audited', async () => {
    const bad = writeFile(dir, 'bad.csv', `cy,${serial(2)},${oathCode(secrets[2]!, 0)}\ndot,${serial(3)},000000\n`);
    const refused = await cli('token', 'associate-bulk', bad);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /line 2: the passcode is not one of token 8100000000003's next codes; nothing was associated/);
    assert.equal(await status(2), 'available', 'the good line was not associated either');
    // Bulk association adds tokens (several lines may name one user), within maxTokensPerUser (default 3).
    const twice = await cli('token', 'associate-bulk', writeFile(dir, 'twice.csv', `cy,${serial(2)}\ncy,${serial(3)}\n`), '--dry-run');
    assert.match(twice.stdout, /would associate 2 tokens/);

    const good = writeFile(dir, 'good.csv', `# username,serial,otp\ncy,${serial(2)},${oathCode(secrets[2]!, 0)}\ndot,${serial(3)}\n`);
    const dry = await ok('token', 'associate-bulk', good, '--dry-run');
    assert.match(dry.stdout, /would associate 2 tokens \(1 unproven: no passcode\) \(dry run: nothing written\)/);
    assert.equal(await status(2), 'available');
    const done = await ok('token', 'associate-bulk', good, '--json');
    assert.deepEqual((JSON.parse(done.stdout) as { associated: { username: string; proven: boolean }[] }).associated.map((a) => [a.username, a.proven]), [['cy', true], ['dot', false]]);
    assert.deepEqual([await status(2), await status(3)], ['associated', 'associated']);
    const audit = JSON.parse((await ok('audit', 'list', '--user', 'dot', '--json')).stdout) as { action: string; reason: string }[];
    assert.match(audit.find((e) => e.action === 'token.associate')?.reason ?? '', /unproven \(no passcode\)/);
    await ok('check', 'cy', '--password', PASSWORD, '--otp', oathCode(secrets[2]!, 1));
  });
});
