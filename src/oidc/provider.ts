// The OpenID Provider's configuration (SPEC, "OpenID Connect provider"): oidc-provider with the code flow
// only, PKCE S256 (required for public clients), RS256 keys from the database, userinfo, revocation and
// RP-initiated logout; no dev interactions, no registration, no introspection. Sign-in happens on
// otpgate's own pages (interaction.ts); there is no consent page for the account's own clients.
import Provider, { interactionPolicy, type Configuration, type KoaContextWithOIDC } from 'oidc-provider';
import { ACR_OTP, type OidcService } from '../services/oidc-service.js';
import { escapeHtml, oidcCsp } from './html.js';
import { OidcAdapter } from './adapter.js';

export const OIDC_PREFIX = '/oidc';
export const INTERACTION_TTL_SECONDS = 10 * 60;
export const SESSION_TTL_SECONDS = 12 * 60 * 60;

// How the user proved themselves (amr, acr, auth_time) goes in every ID token: the openid scope carries it.
const CLAIMS = {
  acr: null,
  amr: null,
  auth_time: null,
  iss: null,
  sid: null,
  openid: ['sub', 'acr', 'amr', 'auth_time'],
  profile: ['name', 'preferred_username'],
  email: ['email', 'email_verified'],
  groups: ['groups'],
};

function page(title: string, body: string): string {
  return `<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title><link rel="stylesheet" href="/console.css"></head><body><main class="narrow"><h1>${escapeHtml(title)}</h1>${body}</main></body></html>`;
}

export interface ProviderOptions {
  issuer: string;
  cookieKeys: string[];
  secureCookies: boolean;
  /** Behind trusted proxies the request's scheme and host come from X-Forwarded-*. */
  proxy: boolean;
  keys: Record<string, unknown>[];
}

export function createProvider(oidc: OidcService, options: ProviderOptions): Provider {
  const policy = interactionPolicy.base();
  // A client that asks for the passcode (acr_values) gets a sign-in when the session has none.
  policy.get('login')!.checks.add(
    new interactionPolicy.Check('otp_required', 'the client asks for a passcode', (ctx) => {
      const acr = typeof ctx.oidc.params?.acr_values === 'string' ? ctx.oidc.params.acr_values.split(' ') : [];
      return acr.includes(ACR_OTP) && ctx.oidc.session?.acr !== ACR_OTP ? interactionPolicy.Check.REQUEST_PROMPT : interactionPolicy.Check.NO_NEED_TO_PROMPT;
    }),
  );
  const configuration: Configuration = {
    adapter: (name: string) => new OidcAdapter(name, oidc),
    async findAccount(_ctx, id) {
      const claims = await oidc.claimsOf(id);
      if (!claims) return undefined;
      return { accountId: id, claims: () => ({ ...claims }) };
    },
    claims: CLAIMS,
    scopes: ['openid', 'offline_access', 'profile', 'email', 'groups'],
    acrValues: [ACR_OTP],
    responseTypes: ['code'],
    pkce: { required: (_ctx, client) => client.clientAuthMethod === 'none' },
    jwks: { keys: options.keys },
    cookies: {
      keys: options.cookieKeys,
      long: { signed: true, secure: options.secureCookies, httpOnly: true, sameSite: 'lax' },
      short: { signed: true, secure: options.secureCookies, httpOnly: true, sameSite: 'lax' },
    },
    ttl: {
      Session: SESSION_TTL_SECONDS,
      Interaction: INTERACTION_TTL_SECONDS,
      AuthorizationCode: 60,
      AccessToken: 60 * 60,
      IdToken: 60 * 60,
      RefreshToken: 14 * 24 * 60 * 60,
      Grant: 14 * 24 * 60 * 60,
    },
    features: {
      devInteractions: { enabled: false },
      revocation: { enabled: true },
      userinfo: { enabled: true },
      introspection: { enabled: false },
      registration: { enabled: false },
      rpInitiatedLogout: {
        enabled: true,
        async logoutSource(ctx, form) {
          // The confirmation's form ends at the client's post-logout redirect URI: its CSP names those origins.
          const origins = [...new Set((ctx.oidc.client?.postLogoutRedirectUris ?? []).map((uri) => new URL(uri).origin))];
          ctx.set('content-security-policy', oidcCsp(origins));
          ctx.body = page('Sign out', `<p>Sign out of otpgate here and in the application?</p>${form}<button type="submit" form="op.logoutForm" value="yes" name="logout">Sign out</button> <button type="submit" form="op.logoutForm">Stay signed in</button>`);
        },
        async postLogoutSuccessSource(ctx) {
          ctx.body = page('Signed out', '<p>You are signed out.</p>');
        },
      },
    },
    interactions: { policy, url: (_ctx, interaction) => `${OIDC_PREFIX}/interaction/${interaction.uid}` },
    // The account's own clients need no consent page: the grant covers what they asked for.
    async loadExistingGrant(ctx: KoaContextWithOIDC) {
      const { client, session, params } = ctx.oidc;
      if (!client || !session?.accountId) return undefined;
      const grantId = ctx.oidc.result?.consent?.grantId ?? session.grantIdFor(client.clientId);
      if (grantId) {
        const existing = await ctx.oidc.provider.Grant.find(grantId);
        if (existing) return existing;
      }
      const grant = new ctx.oidc.provider.Grant({ clientId: client.clientId, accountId: session.accountId });
      grant.addOIDCScope(typeof params?.scope === 'string' ? params.scope : 'openid');
      await grant.save();
      return grant;
    },
    issueRefreshToken: async (_ctx, client, code) => client.grantTypeAllowed('refresh_token') && code.scopes.has('offline_access'),
    rotateRefreshToken: true,
    allowOmittingSingleRegisteredRedirectUri: false,
    clientBasedCORS: () => false,
    async renderError(ctx, out) {
      ctx.type = 'html';
      const lines = Object.entries(out).map(([key, value]) => `<p><strong>${escapeHtml(key)}</strong>: ${escapeHtml(String(value))}</p>`);
      ctx.body = page('Sign-in not possible', lines.join(''));
    },
  };
  const provider = new Provider(options.issuer, configuration);
  provider.proxy = options.proxy;
  return provider;
}
