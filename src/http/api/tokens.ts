// The token inventory: list, show, unlock, import. Admin scope; own account only.
import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import fastifyMultipart from '@fastify/multipart';
import { Type } from '@sinclair/typebox';
import { ServiceError } from '../../services/errors.js';
import { IMPORT_FORMATS, type ImportFormat } from '../../services/import-service.js';
import { actorOf } from '../../web/principal.js';
import { ErrorResponse, ImportReport, SerialParams, TokenStatus, TokenView } from './schemas.js';
import { adminAccount } from './users.js';

const errors = { '4xx': ErrorResponse };

const FORM_OVERHEAD_BYTES = 64 * 1024;

/**
 * The uploaded file's chunks; fails when the file is over the limit. The multipart parser only truncates an
 * oversized file (and flags it), which would otherwise import the first part of it: the readers read the
 * whole file before anything is written, so failing at the end still imports nothing.
 */
async function* withinLimit(file: AsyncIterable<Buffer> & { truncated?: boolean }, limit: number): AsyncGenerator<Buffer> {
  let bytes = 0;
  for await (const chunk of file) {
    bytes += chunk.length;
    if (bytes > limit || file.truncated === true) break;
    yield chunk;
  }
  if (bytes > limit || file.truncated === true) {
    throw new ServiceError('payload_too_large', `the file is over the ${limit / 1024 / 1024} MB import limit (OTPGATE_IMPORT_LIMIT_MB); nothing was imported`);
  }
}

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
    await scope.register(fastifyMultipart, { limits: { fileSize: limit, files: 1, fields: 10, fieldSize: 4096, parts: 12 }, throwFileSizeLimit: true });
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
        // Refused before anything is parsed when the length says so; the form's own fields and boundaries
        // are allowed a little room on top of the file.
        const length = Number(request.headers['content-length'] ?? 0);
        if (length > limit + FORM_OVERHEAD_BYTES) throw new ServiceError('payload_too_large', `the upload is over the ${limit / 1024 / 1024} MB import limit (OTPGATE_IMPORT_LIMIT_MB); nothing was imported`);
        if (!request.isMultipart()) throw new ServiceError('unsupported_media_type', 'send the file as multipart/form-data');
        const fields: Record<string, string> = {};
        for await (const part of request.parts()) {
          if (part.type === 'field') {
            fields[part.fieldname] = String(part.value);
            continue;
          }
          if (part.fieldname !== 'file') throw new ServiceError('invalid_request', `unexpected file field "${part.fieldname}" (send it as "file")`);
          const format = fields.format;
          if (format !== undefined && !(IMPORT_FORMATS as readonly string[]).includes(format)) throw new ServiceError('invalid_request', 'format must be pskc or csv', { field: 'format' });
          const flag = (name: string) => ['true', '1', 'on', 'yes'].includes((fields[name] ?? '').toLowerCase());
          return imports.import(actorOf(request), account, {
            input: withinLimit(part.file, limit),
            fileName: part.filename,
            ...(format ? { format: format as ImportFormat } : {}),
            ...(fields.psk ? { psk: fields.psk } : {}),
            ...(fields.password ? { password: fields.password } : {}),
            dryRun: flag('dryRun'),
            allowShortSecrets: flag('allowShortSecrets'),
          });
        }
        throw new ServiceError('invalid_request', 'no file: send the seed file in the form field "file"', { field: 'file' });
      },
    );
  });
}
