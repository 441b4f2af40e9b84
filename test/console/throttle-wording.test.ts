// The sign-in page's back-off message counts in words: "Wait 1 second", never "Wait 1 seconds" (#29 item 15).
// The real app in process, its clock held still so the wait is exactly the first back-off step.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { makeFixture, type Fixture } from '../helpers/app.js';

describe('sign-in back-off wording', () => {
  let f: Fixture;
  before(async () => {
    f = await makeFixture();
  });
  after(() => f.close());

  it('says "Wait 1 second" after the first back-off step', async () => {
    const form = await f.app.inject({ method: 'GET', url: '/login' });
    const csrf = /name="_csrf" value="([^"]+)"/.exec(form.body)?.[1] ?? '';
    const cookie = String(form.headers['set-cookie'] ?? '').split(';')[0]!;
    const attempt = () =>
      f.app.inject({ method: 'POST', url: '/login', headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' }, payload: new URLSearchParams({ _csrf: csrf, username: 'bob', password: 'wrong password here' }).toString() });
    // Three failures are free; the fourth starts a back-off of one second (the clock does not move).
    for (let i = 0; i < 4; i++) assert.doesNotMatch((await attempt()).body, /Too many failed attempts/, `attempt ${i + 1}`);
    const throttled = await attempt();
    assert.match(throttled.body, /Too many failed attempts\. Wait 1 second and try again\./);
    assert.doesNotMatch(throttled.body, /1 seconds/);
  });
});
