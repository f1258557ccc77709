// What each API route takes and answers, declared once: api.ts validates its inputs with these
// zod schemas and openapi.ts turns the same schemas (inputs and outputs) into the OpenAPI
// document, so the document cannot drift from what the server checks. Output schemas are loose
// objects (extra fields allowed): they describe what a client can rely on, and a field added
// later (e.g. trigger health on a pair) does not make older clients' schemas wrong.
import { z } from 'zod';

const limitSchema = z.coerce.number().int().min(1).max(1000).default(20);

export const runsQuery = z.strictObject({ limit: limitSchema, pair: z.string().min(1).optional() });
export const idParam = z.coerce.number().int().positive();
export const itemsQuery = z.strictObject({ q: z.string().trim().min(1, 'q: a title substring or canonical key is required'), limit: limitSchema });
// An empty body is a real run; `{ "dryRun": true }` plans only.
export const runBody = z.strictObject({ dryRun: z.boolean().default(false) });
export const positionsQuery = z.strictObject({
  user: z.string().min(1).optional().describe('only this user’s providers (`users:` in playhead.yaml)'),
  provider: z.string().min(1).optional().describe('only this provider'),
  outOfStep: z
    .enum(['0', '1', 'true', 'false'])
    .default('0')
    .transform((v) => v === '1' || v === 'true')
    .describe('1: only items whose two sides differ on some pair by more than its delta (or in watched)'),
  limit: z.coerce.number().int().min(1).max(1000).default(50),
  offset: z.coerce.number().int().min(0).default(0).describe('items to skip; a page with more after it says `nextOffset`'),
});

const error = z.looseObject({ error: z.string() });
const counts = z.record(z.string(), z.number().int());
const position = z.looseObject({
  progressMs: z.number().optional(),
  progressPct: z.number().optional(),
  durationMs: z.number().optional(),
  progressAt: z.number().optional().describe('when it was played, epoch ms'),
  watched: z.boolean().optional(),
});
const decision = z.looseObject({
  key: z.string(),
  title: z.string(),
  type: z.string(),
  action: z.string(),
  reason: z.string(),
  source: position,
  target: position.optional(),
  detail: z.record(z.string(), z.unknown()).optional(),
});
const run = z.looseObject({
  id: z.number().int(),
  pair: z.string(),
  source: z.string(),
  target: z.string(),
  dryRun: z.boolean(),
  startedAt: z.number(),
  finishedAt: z.number().optional(),
  status: z.enum(['running', 'ok', 'partial', 'failed', 'interrupted']),
  counts,
  error: z.string().optional(),
  trigger: z.string().optional(),
});
const externalIds = z.looseObject({ imdb: z.string().optional(), tmdb: z.string().optional(), tvdb: z.string().optional() });
const pair = z.looseObject({
  name: z.string(),
  mode: z.enum(['one-way', 'two-way']),
  source: z.looseObject({ provider: z.string(), kind: z.string().optional() }),
  target: z.looseObject({ provider: z.string(), kind: z.string().optional() }),
  progress: z.looseObject({ enable: z.boolean(), deltaSeconds: z.number() }),
  schedule: z.union([z.looseObject({ cron: z.string() }), z.looseObject({ everyMs: z.number() })]).optional(),
  state: z.string().optional(),
  nextRunAt: z.string().optional(),
  lastRun: run.optional(),
});
const itemPositions = z.looseObject({
  key: z.string().describe('canonical key, e.g. movie:imdb:tt0111161'),
  item: z.looseObject({
    type: z.string(),
    title: z.string(),
    year: z.number().int().optional(),
    ids: externalIds,
    show: z.looseObject({ ids: externalIds, title: z.string().optional() }).optional(),
    season: z.number().int().optional(),
    episode: z.number().int().optional(),
  }),
  positions: z.array(
    position.extend({
      provider: z.string(),
      ref: z.string().describe('the item’s id on that provider'),
      observedAt: z.number().optional().describe('start of the run that read it, epoch ms'),
    }),
  ),
  outOfStep: z.array(z.string()).describe('pairs whose two sides differ on this item'),
});
const runOutcome = z.looseObject({
  pair: z.string(),
  trigger: z.string(),
  dryRun: z.boolean(),
  runId: z.number().int().optional(),
  status: z.string(),
  counts,
  error: z.string().optional(),
  decisions: z.array(decision),
});

