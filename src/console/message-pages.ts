// The console's one-message pages: a refusal or notice (message.eta), the expired-form page, and "not found",
// which is also what a plain user sees for an admin page and an admin for a user of another account (404,
// never 403).
import type { FastifyReply } from 'fastify';
import { renderPage } from './render.js';

export function renderMessage(reply: FastifyReply, status: number, title: string, lines: string[], link?: { href: string; label: string }): FastifyReply {
  return renderPage(reply, './message', { title, lines, link: link ?? null, narrow: true }, status);
}

export function refuseCsrf(reply: FastifyReply): FastifyReply {
  return renderMessage(reply, 403, 'Form expired', ['This form has expired or did not come from this site. Nothing was changed.', 'Go back, reload the page and try again.'], {
    href: '/',
    label: 'Start again',
  });
}

export function renderNotFound(reply: FastifyReply): FastifyReply {
  return renderMessage(reply, 404, 'Page not found', ['There is no such page.'], { href: '/', label: 'Home' });
}
