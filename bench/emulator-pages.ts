// Benchmark of the emulators' own answer times: every page request Playhead sends to a large
// library, timed one at a time.
//
//   node --import tsx bench/emulator-pages.ts [--items 100000] [--changed 1000] [--kinds plex,jellyfin,emby,trakt] [--repeat 3]
//   npm run bench -- --scenario emulator-pages --items 100000
//
// Per emulator kind: start it as a child process with N movies + episodes (the bench library's
// shape), give one user `--changed` resume positions, then let Playhead's own provider read it as
// a sync would (connect, the resumable listing, the full external-id index scan, the live state
// of a batch of items), recording the requests it sends (undici's diagnostics channel: method,
// URL, headers — whatever the emulator does with them). Each recorded page read is then sent
// again, alone, `--repeat` times (a paged one also at 1 000 rows, the issue's page size, whatever
// Playhead's own), and timed from sending to the last byte of the answer: the
// emulator's time per page plus a loopback round trip, with no injected latency and nothing else
// running in this process. Prints p50 / max per emulator and route, and whether every page of
// 1 000 items or more was answered in under 50 ms (issue #11); writes bench/results/emulator-pages.json.
// It never asserts on time.
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import Table from 'cli-table3';
import { request } from 'undici';
import { createLogger } from '../src/cli/log.ts';
import { parseConfig } from '../src/config/load.ts';
import { createProvider } from '../src/providers/registry.ts';
import { Store } from '../src/store/store.ts';
import { BenchError, ROOT, guardChildren, runChild, runMain, startEmulator, stopAll, type Emulator, type EmulatorKind } from './children.ts';
import { countsAs, routeFor } from './measure.ts';
import { KIND_LABEL, fmt } from './report.ts';
import { MB_USER, SEED, providerYaml, signIn, syntheticFor } from './scenarios.ts';

/** The issue's target: a 1 000-item page of a 100 000-item library in under this. */
const TARGET_MS = 50;
/** The page size the target is about. */
const FULL_PAGE = 1000;
const KINDS: EmulatorKind[] = ['plex', 'jellyfin', 'emby', 'trakt'];

interface Recorded {
  method: string;
  origin: string;
  path: string;
  headers: string[];
}

interface RouteTiming {
  route: string;
  /** Rows a page asks for (the request's page size), when it says. */
  pageSize: number | undefined;
  requests: number;
  samples: number;
  p50Ms: number;
  maxMs: number;
}

export interface EmulatorPages {
  kind: EmulatorKind;
  items: number;
  routes: RouteTiming[];
  /** Over pages of 1 000 rows or more. */
  fullPages: { requests: number; p50Ms: number; maxMs: number; underTarget: boolean } | undefined;
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] as number;
}

/** The page size a request asks for: Plex's X-Plex-Container-Size (query or header), Jellyfin's Limit, Trakt's limit. */
function pageSizeOf(r: Recorded): number | undefined {
  const query = new URL(r.path, r.origin).searchParams;
  for (const name of ['X-Plex-Container-Size', 'Limit', 'limit']) {
    const v = query.get(name);
    if (v !== null) return Number(v);
  }
  for (let i = 0; i + 1 < r.headers.length; i += 2) {
    if ((r.headers[i] as string).toLowerCase() === 'x-plex-container-size') return Number(r.headers[i + 1]);
  }
  return undefined;
}

/**
 * The same request asking for `size` rows (query parameter or header, wherever it asked): the
 * issue's target is a 1 000-row page, whatever page size Playhead itself uses.
 */
function resized(r: Recorded, size: number): Recorded {
  const url = new URL(r.path, r.origin);
  for (const name of ['X-Plex-Container-Size', 'Limit', 'limit']) if (url.searchParams.has(name)) url.searchParams.set(name, String(size));
  const headers = [...r.headers];
  for (let i = 0; i + 1 < headers.length; i += 2) if ((headers[i] as string).toLowerCase() === 'x-plex-container-size') headers[i + 1] = String(size);
  return { ...r, path: `${url.pathname}${url.search}`, headers };
}

/** The requests a provider sends while `fn` runs, to `origin`. */
async function recording(origin: string, fn: () => Promise<void>): Promise<Recorded[]> {
  const out: Recorded[] = [];
  const onCreate = (message: unknown) => {
    const req = (message as { request: { method: string; origin: string; path: string; headers: unknown } }).request;
    if (String(req.origin) !== origin) return;
    const headers = Array.isArray(req.headers) ? req.headers.map(String) : [];
    out.push({ method: req.method, origin: String(req.origin), path: req.path, headers });
  };
  subscribe('undici:request:create', onCreate);
  try {
    await fn();
  } finally {
    unsubscribe('undici:request:create', onCreate);
  }
  return out;
}

