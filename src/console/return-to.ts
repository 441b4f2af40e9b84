// Where a sign-in returns to: the page the browser asked for when its session had expired (or had never
// been), carried as `next` through the sign-in steps. Only a path of this site is accepted, so that the
// sign-in page cannot be made to send a user elsewhere (an open redirect).
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { SessionService } from '../services/session-service.js';
import { clearSessionCookie, readSessionCookie } from '../web/session-cookie.js';
import { seeOther } from './render.js';

const BASE = 'http://console.invalid';

function hasControlCharacter(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < 0x20 || code === 0x7f) return true;
  }
  return false;
}

/** A same-origin path (with its query) or null: no scheme, no host, no `//` or `/\`, no control characters. */
export function safeReturnPath(raw: unknown): string | null {
  if (typeof raw !== 'string' || raw.length === 0 || raw.length > 2000) return null;
  if (!raw.startsWith('/') || raw.startsWith('//') || raw.includes('\\') || hasControlCharacter(raw)) return null;
  let url: URL;
  try {
    url = new URL(raw, BASE);
  } catch {
    return null;
  }
  if (url.origin !== BASE) return null;
  if (url.pathname === '/login' || url.pathname.startsWith('/login/') || url.pathname === '/logout') return null;
  return `${url.pathname}${url.search}`;
}

/** `?next=` for a sign-in step's URL ('' when there is nowhere to return to). */
export function nextQuery(next: string | null, first = true): string {
  return next ? `${first ? '?' : '&'}next=${encodeURIComponent(next)}` : '';
}

/**
 * The page a request without a live session meant: a GET's own URL; for a POST (a form whose session expired
 * while it was being filled in) the page the form was on, from the Referer when it is this site's.
 */
function requestedPage(request: FastifyRequest): string | null {
  if (request.method === 'GET') return safeReturnPath(request.url);
  const referer = request.headers.referer;
  if (typeof referer !== 'string') return null;
  try {
    const url = new URL(referer);
    if (url.host !== request.headers.host) return null;
    return safeReturnPath(`${url.pathname}${url.search}`);
  } catch {
    return null;
  }
}

/**
 * Sends a request that needs a signed-in session to the sign-in page. A session cookie the server no longer
 * knows (idle or absolute timeout, or ended elsewhere) means the session expired: the page says so (and that a form being sent was not saved), the stale
 * cookie is cleared, and signing in returns to the page asked for.
 */
export async function sendToSignIn(request: FastifyRequest, reply: FastifyReply, sessions: SessionService, secureCookies: boolean): Promise<FastifyReply> {
  // A cookie of a live half session (between the password and passcode steps) is not an expired one.
  const cookie = readSessionCookie(request, secureCookies);
  const expired = cookie !== undefined && (await sessions.resume(cookie)) === null;
  if (expired) clearSessionCookie(reply, secureCookies);
  const params = new URLSearchParams();
  if (expired) params.set('expired', request.method === 'POST' ? 'form' : 'page');
  const next = requestedPage(request);
  if (next) params.set('next', next);
  const query = params.toString();
  return seeOther(reply, query ? `/login?${query}` : '/login');
}
