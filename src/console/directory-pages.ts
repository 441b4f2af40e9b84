// /admin/directory: the account's LDAP or Active Directory — show, set, test, remove, and a sync (plan with a
// dry run, or apply). The bind password is write-only: the form never shows it back; left empty, the
// stored one is kept.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { DIRECTORY_PRESETS, type DirectoryInput, type DirectoryPreset, type DirectoryView } from '../services/directory-service.js';
import { shownTest } from '../web/directory-test.js';
import type { DirectoryTestView } from '../services/directory-view.js';
import type { SyncReport } from '../services/directory-sync-service.js';
import { ServiceError } from '../services/errors.js';
import { adminOf } from './admin-guard.js';
import { field, formError, formOf, type FormBody } from './forms.js';
import { formatTime, renderPage, seeOther, sentence } from './render.js';

/** The form's text fields, in order, with their labels and hints. */
const TEXT_FIELDS = [
  { name: 'url', label: 'URL', hint: 'ldaps://HOST:636, or ldap://HOST:389 with StartTLS (plain ldap:// only to a loopback address)', required: true },
  { name: 'bindDn', label: 'Service bind DN', hint: 'The account otpgate binds as to find people, e.g. cn=otpgate,ou=services,dc=example,dc=org', required: true },
  { name: 'baseDn', label: 'Base DN', hint: 'Where people are searched, e.g. dc=example,dc=org', required: true },
  { name: 'userFilter', label: 'User filter', hint: 'Empty: the preset\'s — (objectClass=person), or for Active Directory (&(objectCategory=person)(objectClass=user))', required: false },
  { name: 'usernameAttribute', label: 'Username attribute', hint: 'Empty: the preset\'s (uid; sAMAccountName)', required: false },
  { name: 'displayNameAttribute', label: 'Display name attribute', hint: 'Empty: the preset\'s (cn; displayName)', required: false },
  { name: 'emailAttribute', label: 'E-mail attribute', hint: 'Empty: mail', required: false },
  { name: 'groupAttribute', label: 'Group attribute', hint: 'Empty: memberOf (without it, groupOfNames and groupOfUniqueNames entries that list the user)', required: false },
] as const;

type FormValues = Record<(typeof TEXT_FIELDS)[number]['name'] | 'preset' | 'caPem', string> & { startTls: boolean };

function valuesOf(view: DirectoryView | null): FormValues {
  return {
    preset: view?.preset ?? 'openldap',
    url: view?.url ?? '',
    bindDn: view?.bindDn ?? '',
    baseDn: view?.baseDn ?? '',
    userFilter: view?.userFilter ?? '',
    usernameAttribute: view?.usernameAttribute ?? '',
    displayNameAttribute: view?.displayNameAttribute ?? '',
    emailAttribute: view?.emailAttribute ?? '',
    groupAttribute: view?.groupAttribute ?? '',
    startTls: view?.startTls ?? false,
    caPem: view?.caPem ?? '',
  };
}

function readForm(body: FormBody): { values: FormValues; input: DirectoryInput } {
  const text = (name: string, max: number) => field(body, name).slice(0, max);
  const values: FormValues = {
    preset: field(body, 'preset') === 'ad' ? 'ad' : 'openldap',
    url: text('url', 500),
    bindDn: text('bindDn', 1000),
    baseDn: text('baseDn', 1000),
    userFilter: text('userFilter', 1000),
    usernameAttribute: text('usernameAttribute', 100),
    displayNameAttribute: text('displayNameAttribute', 100),
    emailAttribute: text('emailAttribute', 100),
    groupAttribute: text('groupAttribute', 100),
    startTls: field(body, 'startTls') === 'on',
    caPem: text('caPem', 65536),
  };
  const optional = (value: string) => (value.trim() === '' ? undefined : value.trim());
  const bindPassword = field(body, 'bindPassword').slice(0, 1025);
  const input: DirectoryInput = {
    preset: values.preset as DirectoryPreset,
    url: values.url,
    bindDn: values.bindDn,
    baseDn: values.baseDn,
    startTls: values.startTls,
    caPem: values.caPem.trim() === '' ? null : values.caPem,
    ...(bindPassword !== '' ? { bindPassword } : {}),
  };
  for (const name of ['userFilter', 'usernameAttribute', 'displayNameAttribute', 'emailAttribute', 'groupAttribute'] as const) {
    const value = optional(values[name]);
    if (value !== undefined) input[name] = value;
  }
  return { values, input };
}

interface PageState {
  values?: FormValues;
  error?: string | null;
  fieldErrors?: Record<string, string>;
  test?: DirectoryTestView | null;
  sync?: { report: SyncReport; dryRun: boolean } | null;
  syncError?: string | null;
}

export async function directoryPages(app: FastifyInstance): Promise<void> {
  const { directories, directorySync } = app.otpgate;

  async function currentView(request: FastifyRequest): Promise<DirectoryView | null> {
    try {
      return await directories.show(adminOf(request).account);
    } catch (error) {
      if (error instanceof ServiceError && error.code === 'directory_not_found') return null;
      throw error;
    }
  }

  async function page(request: FastifyRequest, reply: FastifyReply, state: PageState, status = 200) {
    const view = await currentView(request);
    return renderPage(
      reply,
      './directory',
      {
        title: 'Directory',
        directory: view,
        values: state.values ?? valuesOf(view),
        textFields: TEXT_FIELDS,
        presets: Object.keys(DIRECTORY_PRESETS),
        error: state.error ?? null,
        fieldErrors: state.fieldErrors ?? {},
        test: state.test ?? null,
        sync: state.sync ?? null,
        syncError: state.syncError ?? null,
        formatTime,
      },
      status,
    );
  }

  app.get('/directory', (request, reply) => page(request, reply, {}));

  app.post('/directory', async (request, reply) => {
    const { account, actor } = adminOf(request);
    const { values, input } = readForm(formOf(request));
    try {
      await directories.set(actor, account, input);
    } catch (error) {
      const { message, fieldErrors } = formError(error);
      return page(request, reply, { values, error: message, fieldErrors }, 400);
    }
    return seeOther(reply, '/admin/directory?done=directory_set');
  });

  app.post('/directory/test', async (request, reply) => {
    const { account, actor } = adminOf(request);
    return page(request, reply, { test: shownTest(request, await directories.test(actor, account)) });
  });

  app.post('/directory/remove', async (request, reply) => {
    const { account, actor } = adminOf(request);
    if (field(formOf(request), 'confirm') !== 'yes') return page(request, reply, { error: 'Tick the box to confirm the removal. Nothing was changed.' }, 400);
    await directories.remove(actor, account);
    return seeOther(reply, '/admin/directory?done=directory_removed');
  });

  app.post('/directory/sync', async (request, reply) => {
    const { account, actor } = adminOf(request);
    const body = formOf(request);
    const dryRun = field(body, 'apply') !== 'yes';
    try {
      const report = await directorySync.sync(actor, account, { dryRun, force: !dryRun && field(body, 'force') === 'on' });
      return await page(request, reply, { sync: { report, dryRun } });
    } catch (error) {
      if (!(error instanceof ServiceError) || error.code === 'directory_not_found') throw error;
      return page(request, reply, { syncError: sentence(error.message) }, error.status);
    }
  });
}
