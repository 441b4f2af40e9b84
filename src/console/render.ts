// Rendering the console's pages: eta templates under src/console/views, every `<%= %>` output escaped.
// The views are read from the package's src/console/views at run time (resolved from this module's URL,
// so `node bin/otpgate.js serve` finds them from dist/ as well as tsx does from src/, whatever the cwd).
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Eta } from 'eta';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Principal } from '../web/principal.js';
import { count } from '../core/count.js';

/** src/console/views, from src/console/ (tsx) or dist/console/ (the build): both are two levels below the root. */
export const VIEWS_DIR = fileURLToPath(new URL('../../src/console/views/', import.meta.url));

const eta = new Eta({ views: VIEWS_DIR, autoEscape: true, cache: true, autoTrim: [false, 'nl'] });

export const STYLESHEET = readFileSync(new URL('console.css', `file://${VIEWS_DIR}`), 'utf8');
/** The console's icon (a padlock), served as /favicon.svg and at the /favicon.ico browsers ask for unprompted. */
export const FAVICON = readFileSync(new URL('favicon.svg', `file://${VIEWS_DIR}`), 'utf8');

/** Fixed messages shown after a redirect (`?done=`): never text a user typed. */
const NOTICES: Record<string, string> = {
  associated: 'The token is associated.',
  add_token: 'You signed in with your password alone, and no OTP token is associated with your account: anyone who learns the password can administer otpgate.',
  resynced: 'The token is re-synced.',
  validity: "The token's validity dates are saved.",
  app_added: 'The authenticator app is added: sign in with its codes from now on.',
  disassociated: 'The token is disassociated and back in the inventory.',
  unlocked: 'The token is unlocked.',
  token_disabled: 'The token is disabled: no passcode from it is accepted until it is enabled.',
  token_enabled: 'The token is enabled.',
  token_enabled_unlocked: 'The token is enabled and unlocked: it was locked by wrong passcodes when it was disabled, and enabling lifts that lock.',
  token_retired: 'The token is retired and out of service for good.',
  temp_code_revoked: 'The temporary code is revoked.',
  reported_lost: 'Your token is reported lost and disabled; your administrators are told.',
  reported_lost_untold: 'Your token is reported lost and disabled. otpgate has no way to tell your administrators (no e-mail or webhook is set up): contact your help desk yourself for a temporary code or a new token.',
  restrictions: 'The access restriction is saved.',
  restriction_removed: "The user's own restriction is removed; the account's applies.",
  bulk: 'The access restriction is applied to the selected users.',
  created: 'The user is created.',
  updated: 'The user is saved.',
  password_reset: "The user's password is changed, and their open sessions have ended. Tell them the new password.",
  role_changed: "The user's role is changed.",
  deleted: 'The user is deleted.',
  password_changed: 'Your password is changed, and your sessions have ended: sign in with the new password.',
  disabled: 'The user is disabled: every sign-in is refused.',
  enabled: 'The user is enabled.',
  settings: 'The settings are saved.',
  webhook_removed: 'The webhook is removed.',
  oidc_client_saved: 'The OpenID client is saved; the change counts from the next sign-in.',
  oidc_client_removed: 'The OpenID client is removed: its users can no longer sign in to it.',
  directory_set: 'The directory is saved.',
  directory_removed: 'The directory is removed; its users stay and cannot sign in until one is set again.',
  group_restriction: "The group's access restriction is saved.",
  group_restriction_removed: "The group's access restriction is removed.",
  account_restriction: 'The account-wide restriction is saved.',
  account_restriction_removed: 'The account-wide restriction is removed: users with no restriction of their own or of a group may sign in from any address.',
  signed_out: 'You are signed out.',
};

export function sessionPrincipal(request: FastifyRequest): Extract<Principal, { kind: 'session' }> | null {
  return request.principal?.kind === 'session' ? request.principal : null;
}

/** A link that goes with a notice: to where its advice is followed. */
const NOTICE_LINKS: Record<string, { href: string; label: string }> = {
  add_token: { href: '/account#associate', label: 'Associate a token' },
};

function noticeLinkOf(request: FastifyRequest): { href: string; label: string } | null {
  const done = (request.query as Record<string, unknown> | undefined)?.done;
  return typeof done === 'string' ? (NOTICE_LINKS[done] ?? null) : null;
}

export function noticeOf(request: FastifyRequest): string | null {
  const query = request.query as Record<string, unknown> | undefined;
  const done = query?.done;
  // The bulk change says how many users it changed: a number, never text from the URL.
  if (done === 'bulk' && typeof query?.n === 'string' && /^\d{1,6}$/.test(query.n)) {
    const n = Number(query.n);
    return `The access restriction of ${n} user${n === 1 ? ' is' : 's is'} replaced.`;
  }
  return typeof done === 'string' ? (NOTICES[done] ?? null) : null;
}

/** Renders a view with the layout's data (who is signed in, the CSRF token for its forms, a notice, `plural(n, noun)` for "1 token", "2 tokens"). */
export function renderPage(reply: FastifyReply, view: string, data: Record<string, unknown> & { title: string; csrfToken?: string }, status = 200): FastifyReply {
  const request = reply.request;
  const principal = sessionPrincipal(request);
  const it = { principal, notice: noticeOf(request), noticeLink: noticeLinkOf(request), csrfToken: principal?.csrfToken ?? '', path: request.url.split('?')[0] ?? '', plural: count, ...data };
  const html = eta.render(view, it);
  return reply.status(status).header('cache-control', 'no-store').type('text/html; charset=utf-8').send(html);
}

/** 303 See Other: the answer to every successful POST (redirect after POST). */
export function seeOther(reply: FastifyReply, location: string): FastifyReply {
  return reply.status(303).header('location', location).send();
}

export function formatTime(iso: string | null): string {
  return iso === null ? '—' : `${iso.slice(0, 16).replace('T', ' ')} UTC`;
}

/** An audit time to the second, as one unbroken piece: "2026-12-01 13:45:07" (UTC, said in the column head). */
export function formatSeconds(iso: string): string {
  return iso.slice(0, 19).replace('T', ' ');
}

/** A service's message (written lower case, for the API and the log) as a sentence on a page. */
export function sentence(text: string): string {
  const trimmed = text.trim();
  if (trimmed === '') return trimmed;
  // An identifier first (maxFailures, rules[0].cidr) keeps its spelling; a plain word gets its capital.
  const firstWord = /^[^\s:;,]+/.exec(trimmed)?.[0] ?? '';
  const capital = /^[a-z]+$/.test(firstWord) ? trimmed.charAt(0).toUpperCase() + trimmed.slice(1) : trimmed;
  return /[.!?:)]$/.test(capital) ? capital : `${capital}.`;
}
