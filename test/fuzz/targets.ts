// Property-based targets over every parser and entry point (fast-check): the JSON API's routes, the
// console's forms, the CSV and PSKC readers, the RADIUS packet decoder and the command line. Each target
// generates valid inputs, mutations of them (a field dropped, of the wrong type, a lone surrogate, an
// unknown field, huge) and plain random ones, and checks the property the entry promises: a clear refusal
// (a 4xx in the error format with a documented code, exit 1 or 2, a SeedFileError) or a correct result,
// never a crash or a 500, and no write when a request is refused before it reaches the service.
// test/fuzz/properties.test.ts runs a few hundred cases per target in `npm test`; scripts/fuzz.mjs runs
// 10^5 per target (`npm run fuzz`).
import { strict as assert } from 'node:assert';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import fc from 'fast-check';
import { main } from '../../src/cli/main.js';
import { SeedFileError } from '../../src/import/imported-key.js';
import { readCsv } from '../../src/import/csv-reader.js';
import { readPskc } from '../../src/import/pskc/index.js';
import { decodePacket, HEADER_LENGTH } from '../../src/radius/radius-packet.js';
import { unhideUserPassword, hideUserPassword } from '../../src/radius/radius-auth.js';
import { radiusDeps } from '../../src/radius/radius-adapter.js';
import { ERROR_CODES, type ErrorCode } from '../../src/services/errors.js';
import { makeFixture, PASSWORD, type Fixture } from '../helpers/app.js';
import { engineCases } from '../helpers/engines.js';
import { REDIRECT_URI, startOidcFixture } from '../helpers/oidc.js';

export interface Target {
  name: string;
  /** Builds what the cases run against, and the property over it. */
  start: () => Promise<{ property: fc.IAsyncPropertyWithHooks<[unknown]> | fc.IAsyncProperty<[unknown]>; close(): Promise<void> }>;
}

// ---- shared arbitraries -----------------------------------------------------------------------------------

/** Strings an attacker would try: any Unicode, lone surrogates, NUL, very long, JSON-ish, SQL-ish. */
const hostileString: fc.Arbitrary<string> = fc.oneof(
  fc.string(),
  fc.string({ unit: 'grapheme' }),
  fc.string({ unit: 'binary' }),
  fc.constantFrom('\ud800', 'a\udfff', '\u0000', 'é', '%zz', "' OR 1=1 --", '<script>', '__proto__', 'constructor', '../../etc', '0', '-1', '1e309', 'x'.repeat(300)),
  fc.string({ minLength: 1000, maxLength: 3000 }),
);

/** Any JSON value, including strings with lone surrogates. */
const anyJson: fc.Arbitrary<unknown> = fc.oneof(fc.jsonValue(), hostileString, fc.array(hostileString, { maxLength: 3 }), fc.dictionary(hostileString, hostileString, { maxKeys: 3 }));

type Body = Record<string, unknown>;

/** A valid body, or one mutation of it: a field dropped, replaced by any value, wrapped in an array, one added. */
function mutated(valid: fc.Arbitrary<Body>): fc.Arbitrary<unknown> {
  return fc.oneof(
    { weight: 3, arbitrary: valid },
    {
      weight: 6,
      arbitrary: fc.tuple(valid, fc.nat(), anyJson, fc.constantFrom('drop', 'replace', 'wrap', 'add', 'surrogate', 'number')).map(([body, index, value, how]) => {
        const keys = Object.keys(body);
        const key = keys.length > 0 ? keys[index % keys.length]! : 'field';
        const copy: Body = { ...body };
        if (how === 'drop') delete copy[key];
        else if (how === 'replace') copy[key] = value;
        else if (how === 'wrap') copy[key] = [copy[key]];
        else if (how === 'surrogate') copy[key] = `${typeof copy[key] === 'string' ? copy[key] : ''}\ud800`;
        else if (how === 'number') copy[key] = index;
        else copy[typeof value === 'string' && value.length < 40 ? value : 'extra'] = value;
        return copy;
      }),
    },
    { weight: 1, arbitrary: anyJson },
  );
}

/** A raw body: JSON text of a value, or text, or bytes (invalid UTF-8 included). */
function rawBody(value: fc.Arbitrary<unknown>): fc.Arbitrary<string | Buffer> {
  return fc.oneof(
    { weight: 8, arbitrary: value.map((v) => JSON.stringify(v) ?? 'null') },
    { weight: 1, arbitrary: fc.string() },
    { weight: 1, arbitrary: fc.uint8Array({ maxLength: 200 }).map((bytes) => Buffer.from(bytes)) },
  );
}

const digits = (n: number) => fc.stringMatching(new RegExp(`^[0-9]{${n}}$`));
const passcode = fc.oneof(digits(6), digits(8), hostileString);
/** Another spelling of a name (issue 24): surrounding spaces (ASCII or ideographic), another case, fullwidth letters. */
function spellingsOf(names: string[]) {
  const fullwidth = (name: string) => [...name].map((c) => (c >= '!' && c <= '~' ? String.fromCodePoint(c.codePointAt(0)! - 0x21 + 0xff01) : c)).join('');
  return fc
    .tuple(fc.constantFrom(...names), fc.constantFrom('', ' ', '\u3000', '\t'), fc.constantFrom('', ' ', '\u3000'), fc.constantFrom<(s: string) => string>((s) => s, (s) => s.toUpperCase(), fullwidth, (s) => fullwidth(s.toUpperCase())))
    .map(([name, before, after, spell]) => `${before}${spell(name)}${after}`);
}
// Never the fixture's admin: the targets keep its role and sessions.
const usernameSpelling = spellingsOf(['alice', 'bob', 'carol', 'dave', 'zed']);
const username = fc.oneof({ weight: 4, arbitrary: fc.constantFrom('alice', 'bob', 'carol', 'dave', 'nobody', 'zed', 'ALICE') }, { weight: 2, arbitrary: usernameSpelling }, { weight: 1, arbitrary: hostileString });
const action = fc.oneof(fc.constantFrom('allow', 'require_otp', 'deny'), hostileString);
const cidr = fc.oneof(fc.ipV4().map((ip) => `${ip}/24`), fc.ipV6().map((ip) => `${ip}/64`), fc.ipV4(), hostileString);

