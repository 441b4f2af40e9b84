// Property: the console's import form reads its upload as the JSON API does (one reader, web/import-upload.ts):
// with its CSRF token the file imports and its result page shows the report; a file under another field name, an
// unknown format or no chosen file is refused with the reason; a file over OTPGATE_IMPORT_LIMIT_MB is refused
// whole (413), whether the declared length or the streamed bytes show it. Nothing is imported from a refusal.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { randomSeedRows } from '../helpers/secrets.js';
import { startConsole, type ConsoleFixture } from './fixtures.js';

let fx: ConsoleFixture;
let cookie = '';
let csrf = '';

before(async () => {
  fx = await startConsole({ importLimitMb: 1 });
  const context = await fx.newContext();
  const page = await fx.signIn(context, 'admin', fx.adminPassword);
  const session = (await context.cookies()).find((c) => c.name === 'otpgate_session')!;
  cookie = `otpgate_session=${session.value}`;
  await page.goto('/admin/tokens');
  csrf = await page.locator('form[action="/admin/tokens/import"] input[name="_csrf"]').inputValue();
});
after(async () => fx?.close());

const BOUNDARY = 'otpgateb0undary';

/** A multipart body as the console's form sends it: the fields, then the file part. */
function multipart(fields: Record<string, string>, file: { field?: string; name: string; content: string | Buffer }): Buffer {
  const parts: Buffer[] = [];
  for (const [name, value] of Object.entries(fields)) parts.push(Buffer.from(`--${BOUNDARY}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`));
  parts.push(Buffer.from(`--${BOUNDARY}\r\nContent-Disposition: form-data; name="${file.field ?? 'file'}"; filename="${file.name}"\r\nContent-Type: text/csv\r\n\r\n`));
  parts.push(Buffer.isBuffer(file.content) ? file.content : Buffer.from(file.content));
  parts.push(Buffer.from(`\r\n--${BOUNDARY}--\r\n`));
  return Buffer.concat(parts);
}

async function post(body: Buffer) {
  return fx.app.inject({ method: 'POST', url: '/admin/tokens/import', headers: { cookie, 'content-type': `multipart/form-data; boundary=${BOUNDARY}` }, payload: body });
}

async function inventory(): Promise<string[]> {
  return (await fx.instance.services.tokens.list(fx.account)).map((t) => t.serial).sort();
}

function csvOf(count: number): { serials: string[]; text: string } {
  const rows = randomSeedRows(count);
  return { serials: rows.map((r) => r.serial).sort(), text: rows.map((r) => `${r.serial},${r.secretHex},hotp,6,${r.counter}`).join('\n') + '\n' };
}

test('with its CSRF token the file imports and the page shows the report; refusals name their reason and import nothing', async () => {
  const before = await inventory();
  const refusals: Array<[Buffer, number, RegExp]> = [
    [multipart({ _csrf: csrf }, { field: 'seed', name: 'a.csv', content: csvOf(1).text }), 400, /Unexpected file field \S*seed/],
    [multipart({ _csrf: csrf, format: 'xml' }, { name: 'a.csv', content: csvOf(1).text }), 400, /Format must be pskc or csv/],
    [multipart({ _csrf: csrf }, { name: '', content: '' }), 400, /Choose a seed file to import/],
    [multipart({ _csrf: 'x'.repeat(43) }, { name: 'a.csv', content: csvOf(1).text }), 403, /Form expired/],
  ];
  for (const [body, status, message] of refusals) {
    const response = await post(body);
    assert.equal(response.statusCode, status, response.body.slice(0, 200));
    assert.match(response.body, message);
  }
  assert.deepEqual(await inventory(), before);

  const csv = csvOf(2);
  const posted = await post(multipart({ _csrf: csrf, dryRun: 'false' }, { name: 'two.csv', content: csv.text }));
  // Post/redirect/get: the result is a page of its own.
  assert.equal(posted.statusCode, 303);
  const done = await fx.app.inject({ method: 'GET', url: posted.headers.location as string, headers: { cookie } });
  assert.equal(done.statusCode, 200);
  assert.match(done.body, /Import finished\.[\s\S]*imported 2/);
  assert.deepEqual(await inventory(), [...before, ...csv.serials].sort());
});

test('a file over OTPGATE_IMPORT_LIMIT_MB=1 is refused whole (413), by its declared length or while it streams', async () => {
  const before = await inventory();
  const big = csvOf(30_000).text;
  assert.ok(Buffer.byteLength(big) > 2 * 1024 * 1024);
  const declared = await post(multipart({ _csrf: csrf }, { name: 'big.csv', content: big }));
  assert.equal(declared.statusCode, 413);
  assert.match(declared.body, /over the 1 MB import limit/);

  // Chunked, with no Content-Length: cut off at the limit while it streams in; the part read is not imported.
  const body = multipart({ _csrf: csrf }, { name: 'big.csv', content: big });
  const stream = new ReadableStream<Uint8Array>({
    start(controller) {
      for (let start = 0; start < body.length; start += 64 * 1024) controller.enqueue(body.subarray(start, start + 64 * 1024));
      controller.close();
    },
  });
  const streamed = await fetch(`${fx.baseUrl}/admin/tokens/import`, {
    method: 'POST',
    headers: { cookie, 'content-type': `multipart/form-data; boundary=${BOUNDARY}` },
    body: stream,
    duplex: 'half',
  } as RequestInit);
  assert.equal(streamed.status, 413);
  assert.deepEqual(await inventory(), before);
});
