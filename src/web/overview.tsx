// Overview (`/`): every pair as a card (its two sides, mode, schedule, last and next run, the
// triggers that start item runs and their health) with "Sync now" and "Dry run", the recent runs,
// and the live activity feed app.js fills from /live. `POST /pairs/NAME/run` runs a pair through
// the scheduler exactly as `POST /api/pairs/NAME/run` does: without JavaScript it redirects back
// here with a line saying how the run ended; app.js posts with `Accept: application/json` instead
// and shows the answer in the feed.
import type { Context, Hono } from 'hono';
import type { FC } from 'hono/jsx';
import type { PairConfig } from '../core/pair.ts';
import { byReasonOrder, reasonLabel, REASON_TABLE } from '../core/reasons.ts';
import type { RunOutcome } from '../serve/runner.ts';
import { RunRefusedError } from '../serve/scheduler.ts';
import type { RunRow } from '../store/store.ts';
import type { DashboardContext } from './context.ts';
import { Counts, Notice, Scroll, scheduleText, When } from './format.tsx';
import { renderPage } from './render.tsx';
import { csrfToken } from './security.ts';

const RECENT_RUNS = 15;
const RUN_STATUSES = new Set(['ok', 'partial', 'failed', 'interrupted', 'skipped', 'running']);

const RunLink: FC<{ run: RunRow }> = ({ run }) => (
  <a href={`/runs/${run.id}`}>
    {`#${run.id}`}
    {run.dryRun ? ' (dry run)' : ''}
  </a>
);

const PairCard: FC<{ ctx: DashboardContext; pair: PairConfig; csrf: string }> = ({ ctx, pair, csrf }) => {
  const { config, scheduler, store } = ctx;
  const timing = scheduler.timing(pair.name);
  const last = store.runs({ pair: pair.name, limit: 1 })[0];
  const kind = (provider: string) => config.providers[provider]?.kind ?? '?';
  const triggers = (pair.mode === 'two-way' ? [pair.source, pair.target] : [pair.source]).flatMap((provider) =>
    ctx.triggerHealth(provider).map((t) => ({ provider, ...t })),
  );
  const headingId = `pair-${pair.name}`;
  return (
    <section class="pair card" data-pair={pair.name} aria-labelledby={headingId}>
      <h2 id={headingId}>{pair.name}</h2>
      <p class="route">
        <span>{`${pair.source} (${kind(pair.source)})`}</span>
        <span aria-hidden="true">{pair.mode === 'two-way' ? ' ⇄ ' : ' → '}</span>
        <span class="visually-hidden">{pair.mode === 'two-way' ? ' and ' : ' to '}</span>
        <span>{`${pair.target} (${kind(pair.target)})`}</span>
      </p>
      <dl class="facts">
        <dt>Mode</dt>
        <dd>{pair.mode}</dd>
        <dt>Schedule</dt>
        <dd>{scheduleText(timing?.schedule)}</dd>
        <dt>Now</dt>
        <dd class={`phase phase-${timing?.phase ?? 'idle'}`}>{timing?.phase ?? 'idle'}</dd>
        <dt>Last run</dt>
        <dd>
          {last ? (
            <>
              <RunLink run={last} /> <span class={`status status-${last.status}`}>{last.status}</span> <When at={last.finishedAt ?? last.startedAt} />
              <div>
                <Counts counts={last.counts} />
              </div>
            </>
          ) : (
            'none yet'
          )}
        </dd>
        <dt>Next run</dt>
        <dd>
          <When at={timing?.nextRunAt} />
        </dd>
        <dt>Triggers</dt>
        <dd>
          {triggers.length === 0 ? (
            'none: runs on its schedule'
          ) : (
            <ul class="triggers">
              {triggers.map((t) => (
                <li>
                  <span class={`health health-${t.state}`}>{t.state}</span>
                  {` ${t.name} (${t.provider}), last event `}
                  <When at={t.lastEventAt} />
                  {t.reconnects > 0 ? `, ${t.reconnects} reconnects` : ''}
                </li>
              ))}
            </ul>
          )}
        </dd>
      </dl>
      <form method="post" action={`/pairs/${encodeURIComponent(pair.name)}/run`} class="run-form" data-live="run">
        <input type="hidden" name="csrf" value={csrf} />
        <button type="submit" name="dryRun" value="0">
          Sync now
        </button>
        <button type="submit" name="dryRun" value="1" class="secondary">
          Dry run
        </button>
      </form>
    </section>
  );
};

const Pairs: FC<{ ctx: DashboardContext; csrf: string }> = ({ ctx, csrf }) => (
  <div id="pairs" class="cards">
    {ctx.config.pairs.length === 0 ? <p>No pairs are configured.</p> : ctx.config.pairs.map((pair) => <PairCard ctx={ctx} pair={pair} csrf={csrf} />)}
  </div>
);