// ---- JSON API ---------------------------------------------------------------------------------------------

interface ApiCase {
  method: string;
  url: string;
  key: 'admin' | 'check' | 'otpOnly' | 'clientIp' | 'adminB' | 'none' | 'bad';
  contentType: string;
  body: string | Buffer | undefined;
}

/** Codes answered before a service runs, or by a service before it writes anything. */
const NO_WRITE: ReadonlySet<ErrorCode> = new Set<ErrorCode>(['invalid_request', 'unauthorized', 'insufficient_scope', 'not_found', 'uri_too_long', 'payload_too_large', 'unsupported_media_type', 'client_ip_not_allowed', 'invalid_username', 'weak_password', 'invalid_restriction', 'user_not_found', 'user_exists']);

const pathSegment = fc.oneof({ weight: 5, arbitrary: username }, { weight: 1, arbitrary: fc.string({ maxLength: 1200 }) }).map((s) => encodeURIComponent(wellFormed(s)));

/** The well-formed form of a string (a path or form is bytes: a lone surrogate cannot be sent as itself). */
function wellFormed(text: string): string {
  return Buffer.from(text, 'utf8').toString('utf8');
}

function apiCases(serials: string[]): fc.Arbitrary<ApiCase> {
  const serial = fc.oneof(fc.constantFrom(...serials), hostileString);
  const query = (params: Record<string, fc.Arbitrary<string>>) =>
    fc.record(params, { requiredKeys: [] }).map((record) => {
      const search = new URLSearchParams();
      for (const [k, v] of Object.entries(record)) search.append(k, wellFormed(v as string));
      const text = search.toString();
      return text ? `?${text}` : '';
    });
  const anyText = fc.oneof(fc.string({ maxLength: 30 }), fc.constantFrom('1', '0', '-5', '1000000', 'true', '1.5', '2026-01-01', 'associated'));
  const routes: fc.Arbitrary<{ method: string; url: string; body?: unknown }>[] = [
    fc.record({ username, password: fc.oneof(fc.constant(PASSWORD), hostileString), otp: passcode, clientIp: fc.oneof(fc.ipV4(), hostileString) }, { requiredKeys: ['username'] })
      .chain((b) => mutated(fc.constant(b)))
      .map((body) => ({ method: 'POST', url: '/api/v1/auth/check', body })),
    fc.tuple(pathSegment, query({ q: anyText })).map(([, q]) => ({ method: 'GET', url: `/api/v1/users${q}` })),
    mutated(fc.record({ username: fc.oneof(fc.constantFrom('eve', 'frank', 'gina', 'hal', 'ivy'), hostileString), password: fc.oneof(fc.constant(PASSWORD), hostileString), displayName: hostileString, role: fc.constantFrom('admin', 'user') }, { requiredKeys: ['username', 'password'] })).map((body) => ({ method: 'POST', url: '/api/v1/users', body })),
    pathSegment.map((u) => ({ method: 'GET', url: `/api/v1/users/${u}` })),
    fc.tuple(pathSegment, mutated(fc.record({ displayName: hostileString, role: fc.constantFrom('admin', 'user'), password: hostileString }, { requiredKeys: [] }))).map(([u, body]) => ({ method: 'PATCH', url: `/api/v1/users/${u}`, body })),
    fc.constantFrom('eve', 'frank', 'gina', 'hal', 'ivy', 'nobody').map((u) => ({ method: 'DELETE', url: `/api/v1/users/${u}` })),
    pathSegment.map((u) => ({ method: 'GET', url: `/api/v1/users/${u}/token` })),
    fc.tuple(pathSegment, mutated(fc.record({ serial, otp: passcode }))).map(([u, body]) => ({ method: 'POST', url: `/api/v1/users/${u}/token`, body })),
    fc.tuple(pathSegment, mutated(fc.record({ otp1: passcode, otp2: passcode }))).map(([u, body]) => ({ method: 'POST', url: `/api/v1/users/${u}/token/resync`, body })),
    fc.constantFrom('bob', 'carol', 'nobody').map((u) => ({ method: 'DELETE', url: `/api/v1/users/${u}/token` })),
    pathSegment.map((u) => ({ method: 'GET', url: `/api/v1/users/${u}/restrictions` })),
    fc
      .tuple(pathSegment, mutated(fc.record({ rules: fc.array(fc.record({ cidr, action, note: hostileString }, { requiredKeys: ['cidr', 'action'] }), { maxLength: 4 }), default: action })))
      .map(([u, body]) => ({ method: 'PUT', url: `/api/v1/users/${u}/restrictions`, body })),
    query({ status: anyText, q: anyText, limit: anyText, offset: anyText }).map((q) => ({ method: 'GET', url: `/api/v1/tokens${q}` })),
    serial.map((s) => ({ method: 'GET', url: `/api/v1/tokens/${encodeURIComponent(wellFormed(s))}` })),
    serial.map((s) => ({ method: 'POST', url: `/api/v1/tokens/${encodeURIComponent(wellFormed(s))}/unlock` })),
    query({ user: anyText, from: anyText, to: anyText, outcome: anyText, limit: anyText, before: anyText }).map((q) => ({ method: 'GET', url: `/api/v1/audit${q}` })),
    query({ format: fc.oneof(fc.constantFrom('csv', 'jsonl'), anyText), user: anyText, from: anyText, to: anyText, outcome: anyText }).map((q) => ({ method: 'GET', url: `/api/v1/audit/export${q}` })),
    query({ unusedDays: anyText, status: anyText }).map((q) => ({ method: 'GET', url: `/api/v1/reports/tokens${q}` })),
    query({ withoutToken: fc.oneof(fc.constant('true'), anyText) }).map((q) => ({ method: 'GET', url: `/api/v1/reports/users${q}` })),
    // Webhook URLs are address literals or not URLs at all: a host name would be looked up in DNS.
    mutated(
      fc.record(
        {
          name: fc.oneof(fc.constantFrom('hook', 'siem', 'a.b-c_d'), hostileString),
          url: fc.constantFrom('https://93.184.216.34/hook', 'https://127.0.0.1/hook', 'http://93.184.216.34/hook', 'https://[::1]/x', 'https://169.254.169.254/', 'ftp://93.184.216.34/', 'not a url', ''),
          events: fc.array(fc.oneof(fc.constantFrom('token.associated', 'token.locked', 'signin.locked_out'), hostileString), { maxLength: 3 }),
          signingSecret: fc.oneof(fc.constant('a-signing-secret-long-enough'), hostileString),
        },
        { requiredKeys: ['name', 'url'] },
      ),
    ).map((body) => ({ method: 'POST', url: '/api/v1/webhooks', body })),
    fc.constant({ method: 'GET', url: '/api/v1/webhooks' }),
    query({ webhook: anyText, limit: anyText }).map((q) => ({ method: 'GET', url: `/api/v1/webhooks/deliveries${q}` })),
    pathSegment.map((name) => ({ method: 'DELETE', url: `/api/v1/webhooks/${name}` })),
    fc.constant({ method: 'GET', url: '/api/v1/groups' }),
    // A token's life at the help desk: states, validity, history, temporary codes.
    fc.tuple(serial, fc.constantFrom('disable', 'enable', 'unlock')).map(([s, what]) => ({ method: 'POST', url: `/api/v1/tokens/${encodeURIComponent(wellFormed(s))}/${what}` })),
    fc.tuple(serial, mutated(fc.record({ reason: fc.oneof(fc.constantFrom('lost', 'broken', 'returned', 'other'), hostileString) }))).map(([s, body]) => ({ method: 'POST', url: `/api/v1/tokens/${encodeURIComponent(wellFormed(s))}/retire`, body })),
    fc
      .tuple(serial, mutated(fc.record({ validFrom: fc.oneof(fc.constantFrom('2026-01-01T00:00:00Z', '2030-01-01T00:00:00Z'), anyText), validUntil: fc.oneof(fc.constantFrom('2026-01-01T00:00:00Z', '2099-01-01T00:00:00Z'), anyText) }, { requiredKeys: [] })))
      .map(([s, body]) => ({ method: 'PATCH', url: `/api/v1/tokens/${encodeURIComponent(wellFormed(s))}`, body })),
    fc.tuple(serial, query({ signIns: anyText, limit: anyText, before: anyText })).map(([s, q]) => ({ method: 'GET', url: `/api/v1/tokens/${encodeURIComponent(wellFormed(s))}/history${q}` })),
    fc.tuple(pathSegment, mutated(fc.record({ uses: fc.oneof(fc.integer({ min: -2, max: 20 }), anyText), hours: fc.oneof(fc.integer({ min: -2, max: 100 }), anyText) }, { requiredKeys: [] }))).map(([u, body]) => ({ method: 'POST', url: `/api/v1/users/${u}/temp-code`, body })),
    fc.tuple(fc.constantFrom('GET', 'DELETE'), pathSegment).map(([method, u]) => ({ method, url: `/api/v1/users/${u}/temp-code` })),
    fc
      .tuple(pathSegment, mutated(fc.record({ rules: fc.array(fc.record({ cidr, action, note: hostileString }, { requiredKeys: ['cidr', 'action'] }), { maxLength: 4 }), default: action })))
      .map(([g, body]) => ({ method: 'PUT', url: `/api/v1/groups/${g}/restrictions`, body })),
    mutated(fc.record({ rules: fc.array(fc.record({ cidr, action, note: hostileString }, { requiredKeys: ['cidr', 'action'] }), { maxLength: 4 }), default: action })).map((body) => ({ method: 'PUT', url: '/api/v1/account/restrictions', body })),
    // Several tokens per user (docs/several-tokens.md): the plural routes, with a label.
    pathSegment.map((u) => ({ method: 'GET', url: `/api/v1/users/${u}/tokens` })),
    fc.tuple(pathSegment, mutated(fc.record({ serial, otp: passcode, label: hostileString }, { requiredKeys: ['serial', 'otp'] }))).map(([u, body]) => ({ method: 'POST', url: `/api/v1/users/${u}/tokens`, body })),
    fc.tuple(pathSegment, serial).map(([u, s]) => ({ method: 'DELETE', url: `/api/v1/users/${u}/tokens/${encodeURIComponent(wellFormed(s))}` })),
    fc.tuple(pathSegment, serial, mutated(fc.record({ otp1: passcode, otp2: passcode }))).map(([u, s, body]) => ({ method: 'POST', url: `/api/v1/users/${u}/tokens/${encodeURIComponent(wellFormed(s))}/resync`, body })),
    // OpenID clients (docs/oidc.md): redirect URIs are loopback or not URLs at all.
    fc.constant({ method: 'GET', url: '/api/v1/oidc-clients' }),
    mutated(
      fc.record(
        {
          name: fc.oneof(fc.constantFrom('grafana', 'a.b-c_d'), hostileString),
          public: fc.boolean(),
          redirectUris: fc.array(fc.oneof(fc.constantFrom('http://127.0.0.1:9/cb', 'https://127.0.0.1/cb#frag', 'relative/cb', ''), hostileString), { maxLength: 3 }),
          allowedGroups: fc.array(hostileString, { maxLength: 3 }),
        },
        { requiredKeys: ['name'] },
      ),
    ).map((body) => ({ method: 'POST', url: '/api/v1/oidc-clients', body })),
    fc.tuple(fc.constantFrom('GET', 'DELETE'), pathSegment).map(([method, name]) => ({ method, url: `/api/v1/oidc-clients/${name}` })),
    fc.tuple(pathSegment, mutated(fc.record({ redirectUris: fc.array(hostileString, { maxLength: 2 }), allowedGroups: fc.array(hostileString, { maxLength: 2 }) }, { requiredKeys: [] }))).map(([name, body]) => ({ method: 'PATCH', url: `/api/v1/oidc-clients/${name}`, body })),
    fc.tuple(fc.constantFrom('GET', 'POST', 'PUT', 'DELETE', 'OPTIONS', 'HEAD'), fc.string({ maxLength: 40 })).map(([method, path]) => ({ method, url: `/api/v1/${wellFormed(path).replace(/[?#\s]/g, '')}` })),
  ];
  return fc.record({
    route: fc.oneof(...routes),
    key: fc.oneof({ weight: 8, arbitrary: fc.constant('admin' as const) }, { weight: 4, arbitrary: fc.constantFrom('check' as const, 'otpOnly' as const, 'clientIp' as const) }, { weight: 1, arbitrary: fc.constantFrom('adminB' as const, 'none' as const, 'bad' as const) }),
    contentType: fc.oneof({ weight: 10, arbitrary: fc.constant('application/json') }, { weight: 1, arbitrary: fc.constantFrom('text/plain', 'application/json; charset=latin1', 'multipart/form-data; boundary=x', 'application/x-www-form-urlencoded') }),
    raw: fc.oneof({ weight: 10, arbitrary: fc.constant(null) }, { weight: 1, arbitrary: rawBody(anyJson) }),
  }).map(({ route, key, contentType, raw }) => ({
    method: route.method,
    url: route.url,
    key,
    contentType,
    body: raw ?? (route.body === undefined ? undefined : (JSON.stringify(route.body) ?? 'null')),
  }));
}

