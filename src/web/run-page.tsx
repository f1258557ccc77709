// Run (`/runs/ID`): a run's decisions as a table (one page at a time), filtered by reason and
// searched by title with a GET form, each row linking to its item; and its undo: "Preview undo"
// posts a dry run of the engine's undoRun (inside scheduler.exclusive, as `POST /api/runs/ID/undo`
// does) and shows what would be put back, with the form that really undoes it.
import type { Context, Hono } from 'hono';
import type { FC } from 'hono/jsx';
import { z } from 'zod';
import { explainDecision } from '../core/explain.ts';
import type { TypedDecision } from '../core/pipeline.ts';
import { byReasonOrder, reasonLabel, REASON_TABLE } from '../core/reasons.ts';
import { undoRun, UndoUsageError, type UndoResult } from '../engine/undo.ts';
import { RunRefusedError } from '../serve/scheduler.ts';
import type { RunRow } from '../store/store.ts';
import type { DashboardContext } from './context.ts';
import { Chip, Counts, itemHref, Notice, positionText, Scroll, When } from './format.tsx';
import { renderPage } from './render.tsx';
import { csrfToken } from './security.ts';

const PAGE_SIZE = 200;

const runQuery = z.object({
  reason: z.string().max(40).optional().catch(undefined),
  q: z.string().max(200).optional().catch(undefined),
  offset: z.coerce.number().int().min(0).max(10_000_000).catch(0).default(0),
  undone: z.string().regex(/^\d+$/).optional().catch(undefined),
});
const runId = z.coerce.number().int().positive();

const DecisionRows: FC<{ decisions: TypedDecision[]; dryRun: boolean }> = ({ decisions, dryRun }) => (
  <>
    {decisions.map((d) => (
      <tr>
        <th scope="row">
          <a href={itemHref(d.key)}>{d.title}</a>
        </th>
        <td>
          <Chip reason={d.reason} />
        </td>
        <td>{explainDecision(d, dryRun)}</td>
        <td>{positionText(d.source)}</td>
        <td>{positionText(d.target)}</td>
      </tr>
    ))}
  </>
);

const DecisionTable: FC<{ id: string; caption: string; decisions: TypedDecision[]; dryRun: boolean }> = ({ id, caption, decisions, dryRun }) => (
  <Scroll label={caption}>
    <table id={id}>
      <caption>{caption}</caption>
      <thead>
        <tr>
          <th scope="col">Item</th>
          <th scope="col">Reason</th>
          <th scope="col">In words</th>
          <th scope="col">Source</th>
          <th scope="col">Target</th>
        </tr>
      </thead>
      <tbody>
        <DecisionRows decisions={decisions} dryRun={dryRun} />
      </tbody>
    </table>
  </Scroll>
);

const RunFacts: FC<{ run: RunRow }> = ({ run }) => (
  <dl class="facts card">
    <dt>Pair</dt>
    <dd>{`${run.pair}: ${run.source} → ${run.target}`}</dd>
    <dt>Started by</dt>
    <dd>{run.trigger ?? 'command line'}</dd>
    <dt>Status</dt>
    <dd>
      <span class={`status status-${run.status}`}>{run.status}</span>
      {run.dryRun ? ' (dry run: nothing was written)' : ''}
      {run.error ? `: ${run.error}` : ''}
    </dd>
    <dt>Started</dt>
    <dd>
      <When at={run.startedAt} />
    </dd>
    <dt>Finished</dt>
    <dd>
      <When at={run.finishedAt} />
    </dd>
    <dt>Decisions</dt>
    <dd>
      <Counts counts={run.counts} />
    </dd>
  </dl>
);

const UndoForm: FC<{ run: RunRow; csrf: string; confirm: boolean }> = ({ run, csrf, confirm }) => (
  <form method="post" action={`/runs/${run.id}/undo`} class="undo-form">
    <input type="hidden" name="csrf" value={csrf} />
    {confirm ? '' : <input type="hidden" name="dryRun" value="1" />}
    <button type="submit" class={confirm ? 'danger' : 'secondary'}>
      {confirm ? 'Undo this run' : 'Preview undo'}
    </button>
  </form>
);

function undoSummary(result: UndoResult): string {
  const counts = Object.entries(result.counts).map(([r, n]) => `${reasonLabel(r)} ${n}`);
  return `${counts.length > 0 ? counts.join(', ') : 'nothing to put back'}${result.skipped.length > 0 ? `; ${result.skipped.length} writes never landed` : ''}`;
}

