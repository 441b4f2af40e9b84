// The token inventory: list, show, unlock, import. Admin scope; own account only.
import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { ServiceError } from '../../services/errors.js';
import { readImportUpload, registerImportUploads } from '../../web/import-upload.js';
import { actorOf } from '../../web/principal.js';
import { TokenHistorySchema } from '../../services/audit-view.js';
import { ImportReportSchema } from '../../services/import-view.js';
import { TokenViewSchema } from '../../services/views.js';
import { ErrorResponse, RetireReason, SerialParams, TokenList, TokenStatus } from './schemas.js';
import { adminAccount, HELPDESK, helpdeskAccount } from './users.js';

const errors = { '4xx': ErrorResponse };

export async function tokenRoutes(plain: FastifyInstance): Promise<void> {
  const app = plain.withTypeProvider<TypeBoxTypeProvider>();
  const { tokens, tokenStates, imports } = app.otpgate;
  const tags = ['tokens'];

  app.get(
    '/tokens',
    {
      ...HELPDESK,
      schema: {
        summary: 'The inventory',
        tags,
        querystring: Type.Object({
          status: Type.Optional(TokenStatus),
          q: Type.Optional(Type.String({ maxLength: 100, description: 'Start of a serial number' })),
          limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 10000, default: 1000 })),
          offset: Type.Optional(Type.Integer({ minimum: 0, default: 0 })),
        }),
        response: { 200: TokenList, ...errors },
      },
    },
    async (request) => ({ tokens: await tokens.list(await helpdeskAccount(app, request), request.query) }),
  );

  app.get('/tokens/:serial', { ...HELPDESK, schema: { summary: 'Show a token', tags, params: SerialParams, response: { 200: TokenViewSchema, ...errors } } }, async (request) =>
    tokens.show(await helpdeskAccount(app, request), request.params.serial),
  );

  app.get(
    '/tokens/:serial/history',
    {
      ...HELPDESK,
      schema: {
        summary: "A token's history from the audit log, newest first (association, re-sync, lock, unlock, disable, retire, …)",
        tags,
        params: SerialParams,
        querystring: Type.Object({
          signIns: Type.Optional(Type.Union([Type.Literal('true'), Type.Literal('false')], { description: 'Include the sign-ins that named it (default false)' })),
          limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: 100 })),
          before: Type.Optional(Type.Integer({ minimum: 1, description: 'Events older than this id (the previous page’s nextBefore)' })),
        }),
        response: { 200: TokenHistorySchema, ...errors },
      },
    },
    async (request) => {
      const { signIns, limit, before } = request.query;
      return tokens.history(await helpdeskAccount(app, request), request.params.serial, { signIns: signIns === 'true', ...(limit !== undefined ? { limit } : {}), ...(before !== undefined ? { before } : {}) });
    },
  );

  app.post(
    '/tokens/:serial/unlock',
    { ...HELPDESK, schema: { summary: 'Unlock a token: clears the lock, the fail count and the back-off', tags, params: SerialParams, response: { 200: TokenViewSchema, ...errors } } },
    async (request) => tokenStates.unlock(actorOf(request), await helpdeskAccount(app, request), request.params.serial),
  );

  app.post(
    '/tokens/:serial/disable',
    { ...HELPDESK, schema: { summary: "Disable a user's token: it stays theirs (OTP is still required) but accepts no passcode", tags, params: SerialParams, response: { 200: TokenViewSchema, ...errors } } },
    async (request) => tokenStates.disable(actorOf(request), await helpdeskAccount(app, request), request.params.serial),
  );

  app.post(
    '/tokens/:serial/enable',
    { ...HELPDESK, schema: { summary: 'Enable a disabled token', tags, params: SerialParams, response: { 200: TokenViewSchema, ...errors } } },
    async (request) => tokenStates.enable(actorOf(request), await helpdeskAccount(app, request), request.params.serial),
  );

  app.post(
    '/tokens/:serial/retire',
    {
      schema: {
        summary: 'Retire a token for good: disassociated, never associated again, kept listed',
        tags,
        params: SerialParams,
        body: Type.Object({ reason: RetireReason }, { additionalProperties: false }),
        response: { 200: TokenViewSchema, ...errors },
      },
    },
    async (request) => tokenStates.retire(actorOf(request), await adminAccount(app, request), request.params.serial, request.body.reason),
  );

  app.patch(
    '/tokens/:serial',
    {
      schema: {
        summary: "Set a token's validity dates (null: open-ended); outside them it is treated as disabled",
        tags,
        params: SerialParams,
        body: Type.Object(
          {
            validFrom: Type.Optional(Type.Union([Type.String({ format: 'date-time' }), Type.Null()])),
            validUntil: Type.Optional(Type.Union([Type.String({ format: 'date-time' }), Type.Null()])),
          },
          { additionalProperties: false },
        ),
        response: { 200: TokenViewSchema, ...errors },
      },
    },
    async (request) => tokenStates.setValidity(actorOf(request), await adminAccount(app, request), request.params.serial, request.body),
  );

  await app.register(async (scope) => {
    const limit = app.otpgateConfig.importLimitBytes;
    await registerImportUploads(scope, limit);
    scope.withTypeProvider<TypeBoxTypeProvider>().post(
      '/tokens/import',
      {
        bodyLimit: limit,
        schema: {
          summary: 'Import a seed file (PSKC or CSV)',
          description:
            'multipart/form-data as a browser form sends it: `file`, and optionally `format` (pskc|csv), `psk` (hex) or `password` for an encrypted PSKC file, `dryRun` (true|false), `allowShortSecrets`. Fields must come before the file. A refused file imports nothing (import_refused).',
          tags,
          consumes: ['multipart/form-data'],
          response: { 200: ImportReportSchema, ...errors },
        },
      },
      async (request) => {
        const account = await adminAccount(app, request);
        const upload = await readImportUpload(request, { limitBytes: limit, run: (importRequest) => imports.import(actorOf(request), account, importRequest) });
        if (upload.outcome === 'imported') return upload.result;
        throw new ServiceError('invalid_request', 'no file: send the seed file in the form field "file"', { field: 'file' });
      },
    );
  });
}