/** What a refused request must leave as it was: users, tokens, accounts, keys, and the audit log's length. */
async function fingerprint(f: Fixture): Promise<string> {
  const db = f.instance.database.db;
  const [users, tokens, accounts, keys, audit] = await Promise.all([
    db.selectFrom('users').selectAll().orderBy('id').execute(),
    db.selectFrom('tokens').selectAll().orderBy('id').execute(),
    db.selectFrom('accounts').selectAll().orderBy('id').execute(),
    db.selectFrom('api_keys').select(['id', 'name', 'scopes']).orderBy('id').execute(),
    db.selectFrom('audit_events').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow(),
  ]);
  return JSON.stringify({ users, tokens, accounts, keys, audit: Number(audit.n) }, (_k, v: unknown) => (typeof v === 'bigint' ? String(v) : Buffer.isBuffer(v) ? v.toString('hex') : v));
}

/** An error answer: JSON in the error format, a documented code, the code's status. */
function assertErrorFormat(status: number, contentType: unknown, text: string): ErrorCode {
  assert.match(String(contentType), /^application\/json/, `${status} ${text.slice(0, 200)}`);
  const body = JSON.parse(text) as { error?: { code?: unknown; message?: unknown } };
  const code = body.error?.code;
  assert.ok(typeof code === 'string' && code in ERROR_CODES, `undocumented error ${text.slice(0, 200)}`);
  assert.equal(ERROR_CODES[code as ErrorCode].status, status, text.slice(0, 200));
  assert.ok(typeof body.error?.message === 'string' && body.error.message.length > 0);
  return code as ErrorCode;
}

