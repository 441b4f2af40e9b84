// The console's "not found" page: also what a plain user sees for an admin page, and an admin for a user
// of another account (404, never 403).
import type { FastifyReply } from 'fastify';
import { renderPage } from './render.js';

export function renderNotFound(reply: FastifyReply): FastifyReply {
  return renderPage(reply, './message', { title: 'Page not found', lines: ['There is no such page.'], link: { href: '/', label: 'Home' }, narrow: true }, 404);
}
