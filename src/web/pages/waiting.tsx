// Waiting (`GET /waiting`): the items a pair could not sync yet and tries again later (not found
// on the target, or failing; parked after many failures), with their next try and last error.
// "Retry now" makes one due at once and asks the scheduler for a run of its pair: an item-scoped
// run of that one item when its source id is known (as a trigger would), else the whole pair.
import type { Hono } from 'hono';
import type { FC } from 'hono/jsx';
import { z } from 'zod';
import type { PendingRow } from '../../store/store.ts';
import { Scroll } from '../format.tsx';
import type { DashboardContext } from '../context.ts';
import { renderPage } from '../render.tsx';
import { type CsrfOf, itemHref, Notice, readQuery, When, withQuery } from './common.tsx';

const PAGE_SIZE = 100;
/** What starts the runs this page asks for (the run's `trigger`). */
const TRIGGER = 'dashboard';

const waitingQuery = z.strictObject({
  page: z.coerce.number().int().min(1).max(100_000).default(1),
  retried: z.string().optional(),
  item: z.string().optional(),
});

const retryPath = (row: Pick<PendingRow, 'pair' | 'key'>): string => `/waiting/${encodeURIComponent(row.pair)}/${encodeURIComponent(row.key)}/retry`;

const WaitingTable: FC<{ rows: PendingRow[]; now: number; csrf: string }> = ({ rows, now, csrf }) => (
  <table id="waiting">
    <caption>Items waiting for another try, parked ones first</caption>
    <thead>
      <tr>
        <th scope="col">Item</th>
        <th scope="col">Pair</th>
        <th scope="col">State</th>
        <th scope="col">Tries</th>
        <th scope="col">Next try</th>
        <th scope="col">Last error</th>
        <th scope="col">Action</th>
      </tr>
    </thead>
    <tbody>
      {rows.length === 0 ? (
        <tr>
          <td colspan={7}>Nothing waiting: no unresolved or failing items.</td>
        </tr>
      ) : (
        rows.map((row) => (
          <tr data-key={row.key} data-pair={row.pair}>
            <th scope="row">
              <a href={itemHref(row.key)}>{row.title}</a>
            </th>
            <td>{row.pair}</td>
            <td>
              <span class={`chip state-${row.parked ? 'parked' : row.kind}`}>
                {row.parked ? 'parked' : row.kind === 'unresolved' ? 'not found on the target' : 'failing'}
              </span>
            </td>
            <td>{row.attempts}</td>
            <td>{row.nextAt <= now ? 'next run' : <When at={row.nextAt} />}</td>
            <td class="error">{row.lastError ?? ''}</td>
            <td>
              <form method="post" action={retryPath(row)}>
                <input type="hidden" name="csrf" value={csrf} />
                <button type="submit">Retry now</button>
              </form>
            </td>
          </tr>
        ))
      )}
    </tbody>
  </table>
);

export function registerWaiting(app: Hono, ctx: DashboardContext, csrf: CsrfOf): void {
  app.get('/waiting', (c) => {
    const token = csrf(c);
    const meta = { title: 'Waiting', section: 'waiting' as const, csrf: token };
    const read = readQuery(c, waitingQuery);
    if (!read.ok) return renderPage(c, { ...meta, status: 400 }, <Notice kind="error" text={`Cannot show that: ${read.error}`} />);
    const { page, retried, item } = read.value;
    const rows = ctx.store.pending({ limit: PAGE_SIZE + 1, offset: (page - 1) * PAGE_SIZE });
    const notice =
      retried !== undefined && item !== undefined ? `“${ctx.store.item(item)?.title ?? item}” is due now; a run of ${retried} has been asked for.` : undefined;
    return renderPage(c, meta, [
      notice ? <Notice text={notice} /> : null,
      <Scroll label="Waiting items">
        <WaitingTable rows={rows.slice(0, PAGE_SIZE)} now={ctx.now()} csrf={token} />
      </Scroll>,
      <nav aria-label="Pages" class="pages">
        {page > 1 ? <a href={withQuery('/waiting', { page: page - 1 })}>Previous page</a> : null}
        <span>{`Page ${page}`}</span>
        {rows.length > PAGE_SIZE ? <a href={withQuery('/waiting', { page: page + 1 })}>Next page</a> : null}
      </nav>,
    ]);
  });

  // The CSRF check is app.tsx's middleware, for every POST of the dashboard.
  app.post('/waiting/:pair/:key/retry', (c) => {
    const pairName = c.req.param('pair');
    const key = c.req.param('key');
    const pair = ctx.config.pairs.find((p) => p.name === pairName);
    const row = pair ? ctx.store.retryPendingNow(pair.name, key, ctx.now()) : undefined;
    if (!pair || !row) {
      const text = pair ? `Nothing is waiting for “${key}” on ${pairName}: it may have synced already.` : `There is no pair named “${pairName}”.`;
      return renderPage(c, { title: 'Waiting', section: 'waiting', csrf: csrf(c), status: 404 }, [
        <Notice kind="error" text={text} />,
        <a href="/waiting">Back to Waiting</a>,
      ]);
    }
    // Just this item when the id it had on a side the pair reads from is known (either side of a
    // two-way pair); else the pair runs in full.
    const sides = pair.mode === 'two-way' ? [pair.source, pair.target] : [pair.source];
    const item = sides.flatMap((provider) => {
      const ref = ctx.store.observation(provider, key)?.ref;
      return ref !== undefined ? [{ provider, nativeId: ref }] : [];
    })[0];
    ctx.scheduler.requestItems(pair.name, TRIGGER, item ? [item] : undefined).catch((err: unknown) => {
      ctx.log.error({ pair: pair.name, key, err: err instanceof Error ? err.message : String(err) }, 'retry-now run failed');
    });
    ctx.log.info({ pair: pair.name, key }, 'retry now asked from the dashboard');
    return c.redirect(withQuery('/waiting', { retried: pair.name, item: key }), 303);
  });
}