export const apiTarget: Target = {
  name: 'api-json-bodies',
  async start() {
    const f = await makeFixture();
    const keys: Record<ApiCase['key'], string | undefined> = { ...f.keys, none: undefined, bad: 'otpg_not-a-key' };
    const serials = [f.aliceToken.serial, ...f.spare.map((t) => t.serial), f.zedToken.serial];
    const property = fc.asyncProperty(apiCases(serials), async (c: ApiCase) => {
      const before = await fingerprint(f);
      const headers: Record<string, string> = {};
      const key = keys[c.key];
      if (key !== undefined) headers.authorization = `Bearer ${key}`;
      if (c.body !== undefined) headers['content-type'] = c.contentType;
      const response = await f.app.inject({ method: c.method as 'GET', url: c.url, headers, ...(c.body !== undefined ? { payload: c.body } : {}) });
      assert.ok(response.statusCode < 500, `${c.method} ${c.url} answered ${response.statusCode}: ${response.body.slice(0, 300)}`);
      if (c.method === 'HEAD' || response.statusCode === 204) return;
      if (response.statusCode >= 400) {
        const code = assertErrorFormat(response.statusCode, response.headers['content-type'], response.body);
        if (NO_WRITE.has(code)) assert.equal(await fingerprint(f), before, `${code} on ${c.method} ${c.url} changed the database`);
      } else {
        // The audit export answers a file (CSV or JSON Lines); every other success is one JSON object.
        if (c.url.startsWith('/api/v1/audit/export')) {
          assert.match(String(response.headers['content-type']), /^(text\/csv|application\/x-ndjson)/);
          return;
        }
        assert.match(String(response.headers['content-type']), /^application\/json/);
        const body = JSON.parse(response.body) as Record<string, unknown>;
        if (c.url === '/api/v1/auth/check') assert.ok(['accept', 'reject', 'otp_required', 'enroll_required', 'locked'].includes(body.result as string));
      }
    }) as unknown as fc.IAsyncProperty<[unknown]>;
    return { property, close: () => f.close() };
  },
};

// ---- console forms ----------------------------------------------------------------------------------------

function cookiesOf(setCookie: string | string[] | undefined, jar: Map<string, string>): void {
  for (const line of [setCookie ?? []].flat()) {
    const [pair] = line.split(';');
    const eq = pair!.indexOf('=');
    jar.set(pair!.slice(0, eq), pair!.slice(eq + 1));
  }
}

function cookieHeader(jar: Map<string, string>): string {
  return [...jar].map(([k, v]) => `${k}=${v}`).join('; ');
}

function csrfOf(html: string): string {
  const match = /name="_csrf" value="([^"]+)"/.exec(html);
  assert.ok(match, 'no CSRF field on the page');
  return match[1]!;
}

/** An admin's console session over inject: the sign-in form, its CSRF token, the session cookie. */
export async function consoleSession(f: Fixture): Promise<{ cookie: string; csrf: string }> {
  const jar = new Map<string, string>();
  const form = await f.app.inject({ method: 'GET', url: '/login' });
  cookiesOf(form.headers['set-cookie'], jar);
  const signIn = await f.app.inject({
    method: 'POST',
    url: '/login',
    headers: { cookie: cookieHeader(jar), 'content-type': 'application/x-www-form-urlencoded' },
    payload: new URLSearchParams({ _csrf: csrfOf(form.body), username: 'admin-acme', password: PASSWORD }).toString(),
  });
  assert.equal(signIn.statusCode, 303, signIn.body);
  cookiesOf(signIn.headers['set-cookie'], jar);
  const page = await f.app.inject({ method: 'GET', url: '/admin/users', headers: { cookie: cookieHeader(jar) } });
  assert.equal(page.statusCode, 200, page.body.slice(0, 300));
  return { cookie: cookieHeader(jar), csrf: csrfOf(page.body) };
}

