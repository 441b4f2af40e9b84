// Each request's logger (request.log) is made only when the request logs through it; a line it writes still
// carries the request's id, the same id as the request's access-log line.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { LoggerOptions } from 'pino';
import { buildServer } from '../../src/http/app.js';
import { requestLogIsMade } from '../../src/http/request-log.js';
import { makeFixture } from '../helpers/app.js';
import { oathCode } from '../helpers/otp.js';

describe('the per-request logger', () => {
  it('is not made for an accepted check, and a logged error carries the access line’s request id', async (t) => {
    const fixture = await makeFixture();
    const lines: Record<string, unknown>[] = [];
    const app = await buildServer(fixture.services, { ...fixture.config, logLevel: 'info' }, { logger: { stream: { write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>) } } as LoggerOptions });
    const made: { url: string; made: boolean }[] = [];
    app.addHook('onResponse', (request, _reply, done) => {
      made.push({ url: request.url, made: requestLogIsMade(request.log) });
      done();
    });
    app.get('/test-fails', () => {
      throw new Error('boom');
    });
    t.after(async () => {
      await app.close();
      await fixture.close();
    });

    const accepted = await app.inject({
      method: 'POST',
      url: '/api/v1/auth/check',
      headers: { authorization: `Bearer ${fixture.keys.otpOnly}`, 'content-type': 'application/json' },
      payload: JSON.stringify({ username: 'alice', otp: oathCode(fixture.aliceToken.hex, 1) }),
    });
    assert.deepEqual(accepted.json(), { result: 'accept' });
    const failed = await app.inject({ method: 'GET', url: '/test-fails' });
    assert.equal(failed.statusCode, 500);

    assert.deepEqual(made, [
      { url: '/api/v1/auth/check', made: false },
      { url: '/test-fails', made: true },
    ]);
    const access = lines.filter((l) => l.msg === 'request');
    assert.deepEqual(
      access.map((l) => [l.path, l.status]),
      [
        ['/api/v1/auth/check', 200],
        ['/test-fails', 500],
      ],
    );
    const error = lines.find((l) => l.msg === 'unexpected error');
    assert.ok(error, 'the unexpected error is logged');
    assert.equal(error.level, 50);
    assert.equal(typeof error.reqId, 'string');
    assert.equal(error.reqId, access[1]!.reqId, 'the error line and the access line name the same request');
    assert.notEqual(access[0]!.reqId, access[1]!.reqId);
  });
});
