// Property: text that no UTF-8 column can hold as given (a lone UTF-16 surrogate, which JSON's "\ud800"
// escape makes) is refused at the JSON API before anything is compared, stored or hashed, with a 400 that
// names the field; invalid UTF-8 bytes in a JSON body are refused, not replaced. And the audit chain hashes
// what the database stores, so `audit verify` stays ok on SQLite and PostgreSQL whatever text reached it
// (here: a username cut inside a surrogate pair when it is shortened to the audit column's 64 characters).
import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { buildServer } from '../../src/http/app.js';
import { OPERATOR } from '../../src/services/context.js';
import { engineCases } from '../helpers/engines.js';
import { makeFixture } from '../helpers/app.js';
import { consoleSession } from '../fuzz/targets.js';

const cases = await engineCases();

for (const engine of cases) {
  describe(`well-formed text (${engine.engine})`, { skip: engine.skip }, () => {
    it('a lone surrogate in /auth/check is refused with 400 naming the field; audit verify stays ok', async (t) => {
      const installation = await engine.start();
      const app = await buildServer(installation.services, installation.instance.config, { logger: false });
      t.after(async () => {
        await app.close();
        await installation.close();
      });
      const { key } = await installation.services.apiKeys.create(OPERATOR, installation.account, 'app', ['check'], false);
      const post = (payload: string | Buffer) =>
        app.inject({ method: 'POST', url: '/api/v1/auth/check', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, payload });
      const before = (await installation.services.audit.list({ accountId: null, limit: 1000 })).length;

      for (const payload of ['{"username":"\\ud800","password":"x"}', '{"username":"frank","password":"\\udfff"}', '{"username":"a\\ud83d","password":"x"}', '{"\\ud800":"x","username":"frank","password":"x"}']) {
        const response = await post(payload);
        assert.equal(response.statusCode, 400, `${payload}: ${response.body}`);
        const error = response.json<{ error: { code: string; message: string } }>().error;
        assert.equal(error.code, 'invalid_request');
        assert.match(error.message, /not well-formed Unicode/);
        assert.match(error.message, payload.startsWith('{"\\ud800') ? /field name/ : payload.includes('"password":"\\udfff"') ? /body\.password/ : /body\.username/);
      }
      // Invalid UTF-8 bytes are refused, not decoded to U+FFFD and compared.
      const invalidUtf8 = Buffer.concat([Buffer.from('{"username":"'), Buffer.from([0xed, 0xa0, 0x80]), Buffer.from('","password":"x"}')]);
      const refused = await post(invalidUtf8);
      assert.equal(refused.statusCode, 400, refused.body);
      assert.equal(refused.json<{ error: { code: string } }>().error.code, 'invalid_request');
      assert.equal((await installation.services.audit.list({ accountId: null, limit: 1000 })).length, before, 'a refused request writes no audit event');

      // A well-formed username whose 64th UTF-16 unit is the first half of a pair: the audit event holds it
      // cut there (a lone surrogate in the value hashed, U+FFFD in the stored row).
      const long = `${'a'.repeat(63)}\u{1F600}`;
      const answered = await post(JSON.stringify({ username: long, password: 'x' }));
      assert.equal(answered.statusCode, 200, answered.body);
      assert.equal(answered.json<{ result: string }>().result, 'reject');
      const report = await installation.services.audit.verify();
      assert.deepEqual({ brokenAt: report.brokenAt, headMatches: report.headMatches }, { brokenAt: null, headMatches: true });
      assert.ok(report.events > before);
    });
  });
}

describe('well-formed text in console forms', () => {
  it('a form field holding text that cannot be stored as given (NUL) gets a clear error page and changes nothing', async (t) => {
    const f = await makeFixture();
    t.after(() => f.close());
    const session = await consoleSession(f);
    const before = (await f.services.users.list(f.acme)).length;
    // (A form's percent-encoded bytes that are not UTF-8, like %ED%A0%80, are kept as the literal text typed:
    // the form parser never makes a lone surrogate. The same check as the JSON API's applies to forms.)
    for (const [name, value] of [['displayName', 'Bo%00b'], ['password', 'long%00password']]) {
      const response = await f.app.inject({
        method: 'POST',
        url: '/admin/users',
        headers: { cookie: session.cookie, 'content-type': 'application/x-www-form-urlencoded' },
        payload: `_csrf=${encodeURIComponent(session.csrf)}&username=frank&password=a%20long%20password&role=user&${name}=${value}`,
      });
      assert.equal(response.statusCode, 400, `${name}=${value}: ${response.statusCode}`);
      assert.match(String(response.headers['content-type']), /^text\/html/);
      assert.match(response.body, new RegExp(`body\\.${name}(\\[1\\])? (is not well-formed Unicode|holds a NUL character)`));
    }
    assert.equal((await f.services.users.list(f.acme)).length, before, 'nothing was created');
  });
});
