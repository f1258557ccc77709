// The HTTP API of `playhead serve` (hono). It answers from the same places the CLI's `status`,
// `explain` and `undo` do (the Store's runs, decisions and pending rows, core/explain.ts, the
// engine's undoRun), so the two never disagree. Inputs are checked with zod; every error is JSON
// `{ "error": reason }`. No response carries a secret: pairs are shown by provider name and kind,
// never with their provider settings (URLs may embed credentials, tokens are secrets).
import { timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Hono, type Context } from 'hono';
import type { Logger } from 'pino';
import type { z } from 'zod';
import type { Config } from '../config/types.ts';
import { explainDecision } from '../core/explain.ts';
import { undoRun, UndoUsageError } from '../engine/undo.ts';
import type { Store } from '../store/store.ts';
import { streamEvents, type EventBus } from './events.ts';
import { openApiDocument } from './openapi.ts';
import { positionsScope } from './positions.ts';
import { positionsQuery, runsQuery, idParam, itemsQuery, runBody } from './schemas.ts';
import type { TriggerStatus } from './triggers.ts';
import type { ServeMetrics } from './metrics.ts';
import type { RunOutcome } from './runner.ts';
import { RunRefusedError, type Scheduler } from './scheduler.ts';

export interface ApiOptions {
  config: Config;
  store: Store;
  log: Logger;
  scheduler: Scheduler<RunOutcome>;
  events: EventBus;
  metrics: ServeMetrics;
  /** Required as `Authorization: Bearer <token>` on every route but the health checks, when set. */
  token?: string;
  /** Aborted when serve stops: undo's restores in flight finish, no more start; SSE streams end. */
  signal: AbortSignal;
  /** False until the state database is recovered and the scheduler started. */
  ready: () => boolean;
  /** The triggers listening to a provider, with their health. */
  triggerHealth?: (provider: string) => TriggerStatus[];
}

// Package version, for the OpenAPI document's info (read once; package.json ships with the app).
const VERSION = String((JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version?: unknown }).version);

class BadRequest extends Error {}

function parse<T>(schema: z.ZodType<T>, input: unknown, what: string): T {
  const parsed = schema.safeParse(input);
  if (parsed.success) return parsed.data;
  const issues = parsed.error.issues.map((i) => (i.path.length > 0 ? `${i.path.join('.')}: ${i.message}` : i.message));
  throw new BadRequest(`${what}: ${issues.join('; ')}`);
}

async function jsonBody(c: Context): Promise<unknown> {
  const text = await c.req.text();
  if (text.trim() === '') return {};
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new BadRequest('body: must be JSON');
  }
}

/** Compares in constant time, so the token cannot be guessed one character at a time. */
function tokenMatches(header: string | undefined, token: string): boolean {
  const given = Buffer.from(/^Bearer (.+)$/.exec(header ?? '')?.[1] ?? '');
  const wanted = Buffer.from(token);
  return given.length === wanted.length && timingSafeEqual(given, wanted);
}

/** A run's outcome as the API shows it (what `playhead sync --json` shows per run, plus the trigger). */
function outcomeJson(o: RunOutcome) {
  return {
    pair: o.pair,
    trigger: o.trigger,
    dryRun: o.dryRun,
    ...(o.runId !== undefined ? { runId: o.runId } : {}),
    status: o.status,
    counts: o.counts,
    ...(o.error !== undefined ? { error: o.error } : {}),
    decisions: o.decisions,
  };
}

