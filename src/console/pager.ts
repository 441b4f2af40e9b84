// Paging a list page: the offset read from the query, and the "X–Y of N" line with Previous and Next links
// that keep the page's filters.
import type { FastifyRequest } from 'fastify';

export interface Pager {
  /** 1-based position of the first row shown (0 when there are none). */
  from: number;
  to: number;
  total: number;
  previousHref: string | null;
  nextHref: string | null;
}

const MAX_OFFSET = 10_000_000;

export function offsetOf(request: FastifyRequest): number {
  const raw = (request.query as Record<string, unknown>).offset;
  const value = Number.parseInt(typeof raw === 'string' ? raw : '0', 10);
  return Number.isSafeInteger(value) ? Math.max(0, Math.min(MAX_OFFSET, value)) : 0;
}

/** `?a=1&b=2` of the non-empty filters ('' when none). */
export function filterQueryOf(filters: Record<string, string>, offset = 0): string {
  const params = new URLSearchParams(Object.entries(filters).filter(([, value]) => value !== ''));
  if (offset > 0) params.set('offset', String(offset));
  const query = params.toString();
  return query ? `?${query}` : '';
}

/** `filters` are the page's query parameters other than the offset (empty values are left out). */
export function pagerOf(path: string, filters: Record<string, string>, offset: number, pageSize: number, shown: number, total: number): Pager {
  const href = (at: number) => `${path}${filterQueryOf(filters, at)}`;
  return {
    from: shown === 0 ? 0 : offset + 1,
    to: offset + shown,
    total,
    previousHref: offset > 0 ? href(Math.max(0, offset - pageSize)) : null,
    nextHref: offset + shown < total ? href(offset + pageSize) : null,
  };
}
