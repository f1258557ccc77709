// Measuring one runAll(): wall time, the requests every emulator saw (by route, and what they
// count as), decisions, peak RSS and heap; for Trakt, how the writes were spaced.
import { performance } from 'node:perf_hooks';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { BaseRequestLogEntry } from '../emulators/common/control.ts';
import type { PairOutcome } from '../src/engine/run-all.ts';
import { control, type Emulator, type EmulatorKind } from './children.ts';

/** The budget a one-way pair aims for: every request is a page read or a write, plus this many. */
export const BUDGET_SLACK = 2;
/** The same for a two-way pair (both sides are read, both connect, both may be written). */
export const TWO_WAY_BUDGET_SLACK = 4;
/** Decisions not listed by example (the expected outcomes); every other reason gets up to 3 examples. */
export const QUIET_REASONS: ReadonlySet<string> = new Set(['write', 'unchanged']);
/** Two-way, also expected: `capped` writes, and `same_origin` (a side holds what we wrote there). */
export const TWO_WAY_QUIET_REASONS: ReadonlySet<string> = new Set([...QUIET_REASONS, 'capped', 'same_origin']);
/** Trakt's write limit (AUTHED_API_POST_LIMIT): one per second per user. */
const TRAKT_WRITE_GAP_MS = 1000;

/** A full GC, so "heap after GC" is what the run retained, not garbage not yet collected. */
export const forceGc: () => void = (() => {
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as (() => void) | undefined;
  return typeof gc === 'function' ? gc : () => {};
})();

type LogEntry = Pick<BaseRequestLogEntry, 'method' | 'path' | 'query' | 'status' | 'at'>;

// ---- routes --------------------------------------------------------------------------------

type Counts = 'page read' | 'write' | 'overhead';

/**
 * Plex: `GET /library/metadata/1,2,3` → `GET /library/metadata/{ids}`, `/library/sections/2/all`
 * → `…/{id}/all`, with what a listing asks for: section listings `[viewOffset]` (the resumable
 * read), `[lastViewedAt]` (the finish read: finished since the pair's cursor), `[updatedAt]`
 * (index refresh), `[type=N]` (full index scan); metadata `[includeGuids]` (show ids for the
 * resumable and finish reads) or `[state]` (target state, the confirming re-read).
 */
function routeOf(entry: Pick<LogEntry, 'method' | 'path'> & Partial<Pick<LogEntry, 'query'>>): string {
  const path = entry.path
    .replace(/^\/library\/metadata\/[^/]+/, '/library/metadata/{ids}')
    .replace(/^\/library\/sections\/[^/]+\/all$/, '/library/sections/{id}/all');
  let variant = '';
  if (entry.method === 'GET' && entry.query) {
    const q = entry.query;
    if (path === '/library/sections/{id}/all') {
      if ('viewOffset>>' in q) variant = 'viewOffset';
      else if ('lastViewedAt>>' in q) variant = 'lastViewedAt';
      else if ('updatedAt>>' in q) variant = 'updatedAt';
      else variant = `type=${q.type ?? 'any'}`;
    } else if (path === '/library/metadata/{ids}') {
      variant = q.includeGuids === '1' ? 'includeGuids' : 'state';
    }
  }
  return `${entry.method} ${path}${variant ? ` [${variant}]` : ''}`;
}

const isId = (segment: string): boolean =>
  /^[0-9a-f]{32}$/i.test(segment) || /^[0-9a-f]{8}(-[0-9a-f]{4}){3}-[0-9a-f]{12}$/i.test(segment) || /^\d+$/.test(segment);

const ITEM_LISTINGS = new Set(['/Items', '/Users/{id}/Items']);

/**
 * Jellyfin/Emby: ids (GUIDs, Emby's numbers) → `{id}`, Emby's `/emby` prefix dropped, and the
 * item listings told apart by what they ask for: `[Ids]` (items by id), `[IsResumable]` (the
 * source read), `[IsPlayed]` (the finish read: played since the pair's cursor, newest first),
 * `[MinDateLastSaved]` (index refresh), `[IncludeItemTypes=…]` (full index scan).
 */