export function createApi(opts: ApiOptions): Hono {
  const { config, store, scheduler } = opts;
  const app = new Hono();

  app.onError((err, c) => {
    if (err instanceof BadRequest || err instanceof UndoUsageError) return c.json({ error: err.message }, 400);
    if (err instanceof RunRefusedError) return c.json({ error: err.message }, err.why === 'busy' ? 409 : 503);
    opts.log.error({ err: err.message, path: c.req.path }, 'API request failed');
    return c.json({ error: err.message }, 500);
  });
  app.notFound((c) => c.json({ error: `no route ${c.req.method} ${c.req.path}` }, 404));

  // Health checks stay open (a container's HEALTHCHECK has no token); they say nothing else.
  app.get('/healthz', (c) => c.json({ ok: true }));
  app.get('/readyz', (c) => (opts.ready() ? c.json({ ready: true }) : c.json({ ready: false, error: 'starting or stopping' }, 503)));

  const token = opts.token;
  if (token !== undefined) {
    app.use('*', async (c, next) => {
      if (!tokenMatches(c.req.header('authorization'), token))
        return c.json({ error: 'missing or wrong API token (Authorization: Bearer <PLAYHEAD_API_TOKEN>)' }, 401);
      await next();
    });
  }

  // Built once: the schemas do not change while serve runs.
  const document = openApiDocument(VERSION);
  app.get('/api/openapi.json', (c) => c.json(document));

  app.get('/metrics', async (c) => c.text(await opts.metrics.registry.metrics(), 200, { 'content-type': opts.metrics.registry.contentType }));

  app.get('/api/pairs', (c) =>
    c.json({
      pairs: config.pairs.map((p) => {
        const timing = scheduler.timing(p.name);
        const lastRun = store.runs({ pair: p.name, limit: 1 })[0];
        return {
          name: p.name,
          mode: p.mode,
          source: { provider: p.source, kind: config.providers[p.source]?.kind },
          target: { provider: p.target, kind: config.providers[p.target]?.kind },
          progress: p.features.progress,
          schedule: timing?.schedule,
          state: timing?.phase,
          ...(timing?.nextRunAt !== undefined ? { nextRunAt: new Date(timing.nextRunAt).toISOString() } : {}),
          ...(lastRun ? { lastRun } : {}),
          // What starts item-scoped runs of this pair: the triggers of the side(s) it reads from.
          triggers: (p.mode === 'two-way' ? [p.source, p.target] : [p.source]).flatMap((provider) =>
            (opts.triggerHealth?.(provider) ?? []).map((t) => ({ provider, ...t })),
          ),
        };
      }),
    }),
  );

  app.get('/api/runs', (c) => {
    const q = parse(runsQuery, c.req.query(), 'query');
    return c.json({ runs: store.runs({ limit: q.limit, ...(q.pair ? { pair: q.pair } : {}) }) });
  });

  app.get('/api/runs/:id', (c) => {
    const id = parse(idParam, c.req.param('id'), 'run id');
    const run = store.run(id);
    if (!run) return c.json({ error: `no run #${id}` }, 404);
    return c.json({ run, decisions: store.decisionsOfRun(id) });
  });

  app.get('/api/items', (c) => {
    const q = parse(itemsQuery, c.req.query(), 'query');
    // The rows `playhead explain` prints, each with the sentence it prints for it.
    const decisions = store.explain(q.q, q.limit).map((d) => ({ ...d, explanation: explainDecision(d, d.dryRun) }));
    return c.json({ decisions });
  });

  app.get('/api/positions', (c) => {
    const q = parse(positionsQuery, c.req.query(), 'query');
    const scope = positionsScope(config, q);
    if ('error' in scope) return c.json({ error: `query: ${scope.error}` }, 400);
    const { providers, pairs } = scope;
    const page = store.positions({ providers, pairs, outOfStepOnly: q.outOfStep, limit: q.limit, offset: q.offset });
    return c.json({ items: page.items, ...(page.more ? { nextOffset: q.offset + q.limit } : {}) });
  });

  app.get('/api/pending', (c) => c.json({ pending: store.pending() }));

  app.post('/api/pairs/:name/run', async (c) => {
    const name = c.req.param('name');
    if (!config.pairs.some((p) => p.name === name)) {
      return c.json({ error: `no pair named "${name}"; configured pairs: ${config.pairs.map((p) => p.name).join(', ')}` }, 404);
    }
    const body = parse(runBody, await jsonBody(c), 'body');
    // The request returns when the run has ended, with what it decided (like `playhead sync --json`).
    const outcome = await scheduler.request({ pair: name, trigger: 'api', dryRun: body.dryRun });
    return c.json({ run: outcomeJson(outcome) });
  });

  app.post('/api/runs/:id/undo', async (c) => {
    const runId = parse(idParam, c.req.param('id'), 'run id');
    const body = parse(runBody, await jsonBody(c), 'body');
    const result = await scheduler.exclusive(() => undoRun({ config, store, log: opts.log, runId, dryRun: body.dryRun, signal: opts.signal, trigger: 'api' }));
    const { startedAt: _s, finishedAt: _f, ...undo } = result;
    return c.json({ undo });
  });

  app.get('/api/events', (c) => streamEvents(c, opts.events, opts.signal));

  return app;
}
