// Property: every view the JSON API answers with is the TypeBox schema its service declares, the very same
// object, never a copy declared again in http/. A service view's TypeScript type is `Static<>` of that schema,
// so a field added to a view is in the answer's schema too: it cannot be dropped on the way to clients (the
// serializer drops what a response schema does not list). Taken from the route table, so a new route is
// covered as it is added. Each 2xx answer's schema is a service's schema, an envelope named in
// http/api/schemas.ts (a list, a page, a view beside a secret shown once) that holds service schemas and
// values of its own (no object of its own), or nothing (204).
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { test } from 'node:test';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Kind, type TSchema } from '@sinclair/typebox';
import { makeFixture } from '../helpers/app.js';

const SERVICES = fileURLToPath(new URL('../../src/services/', import.meta.url));
const ENVELOPES = new URL('../../src/http/api/schemas.ts', import.meta.url);

function isSchema(value: unknown): value is TSchema {
  return typeof value === 'object' && value !== null && Kind in value;
}

/** The TypeBox schemas a module exports, by their export names. */
async function exportedSchemas(url: string): Promise<Map<TSchema, string>> {
  const module = (await import(url)) as Record<string, unknown>;
  return new Map(Object.entries(module).flatMap(([name, value]) => (isSchema(value) ? [[value, name] as const] : [])));
}

const serviceSchemas = new Map<TSchema, string>();
for (const file of readdirSync(SERVICES).filter((name) => name.endsWith('.ts'))) {
  for (const [schema, name] of await exportedSchemas(pathToFileURL(SERVICES + file).href)) serviceSchemas.set(schema, `services/${file}: ${name}`);
}
const envelopes = await exportedSchemas(ENVELOPES.href);

/** The objects inside an envelope that are no service's schema: a view declared again (empty when none). */
function ownObjects(schema: TSchema, path: string): string[] {
  if (serviceSchemas.has(schema)) return [];
  const kind = schema[Kind];
  if (kind === 'Array') return ownObjects(schema.items as TSchema, `${path}[]`);
  if (kind === 'Union') return (schema.anyOf as TSchema[]).flatMap((member, i) => ownObjects(member, `${path}|${i}`));
  if (kind === 'Object' || kind === 'Record' || kind === 'Intersect') return [path];
  return [];
}

test('the views services declare are found (the property below is not empty)', () => {
  for (const name of ['TokenViewSchema', 'UserViewSchema', 'AuditEventViewSchema', 'TokenHistorySchema', 'WebhookViewSchema', 'DeliveryViewSchema', 'DirectoryViewSchema', 'DirectoryTestViewSchema', 'SyncReportViewSchema', 'RestrictionViewSchema', 'GroupRestrictionViewSchema', 'GroupViewSchema', 'ImportReportSchema', 'CheckResultSchema', 'TempCodeViewSchema', 'IssuedTempCodeSchema', 'OidcClientViewSchema']) {
    assert.ok([...serviceSchemas.values()].some((where) => where.endsWith(`: ${name}`)), `${name} is not exported by a module of src/services/`);
  }
});

test("every API answer is its service's view schema itself, or an envelope of them", async (t) => {
  const f = await makeFixture();
  t.after(() => f.close());
  const routes = f.app.otpgateRoutes.filter((r) => r.url.startsWith('/api/v1/') && r.method !== 'HEAD');
  assert.ok(routes.length >= 40, `${routes.length} routes`);
  const wrong: string[] = [];
  let views = 0;
  for (const route of routes) {
    const responses = (route.schema as { response?: Record<string, TSchema> } | undefined)?.response ?? {};
    const answers = Object.entries(responses).filter(([status]) => /^2/.test(status));
    for (const [status, schema] of answers) {
      const where = `${route.method} ${route.url} ${status}`;
      if (serviceSchemas.has(schema)) views++;
      else if (envelopes.has(schema)) {
        views++;
        const properties = Object.entries(schema.properties as Record<string, TSchema>);
        for (const path of properties.flatMap(([name, property]) => ownObjects(property, `${envelopes.get(schema)!}.${name}`))) wrong.push(`${where}: ${path} is an object declared in http/, not a service's view schema`);
      } else if (schema[Kind] !== 'Null') wrong.push(`${where}: an answer schema declared in the route file (use its service's view schema, or an envelope from http/api/schemas.ts)`);
    }
  }
  assert.deepEqual(wrong, []);
  assert.ok(views >= 40, `${views} answers checked`);
});
