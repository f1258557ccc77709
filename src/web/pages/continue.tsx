// Continue Watching, everywhere (`GET /continue`): one row per item with a position on any
// provider, one column per provider (the position as a time and a bar, the watched flag), the
// item's last decision; GET filters (user, provider, out of step only), sorted by last played,
// paged. `?fragment=table` answers the table alone: app.js swaps it in when a run finishes.
// The rows come from the same Store.positions() as `GET /api/positions`, scoped by the same rule.
import type { Hono } from 'hono';
import type { FC } from 'hono/jsx';
import { z } from 'zod';
import { reasonLabel } from '../../core/reasons.ts';
import { formatDuration } from '../../core/time.ts';
import { positionsScope } from '../../serve/positions.ts';
import type { ItemPositions, StoredDecision } from '../../store/store.ts';
import { Scroll } from '../format.tsx';
import type { DashboardContext } from '../context.ts';
import { renderPage } from '../render.tsx';
import { type CsrfOf, itemHref, itemLabel, Notice, readQuery, When, withQuery } from './common.tsx';

const PAGE_SIZE = 50;

const continueQuery = z.strictObject({
  user: z.string().optional(),
  provider: z.string().optional(),
  outOfStep: z.enum(['1']).optional(),
  sort: z.enum(['newest', 'oldest']).default('newest'),
  page: z.coerce.number().int().min(1).max(100_000).default(1),
  fragment: z.enum(['table']).optional(),
});
type ContinueQuery = z.infer<typeof continueQuery>;

type Position = ItemPositions['positions'][number];

/** A position in words: its time (or percent, for a side that keeps only that). */
function positionText(p: Position): string {
  if (p.progressMs !== undefined) return formatDuration(p.progressMs);
  if (p.progressPct !== undefined) return `${Math.round(p.progressPct)}%`;
  return p.watched ? 'watched' : '—';
}

/** The bar's fraction, when there is a whole to measure against. */
function fraction(p: Position): number | undefined {
  if (p.progressMs !== undefined && p.durationMs) return Math.min(1, p.progressMs / p.durationMs);
  if (p.progressPct !== undefined) return Math.min(1, p.progressPct / 100);
  return undefined;
}

const PositionCell: FC<{ provider: string; title: string; position: Position | undefined }> = ({ provider, title, position }) => {
  if (!position) {
    return (
      <td data-provider={provider} class="empty">
        —
      </td>
    );
  }
  const part = fraction(position);
  return (
    <td data-provider={provider}>
      <span class="time">{positionText(position)}</span>
      {part !== undefined ? (
        <progress max={1000} value={Math.round(part * 1000)} aria-label={`${title} on ${provider}: ${Math.round(part * 100)}%`}>
          {`${Math.round(part * 100)}%`}
        </progress>
      ) : null}
      {/* A watched item with no position already reads "watched". */}
      {position.watched && positionText(position) !== 'watched' ? <span class="flag watched">watched</span> : null}
    </td>
  );
};

const LastDecision: FC<{ itemKey: string; decision: StoredDecision | undefined }> = ({ itemKey, decision }) => (
  <td class="decision">
    {decision ? (
      <a href={itemHref(itemKey)}>
        <span class={`chip reason-${decision.reason}`}>{reasonLabel(decision.reason)}</span> <span class="pair">{decision.pair}</span> <When at={decision.at} />
      </a>
    ) : (
      <a href={itemHref(itemKey)}>no decision yet</a>
    )}
  </td>
);

const lastPlayed = (item: ItemPositions): number | undefined => {
  const times = item.positions.flatMap((p) => (p.progressAt !== undefined ? [p.progressAt] : []));
  return times.length > 0 ? Math.max(...times) : undefined;
};

interface TableProps {
  providers: string[];
  items: ItemPositions[];
  decisions: Map<string, StoredDecision>;
  sort: ContinueQuery['sort'];
}

