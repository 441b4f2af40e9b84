// Reports: GET /reports/tokens?unusedDays=N | ?status=S, GET /reports/users?withoutToken=true. Admin scope.
import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { ServiceError } from '../../services/errors.js';
import { TokenStatusSchema } from '../../services/views.js';
import { ErrorResponse, TokenList, UserList } from './schemas.js';
import { adminAccount } from './users.js';

const errors = { '4xx': ErrorResponse };

export async function reportRoutes(plain: FastifyInstance): Promise<void> {
  const app = plain.withTypeProvider<TypeBoxTypeProvider>();
  const { reports } = app.otpgate;
  const tags = ['reports'];

  app.get(
    '/reports/tokens',
    {
      schema: {
        summary: 'Tokens in users\' hands unused for N days (unusedDays), or tokens in one status (status=locked)',
        tags,
        querystring: Type.Object(
          { unusedDays: Type.Optional(Type.Integer({ minimum: 1, maximum: 3650 })), status: Type.Optional(TokenStatusSchema) },
          { additionalProperties: false },
        ),
        response: { 200: TokenList, ...errors },
      },
    },
    async (request) => {
      const account = await adminAccount(app, request);
      const { unusedDays, status } = request.query;
      if ((unusedDays === undefined) === (status === undefined)) throw new ServiceError('invalid_request', 'give exactly one of unusedDays and status', { field: 'unusedDays' });
      return { tokens: unusedDays !== undefined ? await reports.unusedTokens(account, unusedDays) : await reports.tokensWithStatus(account, status!) };
    },
  );

  app.get(
    '/reports/users',
    {
      schema: {
        summary: 'Users without a token (withoutToken=true)',
        tags,
        querystring: Type.Object({ withoutToken: Type.Literal('true') }, { additionalProperties: false }),
        response: { 200: UserList, ...errors },
      },
    },
    async (request) => ({ users: await reports.usersWithoutToken(await adminAccount(app, request)) }),
  );
}