function mediaBrowserRouteOf(entry: Pick<LogEntry, 'method' | 'path' | 'query'>): string {
  const stripped = entry.path.replace(/^\/emby(?=\/|$)/i, '') || '/';
  const path = stripped
    .split('/')
    .map((s) => (isId(s) ? '{id}' : s))
    .join('/');
  let variant = '';
  if (entry.method === 'GET' && ITEM_LISTINGS.has(path)) {
    const q = new Map(Object.entries(entry.query ?? {}).map(([k, v]) => [k.toLowerCase(), v] as const));
    if (q.get('ids')) variant = 'Ids';
    else if ((q.get('filters') ?? '').split(',').includes('IsResumable')) variant = 'IsResumable';
    else if (q.get('isplayed') === 'true') variant = 'IsPlayed';
    else if (q.get('mindatelastsaved')) variant = 'MinDateLastSaved';
    else variant = `IncludeItemTypes=${q.get('includeitemtypes') ?? 'any'}`;
  }
  return `${entry.method} ${path}${variant ? ` [${variant}]` : ''}`;
}

/** Trakt: numeric ids → `{id}`. */
function traktRouteOf(entry: Pick<LogEntry, 'method' | 'path'>): string {
  const path = entry.path
    .split('/')
    .map((s) => (/^\d+$/.test(s) ? '{id}' : s))
    .join('/');
  return `${entry.method} ${path}`;
}

const PAGE_ROUTES: Record<EmulatorKind, Set<string>> = {
  plex: new Set(['GET /library/sections/{id}/all', 'GET /library/metadata/{ids}']),
  jellyfin: new Set(['GET /Items', 'GET /Users/{id}/Items', 'GET /UserItems/Resume', 'GET /Users/{id}/Items/Resume']),
  emby: new Set(['GET /Items', 'GET /Users/{id}/Items', 'GET /UserItems/Resume', 'GET /Users/{id}/Items/Resume']),
  trakt: new Set([
    'GET /sync/playback',
    'GET /sync/playback/movies',
    'GET /sync/playback/episodes',
    'GET /sync/last_activities',
    'GET /sync/history/movies',
    'GET /sync/history/episodes',
    'GET /sync/history/movies/{id}',
    'GET /sync/history/episodes/{id}',
    'GET /sync/history/shows/{id}',
  ]),
};

/**
 * The page reads that ask the source for what was finished (the `finish` setting): Plex's
 * `lastViewedAt>>=` section listings, Jellyfin/Emby's `IsPlayed` listings, Trakt's
 * `/sync/last_activities` (one small answer that says whether plays moved: counted as the page it
 * replaces) and history pages. The show/series look-ups of finished episodes share their routes
 * with the resumable read's and are not in this count.
 */
const FINISH_READ_ROUTES: Record<EmulatorKind, RegExp> = {
  plex: /^GET \/library\/sections\/\{id\}\/all \[lastViewedAt\]$/,
  jellyfin: /^GET (\/Users\/\{id\})?\/Items \[IsPlayed\]$/,
  emby: /^GET (\/Users\/\{id\})?\/Items \[IsPlayed\]$/,
  trakt: /^GET \/sync\/(last_activities|history(\/.*)?)$/,
};

/** Whether a (2xx) route is a read of the source's finished items. */
export function isFinishRead(kind: EmulatorKind, route: string): boolean {
  return FINISH_READ_ROUTES[kind].test(route);
}

const MB_WRITES = new Set([
  'POST /UserItems/{id}/UserData',
  'POST /Users/{id}/Items/{id}/UserData',
  'DELETE /UserPlayedItems/{id}',
  'DELETE /Users/{id}/PlayedItems/{id}',
  'POST /UserPlayedItems/{id}',
  'POST /Users/{id}/PlayedItems/{id}',
  'POST /Users/{id}/PlayedItems/{id}/Delete',
]);
const WRITE_ROUTES: Record<EmulatorKind, Set<string>> = {
  plex: new Set(['POST /:/timeline', 'PUT /:/unscrobble', 'PUT /:/scrobble']),
  jellyfin: MB_WRITES,
  emby: MB_WRITES,
  trakt: new Set([
    'POST /scrobble/start',
    'POST /scrobble/pause',
    'POST /scrobble/stop',
    'DELETE /sync/playback/{id}',
    'POST /sync/history',
    'POST /sync/history/remove',
  ]),
};

export function routeFor(kind: EmulatorKind, entry: LogEntry): string {
  if (kind === 'plex') return routeOf(entry);
  if (kind === 'trakt') return traktRouteOf(entry);
  return mediaBrowserRouteOf(entry);
}

/**
 * The route with the answer's status when it was not 2xx (`POST /scrobble/pause → 429`): a
 * refused page read or write did not read or write anything, so it counts as overhead.
 */