const PositionsTable: FC<TableProps> = ({ providers, items, decisions, sort }) => (
  <table id="positions">
    <caption>{`Positions by item, ${sort === 'newest' ? 'most recently played first' : 'least recently played first'}`}</caption>
    <thead>
      <tr>
        <th scope="col">Item</th>
        <th scope="col" aria-sort={sort === 'newest' ? 'descending' : 'ascending'}>
          Last played
        </th>
        {providers.map((p) => (
          <th scope="col" data-provider={p}>
            {p}
          </th>
        ))}
        <th scope="col">Last decision</th>
      </tr>
    </thead>
    <tbody>
      {items.length === 0 ? (
        <tr>
          <td colspan={providers.length + 3}>No positions to show.</td>
        </tr>
      ) : (
        items.map((item) => {
          const played = lastPlayed(item);
          const title = itemLabel(item.item);
          return (
            <tr data-key={item.key} class={item.outOfStep.length > 0 ? 'out-of-step' : undefined}>
              <th scope="row">
                <a href={itemHref(item.key)}>{title}</a>
                {item.outOfStep.length > 0 ? <span class="flag apart">{`out of step on ${item.outOfStep.join(', ')}`}</span> : null}
              </th>
              <td>{played !== undefined ? <When at={played} /> : 'never'}</td>
              {providers.map((p) => (
                <PositionCell provider={p} title={title} position={item.positions.find((x) => x.provider === p)} />
              ))}
              <LastDecision itemKey={item.key} decision={decisions.get(item.key)} />
            </tr>
          );
        })
      )}
    </tbody>
  </table>
);

const Filters: FC<{ ctx: DashboardContext; query: ContinueQuery }> = ({ ctx, query }) => (
  <form method="get" action="/continue" class="filters">
    <label for="filter-user">User</label>
    <select id="filter-user" name="user">
      <option value="">All users</option>
      {Object.keys(ctx.config.users ?? {}).map((u) => (
        <option value={u} selected={u === query.user}>
          {u}
        </option>
      ))}
    </select>
    <label for="filter-provider">Provider</label>
    <select id="filter-provider" name="provider">
      <option value="">All providers</option>
      {Object.keys(ctx.config.providers).map((p) => (
        <option value={p} selected={p === query.provider}>
          {p}
        </option>
      ))}
    </select>
    <label for="filter-out-of-step">
      <input id="filter-out-of-step" type="checkbox" name="outOfStep" value="1" checked={query.outOfStep === '1'} /> Out of step only
    </label>
    <label for="filter-sort">Sort by last played</label>
    <select id="filter-sort" name="sort">
      <option value="newest" selected={query.sort === 'newest'}>
        Newest first
      </option>
      <option value="oldest" selected={query.sort === 'oldest'}>
        Oldest first
      </option>
    </select>
    <button type="submit">Show</button>
  </form>
);

export function registerContinue(app: Hono, ctx: DashboardContext, csrf: CsrfOf): void {
  app.get('/continue', (c) => {
    const meta = { title: 'Continue Watching', section: 'continue' as const, csrf: csrf(c) };
    const read = readQuery(c, continueQuery);
    const query: ContinueQuery = read.ok ? read.value : { sort: 'newest', page: 1 };
    const scope = read.ok ? positionsScope(ctx.config, query) : { error: read.error };
    if ('error' in scope) {
      return renderPage(c, { ...meta, status: 400 }, [<Notice kind="error" text={`Cannot show that: ${scope.error}`} />, <Filters ctx={ctx} query={query} />]);
    }
    const offset = (query.page - 1) * PAGE_SIZE;
    const page = ctx.store.positions({ ...scope, outOfStepOnly: query.outOfStep === '1', limit: PAGE_SIZE, offset, order: query.sort });
    const decisions = ctx.store.lastDecisions(page.items.map((i) => i.key));
    const table = <PositionsTable providers={scope.providers} items={page.items} decisions={decisions} sort={query.sort} />;
    if (query.fragment === 'table') return c.html(String(table));
    const link = (n: number) => withQuery('/continue', { user: query.user, provider: query.provider, outOfStep: query.outOfStep, sort: query.sort, page: n });
    return renderPage(c, meta, [
      <Filters ctx={ctx} query={query} />,
      <Scroll label="Positions by provider">{table}</Scroll>,
      <nav aria-label="Pages" class="pages">
        {query.page > 1 ? <a href={link(query.page - 1)}>Previous page</a> : null}
        <span>{`Page ${query.page}`}</span>
        {page.more ? <a href={link(query.page + 1)}>Next page</a> : null}
      </nav>,
    ]);
  });
}