interface FormCase {
  url: string;
  fields: [string, string][];
  csrf: 'valid' | 'missing' | 'wrong';
  raw: string | null;
}

export const consoleTarget: Target = {
  name: 'console-forms',
  async start() {
    const f = await makeFixture();
    // The admin whose session posts the forms must stay an admin, with no rule requiring a passcode.
    const session = await consoleSession(f);
    const user = fc.constantFrom('alice', 'bob', 'carol', 'dave', 'nobody', 'zed');
    const url = fc.oneof(
      fc.constantFrom('/admin/settings', '/admin/users', '/admin/users/restrictions', '/login', '/login/passcode', '/login/associate'),
      // Pages added since (the directory's are left out: they reach for an LDAP server).
      fc.constantFrom('/admin/restriction', '/admin/restriction/remove', '/admin/groups/restriction', '/admin/groups/restriction/remove', '/admin/health/webhooks', '/admin/health/webhooks/hook/remove', '/account/password', '/account/token/resync', '/account/token/lost', '/admin/tokens/1000000000002/retire', '/admin/tokens/1000000000001/retire'),
      // Added with several tokens, time-based tokens and apps, OpenID clients and the help desk's round.
      fc.constantFrom('/account/app/start', '/account/app/activate', '/account/app/cancel', '/login/associate/app', '/admin/oidc-clients', '/admin/oidc-clients/grafana', '/admin/oidc-clients/grafana/remove', '/admin/tokens/1000000000001/validity', '/account/token/associate', '/admin/tokens/import/no-such-result'),
      user.chain((u) =>
        fc.constantFrom(
          `/admin/users/${u}`,
          `/admin/users/${u}/restrictions`,
          `/admin/users/${u}/restrictions/remove`,
          `/admin/users/${u}/token/associate`,
          `/admin/users/${u}/token/resync`,
          `/admin/users/${u}/token/disassociate`,
          `/admin/users/${u}/token/unlock`,
          `/admin/users/${u}/password`,
          `/admin/users/${u}/role`,
          `/admin/users/${u}/delete`,
          `/admin/users/${u}/token/disable`,
          `/admin/users/${u}/token/enable`,
          `/admin/users/${u}/token/retire`,
          `/admin/users/${u}/temp-code`,
          `/admin/users/${u}/temp-code/revoke`,
        ),
      ),
    );
    const fieldName = fc.oneof(
      { weight: 6, arbitrary: fc.constantFrom('username', 'password', 'displayName', 'role', 'serial', 'otp', 'otp1', 'otp2', 'default', 'users', 'rules[0].cidr', 'rules[0].action', 'rules[0].note', 'rules[1].cidr', 'rules[0].remove', 'lookAheadWindow', 'associateWindow', 'syncWindow', 'maxFailures', 'selfAssociation', 'adminsRequireOtp', 'totpWindow', 'totpSyncSteps', 'appEnrolment', 'totpIssuer', 'helpContact', 'label', 'code', 'validFrom', 'validUntil', 'name', 'redirectUris', 'allowedGroups', 'reason', 'confirm') },
      { weight: 1, arbitrary: hostileString },
    );
    const fieldValue = fc.oneof(fc.constantFrom('admin', 'user', 'allow', 'deny', 'require_otp', '10.0.0.0/8', '1000000000002', '0', '20', '101', 'on', 'off', 'bob', 'broken', PASSWORD), digits(6), hostileString, usernameSpelling);
    const cases: fc.Arbitrary<FormCase> = fc.record({
      url,
      // The console's own admin must keep its role and its session: its name is never a target of a change.
      fields: fc.array(fc.tuple(fieldName, fieldValue), { maxLength: 8 }).map((fields) => fields.filter(([name, value]) => !(name === 'users' && value === 'admin-acme'))),
      csrf: fc.oneof({ weight: 8, arbitrary: fc.constant('valid' as const) }, { weight: 1, arbitrary: fc.constantFrom('missing' as const, 'wrong' as const) }),
      raw: fc.oneof({ weight: 10, arbitrary: fc.constant(null) }, { weight: 1, arbitrary: fc.string({ maxLength: 300 }) }),
    });
    const property = fc.asyncProperty(cases, async (c: FormCase) => {
      const before = await fingerprint(f);
      const form = new URLSearchParams();
      if (c.csrf !== 'missing') form.append('_csrf', c.csrf === 'valid' ? session.csrf : 'not-the-token');
      for (const [name, value] of c.fields) form.append(wellFormed(name), wellFormed(value));
      // A lone surrogate percent-encoded as the bytes a WTF-8 encoder would send.
      const payload = c.raw ?? form.toString().replace(/%EF%BF%BD/g, '%ED%A0%80');
      const response = await f.app.inject({ method: 'POST', url: c.url, headers: { cookie: session.cookie, 'content-type': 'application/x-www-form-urlencoded' }, payload });
      assert.ok(response.statusCode < 500, `POST ${c.url} answered ${response.statusCode}: ${response.body.slice(0, 300)}`);
      if (response.statusCode !== 303) assert.match(String(response.headers['content-type']), /^text\/html/);
      if (c.csrf !== 'valid') assert.equal(await fingerprint(f), before, `POST ${c.url} without its CSRF token changed the database`);
    }) as unknown as fc.IAsyncProperty<[unknown]>;
    return { property, close: () => f.close() };
  },
};

// ---- seed files -------------------------------------------------------------------------------------------

const CSV_SECRET = '3132333435363738393031323334353637383930';

