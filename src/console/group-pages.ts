// /admin/groups: the groups the account's users carry (from the directory) and the IP restriction of each
// group. A user's own restriction comes first; with several groups, the strictest action wins per address.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ServiceError } from '../services/errors.js';
import type { GroupRestrictionView } from '../services/restriction-service.js';
import { adminOf } from './admin-guard.js';
import { affectsAnyone, confirmImpact } from './change-impact.js';
import { ACTION_LABELS, blankRows, field, formError, formOf, readRestriction, rowsOf, type RestrictionForm } from './forms.js';
import { renderPage, seeOther } from './render.js';

const restrictionPath = (group: string) => `/admin/groups/restriction?group=${encodeURIComponent(group)}`;

export async function groupPages(app: FastifyInstance): Promise<void> {
  const { restrictions } = app.otpgate;

  app.get('/groups', async (request, reply) => {
    const groups = await restrictions.listGroups(adminOf(request).account);
    return renderPage(reply, './groups', { title: 'Groups', groups, actions: ACTION_LABELS });
  });

  async function editor(request: FastifyRequest, reply: FastifyReply, group: string, form: RestrictionForm | null, status = 200) {
    const { account } = adminOf(request);
    let saved: GroupRestrictionView | null = null;
    try {
      saved = await restrictions.showForGroup(account, group);
    } catch (error) {
      // No restriction yet, or a name that cannot be one (the save says why).
      if (!(error instanceof ServiceError && (error.code === 'group_restriction_not_found' || error.code === 'invalid_request'))) throw error;
    }
    const members = saved?.members ?? (await restrictions.listGroups(account)).find((g) => g.group.toLowerCase() === group.trim().toLowerCase())?.members ?? 0;
    const rows = form ? form.rows : rowsOf(saved?.rules ?? []);
    return renderPage(
      reply,
      './group-restriction',
      {
        title: `Group ${group}`,
        group: saved?.group ?? group.trim(),
        saved: saved !== null,
        members,
        rows: [...rows, ...blankRows()],
        defaultAction: form ? form.default : (saved?.default ?? 'require_otp'),
        ruleErrors: form?.errors ?? {},
        error: form?.error ?? null,
        actions: ACTION_LABELS,
      },
      status,
    );
  }

  app.get('/groups/restriction', async (request, reply) => {
    const raw = (request.query as { group?: unknown }).group;
    const group = typeof raw === 'string' ? raw.slice(0, 200) : '';
    if (group.trim() === '') return seeOther(reply, '/admin/groups');
    return editor(request, reply, group, null);
  });

  app.post('/groups/restriction', async (request, reply) => {
    const { account, actor } = adminOf(request);
    const body = formOf(request);
    const group = field(body, 'group').slice(0, 200);
    const { input, rows } = readRestriction(body);
    let saved: GroupRestrictionView;
    try {
      if (field(body, 'confirm') !== 'yes') {
        const impact = await restrictions.impactOf(account, { group: { name: group, restriction: restrictions.validate(input) } });
        if (affectsAnyone(impact)) return confirmImpact(reply, impact, body, '/admin/groups/restriction', restrictionPath(group));
      }
      saved = await restrictions.setForGroup(actor, account, group, input);
    } catch (error) {
      const { message, fieldErrors } = formError(error);
      if (group.trim() === '') return seeOther(reply, '/admin/groups');
      // The group's name has no field of its own on this page: its error is the message.
      return editor(request, reply, group, { rows, default: input.default, errors: fieldErrors, error: fieldErrors.group ?? message }, 400);
    }
    return seeOther(reply, `${restrictionPath(saved.group)}&done=group_restriction`);
  });

  app.post('/groups/restriction/remove', async (request, reply) => {
    const { account, actor } = adminOf(request);
    await restrictions.clearForGroup(actor, account, field(formOf(request), 'group').slice(0, 200));
    return seeOther(reply, '/admin/groups?done=group_restriction_removed');
  });
}