/** Sends one recorded request and waits for the last byte of the answer. */
async function timed(r: Recorded): Promise<number> {
  const headers: Record<string, string> = {};
  for (let i = 0; i + 1 < r.headers.length; i += 2) headers[r.headers[i] as string] = r.headers[i + 1] as string;
  const started = performance.now();
  const res = await request(`${r.origin}${r.path}`, { method: r.method as 'GET', headers });
  await res.body.arrayBuffer();
  const ms = performance.now() - started;
  if (res.statusCode < 200 || res.statusCode >= 300) throw new BenchError(`${r.method} ${r.path} answered ${res.statusCode} on replay`);
  return ms;
}

async function measureKind(kind: EmulatorKind, items: number, changed: number, repeat: number, workDir: string): Promise<EmulatorPages> {
  const say = (line: string) => process.stderr.write(`[emulator-pages ${kind}] ${line}\n`);
  const synthetic = syntheticFor(items);
  say(`starting the ${KIND_LABEL[kind]} emulator (${synthetic})…`);
  const emulator: Emulator = await startEmulator({ role: 'server', kind, name: 'bench-pages', synthetic, seed: SEED, workDir });
  try {
    say(`giving ${kind === 'plex' ? 'the owner' : MB_USER} ${changed} resume positions…`);
    await runChild(['--import', 'tsx', 'bench/seed-progress.ts', emulator.url, String(changed), SEED, kind, MB_USER], `seeding ${emulator.name}`);
    const env: Record<string, string> = {};
    // A config needs a pair: the emulator under a second name is the other side (never used).
    const yaml = [
      'providers:',
      providerYaml('pages', emulator, env),
      providerYaml('pages-other', emulator, env),
      'pairs:',
      '  - { name: pages, source: pages, target: pages-other }',
      `state: { path: ${join(workDir, `${kind}.db`)} }`,
      '',
    ].join('\n');
    const config = parseConfig(yaml, join(workDir, 'playhead.yaml'), env);
    const store = Store.open(config.state.path);
    signIn(store, 'pages', emulator);
    const providerConfig = config.providers.pages;
    if (!providerConfig) throw new BenchError('no provider config');
    const log = createLogger({ level: 'error' });
    const provider = createProvider('pages', providerConfig, {
      state: store.providerState('pages'),
      installationId: 'bench-pages',
      log,
      now: Date.now,
      dryRun: false,
    });
    say('reading it as a sync would (resumable listing, id index, live state)…');
    const origin = new URL(emulator.url).origin;
    const sent = await recording(origin, async () => {
      await provider.connect();
      const refs = [];
      for await (const page of provider.listProgress()) for (const r of page) refs.push(r.ref);
      // An item by an id no server has: the media servers build their whole id index for it.
      await provider.resolve([{ key: 'probe', type: 'movie', ids: { imdb: 'tt0000001' }, title: 'probe' }]);
      await provider.targetState(refs);
    });
    await provider.close();
    store.close();
    const read = sent.filter((r) => r.method === 'GET' && countsAs(kind, routeFor(kind, entryOf(r))) === 'page read');
    // Playhead's pages as sent, and every paged one again at the issue's 1 000 rows.
    const pages = [
      ...read,
      ...read.flatMap((r) => {
        // Listings only: a batch of items by id asks for as many rows as it names.
        const size = pageSizeOf(r);
        const byIds = routeFor(kind, entryOf(r)).includes('[Ids]');
        return size !== undefined && size < FULL_PAGE && !byIds ? [resized(r, FULL_PAGE)] : [];
      }),
    ];
    if (pages.length === 0) throw new BenchError(`${kind}: Playhead sent no page reads`);
    say(`replaying its ${read.length} page reads (and ${pages.length - read.length} of them at ${FULL_PAGE} rows) one at a time, ${repeat}×…`);
    const byRoute = new Map<string, { pageSize: number | undefined; requests: number; samples: number[] }>();
    const full: number[] = [];
    for (let round = 0; round < repeat; round++) {
      for (const r of pages) {
        const ms = await timed(r);
        const route = routeFor(kind, entryOf(r));
        const size = pageSizeOf(r);
        const key = `${route}${size === undefined ? '' : ` ×${size}`}`;
        const slot = byRoute.get(key) ?? { pageSize: size, requests: 0, samples: [] };
        if (round === 0) slot.requests++;
        slot.samples.push(ms);
        byRoute.set(key, slot);
        if (size !== undefined && size >= FULL_PAGE) full.push(ms);
      }
    }
    const routes = [...byRoute].map(([route, s]) => {
      const sorted = [...s.samples].sort((a, b) => a - b);
      return {
        route,
        pageSize: s.pageSize,
        requests: s.requests,
        samples: sorted.length,
        p50Ms: percentile(sorted, 0.5),
        maxMs: sorted[sorted.length - 1] ?? Number.NaN,
      };
    });
    full.sort((a, b) => a - b);
    const maxFull = full[full.length - 1];
    return {
      kind,
      items,
      routes,
      fullPages:
        maxFull === undefined ? undefined : { requests: full.length / repeat, p50Ms: percentile(full, 0.5), maxMs: maxFull, underTarget: maxFull < TARGET_MS },
    };
  } finally {
    await stopAll([emulator]);
  }
}