/** Mutations of bytes: flip, delete, insert, duplicate, truncate. */
function mutatedBytes(seed: fc.Arbitrary<Buffer>): fc.Arbitrary<Buffer> {
  return fc.tuple(seed, fc.array(fc.tuple(fc.constantFrom('flip', 'delete', 'insert', 'truncate', 'duplicate'), fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 4 })).map(([bytes, edits]) => {
    let out = Buffer.from(bytes);
    for (const [how, at, byte] of edits) {
      const i = out.length === 0 ? 0 : at % out.length;
      if (how === 'flip' && out.length > 0) out[i] = byte;
      else if (how === 'delete') out = Buffer.concat([out.subarray(0, i), out.subarray(i + 1)]);
      else if (how === 'insert') out = Buffer.concat([out.subarray(0, i), Buffer.from([byte]), out.subarray(i)]);
      else if (how === 'truncate') out = out.subarray(0, i);
      else out = Buffer.concat([out.subarray(0, i), out.subarray(i, i + 64), out.subarray(i)]);
    }
    return out;
  });
}

/** Splits bytes into 1–4 chunks, as a stream would deliver them. */
function chunked(bytes: Buffer, cut: number[]): Buffer[] {
  const points = [...new Set(cut.map((c) => (bytes.length === 0 ? 0 : c % bytes.length)))].sort((a, b) => a - b);
  const chunks: Buffer[] = [];
  let from = 0;
  for (const point of points) {
    chunks.push(bytes.subarray(from, point));
    from = point;
  }
  chunks.push(bytes.subarray(from));
  return chunks.filter((c) => c.length > 0);
}

async function expectReadOrRefusal(read: () => Promise<{ keys: unknown[]; skipped: unknown[] }>): Promise<void> {
  try {
    const result = await read();
    assert.ok(Array.isArray(result.keys) && Array.isArray(result.skipped));
  } catch (error) {
    assert.ok(error instanceof SeedFileError, `not a SeedFileError: ${error instanceof Error ? error.stack : String(error)}`);
    assert.ok(error.category.length > 0 && error.message.length > 0);
  }
}

export const csvTarget: Target = {
  name: 'csv-reader',
  start() {
    const line = fc.tuple(fc.oneof(fc.stringMatching(/^[0-9]{6,13}$/), fc.string({ maxLength: 20 })), fc.oneof(fc.constant(CSV_SECRET), fc.stringMatching(/^[0-9a-fA-F]{0,50}$/)), fc.constantFrom('', 'hotp', 'totp', 'x'), fc.constantFrom('', '6', '8', '9'), fc.oneof(fc.constant(''), fc.nat().map(String)), fc.constantFrom('', 'sha1', 'sha256', 'md5')).map((fields) => fields.join(','));
    const file = fc.array(fc.oneof(line, fc.constant('# comment'), fc.constant(''), fc.string({ maxLength: 30 })), { maxLength: 8 }).chain((lines) => fc.constantFrom('\n', '\r\n', '\r').map((eol) => Buffer.from(lines.join(eol))));
    const input = fc.tuple(fc.oneof({ weight: 3, arbitrary: mutatedBytes(file) }, { weight: 1, arbitrary: fc.uint8Array({ maxLength: 300 }).map((b) => Buffer.from(b)) }), fc.array(fc.nat(), { maxLength: 3 }));
    const property = fc.asyncProperty(input, async ([bytes, cut]) => {
      await expectReadOrRefusal(() => readCsv(Readable.from(chunked(bytes, cut))));
    }) as unknown as fc.IAsyncProperty<[unknown]>;
    return Promise.resolve({ property, close: () => Promise.resolve() });
  },
};

/** The corpus's readable PSKC files (plain and encrypted), as mutation seeds. */
function pskcSeeds(): Buffer[] {
  const corpus = process.env.OTPGATE_TEST_CORPUS ?? join(import.meta.dirname, '..', '..', '..', 'shared', 'testdata', 'pskc');
  const files: Buffer[] = [];
  for (const dir of readdirSync(corpus, { withFileTypes: true })) {
    if (!dir.isDirectory() || dir.name === 'hostile') continue;
    for (const name of readdirSync(join(corpus, dir.name))) {
      if (!/\.(pskcxml|xml)$/.test(name)) continue;
      const bytes = readFileSync(join(corpus, dir.name, name));
      if (bytes.length < 64 * 1024) files.push(bytes);
    }
  }
  assert.ok(files.length > 5, `PSKC corpus not found under ${corpus}`);
  return files;
}

export const pskcTarget: Target = {
  name: 'pskc-reader',
  start() {
    const seeds = pskcSeeds();
    const credentials = fc.constantFrom({}, { psk: Buffer.from('12345678901234567890123456789012', 'hex') }, { password: 'qwerty' });
    const input = fc.tuple(mutatedBytes(fc.constantFrom(...seeds)), fc.array(fc.nat(), { maxLength: 3 }), credentials);
    const property = fc.asyncProperty(input, async ([bytes, cut, creds]) => {
      await expectReadOrRefusal(() => readPskc(Readable.from(chunked(bytes, cut)), creds, { now: new Date('2026-11-28T12:00:00Z') }));
    }) as unknown as fc.IAsyncProperty<[unknown]>;
    return Promise.resolve({ property, close: () => Promise.resolve() });
  },
};

// ---- RADIUS -----------------------------------------------------------------------------------------------

