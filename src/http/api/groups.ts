// Directory groups and their IP restrictions: GET /groups, GET|PUT|DELETE /groups/{group}/restrictions.
// Admin scope; own account only. A user's own restriction comes before their groups'.
import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { actorOf } from '../../web/principal.js';
import { ErrorResponse, GroupParams, GroupRestrictionView, GroupView, RestrictionBody } from './schemas.js';
import { adminAccount } from './users.js';

const errors = { '4xx': ErrorResponse };

export async function groupRoutes(plain: FastifyInstance): Promise<void> {
  const app = plain.withTypeProvider<TypeBoxTypeProvider>();
  const { restrictions } = app.otpgate;
  const tags = ['groups'];

  app.get(
    '/groups',
    { schema: { summary: "The groups the account's users carry, and every group with a restriction", tags, response: { 200: Type.Object({ groups: Type.Array(GroupView) }), ...errors } } },
    async (request) => ({ groups: await restrictions.listGroups(await adminAccount(app, request)) }),
  );

  app.get(
    '/groups/:group/restrictions',
    { schema: { summary: "The group's IP restriction", tags, params: GroupParams, response: { 200: GroupRestrictionView, ...errors } } },
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
        response: { 200: GroupRestrictionView, ...errors },
      },
    },
    async (request) => restrictions.setForGroup(actorOf(request), await adminAccount(app, request), request.params.group, request.body),
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