/** A recorded request as the routes of bench/measure.ts see a request log entry. */
function entryOf(r: Recorded): { method: string; path: string; query: Record<string, string>; status: number; at: number } {
  const url = new URL(r.path, r.origin);
  return { method: r.method, path: url.pathname, query: Object.fromEntries(url.searchParams), status: 200, at: 0 };
}

export function pagesTable(results: EmulatorPages[]): string {
  const table = new Table({
    head: ['emulator', 'route (× page size)', 'pages', 'p50', 'max'],
    style: { head: [], border: [] },
    colAligns: ['left', 'left', 'right', 'right', 'right'],
  });
  const ms = (n: number) => `${n.toFixed(1)} ms`;
  for (const r of results) {
    for (const t of r.routes) table.push([KIND_LABEL[r.kind], t.route, fmt(t.requests), ms(t.p50Ms), ms(t.maxMs)]);
    if (r.fullPages) {
      table.push([
        KIND_LABEL[r.kind],
        `every page of ≥ 1 000 rows: ${r.fullPages.underTarget ? `all under ${TARGET_MS} ms` : `NOT all under ${TARGET_MS} ms`}`,
        fmt(r.fullPages.requests),
        ms(r.fullPages.p50Ms),
        ms(r.fullPages.maxMs),
      ]);
    }
  }
  return table.toString();
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    args: process.argv.slice(2),
    options: {
      items: { type: 'string', default: '100000' },
      changed: { type: 'string', default: '1000' },
      kinds: { type: 'string', default: KINDS.join(',') },
      repeat: { type: 'string', default: '3' },
    },
    strict: false,
  });
  const whole = (name: string, text: unknown, min: number): number => {
    const n = Number(text);
    if (!Number.isInteger(n) || n < min) throw new BenchError(`--${name} must be a whole number ≥ ${min} (got ${String(text)})`);
    return n;
  };
  const items = whole('items', values.items, 1);
  const changed = whole('changed', values.changed, 0);
  const repeat = whole('repeat', values.repeat, 1);
  const kinds = String(values.kinds)
    .split(',')
    .map((k) => k.trim())
    .filter((k) => k !== '');
  for (const k of kinds) if (!(KINDS as string[]).includes(k)) throw new BenchError(`unknown emulator kind "${k}"; known: ${KINDS.join(', ')}`);
  guardChildren();
  const load = loadavg();
  const workDir = mkdtempSync(join(tmpdir(), 'playhead-bench-pages-'));
  const results: EmulatorPages[] = [];
  try {
    for (const kind of kinds as EmulatorKind[]) results.push(await measureKind(kind, items, changed, repeat, workDir));
  } finally {
    rmSync(workDir, { recursive: true, force: true });
  }
  const lines = [
    '=== emulator-pages ===',
    `Each page request Playhead sends to an emulator with ${fmt(items)} movies + episodes (${fmt(changed)} with a position), replayed alone ${repeat}× with no injected latency; time to the last byte. Node ${process.version}, ${cpus().length} CPUs, load average ${load.map((l) => l.toFixed(2)).join(' ')} at start.`,
    pagesTable(results),
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
  const dir = join(ROOT, 'bench', 'results');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, 'emulator-pages.json');
  writeFileSync(
    file,
    `${JSON.stringify({ when: new Date().toISOString(), node: process.version, loadavgAtStart: load, items, changed, repeat, targetMs: TARGET_MS, results }, null, 2)}\n`,
  );
  process.stdout.write(`wrote ${file}\n`);
  return 0;
}

runMain(main);