export const radiusTarget: Target = {
  name: 'radius-decoder',
  start() {
    const secret = Buffer.from('s3cret-radius');
    const attribute = fc.tuple(fc.integer({ min: 0, max: 255 }), fc.uint8Array({ maxLength: 40 })).map(([type, value]) => Buffer.concat([Buffer.from([type, value.length + 2]), value]));
    const valid = fc.tuple(fc.integer({ min: 0, max: 255 }), fc.integer({ min: 0, max: 255 }), fc.uint8Array({ minLength: 16, maxLength: 16 }), fc.array(attribute, { maxLength: 6 })).map(([code, id, authenticator, attributes]) => {
      const body = Buffer.concat(attributes);
      const header = Buffer.alloc(HEADER_LENGTH);
      header.writeUInt8(code, 0);
      header.writeUInt8(id, 1);
      header.writeUInt16BE(HEADER_LENGTH + body.length, 2);
      Buffer.from(authenticator).copy(header, 4);
      return Buffer.concat([header, body]);
    });
    const datagram = fc.oneof({ weight: 3, arbitrary: mutatedBytes(valid) }, { weight: 1, arbitrary: fc.uint8Array({ maxLength: 4200 }).map((b) => Buffer.from(b)) });
    const property = fc.asyncProperty(datagram, fc.uint8Array({ maxLength: 140 }), (bytes: Buffer, hidden: Uint8Array) => {
      const packet = decodePacket(bytes);
      if (packet !== null) {
        // A decoded packet's attributes fill it exactly, within its Length.
        const length = bytes.readUInt16BE(2);
        assert.equal(packet.raw.length, length);
        assert.equal(HEADER_LENGTH + packet.attributes.reduce((sum, a) => sum + a.value.length + 2, 0), length);
        // User-Password: hiding what unhiding gives is the identity, or unhiding refuses the value.
        const plain = unhideUserPassword(Buffer.from(hidden), secret, packet.authenticator);
        if (plain !== null) assert.deepEqual(unhideUserPassword(hideUserPassword(plain, secret, packet.authenticator), secret, packet.authenticator), plain);
      }
      return Promise.resolve();
    }) as unknown as fc.IAsyncProperty<[unknown]>;
    return Promise.resolve({ property, close: () => Promise.resolve() });
  },
};

/**
 * RADIUS sign-ins with other spellings of a name (issue #24, finding 1): through the adapter's own sign-in
 * call (radius-adapter.ts, as the UDP server makes it), a spelling of alice (who has a token) with her password
 * alone is asked for the passcode (the same user: not unknown, never accepted, never asked to associate one); a spelling of globex's zed is nobody in
 * acme; a password with a malformed passcode appended, or any other password, is never accepted.
 */
export const radiusSignInTarget: Target = {
  name: 'radius-username-spellings',
  async start() {
    const f = await makeFixture();
    const deps = radiusDeps(f.services);
    const request = fc.record({
      who: fc.constantFrom('alice', 'zed'),
      spelling: fc.constantFrom<(s: string) => string>((s) => s, (s) => ` ${s}`, (s) => `${s} `, (s) => `\u3000${s}`, (s) => s.toUpperCase(), (s) => s[0]!.toUpperCase() + s.slice(1), (s) => [...s].map((c) => String.fromCodePoint(c.codePointAt(0)! - 0x21 + 0xff01)).join(''), (s) => s.normalize('NFD')),
      password: fc.oneof({ weight: 3, arbitrary: fc.constant(PASSWORD) }, { weight: 1, arbitrary: hostileString }),
      mode: fc.constantFrom('password_only' as const, 'password_with_appended_passcode' as const),
      appended: fc.constantFrom('', 'abcdef', '12345', ' 123456'),
    });
    const property = fc.asyncProperty(request, async ({ who, spelling, password, mode, appended }) => {
      const username = spelling(who);
      // A day later each time: the back-off of earlier cases is over, so a refusal below is this case's.
      f.clock.advance(86_400);
      const typed = mode === 'password_only' ? password : `${password}${appended}`;
      const { result } = await deps.signIn({ accountId: f.acme.id, username, password: typed, mode, clientIp: '192.0.2.10', clientIpIsEndUser: false, actor: 'radius:fuzz' });
      assert.notEqual(result, 'accept', `${JSON.stringify(username)} ${mode}: accepted without a passcode`);
      if (who === 'zed') assert.equal(result, 'reject', `${JSON.stringify(username)}: another account's user is nobody here`);
      // Her token is seen under every spelling: never asked to associate one, as a user without a token would be.
      else assert.notEqual(result, 'enroll_required', `${JSON.stringify(username)}: alice's token was not seen`);
      if (who === 'alice' && password === PASSWORD && mode === 'password_only') assert.equal(result, 'otp_required', `${JSON.stringify(username)}: alice's password asks for her passcode`);
    }) as unknown as fc.IAsyncProperty<[unknown]>;
    return { property, close: () => f.close() };
  },
};

// ---- OpenID Provider ----------------------------------------------------------------------------------------

/**
 * The OpenID Provider's routes at /oidc (docs/oidc.md) and its interaction pages: authorization requests with
 * hostile parameters (login_hint in other spellings of a name, acr_values, prompt), token, userinfo,
 * revocation and introspection requests with hostile forms and bearer values, and interaction pages by a
 * live uid or a hostile one. The property: never a 500; an error in JSON carries an `error` string (RFC 6749
 * §5.2) or is in otpgate's error format with a documented code; the token endpoint issues nothing for
 * fuzzed values.
 */
