// Property: /api/openapi.json is an OpenAPI 3 document that lists every /api/v1 route the server has
// (taken from the route table, so a new route without a schema entry fails here), each with its responses.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { call, makeFixture } from '../helpers/app.js';

interface OpenApi {
  openapi: string;
  info: { title: string; version: string };
  paths: Record<string, Record<string, { responses?: Record<string, unknown>; requestBody?: unknown }>>;
  components?: { securitySchemes?: Record<string, { type: string; scheme?: string }> };
}

test('the OpenAPI document is OpenAPI 3 and lists every /api/v1 route', async (t) => {
  const f = await makeFixture();
  t.after(() => f.close());
  const response = await call(f.app, 'GET', '/api/openapi.json');
  assert.equal(response.statusCode, 200);
  assert.match(String(response.headers['content-type']), /^application\/json/);
  const doc = response.json<OpenApi>();
  assert.match(doc.openapi, /^3\.\d+\.\d+$/);
  assert.equal(typeof doc.info.title, 'string');
  assert.equal(typeof doc.info.version, 'string');
  assert.equal(doc.components?.securitySchemes?.apiKey?.scheme, 'bearer');

  const routes = f.app.otpgateRoutes.filter((r) => r.url.startsWith('/api/v1/') && r.method !== 'HEAD');
  assert.ok(routes.length >= 15, `${routes.length} routes`);
  for (const route of routes) {
    const path = route.url.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
    const operation = doc.paths[path]?.[route.method.toLowerCase()];
    assert.ok(operation, `${route.method} ${path} is missing from the OpenAPI document`);
    assert.ok(operation.responses && Object.keys(operation.responses).length > 0, `${route.method} ${path} documents no response`);
  }
  // Nothing secret is described as readable: passwords and passcodes are write-only fields.
  const text = response.body;
  assert.doesNotMatch(text, /"secret"/);
  const check = doc.paths['/api/v1/auth/check']?.post;
  assert.ok(check?.requestBody);
  // Every documented path is a real route (no stale entries).
  for (const path of Object.keys(doc.paths)) {
    const url = path.replace(/\{([A-Za-z0-9_]+)\}/g, ':$1');
    assert.ok(routes.some((r) => r.url === url), `${path} is documented but not served`);
  }
});
