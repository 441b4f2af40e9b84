// /admin/restriction: the account-wide IP access restriction, which applies to every user with no
// restriction of their own and no group restriction (docs/sign-in.md).
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { adminOf } from './admin-guard.js';
import { affectsAnyone, confirmImpact } from './change-impact.js';
import { ACTION_LABELS, blankRows, field, formError, formOf, readRestriction, rowsOf, summarizeRestriction, type RestrictionForm } from './forms.js';
import { renderPage, seeOther } from './render.js';

export async function restrictionPages(app: FastifyInstance): Promise<void> {
  const { restrictions } = app.otpgate;

  function editor(request: FastifyRequest, reply: FastifyReply, form: RestrictionForm | null, status = 200) {
    const { account } = adminOf(request);
    const current = restrictions.showForAccount(account);
    const saved = current.source === 'account';
    const rows = form ? form.rows : rowsOf(saved ? current.rules : []);
    return renderPage(
      reply,
      './account-restriction',
      {
        title: 'Account-wide restriction',
        saved,
        summary: saved ? summarizeRestriction(current) : null,
        rows: [...rows, ...blankRows()],
        defaultAction: form ? form.default : saved ? current.default : 'allow',
        ruleErrors: form?.errors ?? {},
        error: form?.error ?? null,
        actions: ACTION_LABELS,
      },
      status,
    );
  }

  app.get('/restriction', (request, reply) => editor(request, reply, null));

  app.post('/restriction', async (request, reply) => {
    const { account, actor } = adminOf(request);
    const body = formOf(request);
    const { input, rows } = readRestriction(body);
    try {
      if (field(body, 'confirm') !== 'yes') {
        const impact = await restrictions.impactOf(account, { account: restrictions.validate(input) });
        if (affectsAnyone(impact)) return confirmImpact(reply, impact, body, '/admin/restriction', '/admin/restriction');
      }
      await restrictions.setForAccount(actor, account, input);
    } catch (error) {
      const { message, fieldErrors } = formError(error);
      return editor(request, reply, { rows, default: input.default, errors: fieldErrors, error: message }, 400);
    }
    return seeOther(reply, '/admin/restriction?done=account_restriction');
  });

  app.post('/restriction/remove', async (request, reply) => {
    const { account, actor } = adminOf(request);
    await restrictions.setForAccount(actor, account, null);
    return seeOther(reply, '/admin/restriction?done=account_restriction_removed');
  });
}
