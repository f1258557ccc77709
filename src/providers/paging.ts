// Paging a server listing, shared by the media server providers: the first page tells the
// total, the rest are fetched a few at a time and handed out in order.
import pLimit from 'p-limit';

/** Pages fetched at once once the total is known: latency-bound scans finish several times sooner. */
const PAGE_CONCURRENCY = 3;

export interface Page<T> {
  rows: T[];
  total: number | undefined;
}

/**
 * Yields the pages of a listing in order. Stops on a short or empty page, and drops a page
 * identical to an earlier one (a server that ignores paging would repeat its list forever).
 */
export async function* pagesInOrder<T, P extends Page<T>>(fetch: (start: number) => Promise<P>, pageSize: number, idOf: (row: T) => string): AsyncGenerator<P> {
  const seen = new Set<string>();
  const fresh = (page: P): boolean => {
    if (page.rows.length === 0) return false;
    const signature = page.rows.map(idOf).join(',');
    if (seen.has(signature)) return false;
    seen.add(signature);
    return true;
  };
  const first = await fetch(0);
  if (!fresh(first)) return;
  yield first;
  if (first.rows.length < pageSize) return;
  if (first.total === undefined) {
    // No total: walk on one page at a time until a short page.
    for (let start = pageSize; ; start += pageSize) {
      const page = await fetch(start);
      if (!fresh(page)) return;
      yield page;
      if (page.rows.length < pageSize) return;
    }
  }
  const starts: number[] = [];
  for (let start = pageSize; start < first.total; start += pageSize) starts.push(start);
  const limit = pLimit(PAGE_CONCURRENCY);
  const pending = starts.map((start) => limit(() => fetch(start)));
  // Nothing is left unobserved if we stop early: a rejection would otherwise be unhandled.
  for (const p of pending) p.catch(() => {});
  for (const p of pending) {
    const page = await p;
    if (!fresh(page)) return;
    yield page;
  }
}