const RecentRuns: FC<{ runs: RunRow[] }> = ({ runs }) => (
  <Scroll label="Recent runs">
    <table id="runs">
      <caption>Recent runs</caption>
      <thead>
        <tr>
          <th scope="col">Run</th>
          <th scope="col">Pair</th>
          <th scope="col">Started by</th>
          <th scope="col">Status</th>
          <th scope="col">When</th>
          <th scope="col">Decisions</th>
        </tr>
      </thead>
      <tbody>
        {runs.map((r) => (
          <tr>
            <td>
              <RunLink run={r} />
            </td>
            <td>{r.pair}</td>
            <td>{r.trigger ?? 'command line'}</td>
            <td>
              <span class={`status status-${r.status}`}>{r.status}</span>
            </td>
            <td>
              <When at={r.startedAt} />
            </td>
            <td>
              <Counts counts={r.counts} />
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  </Scroll>
);

/** The line a run's redirect asks for, built from known words only (a crafted link cannot make the page say anything else). */
function runNotice(ctx: DashboardContext, q: Record<string, string>): { text: string; error: boolean } | undefined {
  const pair = ctx.config.pairs.find((p) => p.name === q.pair)?.name;
  if (!pair) return undefined;
  if (q.refused === 'busy') return { text: `${pair} is already queued or running: runs of one pair never overlap.`, error: true };
  if (q.refused === 'stopping') return { text: 'serve is stopping: no new runs.', error: true };
  if (!q.status || !RUN_STATUSES.has(q.status)) return undefined;
  const counts = (q.counts ?? '')
    .split(',')
    .map((part) => /^([a-z_]+):(\d+)$/.exec(part))
    .filter((m): m is RegExpExecArray => m !== null && Object.hasOwn(REASON_TABLE, m[1] ?? ''))
    .sort((a, b) => byReasonOrder(a[1] ?? '', b[1] ?? ''))
    .map((m) => `${reasonLabel(m[1] ?? '')} ${m[2]}`);
  const run = /^\d+$/.test(q.run ?? '') ? ` #${q.run}` : '';
  const what = q.dry === '1' ? 'Dry run' : 'Run';
  return { text: `${what}${run} of ${pair}: ${q.status}${counts.length > 0 ? ` (${counts.join(', ')})` : ''}.`, error: q.status === 'failed' };
}

/** Where a finished run sends a page without JavaScript. */
function noticeUrl(o: RunOutcome): string {
  const q = new URLSearchParams({ pair: o.pair, status: o.status });
  if (o.runId !== undefined) q.set('run', String(o.runId));
  if (o.dryRun) q.set('dry', '1');
  const counts = Object.entries(o.counts).map(([r, n]) => `${r}:${n}`);
  if (counts.length > 0) q.set('counts', counts.join(','));
  return `/?${q}`;
}

const wantsJson = (c: Context) => (c.req.header('accept') ?? '').includes('application/json');

export function registerOverview(app: Hono, ctx: DashboardContext): void {
  app.get('/', (c) => {
    const csrf = csrfToken(c, ctx);
    // app.js refreshes the cards and the runs after a run with this fragment instead of reloading the page.
    if (c.req.query('fragment') === 'pairs')
      return c.html(
        String(
          <>
            <Pairs ctx={ctx} csrf={csrf} />
            <RecentRuns runs={ctx.store.runs({ limit: RECENT_RUNS })} />
          </>,
        ),
      );
    const notice = runNotice(ctx, c.req.query());
    return renderPage(
      c,
      { title: 'Overview', section: 'overview', csrf },
      <>
        <Notice text={notice?.text} error={notice?.error ?? false} />
        <Pairs ctx={ctx} csrf={csrf} />
        <section aria-labelledby="activity-heading" class="card">
          <h2 id="activity-heading">Activity</h2>
          <p class="muted" id="activity-hint">
            Runs, decisions and triggers as they happen (needs JavaScript).
          </p>
          <ol id="activity" aria-live="polite" aria-describedby="activity-hint"></ol>
        </section>
        <RecentRuns runs={ctx.store.runs({ limit: RECENT_RUNS })} />
        {ctx.token !== undefined ? (
          <form method="post" action="/logout" class="logout">
            <input type="hidden" name="csrf" value={csrf} />
            <button type="submit" class="secondary">
              Sign out
            </button>
          </form>
        ) : (
          ''
        )}
      </>,
    );
  });

  app.post('/pairs/:name/run', async (c) => {
    const name = c.req.param('name');
    if (!ctx.config.pairs.some((p) => p.name === name)) return c.text(`no pair named "${name}"`, 404);
    const body = await c.req.parseBody();
    const dryRun = body.dryRun === '1' || c.req.query('dryRun') === '1';
    let outcome: RunOutcome;
    try {
      // Through the scheduler, as the API does: runs never overlap; the answer waits for the run's end.
      outcome = await ctx.scheduler.request({ pair: name, trigger: 'api', dryRun });
    } catch (err) {
      if (!(err instanceof RunRefusedError)) throw err;
      if (wantsJson(c)) return c.json({ error: err.message }, err.why === 'busy' ? 409 : 503);
      return c.redirect(`/?${new URLSearchParams({ pair: name, refused: err.why })}`, 303);
    }
    if (wantsJson(c)) {
      const { pair, runId, status, counts, error } = outcome;
      return c.json({ run: { pair, dryRun, status, counts, ...(runId !== undefined ? { runId } : {}), ...(error !== undefined ? { error } : {}) } });
    }
    return c.redirect(noticeUrl(outcome), 303);
  });
}