function routeWithStatus(kind: EmulatorKind, entry: LogEntry): string {
  const route = routeFor(kind, entry);
  return entry.status >= 200 && entry.status < 300 ? route : `${route} → ${entry.status === 0 ? 'reset' : entry.status}`;
}

/** What a route counts as in the budget (a listing's `[variant]` does not change that; a non-2xx answer is overhead). */
export function countsAs(kind: EmulatorKind, route: string): Counts {
  if (/ → \S+$/.test(route)) return 'overhead';
  const bare = route.replace(/ \[[^\]]*\]$/, '');
  if (PAGE_ROUTES[kind].has(bare)) return 'page read';
  if (WRITE_ROUTES[kind].has(bare)) return 'write';
  return 'overhead';
}

// ---- records -------------------------------------------------------------------------------

interface RequestStats {
  total: number;
  byRoute: Record<string, number>;
}

interface ServerStats extends RequestStats {
  kind: EmulatorKind;
  pagesRead: number;
  /** Of pagesRead: the reads of finished items (isFinishRead). */
  finishReads: number;
  writes: number;
  fixedOverhead: number;
  /** Route → what it counts as. */
  countsAs: Record<string, Counts>;
}

export interface WritePacing {
  /** Write requests the server saw, accepted or not (by the emulator's `at`). */
  attempts: number;
  accepted: number;
  /** 429 answers on any route of this server. */
  rateLimited: number;
  /** Smallest gap between two consecutive write attempts / accepted writes (null with fewer than 2). */
  minSpacingMs: number | null;
  minSpacingAcceptedMs: number | null;
  medianSpacingMs: number | null;
  maxSpacingMs: number | null;
  /** First to last write attempt, ms after the run started. */
  firstMs: number | null;
  lastMs: number | null;
  /** Every attempt at least 1 s after the previous one (what the client sent, not what was admitted). */
  atMostOnePerSecond: boolean;
  any429: boolean;
  /** Every write attempt: ms after the run started, the answer's status, ms since the previous attempt. */
  timeline: { ms: number; status: number; gapMs: number | null }[];
}

export interface RunRecord {
  /** `first`, then `no-change` (and, two-way, `no-change-2`): every run after the first must write nothing. */
  name: string;
  ok: boolean;
  error?: string;
  wallMs: number;
  requests: RequestStats & { byServer: Record<string, ServerStats>; failed: number };
  /** Page reads, the finish reads included. */
  pagesRead: number;
  /** Of pagesRead: the reads of the source's finished items (both sides, two-way). */
  finishReads: number;
  writes: number;
  fixedOverhead: number;
  /** `role route` → count, for the overhead routes. */
  fixedOverheadByRoute: Record<string, number>;
  /** The `+ N` of the budget: BUDGET_SLACK one-way, TWO_WAY_BUDGET_SLACK two-way. */
  budgetSlack: number;
  budget: number;
  budgetMet: boolean;
  decisions: Record<string, number>;
  /**
   * Two-way pairs: decisions by reason and why, `reason · A → B` for a decision made against one
   * side (its direction), `reason · only A moved (B holds our last write)` for a skip.
   */
  decisionsByWhy?: Record<string, number>;
  engine: { read: number; resolved: number; writes: number };
  /** Per server and route: when its requests ran, in ms from the start of the run (emulator clocks). */
  spans: { server: string; route: string; count: number; firstMs: number; lastMs: number }[];
  /** Up to 3 decisions per unexpected reason (not in QUIET_REASONS / TWO_WAY_QUIET_REASONS), with their detail. */
  examples: Record<string, { title: string; key: string; detail?: Record<string, unknown> }[]>;
  /** Trakt servers only, by role. */
  writePacing?: Record<string, WritePacing>;
  /**
   * The physical bound `Σ servers (pages read + writes / write concurrency) × latency` and
   * wall / bound (set by the scenario, which knows the latency and each target's concurrency).
   */
  bound?: Bound;
  peakRssKiB: number;
  heapUsedBytes: number;
  heapUsedAfterGcBytes: number;
}

export interface Bound {
  ms: number;
  /** wall / bound. */
  ratio: number;
  /** Writes in flight at once, by server role, as the engine sends them. */
  writeConcurrency: Record<string, number>;
}

/**
 * The least wall time a run can take with `latencyMs` per request: every page read waits one
 * latency, every write one latency shared by the writes in flight with it. Servers add up (a
 * two-way pair's second direction starts after the first). Trakt takes one write per second, so
 * there a write costs a second, not a latency.
 */
