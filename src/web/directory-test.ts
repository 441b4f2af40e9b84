// What the API and the console show of a `directory test`: the classified reason, never the detail (hosts,
// ports, certificate names), which goes to the server log for the operator.
import type { FastifyRequest } from 'fastify';
import type { DirectoryTestResult } from '../services/directory-service.js';
import type { DirectoryTestView } from '../services/directory-view.js';

export function shownTest(request: FastifyRequest, result: DirectoryTestResult): DirectoryTestView {
  if (result.ok) return result;
  request.log.warn({ reason: result.reason, detail: result.detail }, 'directory test failed');
  return { ok: false, reason: result.reason, error: result.error };
}
