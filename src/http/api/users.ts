// Users, their token (associate, re-sync, disassociate) and their IP restrictions. Admin scope; own account only.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { Account } from '../../services/context.js';
import { actorOf, requireScope } from '../../web/principal.js';
import { RestrictionViewSchema } from '../../services/restriction-view.js';
import { TokenViewSchema, UserViewSchema } from '../../services/views.js';
import { AssociateBody, ErrorResponse, NewUserBody, ResyncBody, RestrictionBody, TokenList, UserList, UserParams, UserPatchBody, UserSerialParams } from './schemas.js';

/** The admin's own account: every route below acts in it and nowhere else. */
export async function adminAccount(app: FastifyInstance, request: FastifyRequest): Promise<Account> {
  const principal = requireScope(request, 'admin');
  return app.otpgate.accounts.byId(principal.accountId);
}

/**
 * The account of an admin or a help-desk caller, for the routes a help desk may use (docs/token-life.md, "Roles"). Such a
 * route is marked with HELPDESK in its options: the API refuses a help-desk-only caller every other route
 * before it is read (index.ts), so a route added without the mark is closed to the help desk.
 */
export async function helpdeskAccount(app: FastifyInstance, request: FastifyRequest): Promise<Account> {
  const principal = requireScope(request, 'admin', 'helpdesk');
  return app.otpgate.accounts.byId(principal.accountId);
}

/** Route options of a route the help desk may use. */
export const HELPDESK = { config: { helpdesk: true } } as const;

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The help desk (role or API key scope `helpdesk`) may use this route. */
    helpdesk?: boolean;
  }
}

const errors = { '4xx': ErrorResponse };

export async function userRoutes(plain: FastifyInstance): Promise<void> {
  const app = plain.withTypeProvider<TypeBoxTypeProvider>();
  const { users, tokens, restrictions } = app.otpgate;
  const tags = ['users'];

  app.get(
    '/users',
    {
      ...HELPDESK,
      schema: {
        summary: "List the account's users",
        tags,
        querystring: Type.Object({ q: Type.Optional(Type.String({ maxLength: 100, description: 'Part of a username or display name' })) }),
        response: { 200: UserList, ...errors },
      },
    },
    async (request) => ({ users: await users.list(await helpdeskAccount(app, request), request.query.q) }),
  );

  app.post('/users', { schema: { summary: 'Create a user', tags, body: NewUserBody, response: { 201: UserViewSchema, ...errors } } }, async (request, reply) => {
    const account = await adminAccount(app, request);
    const user = await users.create(actorOf(request), account, request.body);
    return reply.status(201).send(user);
  });

  app.get('/users/:username', { ...HELPDESK, schema: { summary: 'Show a user', tags, params: UserParams, response: { 200: UserViewSchema, ...errors } } }, async (request) =>
    users.show(await helpdeskAccount(app, request), request.params.username),
  );

  app.patch(
    '/users/:username',
    { schema: { summary: "Change a user's display name, role or password, or disable or enable them", tags, params: UserParams, body: UserPatchBody, response: { 200: UserViewSchema, ...errors } } },
    async (request) => users.update(actorOf(request), await adminAccount(app, request), request.params.username, request.body),
  );

  app.delete('/users/:username', { schema: { summary: 'Delete a user (their token returns to the inventory)', tags, params: UserParams, response: { 204: Type.Null(), ...errors } } }, async (request, reply) => {
    await users.delete(actorOf(request), await adminAccount(app, request), request.params.username);
    return reply.status(204).send(null);
  });

  // The milestone-1 routes name no serial: they keep working for a user with one token, and answer 409
  // several_tokens (naming the serials) for a user who holds several (the plural routes below name one).
  const ONE_TOKEN = 'For a user with one token; 409 several_tokens (naming the serials) when the user holds several: use /users/{username}/tokens.';
  app.get('/users/:username/token', { ...HELPDESK, schema: { summary: "The user's token", description: ONE_TOKEN, tags, params: UserParams, response: { 200: TokenViewSchema, ...errors } } }, async (request) =>
    tokens.ofUser(await helpdeskAccount(app, request), request.params.username),
  );

  const associate = {
    ...HELPDESK,
    schema: { summary: "Associate a token: its serial number and one passcode (adds one while under the account's maxTokensPerUser, else 409 token_limit)", tags, params: UserParams, body: AssociateBody, response: { 201: TokenViewSchema, ...errors } },
  };
  for (const path of ['/users/:username/token', '/users/:username/tokens']) {
    app.post(path, associate, async (request, reply) => {
      const { serial, otp, label } = request.body;
      const token = await tokens.associate(actorOf(request), await helpdeskAccount(app, request), request.params.username, serial, otp, true, label);
      return reply.status(201).send(token);
    });
  }

  app.post(
    '/users/:username/token/resync',
    { ...HELPDESK, schema: { summary: 'Re-sync the token with two consecutive passcodes', description: ONE_TOKEN, tags, params: UserParams, body: ResyncBody, response: { 200: TokenViewSchema, ...errors } } },
    async (request) => {
      const account = await helpdeskAccount(app, request);
      const { serial } = await tokens.ofUser(account, request.params.username);
      return tokens.resync(actorOf(request), account, request.params.username, request.body.otp1, request.body.otp2, serial);
    },
  );

  app.delete(
    '/users/:username/token',
    { ...HELPDESK, schema: { summary: 'Disassociate the token (it returns to the inventory, its counter kept)', description: ONE_TOKEN, tags, params: UserParams, response: { 200: TokenViewSchema, ...errors } } },
    async (request) => tokens.disassociate(actorOf(request), await helpdeskAccount(app, request), request.params.username),
  );

  app.get(
    '/users/:username/tokens',
    { ...HELPDESK, schema: { summary: 'Every token the user holds, oldest association first', tags, params: UserParams, response: { 200: TokenList, ...errors } } },
    async (request) => ({ tokens: await tokens.listOfUser(await helpdeskAccount(app, request), request.params.username) }),
  );

  app.delete(
    '/users/:username/tokens/:serial',
    { ...HELPDESK, schema: { summary: 'Disassociate one of the user\'s tokens (it returns to the inventory, its counter kept)', tags, params: UserSerialParams, response: { 200: TokenViewSchema, ...errors } } },
    async (request) => tokens.disassociate(actorOf(request), await helpdeskAccount(app, request), request.params.username, request.params.serial),
  );

  app.post(
    '/users/:username/tokens/:serial/resync',
    { ...HELPDESK, schema: { summary: "Re-sync one of the user's tokens with two consecutive passcodes (lifts the user's lock)", tags, params: UserSerialParams, body: ResyncBody, response: { 200: TokenViewSchema, ...errors } } },
    async (request) => tokens.resync(actorOf(request), await helpdeskAccount(app, request), request.params.username, request.body.otp1, request.body.otp2, request.params.serial),
  );

  app.get(
    '/users/:username/restrictions',
    { schema: { summary: "The IP restriction in force for the user and why: their own, else their groups', else the account's", tags, params: UserParams, response: { 200: RestrictionViewSchema, ...errors } } },
    async (request) => restrictions.showForUser(await adminAccount(app, request), request.params.username),
  );

  app.put(
    '/users/:username/restrictions',
    { schema: { summary: "Set the user's IP rules and default action", tags, params: UserParams, body: RestrictionBody, response: { 200: RestrictionViewSchema, ...errors } } },
    async (request) => restrictions.setForUser(actorOf(request), await adminAccount(app, request), request.params.username, request.body),
  );
}
