// The account's OpenID Connect clients (docs/oidc.md): GET|POST /oidc-clients, GET|PATCH|DELETE
// /oidc-clients/{name}. Admin scope only (the help desk is refused before the request is read). A
// confidential client's secret is in the answer to POST alone: it is sealed at rest and never shown again.
import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { OidcClientViewSchema } from '../../services/views.js';
import { actorOf } from '../../web/principal.js';
import { ErrorResponse, OidcClientAdded, OidcClientList } from './schemas.js';
import { adminAccount } from './users.js';

const Name = Type.String({ minLength: 1, maxLength: 64, description: '1-64 of A-Z a-z 0-9 . _ -' });
const Uri = Type.String({ minLength: 1, maxLength: 2000 });
const RedirectUris = Type.Array(Uri, { minItems: 1, maxItems: 20, description: 'Absolute, no fragment; https (http only on a loopback address). Matched exactly, character for character' });
const PostLogoutUris = Type.Array(Uri, { maxItems: 20, description: 'Where RP-initiated logout may send the browser back to (same rules)' });
const Groups = Type.Array(Type.String({ maxLength: 200 }), { maxItems: 50, description: 'Only users in one of these groups may sign in; empty: every user of the account' });

const NewClientBody = Type.Object(
  {
    name: Name,
    redirectUris: RedirectUris,
    postLogoutRedirectUris: Type.Optional(PostLogoutUris),
    allowedGroups: Type.Optional(Groups),
    public: Type.Optional(Type.Boolean({ description: 'true: a public client (native or single-page application): no secret, PKCE S256 required. Default false' })),
  },
  { additionalProperties: false },
);

const ClientPatchBody = Type.Object(
  { redirectUris: Type.Optional(RedirectUris), postLogoutRedirectUris: Type.Optional(PostLogoutUris), allowedGroups: Type.Optional(Groups) },
  { additionalProperties: false, description: 'Each field given replaces the list; a field left out stays. The name, client id, kind and secret do not change' },
);

const Params = Type.Object({ name: Name });
const errors = { '4xx': ErrorResponse };

export function oidcClientRoutes(plain: FastifyInstance, _options: unknown, done: (error?: Error) => void): void {
  const app = plain.withTypeProvider<TypeBoxTypeProvider>();
  const { oidc } = app.otpgate;
  const tags = ['oidc'];

  app.get('/oidc-clients', { schema: { summary: "The account's OpenID Connect clients (never their secrets)", tags, response: { 200: OidcClientList, ...errors } } }, async (request) => ({
    clients: await oidc.listClients(await adminAccount(app, request)),
  }));

  app.post(
    '/oidc-clients',
    {
      schema: {
        summary: "Add a client; a confidential client's secret is in this answer only",
        tags,
        body: NewClientBody,
        response: { 201: OidcClientAdded, ...errors },
      },
    },
    async (request, reply) => {
      const { clientSecret, ...client } = await oidc.addClient(actorOf(request), await adminAccount(app, request), request.body);
      return reply.status(201).send({ client, clientSecret });
    },
  );

  app.get('/oidc-clients/:name', { schema: { summary: 'Show a client (never its secret)', tags, params: Params, response: { 200: OidcClientViewSchema, ...errors } } }, async (request) =>
    oidc.showClient(await adminAccount(app, request), request.params.name),
  );

  app.patch(
    '/oidc-clients/:name',
    { schema: { summary: "Change a client's redirect URIs, post-logout redirect URIs or allowed groups", tags, params: Params, body: ClientPatchBody, response: { 200: OidcClientViewSchema, ...errors } } },
    async (request) => oidc.updateClient(actorOf(request), await adminAccount(app, request), request.params.name, request.body),
  );

  app.delete('/oidc-clients/:name', { schema: { summary: 'Remove a client: its users can no longer sign in to it, and what it was issued stops working', tags, params: Params, response: { 204: Type.Null(), ...errors } } }, async (request, reply) => {
    await oidc.removeClient(actorOf(request), await adminAccount(app, request), request.params.name);
    return reply.status(204).send(null);
  });
  done();
}
