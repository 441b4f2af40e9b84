// Escaping and the Content-Security-Policy for the few HTML pages the provider renders itself (errors, sign-out).
const ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ENTITIES[c]!);
}

/**
 * The Content-Security-Policy of every /oidc response: no script, no frame. Its forms post to /oidc only,
 * except the sign-out confirmation, whose form ends (after a 303) at the client's post-logout redirect URI:
 * that page names those origins (browsers apply form-action to the redirects after a form).
 */
export function oidcCsp(formActionOrigins: readonly string[] = []): string {
  return ["default-src 'none'", "style-src 'self'", "img-src 'self'", ['form-action', "'self'", ...formActionOrigins].join(' '), "frame-ancestors 'none'", "base-uri 'none'"].join('; ');
}
