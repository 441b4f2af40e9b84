// The console's Content-Security-Policy: no script, no inline style, forms to the console itself only,
// never framed. One exception: a sign-in page for an OpenID client (its `next` is an interaction) may send
// its form on a path that ends, after same-origin 303s, at that client's registered redirect URI. Browsers
// apply `form-action` to every redirect that follows a form submission (Chromium does), so the page that
// submits must name the client's redirect origins, and only that client's.
export const CONSOLE_CSP_DIRECTIVES = {
  defaultSrc: ["'none'"],
  styleSrc: ["'self'"],
  imgSrc: ["'self'"],
  scriptSrc: ["'none'"],
  formAction: ["'self'"],
  frameAncestors: ["'none'"],
  baseUri: ["'none'"],
} as const;

/** The header value, with `form-action` widened to these origins (each `scheme://host[:port]`, from URL parsing). */
export function consoleCspWithFormAction(origins: readonly string[]): string {
  return Object.entries(CONSOLE_CSP_DIRECTIVES)
    .map(([name, values]) => {
      const directive = name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
      return [directive, ...values, ...(name === 'formAction' ? origins : [])].join(' ');
    })
    .join(';');
}