type Schema = z.ZodType;

export interface RouteSpec {
  method: 'get' | 'post';
  /** OpenAPI path syntax (`{id}`); api.ts mounts the hono form (`:id`). */
  path: string;
  summary: string;
  query?: z.ZodObject;
  params?: Record<string, Schema>;
  body?: Schema;
  /** Status → JSON body schema; `text` for non-JSON answers (metrics, SSE). */
  responses: Record<number, Schema | { text: string; description: string }>;
  /** The health checks and the document itself need no token. */
  open?: boolean;
}

/** Every route of the API, in the order the document lists them. */
export const ROUTES = {
  healthz: {
    method: 'get',
    path: '/healthz',
    summary: 'Liveness: the process answers',
    open: true,
    responses: { 200: z.looseObject({ ok: z.literal(true) }) },
  },
  readyz: {
    method: 'get',
    path: '/readyz',
    summary: 'Readiness: the state database is recovered and the scheduler started',
    open: true,
    responses: { 200: z.looseObject({ ready: z.literal(true) }), 503: z.looseObject({ ready: z.literal(false), error: z.string() }) },
  },
  metrics: {
    method: 'get',
    path: '/metrics',
    summary: 'Prometheus metrics',
    responses: { 200: { text: 'text/plain', description: 'Prometheus text exposition format' } },
  },
  openapi: { method: 'get', path: '/api/openapi.json', summary: 'This document', responses: { 200: z.record(z.string(), z.unknown()) } },
  pairs: {
    method: 'get',
    path: '/api/pairs',
    summary: 'Configured pairs (no secrets), their last and next run',
    responses: { 200: z.looseObject({ pairs: z.array(pair) }) },
  },
  runs: {
    method: 'get',
    path: '/api/runs',
    summary: 'Recent runs, newest first',
    query: runsQuery,
    responses: { 200: z.looseObject({ runs: z.array(run) }), 400: error },
  },
  run: {
    method: 'get',
    path: '/api/runs/{id}',
    summary: 'One run and its decisions',
    params: { id: idParam },
    responses: { 200: z.looseObject({ run, decisions: z.array(decision) }), 400: error, 404: error },
  },
  items: {
    method: 'get',
    path: '/api/items',
    summary: 'Every decision about items matching q (what `playhead explain` prints)',
    query: itemsQuery,
    responses: {
      200: z.looseObject({ decisions: z.array(decision.extend({ runId: z.number().int(), pair: z.string(), explanation: z.string() })) }),
      400: error,
    },
  },
  pending: {
    method: 'get',
    path: '/api/pending',
    summary: 'Items waiting for another try, per pair',
    responses: { 200: z.looseObject({ pending: z.array(z.looseObject({ pair: z.string(), key: z.string(), title: z.string(), kind: z.string() })) }) },
  },
  positions: {
    method: 'get',
    path: '/api/positions',
    summary: 'Each item’s position on every provider, from the last reads, the most recently played first',
    query: positionsQuery,
    responses: { 200: z.looseObject({ items: z.array(itemPositions), nextOffset: z.number().int().optional() }), 400: error },
  },
  runPair: {
    method: 'post',
    path: '/api/pairs/{name}/run',
    summary: 'Run a pair now (or plan only, with dryRun); answers when the run has ended',
    params: { name: z.string() },
    body: runBody,
    responses: { 200: z.looseObject({ run: runOutcome }), 400: error, 404: error, 409: error, 503: error },
  },
  undo: {
    method: 'post',
    path: '/api/runs/{id}/undo',
    summary: 'Undo a run’s writes (or show what it would restore, with dryRun)',
    params: { id: idParam },
    body: runBody,
    responses: {
      200: z.looseObject({
        undo: z.looseObject({ of: z.number().int(), pair: z.string(), dryRun: z.boolean(), status: z.string(), counts, decisions: z.array(decision) }),
      }),
      400: error,
      409: error,
      503: error,
    },
  },
  events: {
    method: 'get',
    path: '/api/events',
    summary: 'Server-Sent Events: run started/finished, decisions',
    responses: { 200: { text: 'text/event-stream', description: 'one event per line group; `event:` is the type, `data:` its JSON' } },
  },
} satisfies Record<string, RouteSpec>;
