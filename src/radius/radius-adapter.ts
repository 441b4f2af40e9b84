// Wires the RADIUS server to the services: client look-up, the sign-in check and the shared challenge store.
// It maps each RADIUS request onto one sign-in call and holds no rule of its own: splitting the passcode off
// the password, throttling, lockout (one fail count per token, whichever channel the passcode came by) and
// audit are all the sign-in service's.
import { randomBytes } from 'node:crypto';
import type { SignInRequest } from '../services/sign-in-service.js';
import type { Services } from '../services/services.js';
import { startRadiusServer, type RadiusDeps, type RadiusServer, type RadiusSignInRequest } from './radius-server.js';

/** The sign-in request a RADIUS request stands for; the actor's clientIp is the address the server chose. */
export function toSignInRequest(request: RadiusSignInRequest): SignInRequest {
  const actor = { name: request.actor, accountId: request.accountId, clientIp: request.clientIp };
  const common = { accountId: request.accountId, username: request.username, actor, clientIpIsEndUser: request.clientIpIsEndUser, channel: 'radius' as const };
  switch (request.mode) {
    case 'password_with_appended_passcode':
      // PAP from a device that cannot do challenges: the user typed the passcode right after the password.
      return { ...common, password: request.password, passcode: null, passcodeAppended: true };
    case 'password_only':
      return { ...common, password: request.password, passcode: null };
    case 'passcode_only':
      // The challenge's second step: the State proved the password a moment ago; this carries the passcode.
      return { ...common, password: null, passcode: request.password };
  }
}

export function radiusDeps(services: Services, options: { log?: (event: object) => void } = {}): RadiusDeps {
  const now = services.ctx.now;
  const random = (bytes: number): Buffer => randomBytes(bytes);
  const deps: RadiusDeps = {
    findClient: (sourceIp) => services.radiusClients.findForAddress(sourceIp),
    signIn: async (request) => {
      const { result } = await services.signIn.check(toSignInRequest(request));
      return { result };
    },
    challenges: services.radiusChallenges,
    now,
    random,
  };
  if (options.log) deps.log = options.log;
  return deps;
}

export function startRadius(services: Services, options: { host: string; port: number; log?: (event: object) => void }): Promise<RadiusServer> {
  return startRadiusServer(radiusDeps(services, options.log ? { log: options.log } : {}), { host: options.host, port: options.port });
}
