// The console's session cookie. Over HTTPS it is `__Host-` prefixed and Secure; a setting allows plain
// HTTP for local use. HttpOnly and SameSite=Lax always. It is read from the Cookie header itself, so the
// JSON API (which does not register cookie parsing) can accept a console session too.
import { fastifyCookie } from '@fastify/cookie';
import type { FastifyReply, FastifyRequest } from 'fastify';

export function sessionCookieName(secure: boolean): string {
  return secure ? '__Host-otpgate_session' : 'otpgate_session';
}

/** The sign-in form's pre-session cookie: the nonce its CSRF token stands for (SessionService.preSessionCsrf). */
export function preSessionCookieName(secure: boolean): string {
  return secure ? '__Host-otpgate_presession' : 'otpgate_presession';
}

export function readSessionCookie(request: FastifyRequest, secure: boolean): string | undefined {
  const header = request.headers.cookie;
  return header === undefined ? undefined : fastifyCookie.parse(header)[sessionCookieName(secure)];
}

/** Needs @fastify/cookie in the caller's context (the console registers it). */
export function setSessionCookie(reply: FastifyReply, secure: boolean, id: string): void {
  void reply.setCookie(sessionCookieName(secure), id, { path: '/', httpOnly: true, sameSite: 'lax', secure });
}

export function clearSessionCookie(reply: FastifyReply, secure: boolean): void {
  void reply.clearCookie(sessionCookieName(secure), { path: '/', httpOnly: true, sameSite: 'lax', secure });
}
