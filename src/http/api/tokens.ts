// The token inventory: list, show, unlock, import. Admin scope; own account only.
import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { ServiceError } from '../../services/errors.js';
import { readImportUpload, registerImportUploads } from '../../web/import-upload.js';
import { actorOf } from '../../web/principal.js';
import { ErrorResponse, ImportReport, SerialParams, TokenStatus, TokenView } from './schemas.js';
import { adminAccount } from './users.js';

const errors = { '4xx': ErrorResponse };

export async function tokenRoutes(plain: FastifyInstance): Promise<void> {
  const app = plain.withTypeProvider<TypeBoxTypeProvider>();
  const { tokens, imports } = app.otpgate;
  const tags = ['tokens'];

  app.get(
    '/tokens',
    {
      schema: {
        summary: 'The inventory',
        tags,
        querystring: Type.Object({
          status: Type.Optional(TokenStatus),
          q: Type.Optional(Type.String({ maxLength: 100, description: 'Start of a serial number' })),
          limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 10000, default: 1000 })),
          offset: Type.Optional(Type.Integer({ minimum: 0, default: 0 })),
        }),
        response: { 200: Type.Object({ tokens: Type.Array(TokenView) }), ...errors },
      },
    },
    async (request) => ({ tokens: await tokens.list(await adminAccount(app, request), request.query) }),
  );

  app.get('/tokens/:serial', { schema: { summary: 'Show a token', tags, params: SerialParams, response: { 200: TokenView, ...errors } } }, async (request) =>
    tokens.show(await adminAccount(app, request), request.params.serial),
  );

  app.post(
    '/tokens/:serial/unlock',
    { schema: { summary: 'Unlock a token: clears the lock, the fail count and the back-off', tags, params: SerialParams, response: { 200: TokenView, ...errors } } },
    async (request) => tokens.unlock(actorOf(request), await adminAccount(app, request), request.params.serial),
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
          response: { 200: ImportReport, ...errors },
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
