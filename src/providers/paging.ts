// Paging a server listing, shared by the media server providers: the first page tells the
// total, the rest are fetched a few at a time and handed out in order.

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
  // A window of PAGE_CONCURRENCY pages ahead of the consumer, no more: the next page is asked
  // for when one is taken, so a slow consumer holds a few pages, never the whole listing.
  const pending: Promise<P>[] = [];
  const ask = (): void => {
    const start = starts[pending.length];
    if (start === undefined) return;
    const page = fetch(start);
    // Nothing is left unobserved if we stop early: a rejection would otherwise be unhandled.
    page.catch(() => {});
    pending.push(page);
  };
  for (let i = 0; i < PAGE_CONCURRENCY; i++) ask();
  for (let i = 0; i < starts.length; i++) {
    const page = await (pending[i] as Promise<P>);
    // Taken: its slot goes to the next page, and the consumer is the only one holding it.
    pending[i] = DONE as Promise<P>;
    ask();
    if (!fresh(page)) return;
    yield page;
  }
}

const DONE: Promise<never> = new Promise<never>(() => {});
