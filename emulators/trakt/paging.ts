// Trakt pagination (`page`, `limit`, X-Pagination-* headers) and the `start_at`/`end_at` filters.
// "Pagination Optional" endpoints return everything unless page or limit is given; paginated
// ones default to page 1 with 10 items. A page or limit that is not a positive integer → 400.
import { errorReply, type Reply } from './reply.ts';

export type PagingMode = 'optional' | 'always';

export interface Page<T> {
  items: T[];
  headers: Record<string, string>;
}

function positiveInt(params: URLSearchParams, name: string): number | undefined | Reply {
  const raw = params.get(name);
  if (raw === null) return undefined;
  if (!/^\d+$/.test(raw.trim()) || Number(raw) < 1) {
    return errorReply(400, 'invalid_parameter', `${name} must be a positive integer, got "${raw}"`);
  }
  return Number(raw);
}

export function paginate<T>(items: T[], params: URLSearchParams, mode: PagingMode): Page<T> | Reply {
  const page = positiveInt(params, 'page');
  if (typeof page === 'object') return page;
  const limit = positiveInt(params, 'limit');
  if (typeof limit === 'object') return limit;
  if (mode === 'optional' && page === undefined && limit === undefined) return { items, headers: {} };
  const pageNumber = page ?? 1;
  const size = limit ?? 10;
  const start = (pageNumber - 1) * size;
  return {
    items: items.slice(start, start + size),
    headers: {
      'X-Pagination-Page': String(pageNumber),
      'X-Pagination-Limit': String(size),
      'X-Pagination-Page-Count': String(Math.ceil(items.length / size)),
      'X-Pagination-Item-Count': String(items.length),
    },
  };
}

export function isReply(value: unknown): value is Reply {
  return typeof value === 'object' && value !== null && 'status' in value && 'body' in value && 'headers' in value;
}

/**
 * `start_at` / `end_at`: a date (`2026-11-01`, midnight UTC) or a full ISO time; both bounds
 * inclusive. Returns a predicate over ISO strings, or a 400.
 */
export function timeFilter(params: URLSearchParams): ((iso: string) => boolean) | Reply {
  const bounds: Array<number | undefined> = [];
  for (const name of ['start_at', 'end_at']) {
    const raw = params.get(name);
    if (raw === null || raw.trim() === '') {
      bounds.push(undefined);
      continue;
    }
    const text = raw.trim();
    const ms = /^\d{4}-\d{2}-\d{2}$/.test(text) ? Date.parse(`${text}T00:00:00.000Z`) : Date.parse(text);
    if (!Number.isFinite(ms) || !/^\d{4}-\d{2}-\d{2}/.test(text)) {
      return errorReply(400, 'invalid_parameter', `${name} must be a date (YYYY-MM-DD) or an ISO-8601 time, got "${raw}"`);
    }
    bounds.push(ms);
  }
  const [start, end] = bounds;
  return (iso) => {
    const at = Date.parse(iso);
    return (start === undefined || at >= start) && (end === undefined || at <= end);
  };
}
