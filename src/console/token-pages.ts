// /admin/tokens: the inventory with a status filter, paged with its total, and the seed-file import form
// (behind a button at the top); an import's result is a page of its own (/admin/tokens/import/ID).
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { isTokenStatus, type TokenStatus } from '../core/token-status.js';
import { ServiceError } from '../services/errors.js';
import { csrfTokensEqual } from '../services/session-service.js';
import { adminOf } from './admin-guard.js';
import { SHOWN_TOKEN_STATES, shownState, statusLabel } from './forms.js';
import { filterQueryOf, offsetOf, pagerOf } from './pager.js';
import { formatTime, renderPage, seeOther, sentence, sessionPrincipal } from './render.js';
import { refuseCsrf, renderMessage } from './message-pages.js';
import { readBufferedImportUpload } from '../web/import-upload.js';
import { hashId } from '../services/session-service.js';

const PAGE_SIZE = 100;

export async function tokenPages(app: FastifyInstance): Promise<void> {
  const { tokens, importResults } = app.otpgate;

  /** What binds an import result to the session that uploaded: the session's id hash. */
  const bindingOf = (request: FastifyRequest) => hashId(sessionPrincipal(request)!.sessionId);

  /** The list's filters from the query: the inventory's, and kept by an import's result for its "Back to tokens". */
  function listFiltersOf(request: FastifyRequest) {
    const query = request.query as Record<string, unknown>;
    const asked = typeof query.status === 'string' ? query.status : '';
    const statusFilter: TokenStatus | 'reported_lost' | 'expired' | '' = isTokenStatus(asked) || asked === 'reported_lost' || asked === 'expired' ? asked : '';
    const q = typeof query.q === 'string' ? query.q.slice(0, 100) : '';
    // The "unused tokens" report as a filter: tokens in users' hands that signed no one in for N days.
    const unusedDays = typeof query.unusedDays === 'string' && /^[0-9]{1,4}$/.test(query.unusedDays) && Number(query.unusedDays) > 0 ? query.unusedDays : '';
    return { statusFilter, q, unusedDays, filterQuery: filterQueryOf({ status: statusFilter, q, unusedDays }) };
  }

  async function inventoryPage(request: FastifyRequest, reply: FastifyReply, extra: { importError?: string }, status = 200) {
    const { statusFilter, q, unusedDays, filterQuery } = listFiltersOf(request);
    const offset = offsetOf(request);
    const filter = { ...(statusFilter === 'reported_lost' ? { reportedLost: true } : statusFilter === 'expired' ? { expired: true } : statusFilter ? { status: statusFilter } : {}), ...(q.trim() ? { q } : {}), ...(unusedDays ? { unusedDays: Number(unusedDays) } : {}) };
    const { account } = adminOf(request);
    const [list, total] = await Promise.all([tokens.list(account, { ...filter, limit: PAGE_SIZE, offset }), tokens.count(account, filter)]);
    return renderPage(
      reply,
      './tokens',
      {
        title: 'Tokens',
        tokens: list,
        pager: pagerOf('/admin/tokens', { status: statusFilter, q, unusedDays }, offset, PAGE_SIZE, list.length, total),
        // The import posts with the list's filters, so that its answer shows the same list.
        filterQuery,
        statuses: SHOWN_TOKEN_STATES,
        shownState,
        status: statusFilter,
        q,
        unusedDays,
        importError: extra.importError ?? null,
        statusLabel,
        formatTime,
      },
      status,
    );
  }

  app.get('/tokens', (request, reply) => inventoryPage(request, reply, {}));

  // The upload's answer is a redirect to its result (post/redirect/get: a refresh posts nothing again), a page
  // of its own kept for 15 minutes for this session (ImportResultService); a refusal shows the form again.
  // A dry run's upload stays sealed on the server, so its result offers "Import now" without the file and key.
  app.post('/tokens/import', { bodyLimit: app.otpgateConfig.importLimitBytes }, async (request, reply) => {
    const { account, actor, csrfToken } = adminOf(request);
    if (!request.isMultipart()) return inventoryPage(request, reply, { importError: 'Send the seed file with the import form.' }, 415);
    let id: string;
    try {
      const read = await readBufferedImportUpload(request, {
        limitBytes: app.otpgateConfig.importLimitBytes,
        // The form puts _csrf before the file, so it is known before a byte of the file is read.
        admit: (fields) => csrfTokensEqual(csrfToken, fields._csrf),
      });
      if (read.outcome === 'refused' || !csrfTokensEqual(csrfToken, read.fields._csrf)) return refuseCsrf(reply);
      if (read.outcome === 'no_file') return inventoryPage(request, reply, { importError: 'Choose a seed file to import.' }, 400);
      id = await importResults.run(actor, account, bindingOf(request), read.upload);
    } catch (error) {
      if (!(error instanceof ServiceError)) {
        const code = (error as { code?: unknown }).code;
        if (code === 'FST_REQ_FILE_TOO_LARGE' || code === 'FST_ERR_CTP_BODY_TOO_LARGE') return inventoryPage(request, reply, { importError: 'The file is over the size limit; nothing was imported.' }, 413);
        throw error;
      }
      return inventoryPage(request, reply, { importError: sentence(error.message) }, error.status);
    }
    return seeOther(reply, `/admin/tokens/import/${id}${listFiltersOf(request).filterQuery}`);
  });

  app.get<{ Params: { id: string } }>('/tokens/import/:id', async (request, reply) => {
    const { account } = adminOf(request);
    const result = /^[A-Za-z0-9_-]{24}$/.test(request.params.id) ? await importResults.result(account, bindingOf(request), request.params.id) : null;
    if (!result) {
      return renderMessage(reply, 404, 'Import result not found', ['An import result is kept for 15 minutes, for the session that uploaded the file only. The tokens list shows what was imported.'], { href: '/admin/tokens', label: 'Back to tokens' });
    }
    const { filterQuery } = listFiltersOf(request);
    return renderPage(reply, './import-result', { title: result.report.dryRun ? 'Dry run result' : 'Import result', report: result.report, canImportNow: result.canImportNow, id: request.params.id, filterQuery });
  });

  // "Import now" after a dry run: the kept upload, run for real (once); its result is a new page.
  app.post<{ Params: { id: string } }>('/tokens/import/:id', async (request, reply) => {
    const { account, actor } = adminOf(request);
    let id: string;
    try {
      id = await importResults.importNow(actor, account, bindingOf(request), request.params.id.slice(0, 64));
    } catch (error) {
      if (!(error instanceof ServiceError)) throw error;
      return renderMessage(reply, error.status, 'Nothing was imported', [sentence(error.message)], { href: '/admin/tokens#import', label: 'Back to tokens' });
    }
    return seeOther(reply, `/admin/tokens/import/${id}${listFiltersOf(request).filterQuery}`);
  });
}
