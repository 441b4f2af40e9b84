// /admin/tokens: the inventory with a status filter, paged with its total, and the seed-file import form
// (behind a button at the top) and its report.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { isTokenStatus } from '../core/token-status.js';
import { ServiceError } from '../services/errors.js';
import type { ImportReport } from '../services/import-service.js';
import { csrfTokensEqual } from '../services/session-service.js';
import { adminOf } from './admin-guard.js';
import { SHOWN_TOKEN_STATES, shownState, statusLabel } from './forms.js';
import { filterQueryOf, offsetOf, pagerOf } from './pager.js';
import { formatTime, renderPage, sentence } from './render.js';
import { refuseCsrf } from './message-pages.js';
import { type ImportUpload, readImportUpload } from '../web/import-upload.js';

const PAGE_SIZE = 100;

export async function tokenPages(app: FastifyInstance): Promise<void> {
  const { tokens, imports } = app.otpgate;

  async function inventoryPage(request: FastifyRequest, reply: FastifyReply, extra: { report?: ImportReport; importError?: string }, status = 200) {
    const query = request.query as Record<string, unknown>;
    const statusFilter = typeof query.status === 'string' && (isTokenStatus(query.status) || query.status === 'reported_lost' || query.status === 'expired') ? query.status : '';
    const q = typeof query.q === 'string' ? query.q.slice(0, 100) : '';
    // The "unused tokens" report as a filter: tokens in users' hands that signed no one in for N days.
    const unusedDays = typeof query.unusedDays === 'string' && /^[0-9]{1,4}$/.test(query.unusedDays) && Number(query.unusedDays) > 0 ? query.unusedDays : '';
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
        filterQuery: filterQueryOf({ status: statusFilter, q, unusedDays }),
        statuses: SHOWN_TOKEN_STATES,
        shownState,
        status: statusFilter,
        q,
        unusedDays,
        report: extra.report ?? null,
        importError: extra.importError ?? null,
        statusLabel,
        formatTime,
      },
      status,
    );
  }

  app.get('/tokens', (request, reply) => inventoryPage(request, reply, {}));

  // The report is shown in the answer to the POST itself (no redirect): it exists only for this upload.
  // Posting again is harmless: serials already in the inventory are skipped, never overwritten.
  app.post('/tokens/import', { bodyLimit: app.otpgateConfig.importLimitBytes }, async (request, reply) => {
    const { account, actor, csrfToken } = adminOf(request);
    if (!request.isMultipart()) return inventoryPage(request, reply, { importError: 'Send the seed file with the import form.' }, 415);
    let upload: ImportUpload<ImportReport>;
    try {
      upload = await readImportUpload(request, {
        limitBytes: app.otpgateConfig.importLimitBytes,
        // The form puts _csrf before the file, so it is known before a byte of the file is read.
        admit: (fields) => csrfTokensEqual(csrfToken, fields._csrf),
        run: (importRequest) => imports.import(actor, account, importRequest),
      });
    } catch (error) {
      if (!(error instanceof ServiceError)) {
        const code = (error as { code?: unknown }).code;
        if (code === 'FST_REQ_FILE_TOO_LARGE' || code === 'FST_ERR_CTP_BODY_TOO_LARGE') return inventoryPage(request, reply, { importError: 'The file is over the size limit; nothing was imported.' }, 413);
        throw error;
      }
      return inventoryPage(request, reply, { importError: sentence(error.message) }, error.status);
    }
    if (upload.outcome === 'refused' || !csrfTokensEqual(csrfToken, upload.fields._csrf)) return refuseCsrf(reply);
    if (upload.outcome === 'no_file') return inventoryPage(request, reply, { importError: 'Choose a seed file to import.' }, 400);
    return inventoryPage(request, reply, { report: upload.result });
  });
}
