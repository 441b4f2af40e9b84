// Turning errors into the API's error format: {"error": {"code", "message"}} with a fitting status.
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { ERROR_CODES, ServiceError, type ErrorCode } from '../services/errors.js';
import { isDatabaseUnavailable } from '../services/health-service.js';

export interface ErrorBody {
  error: { code: ErrorCode; message: string; [detail: string]: unknown };
}

/** Maps any error to a stable code, status and message; unexpected ones are logged, not shown. */
export function toErrorBody(error: unknown, request: FastifyRequest): { status: number; body: ErrorBody } {
  const make = (code: ErrorCode, message: string, details?: Record<string, unknown>) => ({ status: ERROR_CODES[code].status, body: { error: { code, message, ...details } } });
  if (error instanceof ServiceError) return make(error.code, error.message, error.details);
  const fastifyError = error as FastifyError;
  if (fastifyError.validation) {
    const where = fastifyError.validationContext ?? 'body';
    return make('invalid_request', `${where}${fastifyError.message.replace(/^(body|querystring|params|headers)/, '')}`);
  }
  switch (fastifyError.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
    case 'FST_REQ_FILE_TOO_LARGE':
    case 'FST_FILES_LIMIT':
    case 'FST_PARTS_LIMIT':
      return make('payload_too_large', 'the request body is over the size limit');
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
    case 'FST_INVALID_MULTIPART_CONTENT_TYPE':
      return make('unsupported_media_type', `Content-Type ${String(request.headers['content-type'] ?? '(none)')} is not accepted here`);
    case 'FST_ERR_BAD_URL':
      return make('invalid_request', `the path ${JSON.stringify(request.url.split('?')[0] ?? '')} is not valid: a percent-encoding is malformed or not UTF-8`);
    case 'FST_ERR_MAX_PARAM_LENGTH':
      return make('uri_too_long', 'a path parameter is over the length limit');
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return make('invalid_request', 'the body is not valid JSON');
  }
  if (fastifyError.statusCode === 413) return make('payload_too_large', 'the request body is over the size limit');
  if (fastifyError.statusCode === 415) return make('unsupported_media_type', 'this Content-Type is not accepted here');
  if (fastifyError.statusCode === 400) return make('invalid_request', fastifyError.message);
  if (isDatabaseUnavailable(error)) {
    request.server.otpgate.health.failed(request.log, error);
    return make('service_unavailable', 'the database cannot be reached; nothing was decided, retry later');
  }
  request.log.error({ err: error }, 'unexpected error');
  return make('internal_error', 'an unexpected error occurred; the server log has the details');
}

export function sendError(reply: FastifyReply, error: unknown): FastifyReply {
  const { status, body } = toErrorBody(error, reply.request);
  if (body.error.code === 'too_many_attempts' && typeof body.error.retryAfterSeconds === 'number') {
    void reply.header('Retry-After', String(body.error.retryAfterSeconds));
  }
  return reply.status(status).type('application/json; charset=utf-8').send(body);
}