export function registerRun(app: Hono, ctx: DashboardContext): void {
  const { store } = ctx;
  const notFound = (c: Context, csrf: string, what: string) => renderPage(c, { title: 'Not found', section: 'none', csrf, status: 404 }, <p>{what}</p>);

  app.get('/runs/:id', (c) => {
    const csrf = csrfToken(c, ctx);
    const id = runId.safeParse(c.req.param('id'));
    const run = id.success ? store.run(id.data) : undefined;
    if (!run) return notFound(c, csrf, `No run #${c.req.param('id')}.`);
    const q = runQuery.parse(c.req.query());
    const reason = q.reason && Object.hasOwn(REASON_TABLE, q.reason) ? q.reason : undefined;
    const title = q.q?.trim() || undefined;
    const page = store.runDecisions(run.id, { ...(reason ? { reason } : {}), ...(title ? { title } : {}), limit: PAGE_SIZE, offset: q.offset });
    const more = new URLSearchParams({ ...(reason ? { reason } : {}), ...(title ? { q: title } : {}), offset: String(q.offset + PAGE_SIZE) });
    const reasons = Object.keys(REASON_TABLE).sort(byReasonOrder);
    return renderPage(
      c,
      { title: `Run #${run.id}`, section: 'none', csrf },
      <>
        <Notice text={q.undone !== undefined ? `This run undid run #${q.undone}.` : undefined} />
        <RunFacts run={run} />
        <form method="get" action={`/runs/${run.id}`} class="filters">
          <label for="reason">Reason</label>
          <select id="reason" name="reason">
            <option value="">any</option>
            {reasons.map((r) => (
              <option value={r} selected={r === reason}>
                {reasonLabel(r)}
              </option>
            ))}
          </select>
          <label for="q">Title</label>
          <input id="q" name="q" type="search" value={title ?? ''} />
          <button type="submit">Filter</button>
        </form>
        <DecisionTable id="decisions" caption={`Decisions${reason || title ? ' (filtered)' : ''}`} decisions={page.decisions} dryRun={run.dryRun} />
        {page.decisions.length === 0 ? <p>No decisions match.</p> : ''}
        {page.more ? (
          <p>
            <a href={`/runs/${run.id}?${more}`} rel="next">
              Next {PAGE_SIZE} decisions
            </a>
          </p>
        ) : (
          ''
        )}
        {run.dryRun || run.status === 'running' ? (
          ''
        ) : (
          <section aria-labelledby="undo-heading" class="card">
            <h2 id="undo-heading">Undo</h2>
            <p>Puts back what this run wrote, where the target still holds it. Preview first: nothing is written until you confirm.</p>
            <UndoForm run={run} csrf={csrf} confirm={false} />
          </section>
        )}
      </>,
    );
  });

  app.post('/runs/:id/undo', async (c) => {
    const csrf = csrfToken(c, ctx);
    const id = runId.safeParse(c.req.param('id'));
    const run = id.success ? store.run(id.data) : undefined;
    if (!run) return notFound(c, csrf, `No run #${c.req.param('id')}.`);
    const dryRun = (await c.req.parseBody()).dryRun === '1';
    let result: UndoResult;
    try {
      // In line with the pair runs, as the API's undo: an undo writes to a target too.
      result = await ctx.scheduler.exclusive(() =>
        undoRun({ config: ctx.config, store, log: ctx.log, runId: run.id, dryRun, signal: ctx.signal, trigger: 'api' }),
      );
    } catch (err) {
      if (!(err instanceof UndoUsageError || err instanceof RunRefusedError)) throw err;
      return renderPage(
        c,
        { title: `Undo run #${run.id}`, section: 'none', csrf, status: err instanceof UndoUsageError ? 400 : 503 },
        <Notice text={err.message} error />,
      );
    }
    if (!dryRun && result.runId !== undefined) return c.redirect(`/runs/${result.runId}?undone=${run.id}`, 303);
    return renderPage(
      c,
      { title: dryRun ? `Undo run #${run.id}: preview` : `Undo run #${run.id}`, section: 'none', csrf },
      <>
        <Notice text={`${dryRun ? 'Would do' : 'Done'}: ${undoSummary(result)}.`} />
        <DecisionTable id="undo-preview" caption={dryRun ? 'What undo would do' : 'What undo did'} decisions={result.decisions} dryRun={dryRun} />
        {result.skipped.length > 0 ? (
          <ul class="skipped">
            {result.skipped.map((s) => (
              <li>
                <a href={itemHref(s.key)}>{s.title}</a>
                {`: ${s.why}`}
              </li>
            ))}
          </ul>
        ) : (
          ''
        )}
        {dryRun ? (
          <section aria-labelledby="confirm-heading" class="card">
            <h2 id="confirm-heading">Confirm</h2>
            <p>{`Undo run #${run.id} of ${run.pair} now?`}</p>
            <UndoForm run={run} csrf={csrf} confirm />
          </section>
        ) : (
          ''
        )}
        <p>
          <a href={`/runs/${run.id}`}>Back to run #{run.id}</a>
        </p>
      </>,
    );
  });
}
