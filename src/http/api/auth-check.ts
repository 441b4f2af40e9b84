// POST /auth/check: the sign-in check applications delegate to otpgate.
import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { ServiceError } from '../../services/errors.js';
import { canonicalIp } from '../client-ip.js';
import { actorOf, requireScope } from '../../web/principal.js';
import { CheckResultSchema, toCheckResult } from '../../services/sign-in-view.js';
import { CheckBody, ErrorResponse } from './schemas.js';

export async function authCheckRoutes(plain: FastifyInstance): Promise<void> {
  const app = plain.withTypeProvider<TypeBoxTypeProvider>();
  app.post(
    '/auth/check',
    {
      schema: {
        summary: 'Check a sign-in: password and/or passcode under the IP rules',
        description:
          'Wrong password, unknown user and deny all give `reject`, indistinguishably. A key with the `otp-only` scope sends no password. `clientIp` is allowed only for keys created with --client-ip.',
        tags: ['sign-in'],
        body: CheckBody,
        response: { 200: CheckResultSchema, '4xx': ErrorResponse },
      },
    },
    async (request) => {
      const principal = requireScope(request, 'check', 'otp-only');
      const scopes = principal.kind === 'apikey' ? principal.scopes : [];
      const { username, password, otp, clientIp } = request.body;
      if (password === undefined && !scopes.includes('otp-only')) {
        throw new ServiceError('invalid_request', 'password is required (only an otp-only key may leave it out)', { field: 'password' });
      }
      if (password !== undefined && !scopes.includes('check')) {
        throw new ServiceError('invalid_request', 'an otp-only key sends no password: the application verifies it', { field: 'password' });
      }
      let ip = request.clientIp;
      if (clientIp !== undefined) {
        if (principal.kind !== 'apikey' || !principal.allowClientIp) {
          throw new ServiceError('client_ip_not_allowed', 'this API key may not pass clientIp (create one with --client-ip)', { field: 'clientIp' });
        }
        ip = canonicalIp(clientIp);
        if (ip === null) throw new ServiceError('invalid_request', `clientIp "${clientIp}" is not an IPv4 or IPv6 address`, { field: 'clientIp' });
      }
      const outcome = await app.otpgate.signIn.check({
        accountId: principal.accountId,
        username,
        password: password ?? null,
        passcode: otp ?? null,
        actor: actorOf(request, ip),
        // The caller's own address is the application's, shared by all its users: only an address the
        // application passes as clientIp is an end user's, with a back-off of its own.
        clientIpIsEndUser: clientIp !== undefined,
        channel: 'api',
      });
      if (outcome.reason === 'throttled') {
        throw new ServiceError('too_many_attempts', 'too many failed attempts; retry later', { retryAfterSeconds: outcome.retryAfterSeconds });
      }
      return toCheckResult(outcome);
    },
  );
}