export function boundOf(run: Pick<RunRecord, 'wallMs' | 'requests'>, latencyMs: number, writeConcurrency: Record<string, number>): Bound {
  let ms = 0;
  for (const [role, s] of Object.entries(run.requests.byServer)) {
    const perWrite = s.kind === 'trakt' ? Math.max(latencyMs, TRAKT_WRITE_GAP_MS) : latencyMs;
    ms += s.pagesRead * latencyMs + (s.writes / (writeConcurrency[role] ?? 1)) * perWrite;
  }
  return { ms, ratio: ms > 0 ? run.wallMs / ms : Number.POSITIVE_INFINITY, writeConcurrency };
}

function sortedByCount(counts: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(counts).sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])));
}

function serverStats(kind: EmulatorKind, log: LogEntry[]): ServerStats {
  const byRoute: Record<string, number> = {};
  const kinds: Record<string, Counts> = {};
  let pagesRead = 0;
  let finishReads = 0;
  let writes = 0;
  for (const e of log) {
    const route = routeWithStatus(kind, e);
    byRoute[route] = (byRoute[route] ?? 0) + 1;
    const counts = (kinds[route] ??= countsAs(kind, route));
    if (counts === 'page read') {
      pagesRead++;
      if (isFinishRead(kind, route)) finishReads++;
    } else if (counts === 'write') writes++;
  }
  return {
    kind,
    total: log.length,
    byRoute: sortedByCount(byRoute),
    pagesRead,
    finishReads,
    writes,
    fixedOverhead: log.length - pagesRead - writes,
    countsAs: kinds,
  };
}

function median(values: number[]): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

function minGap(times: number[]): number | null {
  let min: number | null = null;
  for (let i = 1; i < times.length; i++) {
    const gap = (times[i] as number) - (times[i - 1] as number);
    if (min === null || gap < min) min = gap;
  }
  return min;
}

/** How a Trakt server's writes were spaced, from its request log (`at`, ms). */
function writePacing(kind: EmulatorKind, log: LogEntry[], startedEpoch: number): WritePacing {
  const writes = log.filter((e) => countsAs(kind, routeFor(kind, e)) === 'write').sort((a, b) => a.at - b.at);
  const attempts = writes.map((e) => e.at);
  const accepted = writes.filter((e) => e.status >= 200 && e.status < 300).map((e) => e.at);
  const gaps = attempts.slice(1).map((at, i) => at - (attempts[i] as number));
  const minSpacingMs = minGap(attempts);
  const rateLimited = log.filter((e) => e.status === 429).length;
  return {
    attempts: attempts.length,
    accepted: accepted.length,
    rateLimited,
    minSpacingMs,
    minSpacingAcceptedMs: minGap(accepted),
    medianSpacingMs: median(gaps),
    maxSpacingMs: gaps.length > 0 ? Math.max(...gaps) : null,
    firstMs: attempts.length > 0 ? (attempts[0] as number) - startedEpoch : null,
    lastMs: attempts.length > 0 ? (attempts[attempts.length - 1] as number) - startedEpoch : null,
    atMostOnePerSecond: minSpacingMs === null || minSpacingMs >= TRAKT_WRITE_GAP_MS,
    any429: rateLimited > 0,
    timeline: writes.map((e, i) => ({ ms: e.at - startedEpoch, status: e.status, gapMs: i === 0 ? null : e.at - (writes[i - 1] as LogEntry).at })),
  };
}

