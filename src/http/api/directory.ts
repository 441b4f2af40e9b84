// The account's directory (LDAP, Active Directory): GET|PUT|DELETE /directory, POST /directory/test and
// /directory/sync. Admin scope.
import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { ServiceError } from '../../services/errors.js';
import { DirectoryTestViewSchema, DirectoryViewSchema, SyncReportViewSchema, toSyncReportView } from '../../services/directory-view.js';
import { shownTest } from '../../web/directory-test.js';
import { actorOf } from '../../web/principal.js';
import { DirectoryOrNone, ErrorResponse } from './schemas.js';
import { adminAccount } from './users.js';

const Attribute = Type.String({ minLength: 1, maxLength: 100 });

const DirectoryBody = Type.Object(
  {
    preset: Type.Optional(Type.Union([Type.Literal('openldap'), Type.Literal('ad')], { description: "Defaults for OpenLDAP (uid, cn, mail, memberOf) or Active Directory (sAMAccountName, displayName, userAccountControl); fields given override them" })),
    url: Type.String({ minLength: 1, maxLength: 500, description: 'ldap://HOST:PORT (with startTls, or to a loopback address) or ldaps://HOST:PORT' }),
    bindDn: Type.String({ minLength: 1, maxLength: 1000 }),
    bindPassword: Type.Optional(Type.String({ minLength: 1, maxLength: 1024, writeOnly: true, description: 'Required the first time; left out, the stored one is kept. Never shown.' })),
    baseDn: Type.String({ minLength: 1, maxLength: 1000 }),
    userFilter: Type.Optional(Type.String({ minLength: 1, maxLength: 1000 })),
    usernameAttribute: Type.Optional(Attribute),
    displayNameAttribute: Type.Optional(Attribute),
    emailAttribute: Type.Optional(Attribute),
    groupAttribute: Type.Optional(Attribute),
    startTls: Type.Optional(Type.Boolean()),
    caPem: Type.Optional(Type.Union([Type.String({ maxLength: 65536, description: "PEM of the CA that signed the directory's certificate" }), Type.Null()])),
  },
  { additionalProperties: false },
);

const SyncBody = Type.Object(
  {
    dryRun: Type.Optional(Type.Boolean({ description: 'Plan only: nothing is applied' })),
    force: Type.Optional(Type.Boolean({ description: 'Apply even a plan that disables more than 10 users and 10% of the directory users' })),
  },
  { additionalProperties: false, description: 'A JSON object: `{}` plans and applies' },
);

const errors = { '4xx': ErrorResponse };

export function directoryRoutes(plain: FastifyInstance, _options: unknown, done: (error?: Error) => void): void {
  const app = plain.withTypeProvider<TypeBoxTypeProvider>();
  const { directories, directorySync } = app.otpgate;
  const tags = ['directory'];

  app.get(
    '/directory',
    { schema: { summary: "The account's directory, or null", tags, response: { 200: DirectoryOrNone, ...errors } } },
    async (request) => {
      const account = await adminAccount(app, request);
      try {
        return { directory: await directories.show(account) };
      } catch (error) {
        if (error instanceof ServiceError && error.code === 'directory_not_found') return { directory: null };
        throw error;
      }
    },
  );

  app.put('/directory', { schema: { summary: "Set (or replace) the account's directory", tags, body: DirectoryBody, response: { 200: DirectoryViewSchema, ...errors } } }, async (request) =>
    directories.set(actorOf(request), await adminAccount(app, request), request.body),
  );

  app.delete('/directory', { schema: { summary: "Remove the account's directory (its users stay, and cannot sign in until one is set again)", tags, response: { 204: Type.Null(), ...errors } } }, async (request, reply) => {
    await directories.remove(actorOf(request), await adminAccount(app, request));
    return reply.status(204).send(null);
  });

  app.post(
    '/directory/test',
    { schema: { summary: 'Bind with the service account, count the users the filter finds and name one', tags, response: { 200: DirectoryTestViewSchema, ...errors } } },
    async (request) => shownTest(request, await directories.test(actorOf(request), await adminAccount(app, request))),
  );

  app.post(
    '/directory/sync',
    {
      schema: {
        summary: 'Plan a sync with the directory and apply it (dryRun: plan only); over the safety limit nothing is applied unless force',
        tags,
        body: SyncBody,
        response: { 200: SyncReportViewSchema, ...errors },
      },
    },
    async (request) => {
      const { dryRun = false, force = false } = request.body;
      return toSyncReportView(await directorySync.sync(actorOf(request), await adminAccount(app, request), { dryRun, force }));
    },
  );
  done();
}
