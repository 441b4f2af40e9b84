// /admin/settings: the account's windows, failure limit, self-association and adminsRequireOtp switches, and
// (own fieldset) the time-based tokens' window and re-sync search, the app-enrolment switch and the apps' issuer.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { SETTING_LIMITS, settingsOf, type AccountSettings } from '../services/account-settings.js';
import { adminOf } from './admin-guard.js';
import { affectsAnyone, confirmImpact } from './change-impact.js';
import { field, formError, formOf } from './forms.js';
import { renderPage, seeOther } from './render.js';

const SETTING_FIELDS: { name: keyof typeof SETTING_LIMITS; label: string; hint: string }[] = [
  { name: 'lookAheadWindow', label: 'Sign-in look-ahead window', hint: 'How many codes ahead of the expected one a sign-in accepts' },
  { name: 'associateWindow', label: 'Association window', hint: 'How many codes ahead an association searches' },
  { name: 'syncWindow', label: 'Re-sync window', hint: 'How many codes ahead a re-sync searches for the two passcodes' },
  { name: 'maxFailures', label: 'Failures before a token locks', hint: "Wrong passcodes in a row (counted once per user, whatever their number of tokens) that lock the user's tokens" },
  { name: 'maxTokensPerUser', label: 'Tokens per user', hint: 'How many tokens one user may hold' },
];

/** The fieldset "Time-based tokens and apps": these numbers, then the app-enrolment switch and the issuer. */
const TOTP_FIELDS: { name: keyof typeof SETTING_LIMITS; label: string; hint: string }[] = [
  { name: 'totpWindow', label: 'Time-based window', hint: "Time steps a time-based token's code may be off either side, around its recorded drift" },
  { name: 'totpSyncSteps', label: 'Time-based re-sync search', hint: 'Time steps a re-sync of a time-based token searches either side (2880: a day at 30 s)' },
];

export async function settingsPages(app: FastifyInstance): Promise<void> {
  const { accounts, restrictions } = app.otpgate;

  function settingsPage(request: FastifyRequest, reply: FastifyReply, values: AccountSettings | Record<string, string | boolean>, error: string | null, fieldErrors: Record<string, string>, status = 200) {
    const v = values as Record<string, unknown>;
    const view = (list: typeof SETTING_FIELDS) => list.map((f) => ({ ...f, value: typeof v[f.name] === 'number' || typeof v[f.name] === 'string' ? String(v[f.name]) : '', min: SETTING_LIMITS[f.name][0], max: SETTING_LIMITS[f.name][1], error: fieldErrors[f.name] ?? null }));
    const totp = { fields: view(TOTP_FIELDS), appEnrolment: Boolean(v.appEnrolment), issuer: typeof v.totpIssuer === 'string' ? v.totpIssuer : '', accountName: adminOf(request).account.name, issuerError: fieldErrors.totpIssuer ?? null };
    return renderPage(reply, './settings', { title: 'Settings', fields: view(SETTING_FIELDS), totp, selfAssociation: Boolean(v.selfAssociation), adminsRequireOtp: Boolean(v.adminsRequireOtp), helpContact: typeof v.helpContact === 'string' ? v.helpContact : '', helpContactError: fieldErrors.helpContact ?? null, error }, status);
  }

  app.get('/settings', (request, reply) => settingsPage(request, reply, settingsOf(adminOf(request).account), null, {}));

  app.post('/settings', async (request, reply) => {
    const { account, actor } = adminOf(request);
    const body = formOf(request);
    const changes: Partial<AccountSettings> = { selfAssociation: field(body, 'selfAssociation') === 'on', adminsRequireOtp: field(body, 'adminsRequireOtp') === 'on' };
    // Whole numbers only; the service checks the ranges and names the field.
    for (const { name } of [...SETTING_FIELDS, ...TOTP_FIELDS]) changes[name] = /^\s*\d{1,7}\s*$/.test(field(body, name)) ? Number(field(body, name)) : Number.NaN;
    // Empty: the account's name (the service trims and checks it: 1-64 characters, no colon).
    changes.appEnrolment = field(body, 'appEnrolment') === 'on';
    changes.totpIssuer = field(body, 'totpIssuer');
    // The help contact: free text the service trims and checks (empty: none).
    changes.helpContact = field(body, 'helpContact');
    try {
      // Switching self-association off locks out users who need a passcode and have no token, and adminsRequireOtp
      // on asks administrators without a token to associate one (or locks them out): say whom first.
      const current = settingsOf(account);
      const harder = (changes.selfAssociation === false && current.selfAssociation) || (changes.adminsRequireOtp === true && !current.adminsRequireOtp);
      if (harder && field(body, 'confirm') !== 'yes') {
        const impact = await restrictions.impactOf(account, { selfAssociation: changes.selfAssociation!, adminsRequireOtp: changes.adminsRequireOtp! });
        if (affectsAnyone(impact)) return confirmImpact(reply, impact, body, '/admin/settings', '/admin/settings');
      }
      await accounts.updateSettings(actor, account, changes);
    } catch (error) {
      const { message, fieldErrors } = formError(error);
      const raw: Record<string, string | boolean> = { selfAssociation: changes.selfAssociation ?? false, adminsRequireOtp: changes.adminsRequireOtp ?? false, appEnrolment: changes.appEnrolment ?? false, totpIssuer: field(body, 'totpIssuer') };
      for (const { name } of [...SETTING_FIELDS, ...TOTP_FIELDS]) raw[name] = field(body, name);
      raw.helpContact = field(body, 'helpContact');
      return settingsPage(request, reply, raw, message, fieldErrors, 400);
    }
    return seeOther(reply, '/admin/settings?done=settings');
  });
}
