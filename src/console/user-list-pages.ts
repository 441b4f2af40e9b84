// /admin/users: find users (the list first, with search and paging), and apply one restriction to several
// ticked ones (a step of its own). A user's own page is user-pages.ts.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { adminOf } from './admin-guard.js';
import { ACTION_LABELS, blankRows, field, fields, formError, formOf, readRestriction, roleLabel, shownState, statusLabel, summarizeRestriction, type RestrictionForm } from './forms.js';
import { pagerOf } from './pager.js';
import { renderPage, seeOther } from './render.js';

const USERS_PAGE = 50;
/** The most users one bulk change touches (the service applies it to all or none). */
const BULK_LIMIT = 5000;

export async function userListPages(app: FastifyInstance): Promise<void> {
  const { users, restrictions } = app.otpgate;

  // ---- The list first, with search and paging; for an administrator, ticking rows offers the bulk restriction ----
  type BulkForm = RestrictionForm & { selected: string[]; all: boolean };

  /** The list's search and page, from the query (GET) or the bulk steps' hidden fields (POST). */
  type ListState = { q: string; offset: number; withoutToken: boolean };

  function listState(source: Record<string, unknown>): ListState {
    const q = typeof source.q === 'string' ? source.q.slice(0, 100) : '';
    const offset = Number.parseInt(typeof source.offset === 'string' ? source.offset : '0', 10);
    return { q, offset: Number.isSafeInteger(offset) ? Math.max(0, Math.min(10_000_000, offset)) : 0, withoutToken: source.withoutToken === 'yes' };
  }

  /** The list's filters for the query string: the search, and the "without a token" report. */
  const filtersOf = (state: ListState): Record<string, string> => ({ ...(state.q ? { q: state.q } : {}), ...(state.withoutToken ? { withoutToken: 'yes' } : {}) });

  const listHref = (state: ListState, extra: Record<string, string> = {}) => {
    const params = new URLSearchParams({ ...filtersOf(state), ...(state.offset > 0 ? { offset: String(state.offset) } : {}), ...extra });
    const query = params.toString();
    return query ? `/admin/users?${query}` : '/admin/users';
  };

  /**
   * The list. An administrator's rows carry a tick box, and the bar that leads to the bulk restriction shows
   * once a row is ticked (console.css, `:has()`; no script: the console's CSP allows none). A help-desk user
   * gets no tick boxes and no bulk action: it is not theirs (admin-guard.ts).
   */
  async function listPage(request: FastifyRequest, reply: FastifyReply, state: ListState, selected: string[] = [], error: string | null = null, status = 200) {
    const { account } = adminOf(request);
    const search = state.q.trim() || undefined;
    const filter = { withoutToken: state.withoutToken };
    const [list, total] = await Promise.all([users.list(account, search, { limit: USERS_PAGE, offset: state.offset, ...filter }), users.count(account, search, filter)]);
    return renderPage(
      reply,
      './users',
      {
        title: 'Users',
        q: state.q,
        offset: state.offset,
        users: list,
        pager: pagerOf('/admin/users', filtersOf(state), state.offset, USERS_PAGE, list.length, total),
        withoutToken: state.withoutToken,
        selected,
        error,
        roleLabel,
        statusLabel,
        shownState,
      },
      status,
    );
  }

  /** The bulk restriction's second step: the rules for the ticked users (or all matching the search). */
  async function rulesPage(request: FastifyRequest, reply: FastifyReply, state: ListState, form: BulkForm, status = 200) {
    const { account } = adminOf(request);
    const total = await users.count(account, state.q.trim() || undefined, { withoutToken: state.withoutToken });
    return renderPage(
      reply,
      './users-bulk',
      {
        title: 'Set access restriction',
        q: state.q,
        offset: state.offset,
        withoutToken: state.withoutToken,
        total,
        ticked: form.selected,
        names: form.selected.slice(0, 20),
        all: form.all,
        bulkRows: [...form.rows, ...blankRows(Math.max(1, 3 - form.rows.length))],
        bulkErrors: form.errors,
        bulkDefault: form.default,
        error: form.error,
        actions: ACTION_LABELS,
        listHref: listHref(state),
      },
      status,
    );
  }

  app.get('/users', (request, reply) => listPage(request, reply, listState(request.query as Record<string, unknown>)));

  /**
   * The bulk restriction, in steps: the ticked rows (step=choose, from the list) lead to the rules; the rules
   * (for the ticked users, or every user the search matches: "all") are checked, then a confirmation page
   * says how many users it replaces and whom it makes it harder to sign in; only its POST (confirm=yes)
   * writes, and the list comes back with the same search and page and says how many changed.
   */
  app.post('/users/restrictions', async (request, reply) => {
    const { account, actor } = adminOf(request);
    const body = formOf(request);
    const state = listState({ q: field(body, 'q'), offset: field(body, 'offset'), withoutToken: field(body, 'withoutToken') });
    const ticked = fields(body, 'user').slice(0, BULK_LIMIT);
    if (field(body, 'step') === 'choose') {
      if (ticked.length === 0) return listPage(request, reply, state, [], 'Tick at least one user in the list first.', 400);
      return rulesPage(request, reply, state, { selected: ticked, all: false, rows: [], default: 'allow', errors: {}, error: null });
    }
    const all = field(body, 'all') === 'yes';
    const { input, rows } = readRestriction(body);
    const again = (error: string, errors: Record<string, string> = {}) => rulesPage(request, reply, state, { selected: ticked, all, rows, default: input.default, errors, error }, 400);
    const selected = all ? (await users.list(account, state.q.trim() || undefined, { limit: BULK_LIMIT, withoutToken: state.withoutToken })).map((user) => user.username) : ticked;
    if (selected.length === 0) {
      if (!all) return listPage(request, reply, state, [], 'Tick at least one user in the list first.', 400);
      return again('No user matches the search: nothing to change.');
    }
    try {
      restrictions.validate(input);
    } catch (error) {
      const { message, fieldErrors } = formError(error);
      return again(message, fieldErrors);
    }
    if (field(body, 'confirm') !== 'yes') {
      // Whom the replacement would make it harder to sign in, said before it is saved.
      const impact = await restrictions.impactOf(account, { users: { names: selected, restriction: restrictions.validate(input) } });
      return renderPage(reply, './users-bulk-confirm', {
        ...impact,
        title: 'Replace restrictions',
        count: selected.length,
        names: selected.slice(0, 20),
        all,
        ticked,
        q: state.q,
        offset: state.offset,
        withoutToken: state.withoutToken,
        summary: summarizeRestriction(restrictions.validate(input)),
        rows,
        defaultAction: input.default,
        listHref: listHref(state),
      }, impact.refusal === null ? 200 : 409);
    }
    try {
      await restrictions.setForUsers(actor, account, selected, input);
    } catch (error) {
      const { message, fieldErrors } = formError(error);
      return again(message, fieldErrors);
    }
    return seeOther(reply, listHref(state, { done: 'bulk', n: String(selected.length) }));
  });
}
