// A user's temporary code: issue (the code is in this answer only), show (never the code), revoke. Admin or
// help-desk scope; own account only.
import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { TEMP_CODE_LIMITS } from '../../core/temp-code.js';
import { ServiceError } from '../../services/errors.js';
import { IssuedTempCodeSchema, TempCodeViewSchema } from '../../services/temp-code-view.js';
import { actorOf } from '../../web/principal.js';
import { ErrorResponse, UserParams } from './schemas.js';
import { HELPDESK, helpdeskAccount } from './users.js';

const errors = { '4xx': ErrorResponse };

export async function tempCodeRoutes(plain: FastifyInstance): Promise<void> {
  const app = plain.withTypeProvider<TypeBoxTypeProvider>();
  const { tempCodes } = app.otpgate;
  const tags = ['users'];

  app.post(
    '/users/:username/temp-code',
    {
      ...HELPDESK,
      schema: {
        summary: 'Issue a temporary code for a forgotten or lost token (replaces the one the user had)',
        description: 'The 10-digit code is in this answer only; otpgate keeps only its keyed hash. It signs in wherever a passcode is asked for, also while the user\'s tokens are locked.',
        tags,
        params: UserParams,
        body: Type.Object(
          {
            uses: Type.Optional(Type.Integer({ minimum: 1, maximum: TEMP_CODE_LIMITS.maxUses, default: TEMP_CODE_LIMITS.defaultUses })),
            hours: Type.Optional(Type.Integer({ minimum: 1, maximum: TEMP_CODE_LIMITS.maxHours, default: TEMP_CODE_LIMITS.defaultHours })),
          },
          { additionalProperties: false },
        ),
        response: { 201: IssuedTempCodeSchema, ...errors },
      },
    },
    async (request, reply) => {
      const issued = await tempCodes.issue(actorOf(request), await helpdeskAccount(app, request), request.params.username, request.body ?? {});
      return reply.status(201).send(issued);
    },
  );

  app.get(
    '/users/:username/temp-code',
    { ...HELPDESK, schema: { summary: "The user's temporary code (uses left, expiry; never the code)", tags, params: UserParams, response: { 200: TempCodeViewSchema, ...errors } } },
    async (request) => {
      const view = await tempCodes.show(await helpdeskAccount(app, request), request.params.username);
      if (view) return view;
      throw new ServiceError('temp_code_not_found', `user "${request.params.username}" has no temporary code`);
    },
  );

  app.delete(
    '/users/:username/temp-code',
    { ...HELPDESK, schema: { summary: "Revoke the user's temporary code", tags, params: UserParams, response: { 204: Type.Null(), ...errors } } },
    async (request, reply) => {
      await tempCodes.revoke(actorOf(request), await helpdeskAccount(app, request), request.params.username);
      return reply.status(204).send(null);
    },
  );
}
