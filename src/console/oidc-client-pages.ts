// /admin/oidc-clients: the account's OpenID Connect clients (docs/oidc.md, "Clients"), administrators only
// (the help desk gets 404: admin-guard.ts lists no page of these). The list with the form that adds one (a
// confidential client's secret shown once, on the page the POST answers, which no cache keeps), a client's
// page that edits its redirect URIs and allowed groups, and a confirmation before removing one.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { OidcClientView } from '../services/views.js';
import { adminOf } from './admin-guard.js';
import { field, formError, formOf, type FormBody } from './forms.js';
import { renderPage, seeOther } from './render.js';

/** The add form as typed, shown back after a refusal. */
interface AddForm {
  name: string;
  kind: 'confidential' | 'public';
  redirectUris: string;
  postLogoutRedirectUris: string;
  allowedGroups: string;
}

/** The edit form as typed: the three lists, one item a line. */
type EditForm = Omit<AddForm, 'name' | 'kind'>;

const BLANK: AddForm = { name: '', kind: 'confidential', redirectUris: '', postLogoutRedirectUris: '', allowedGroups: '' };

/** A textarea's lines: one URI or group a line, blank lines dropped (the service checks each). */
function lines(text: string): string[] {
  return text
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line !== '');
}

function editFormOf(body: FormBody): EditForm {
  return { redirectUris: field(body, 'redirectUris'), postLogoutRedirectUris: field(body, 'postLogoutRedirectUris'), allowedGroups: field(body, 'allowedGroups') };
}

function editFormFrom(client: OidcClientView): EditForm {
  return { redirectUris: client.redirectUris.join('\n'), postLogoutRedirectUris: client.postLogoutRedirectUris.join('\n'), allowedGroups: client.allowedGroups.join('\n') };
}

/** A service error for this page's form; beside its field, a message needs no "redirectUris: " before it. */
function errorsOf(error: unknown): { message: string; fieldErrors: Record<string, string> } {
  const { message, fieldErrors } = formError(error);
  for (const [name, text] of Object.entries(fieldErrors)) fieldErrors[name] = text.startsWith(`${name}: `) ? text.slice(name.length + 2) : text;
  return { message, fieldErrors };
}

const clientPath = (name: string) => `/admin/oidc-clients/${encodeURIComponent(name)}`;

export async function oidcClientPages(app: FastifyInstance): Promise<void> {
  const { oidc } = app.otpgate;
  const publicUrl = app.otpgateConfig.publicUrl;
  /** The issuer the applications are configured with; null while the provider is off (no OTPGATE_PUBLIC_URL). */
  const issuer = publicUrl === undefined ? null : `${publicUrl.replace(/\/+$/, '')}/oidc`;

  async function listPage(request: FastifyRequest, reply: FastifyReply, form: AddForm, error: string | null, fieldErrors: Record<string, string>, status = 200) {
    const clients = await oidc.listClients(adminOf(request).account);
    return renderPage(reply, './oidc-clients', { title: 'OpenID clients', clients, issuer, form, error, fieldErrors }, status);
  }

  async function editPage(request: FastifyRequest, reply: FastifyReply, name: string, form: EditForm | null, error: string | null, fieldErrors: Record<string, string>, status = 200) {
    const client = await oidc.showClient(adminOf(request).account, name);
    return renderPage(reply, './oidc-client', { title: `OpenID client ${client.name}`, client, issuer, form: form ?? editFormFrom(client), error, fieldErrors }, status);
  }

  app.get('/oidc-clients', async (request, reply) => listPage(request, reply, BLANK, null, {}));

  app.post('/oidc-clients', async (request, reply) => {
    const { account, actor } = adminOf(request);
    const body = formOf(request);
    const form: AddForm = { name: field(body, 'name').trim(), kind: field(body, 'kind') === 'public' ? 'public' : 'confidential', ...editFormOf(body) };
    try {
      const added = await oidc.addClient(actor, account, {
        name: form.name,
        public: form.kind === 'public',
        redirectUris: lines(form.redirectUris),
        postLogoutRedirectUris: lines(form.postLogoutRedirectUris),
        allowedGroups: lines(form.allowedGroups),
      });
      // The answer to this POST is the only place the secret is ever shown (renderPage sends no-store).
      const { clientSecret, ...client } = added;
      return renderPage(reply, './oidc-client-added', { title: 'OpenID client added', client, clientSecret, issuer });
    } catch (error) {
      const { message, fieldErrors } = errorsOf(error);
      return listPage(request, reply, form, message, fieldErrors, 400);
    }
  });

  app.get<{ Params: { name: string } }>('/oidc-clients/:name', async (request, reply) => editPage(request, reply, request.params.name, null, null, {}));

  app.post<{ Params: { name: string } }>('/oidc-clients/:name', async (request, reply) => {
    const { account, actor } = adminOf(request);
    const form = editFormOf(formOf(request));
    try {
      await oidc.updateClient(actor, account, request.params.name, {
        redirectUris: lines(form.redirectUris),
        postLogoutRedirectUris: lines(form.postLogoutRedirectUris),
        allowedGroups: lines(form.allowedGroups),
      });
    } catch (error) {
      const { message, fieldErrors } = errorsOf(error);
      return editPage(request, reply, request.params.name, form, message, fieldErrors, 400);
    }
    return seeOther(reply, `${clientPath(request.params.name)}?done=oidc_client_saved`);
  });

  app.get<{ Params: { name: string } }>('/oidc-clients/:name/remove', async (request, reply) => {
    const client = await oidc.showClient(adminOf(request).account, request.params.name);
    return renderPage(reply, './oidc-client-remove', { title: 'Remove OpenID client', client });
  });

  app.post<{ Params: { name: string } }>('/oidc-clients/:name/remove', async (request, reply) => {
    const { account, actor } = adminOf(request);
    await oidc.removeClient(actor, account, request.params.name);
    return seeOther(reply, '/admin/oidc-clients?done=oidc_client_removed');
  });
}