export async function measure(
  name: string,
  emulators: Emulator[],
  run: () => Promise<PairOutcome[]>,
  opts: { budgetSlack?: number; quietReasons?: ReadonlySet<string> } = {},
): Promise<RunRecord> {
  const budgetSlack = opts.budgetSlack ?? BUDGET_SLACK;
  const quiet = opts.quietReasons ?? QUIET_REASONS;
  const startedEpoch = Date.now();
  const started = performance.now();
  let outcomes: PairOutcome[] = [];
  let thrown: Error | undefined;
  try {
    outcomes = await run();
  } catch (err) {
    thrown = err instanceof Error ? err : new Error(String(err));
  }
  const wallMs = performance.now() - started;
  const peakRssKiB = process.resourceUsage().maxRSS;
  const heapUsedBytes = process.memoryUsage().heapUsed;
  forceGc();
  const heapUsedAfterGcBytes = process.memoryUsage().heapUsed;

  const byServer: Record<string, ServerStats> = {};
  const allByRoute: Record<string, number> = {};
  const spans: RunRecord['spans'] = [];
  const pacing: Record<string, WritePacing> = {};
  const fixedOverheadByRoute: Record<string, number> = {};
  let total = 0;
  let failed = 0;
  for (const emulator of emulators) {
    const log = (await control(emulator, 'GET', '/__emulator/requests')) as LogEntry[];
    await control(emulator, 'DELETE', '/__emulator/requests');
    const stats = serverStats(emulator.kind, log);
    byServer[emulator.role] = stats;
    total += stats.total;
    failed += log.filter((e) => e.status < 200 || e.status >= 300).length;
    for (const [route, n] of Object.entries(stats.byRoute)) {
      allByRoute[route] = (allByRoute[route] ?? 0) + n;
      if (stats.countsAs[route] === 'overhead') fixedOverheadByRoute[`${emulator.role} ${route}`] = n;
    }
    if (emulator.kind === 'trakt') pacing[emulator.role] = writePacing(emulator.kind, log, startedEpoch);
    const byRoute = new Map<string, RunRecord['spans'][number]>();
    for (const e of log) {
      const route = routeWithStatus(emulator.kind, e);
      const at = e.at - startedEpoch;
      const span = byRoute.get(route);
      if (!span) byRoute.set(route, { server: emulator.role, route, count: 1, firstMs: at, lastMs: at });
      else {
        span.count++;
        span.firstMs = Math.min(span.firstMs, at);
        span.lastMs = Math.max(span.lastMs, at);
      }
    }
    spans.push(...byRoute.values());
  }
  spans.sort((a, b) => a.firstMs - b.firstMs);
  const servers = Object.values(byServer);
  const pagesRead = servers.reduce((n, s) => n + s.pagesRead, 0);
  const finishReads = servers.reduce((n, s) => n + s.finishReads, 0);
  const writes = servers.reduce((n, s) => n + s.writes, 0);
  const fixedOverhead = total - pagesRead - writes;
  const budget = pagesRead + writes + budgetSlack;

  const decisions: Record<string, number> = {};
  const decisionsByWhy: Record<string, number> = {};
  const examples: RunRecord['examples'] = {};
  const engine = { read: 0, resolved: 0, writes: 0 };
  const errors: string[] = thrown ? [thrown.message] : [];
  for (const o of outcomes) {
    if (!o.ok) {
      errors.push(`${o.pair}: ${o.error.message}`);
      continue;
    }
    if (o.result.status !== 'ok') errors.push(`${o.result.pair}: run status ${o.result.status}`);
    for (const d of o.result.decisions) {
      decisions[d.reason] = (decisions[d.reason] ?? 0) + 1;
      // Two-way only: these details are set by src/engine/two-way.ts (a lost conflict says `why`).
      const why = d.detail?.direction ?? d.detail?.twoWay ?? (d.key.endsWith('#conflict') ? d.detail?.why : undefined);
      if (typeof why === 'string') decisionsByWhy[`${d.reason} · ${why}`] = (decisionsByWhy[`${d.reason} · ${why}`] ?? 0) + 1;
      if (quiet.has(d.reason)) continue;
      const list = (examples[d.reason] ??= []);
      if (list.length < 3) list.push({ title: d.title, key: d.key, ...(d.detail ? { detail: d.detail } : {}) });
    }
    engine.read += o.result.stats.read;
    engine.resolved += o.result.stats.resolved;
    engine.writes += o.result.stats.writes;
  }
  if (!thrown && outcomes.length === 0) errors.push('runAll returned no pair outcomes');

  return {
    name,
    ok: errors.length === 0,
    ...(errors.length > 0 ? { error: errors.join('; ') } : {}),
    wallMs: Math.round(wallMs * 10) / 10,
    requests: { total, byRoute: sortedByCount(allByRoute), byServer, failed },
    pagesRead,
    finishReads,
    writes,
    fixedOverhead,
    fixedOverheadByRoute: sortedByCount(fixedOverheadByRoute),
    budgetSlack,
    budget,
    budgetMet: total <= budget,
    decisions: sortedByCount(decisions),
    ...(Object.keys(decisionsByWhy).length > 0 ? { decisionsByWhy: sortedByCount(decisionsByWhy) } : {}),
    engine,
    spans,
    examples,
    ...(Object.keys(pacing).length > 0 ? { writePacing: pacing } : {}),
    peakRssKiB,
    heapUsedBytes,
    heapUsedAfterGcBytes,
  };
}
