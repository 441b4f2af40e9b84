// Directory groups and their IP restrictions (GET /groups, GET|PUT|DELETE /groups/{group}/restrictions), and
// the account-wide restriction (GET|PUT|DELETE /account/restrictions). Admin scope; own account only. A user's
// own restriction comes first, then their groups', then the account-wide one.
import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { actorOf } from '../../web/principal.js';
import { GroupRestrictionViewSchema, RestrictionViewSchema } from '../../services/restriction-view.js';
import { ErrorResponse, GroupList, GroupParams, RestrictionBody } from './schemas.js';
import { adminAccount } from './users.js';

const errors = { '4xx': ErrorResponse };

export async function groupRoutes(plain: FastifyInstance): Promise<void> {
  const app = plain.withTypeProvider<TypeBoxTypeProvider>();
  const { restrictions } = app.otpgate;
  const tags = ['groups'];

  app.get(
    '/groups',
    { schema: { summary: "The groups the account's users carry, and every group with a restriction", tags, response: { 200: GroupList, ...errors } } },
    async (request) => ({ groups: await restrictions.listGroups(await adminAccount(app, request)) }),
  );

  app.get(
    '/groups/:group/restrictions',
    { schema: { summary: "The group's IP restriction", tags, params: GroupParams, response: { 200: GroupRestrictionViewSchema, ...errors } } },
    async (request) => restrictions.showForGroup(await adminAccount(app, request), request.params.group),
  );

  app.put(
    '/groups/:group/restrictions',
    {
      schema: {
        summary: "Set the group's IP rules and default action (users with their own restriction keep theirs; with several groups, the strictest action wins)",
        tags,
        params: GroupParams,
        body: RestrictionBody,
        response: { 200: GroupRestrictionViewSchema, ...errors },
      },
    },
    async (request) => restrictions.setForGroup(actorOf(request), await adminAccount(app, request), request.params.group, request.body),
  );

  app.get(
    '/account/restrictions',
    { schema: { summary: "The account-wide IP restriction (for users with neither their own nor a group's); source `none` when there is none", tags: ['account'], response: { 200: RestrictionViewSchema, ...errors } } },
    async (request) => restrictions.showForAccount(await adminAccount(app, request)),
  );

  app.put(
    '/account/restrictions',
    { schema: { summary: 'Set the account-wide IP rules and default action', tags: ['account'], body: RestrictionBody, response: { 200: RestrictionViewSchema, ...errors } } },
    async (request) => restrictions.setForAccount(actorOf(request), await adminAccount(app, request), request.body),
  );

  app.delete(
    '/account/restrictions',
    { schema: { summary: 'Remove the account-wide restriction (then users with no other get none: everything allowed)', tags: ['account'], response: { 200: RestrictionViewSchema, ...errors } } },
    async (request) => restrictions.setForAccount(actorOf(request), await adminAccount(app, request), null),
  );

  app.delete(
    '/groups/:group/restrictions',
    { schema: { summary: "Remove the group's restriction", tags, params: GroupParams, response: { 204: Type.Null(), ...errors } } },
    async (request, reply) => {
      await restrictions.clearForGroup(actorOf(request), await adminAccount(app, request), request.params.group);
      return reply.status(204).send(null);
    },
  );
}
