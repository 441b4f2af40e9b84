// What the API and the console show of a `directory test`: the classified reason, never the detail (hosts,
// ports, certificate names), which goes to the server log for the operator.
import type { FastifyRequest } from 'fastify';
import type { DirectoryFailure, DirectoryTestResult } from '../services/directory-service.js';

export type ShownTestResult = { ok: true; usersFound: number; example: string | null } | { ok: false; reason: DirectoryFailure; error: string };

export function shownTest(request: FastifyRequest, result: DirectoryTestResult): ShownTestResult {
  if (result.ok) return result;
  request.log.warn({ reason: result.reason, detail: result.detail }, 'directory test failed');
  return { ok: false, reason: result.reason, error: result.error };
}
