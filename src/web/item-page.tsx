// Item (`/items/KEY`), the `explain` of the CLI as a page: the item's identity, its native id on
// each provider, every decision about it across pairs and runs with the reason in words, the
// journal of writes with the values they replaced, and a timeline of its position per provider.
// Each list is one indexed query with a limit (store.ts, "dashboard").
import type { Hono } from 'hono';
import { displayTitle } from '../core/decide.ts';
import { explainDecision } from '../core/explain.ts';
import type { ItemIdentity, PositionSnapshot } from '../core/model.ts';
import type { DashboardContext } from './context.ts';
import { Chip, percentOf, positionText, Scroll, When } from './format.tsx';
import { renderPage } from './render.tsx';
import { csrfToken } from './security.ts';
import { Timeline, type TimelinePoint } from './timeline.tsx';

const DECISIONS_SHOWN = 200;

interface NativeSide {
  provider: string;
  ref: string;
  at: number | undefined;
  how: string;
  position: PositionSnapshot;
}
const JOURNAL_SHOWN = 100;

export function registerItem(app: Hono, ctx: DashboardContext): void {
  const { config, store } = ctx;
  app.get('/items/:key{.+}', (c) => {
    const csrf = csrfToken(c, ctx);
    const key = c.req.param('key');
    const providers = Object.keys(config.providers);
    const decisions = store.itemDecisions(key, DECISIONS_SHOWN);
    const identity: ItemIdentity | undefined = store.item(key) ?? (decisions[0] ? { type: decisions[0].type, title: decisions[0].title, ids: {} } : undefined);
    if (!identity) return renderPage(c, { title: 'Not found', section: 'none', csrf, status: 404 }, <p>{`No item with the key ${key}.`}</p>);
    const observed = store.itemLastReads(providers, key);
    const journal = store.itemJournal(providers, key, JOURNAL_SHOWN);
    const title = displayTitle(identity);
    // Its id on each provider: from the last read, else (an item no run has read there) from our last write there.
    const sides: NativeSide[] = observed.map((o) => ({ provider: o.provider, ref: o.ref, at: o.observedAt, how: 'read', position: o }));
    for (const j of journal) {
      if (sides.some((s) => s.provider === j.provider)) continue;
      sides.push({
        provider: j.provider,
        ref: j.ref,
        at: j.doneAt ?? j.createdAt,
        how: `written (${j.status})`,
        position: j.status === 'confirmed' ? j.value : j.previous,
      });
    }
    sides.sort((a, b) => a.provider.localeCompare(b.provider));

    const points: TimelinePoint[] = [];
    const add = (provider: string, at: number | undefined, p: PositionSnapshot | undefined) => {
      const percent = p ? percentOf(p) : undefined;
      if (at === undefined || percent === undefined || !providers.includes(provider)) return;
      // The same reading reaches us twice (a run's decision and the observation it stored).
      if (points.some((q) => q.provider === provider && q.at === at)) return;
      points.push({ provider, at, percent, label: positionText(p) });
    };
    const twoWay = new Set(config.pairs.filter((p) => p.mode === 'two-way').map((p) => p.name));
    // A one-way run read its source and the target at its start; a two-way run's sides depend on
    // the direction of each decision, so only its journal and last reads are drawn.
    for (const d of decisions) {
      if (twoWay.has(d.pair)) continue;
      if (!d.pair.startsWith('undo:')) add(d.from, d.at, d.source);
      add(d.to, d.at, d.target);
    }
    for (const j of journal) if (j.status === 'confirmed') add(j.provider, j.doneAt ?? j.createdAt, j.value);
    for (const o of observed) add(o.provider, o.observedAt, o);

    const ids = Object.entries(identity.ids).filter(([, v]) => v !== undefined);
    return renderPage(
      c,
      { title, section: 'none', csrf },
      <>
        <section aria-labelledby="identity-heading" class="card">
          <h2 id="identity-heading">Identity</h2>
          <dl class="facts">
            <dt>Key</dt>
            <dd>
              <code>{key}</code>
            </dd>
            <dt>Type</dt>
            <dd>{identity.type}</dd>
            {identity.year !== undefined ? (
              <>
                <dt>Year</dt>
                <dd>{identity.year}</dd>
              </>
            ) : (
              ''
            )}
            {ids.map(([kind, id]) => (
              <>
                <dt>{kind}</dt>
                <dd>
                  <code>{String(id)}</code>
                </dd>
              </>
            ))}
          </dl>
        </section>
        <section aria-labelledby="positions-heading" class="card">
          <h2 id="positions-heading">On each provider</h2>
          <Scroll label="Native ids and positions">
            <table id="native-ids">
              <thead>
                <tr>
                  <th scope="col">Provider</th>
                  <th scope="col">Native id</th>
                  <th scope="col">Known from</th>
                  <th scope="col">When</th>
                  <th scope="col">Position</th>
                </tr>
              </thead>
              <tbody>
                {sides.map((s) => (
                  <tr data-provider={s.provider}>
                    <th scope="row">{`${s.provider} (${config.providers[s.provider]?.kind ?? '?'})`}</th>
                    <td>
                      <code>{s.ref}</code>
                    </td>
                    <td>{s.how}</td>
                    <td>
                      <When at={s.at} />
                    </td>
                    <td>{positionText(s.position)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </Scroll>
          {sides.length === 0 ? <p>Not seen on any configured provider yet.</p> : ''}
          <Timeline title={title} points={points} />
        </section>
        <section aria-labelledby="decisions-heading">
          <h2 id="decisions-heading">Decisions</h2>
          <Scroll label="Decisions">
            <table id="item-decisions">
              <thead>
                <tr>
                  <th scope="col">Run</th>
                  <th scope="col">Pair</th>
                  <th scope="col">When</th>
                  <th scope="col">Reason</th>
                  <th scope="col">In words</th>
                  <th scope="col">Source</th>
                  <th scope="col">Target</th>
                </tr>
              </thead>
              <tbody>
                {decisions.map((d) => (
                  <tr>
                    <td>
                      <a href={`/runs/${d.runId}`}>{`#${d.runId}`}</a>
                      {d.dryRun ? ' (dry run)' : ''}
                    </td>
                    <td>{d.pair}</td>
                    <td>
                      <When at={d.at} />
                    </td>
                    <td>
                      <Chip reason={d.reason} />
                    </td>
                    <td>{explainDecision(d, d.dryRun)}</td>
                    <td>{positionText(d.source)}</td>
                    <td>{positionText(d.target)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </Scroll>
          {decisions.length === DECISIONS_SHOWN ? <p>{`The newest ${DECISIONS_SHOWN} decisions are shown.`}</p> : ''}
        </section>
        <section aria-labelledby="journal-heading">
          <h2 id="journal-heading">Writes</h2>
          {journal.length === 0 ? (
            <p>Nothing was ever written for this item.</p>
          ) : (
            <Scroll label="Writes">
              <table id="journal">
                <thead>
                  <tr>
                    <th scope="col">Run</th>
                    <th scope="col">Provider</th>
                    <th scope="col">When</th>
                    <th scope="col">Was</th>
                    <th scope="col">Wrote</th>
                    <th scope="col">Outcome</th>
                  </tr>
                </thead>
                <tbody>
                  {journal.map((j) => (
                    <tr>
                      <td>
                        <a href={`/runs/${j.runId}`}>{`#${j.runId}`}</a>
                      </td>
                      <td>{j.provider}</td>
                      <td>
                        <When at={j.doneAt ?? j.createdAt} />
                      </td>
                      <td>{positionText(j.previous)}</td>
                      <td>{positionText(j.value)}</td>
                      <td>
                        <span class={`status status-${j.status}`}>{j.status}</span>
                        {j.error ? `: ${j.error}` : ''}
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </Scroll>
          )}
        </section>
      </>,
    );
  });
}