export const oidcTarget: Target = {
  name: 'oidc-routes',
  async start() {
    const engine = (await engineCases()).find((e) => e.engine === 'sqlite')!;
    const fx = await startOidcFixture(engine);
    const app = fx.server.app;
    const discovery = JSON.parse((await app.inject({ url: '/oidc/.well-known/openid-configuration' })).body) as Record<string, string>;
    const path = (endpoint: string | undefined) => (endpoint === undefined ? '/oidc/nothing' : new URL(endpoint).pathname);
    const valid = new URLSearchParams({ client_id: fx.confidential.clientId, redirect_uri: REDIRECT_URI, response_type: 'code', scope: 'openid', code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM', code_challenge_method: 'S256', state: 'st', nonce: 'n' });
    const started = await app.inject({ url: `${path(discovery.authorization_endpoint)}?${valid.toString()}` });
    const liveUid = /\/interaction\/([^/?]+)/.exec(String(started.headers.location ?? ''))?.[1] ?? 'none';
    const text = fc.oneof({ weight: 3, arbitrary: fc.constantFrom('openid', 'code', 'S256', 'login', 'none', 'consent', 'urn:otpgate:otp', '0', REDIRECT_URI, 'http://evil.example/cb', fx.confidential.clientId, fx.publicClient.clientId, fx.otherClient.clientId) }, { weight: 1, arbitrary: usernameSpelling }, { weight: 2, arbitrary: hostileString });
    const form = fc.dictionary(fc.constantFrom('client_id', 'client_secret', 'redirect_uri', 'response_type', 'scope', 'code_challenge', 'code_challenge_method', 'state', 'nonce', 'login_hint', 'acr_values', 'prompt', 'max_age', 'grant_type', 'code', 'code_verifier', 'refresh_token', 'token', 'id_token_hint', 'post_logout_redirect_uri'), text.map(wellFormed), { maxKeys: 8 });
    const request = fc.oneof(
      fc.tuple(fc.constant('GET'), fc.constant(path(discovery.authorization_endpoint)), form),
      fc.tuple(fc.constantFrom('POST'), fc.constantFrom(path(discovery.token_endpoint), path(discovery.revocation_endpoint), path(discovery.introspection_endpoint), path(discovery.authorization_endpoint)), form),
      fc.tuple(fc.constantFrom('GET', 'POST'), fc.constant(path(discovery.userinfo_endpoint)), form),
      fc.tuple(fc.constantFrom('GET'), fc.constantFrom(path(discovery.end_session_endpoint), path(discovery.jwks_uri), '/oidc/.well-known/openid-configuration'), form),
      fc.tuple(fc.constantFrom('GET', 'POST'), fc.oneof(fc.constant(liveUid), hostileString).map((uid) => `/oidc/interaction/${encodeURIComponent(wellFormed(uid))}`), form),
      fc.tuple(fc.constant('POST'), fc.oneof(fc.constant(liveUid), hostileString).map((uid) => `/oidc/interaction/${encodeURIComponent(wellFormed(uid))}/abort`), form),
      fc.tuple(fc.constantFrom('GET', 'POST', 'PUT', 'DELETE'), fc.string({ maxLength: 40 }).map((p) => `/oidc/${wellFormed(p).replace(/[?#\s]/g, '')}`), form),
    );
    const bearer = fc.oneof(fc.constant(undefined), hostileString.map((b) => `Bearer ${wellFormed(b).replace(/[\r\n]/g, '')}`));
    const property = fc.asyncProperty(request, bearer, async ([method, url, fields], authorization) => {
      const query = new URLSearchParams(fields).toString();
      const headers: Record<string, string> = authorization !== undefined ? { authorization } : {};
      const response =
        method === 'GET'
          ? await app.inject({ method: 'GET', url: query ? `${url}?${query}` : url, headers })
          : await app.inject({ method: method as 'POST', url, headers: { ...headers, 'content-type': 'application/x-www-form-urlencoded' }, payload: query });
      assert.ok(response.statusCode < 500, `${method} ${url} ${query} answered ${response.statusCode}: ${response.body.slice(0, 300)}`);
      if (response.statusCode >= 400 && /^application\/json/.test(String(response.headers['content-type']))) {
        // The provider's own errors (RFC 6749 §5.2: an `error` string), or otpgate's error format around it.
        const body = JSON.parse(response.body) as { error?: unknown };
        if (typeof body.error !== 'string') assertErrorFormat(response.statusCode, response.headers['content-type'], response.body);
      }
      // Tokens come only for a code or refresh token that was issued, never from fuzzed values.
      if (url === path(discovery.token_endpoint)) assert.notEqual(response.statusCode, 200, response.body.slice(0, 200));
    }) as unknown as fc.IAsyncProperty<[unknown]>;
    return { property, close: () => fx.close() };
  },
};

// ---- command line -----------------------------------------------------------------------------------------

export const cliTarget: Target = {
  name: 'cli-arguments',
  async start() {
    const f = await makeFixture();
    const env = { OTPGATE_DATA_DIR: f.config.dataDir, OTPGATE_SCRYPT_LOG2N: '10' };
    const word = fc.oneof(
      { weight: 5, arbitrary: fc.constantFrom('list', 'show', 'create', 'remove', 'set', 'settings', 'associate', 'resync', 'unlock', 'passwd', 'verify', 'client', 'add', '--json', '--account', 'acme', 'globex', 'alice', 'bob', '--password', PASSWORD, '--otp', '123456', '--ip', '10.0.0.1', '--scope', 'check', '--default', 'deny', '--rule', '10.0.0.0/8=allow', '--max-failures', '5', '--yes', '--help', '1000000000002', 'share', '--off', 'test', 'sync', '--dry-run', 'client', 'key', 'rotate', '--redirect-uri', 'https://app.example/callback', '--public') },
      { weight: 2, arbitrary: hostileString },
      { weight: 1, arbitrary: usernameSpelling },
    );
    const argv = fc.tuple(fc.constantFrom('account', 'user', 'token', 'restriction', 'check', 'apikey', 'radius', 'audit', 'directory', 'oidc', 'nonsense', '--help'), fc.array(word, { maxLength: 7 })).map(([command, rest]) => [command, ...rest]);
    const property = fc.asyncProperty(argv, async (args: string[]) => {
      // Never remove the fixture's own things wholesale: deletions and disassociations are allowed, the
      // installation must stay usable for the next case. (`serve`, `init` and `migrate` are not run.)
      const out = new PassThrough();
      const err = new PassThrough();
      const input = new PassThrough();
      input.end('');
      let stderr = '';
      err.on('data', (d: Buffer) => (stderr += d.toString()));
      out.resume();
      const code = await main(args, { out, err, input }, env);
      assert.ok(code === 0 || code === 1 || code === 2, `exit ${code}`);
      assert.doesNotMatch(stderr, /TypeError|ReferenceError|RangeError|SyntaxError|Cannot read propert|is not a function|undefined/, `${JSON.stringify(args)}: ${stderr}`);
      // A refusal says why: `otpgate: …` for a usage or state error, `reason: CODE (words)` for a refused check.
      if (code === 1 && stderr !== '') assert.match(stderr, /^otpgate: |^reason: [a-z_]+ \(|^(reject|locked|throttled)/m);
    }) as unknown as fc.IAsyncProperty<[unknown]>;
    return { property, close: () => f.close() };
  },
};

export const TARGETS: Target[] = [apiTarget, consoleTarget, csvTarget, pskcTarget, radiusTarget, radiusSignInTarget, oidcTarget, cliTarget];
