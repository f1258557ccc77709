// Benchmark scenario `dashboard` (issue #13): how fast each dashboard page answers over a large
// state database. The database gets --decisions decisions (default 100 000: --runs runs of
// --items items each), every item read on two providers (listed on the source, read as the target;
// about a tenth of them out of step),
// and 300 waiting items, all written through the Store's own methods. The pages are served over
// real HTTP on port 0 by a hono app of the page modules on that store; Settings asks two small
// emulators (Plex, Jellyfin, in this process) for their versions. Each page is requested a few
// times to warm up, then --requests times; the table shows the median and p95 (the target: every
// page under 200 ms), and bench/results/dashboard.json keeps them.
//
//   node --import tsx bench/dashboard.ts [--decisions 100000] [--runs 10] [--requests 20]
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { getRequestListener } from '@hono/node-server';
import { request } from 'undici';
import { startMediaBrowserEmulator } from '../emulators/mediabrowser/server.ts';
import { startPlexEmulator } from '../emulators/plex/server.ts';
import { createLogger } from '../src/cli/log.ts';
import { parseConfig } from '../src/config/load.ts';
import type { Config } from '../src/config/types.ts';
import type { Decision, ProgressRecord, TargetState } from '../src/core/model.ts';
import { EventBus } from '../src/serve/events.ts';
import type { RunOutcome } from '../src/serve/runner.ts';
import { Scheduler } from '../src/serve/scheduler.ts';
import { Store } from '../src/store/store.ts';
import type { DashboardContext } from '../src/web/context.ts';
import { createDashboard } from '../src/web/app.tsx';
import { runMain } from './children.ts';

const TARGET_MS = 200;
const WARM_UP = 3;
const MIN = 60_000;
/** The pages timed, by what they show (query strings included). */
const PAGES: { name: string; path: string }[] = [
  { name: 'Overview', path: '/' },
  { name: 'Run (10 000 decisions)', path: '/runs/{lastRun}' },
  { name: 'Run, one reason', path: '/runs/{lastRun}?reason=unchanged' },
  { name: 'Run, title search', path: '/runs/{lastRun}?q=film%204242' },
  { name: 'Item', path: '/items/imdb%3Att1004242' },
  { name: 'Continue Watching', path: '/continue' },
  { name: 'Continue Watching, oldest first', path: '/continue?sort=oldest' },
  { name: 'Continue Watching, out of step only', path: '/continue?outOfStep=1' },
  { name: 'Continue Watching, one provider', path: '/continue?provider=jelly' },
  { name: 'Continue Watching, page 100', path: '/continue?page=100' },
  { name: 'Continue Watching, table fragment', path: '/continue?fragment=table' },
  { name: 'Waiting', path: '/waiting' },
  { name: 'Settings', path: '/settings' },
];

function pct(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] ?? Number.NaN;
}

/** A film as both providers read it (the same identity; positions a little apart, some far). */
function film(n: number, provider: string, playedAt: number, shiftMs: number): ProgressRecord {
  const durationMs = (90 + (n % 60)) * MIN;
  return {
    type: 'movie',
    ids: { imdb: `tt${String(1_000_000 + n)}` },
    title: `Bench film ${n}`,
    year: 1950 + (n % 75),
    ref: { provider, server: `${provider}-server`, id: `${provider}-${n}` },
    watched: false,
    progressMs: Math.round(durationMs * (0.1 + (0.7 * ((n * 7919) % 1000)) / 1000)) + shiftMs,
    durationMs,
    progressAt: playedAt,
  };
}

const REASONS: Decision['reason'][] = ['write', 'unchanged', 'unchanged', 'unchanged', 'below_minimum', 'target_newer', 'unresolved'];

/** The state database: `runs` runs of `items` items each, each read on both sides, waiting items. */
function seed(store: Store, items: number, runs: number, now: number): void {
  const key = (n: number) => `imdb:tt${String(1_000_000 + n)}`;
  store.db.transaction(() => {
    for (let r = 0; r < runs; r++) {
      const startedAt = now - (runs - r) * 30 * MIN;
      const runId = store.startRun({ pair: 'main', source: 'home', target: 'jelly', dryRun: false, startedAt, trigger: 'schedule' });
      const decisions: Decision[] = [];
      const home: { key: string; record: ProgressRecord }[] = [];
      const jelly: { key: string; state: TargetState }[] = [];
      for (let n = 0; n < items; n++) {
        const playedAt = now - ((n * 104_729) % (30 * 24 * 60)) * MIN;
        const record = film(n, 'home', playedAt, 0);
        const reason = REASONS[(n + r) % REASONS.length] ?? 'unchanged';
        decisions.push({
          key: key(n),
          title: record.title,
          type: 'movie',
          action: reason === 'write' ? 'write' : 'skip',
          reason,
          source: { progressMs: record.progressMs, durationMs: record.durationMs, progressAt: playedAt },
          target: { progressMs: record.progressMs, durationMs: record.durationMs },
        });
        if (r === runs - 1) {
          home.push({ key: key(n), record });
          // The target's copy as the run read it; about one in ten is 20 minutes apart.
          const { ref, progressMs, durationMs } = film(n, 'jelly', playedAt, n % 10 === 0 ? 20 * MIN : 0);
          jelly.push({ key: key(n), state: { ref, progressMs, durationMs, progressAt: playedAt, watched: false, playCount: 0, playingNow: false } });
        }
      }
      store.recordDecisions(runId, decisions);
      if (home.length > 0) {
        store.recordObservations(runId, 'home', home);
        store.recordTargetReads(runId, 'jelly', jelly);
      }
      store.finishRun(runId, { finishedAt: startedAt + 20_000, status: 'ok', counts: { unchanged: items } });
    }
    for (let n = 0; n < 300; n++) {
      store.savePending({
        pair: 'main',
        key: key(n * 7),
        title: `Bench film ${n * 7}`,
        kind: n % 3 === 0 ? 'failed' : 'unresolved',
        attempts: 1 + (n % 8),
        firstAt: now - 86_400_000,
        lastAt: now - 3_600_000,
        nextAt: now + n * MIN,
        parked: n % 8 === 7,
        ...(n % 3 === 0 ? { lastError: 'jelly: PUT answered 503' } : {}),
        sourcePos: String(n),
      });
    }
  })();
}

async function timeGet(url: string): Promise<{ ms: number; status: number; bytes: number }> {
  const start = performance.now();
  const res = await request(url);
  const body = await res.body.arrayBuffer();
  return { ms: performance.now() - start, status: res.statusCode, bytes: body.byteLength };
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    args: process.argv.slice(2),
    options: {
      decisions: { type: 'string', default: '100000' },
      runs: { type: 'string', default: '10' },
      requests: { type: 'string', default: '20' },
    },
    strict: true,
  });
  const runs = Number(values.runs);
  const items = Math.ceil(Number(values.decisions) / runs);
  const requests = Number(values.requests);
  const say = (line: string) => process.stderr.write(`[dashboard] ${line}\n`);
  const load = loadavg();
  const dir = mkdtempSync(join(tmpdir(), 'playhead-bench-dashboard-'));
  const plex = await startPlexEmulator({ name: 'bench-plex', synthetic: 'movies=10,shows=1,seasons=1,episodes=2', seed: 'bench', quiet: true });
  const jf = await startMediaBrowserEmulator({
    dialect: 'jellyfin',
    name: 'bench-jellyfin',
    synthetic: 'movies=10,shows=1,seasons=1,episodes=2',
    seed: 'bench',
    quiet: true,
  });
  let server: Server | undefined;
  const store = Store.open(join(dir, 'state.db'));
  const abort = new AbortController();
  try {
    const alice = jf.users.find((u) => u.name === 'alice');
    if (!alice) throw new Error('no alice on the Jellyfin emulator');
    const yaml = [
      'providers:',
      `  home: { kind: plex, url: ${plex.url}, token: \${PLEX_TOKEN} }`,
      `  jelly: { kind: jellyfin, url: ${jf.url}, token: \${JF_TOKEN} }`,
      'pairs:',
      '  - { name: main, source: home, target: jelly }',
      `state: { path: ${join(dir, 'state.db')} }`,
      '',
    ].join('\n');
    const config: Config = parseConfig(yaml, join(dir, 'playhead.yaml'), { PLEX_TOKEN: plex.ownerToken, JF_TOKEN: alice.token });
    const now = Date.now();
    say(`seeding ${runs} runs × ${items} items (${runs * items} decisions) …`);
    const seedStart = performance.now();
    seed(store, items, runs, now);
    const seedMs = Math.round(performance.now() - seedStart);
    const counts = store.counts();
    say(`seeded in ${seedMs} ms: ${JSON.stringify(counts)}`);

    const log = createLogger({ level: 'silent' });
    const scheduler = new Scheduler<RunOutcome>({ pairs: config.pairs, log, execute: () => Promise.reject(new Error('the bench runs no pair')) });
    const ctx: DashboardContext = {
      config,
      store,
      log,
      scheduler,
      events: new EventBus(),
      signal: abort.signal,
      triggerHealth: () => [],
      secret: 'bench',
      now: Date.now,
    };
    const listening = createServer(getRequestListener(createDashboard(ctx).fetch));
    server = listening;
    await new Promise<void>((resolve) => listening.listen(0, '127.0.0.1', resolve));
    const base = `http://127.0.0.1:${(listening.address() as AddressInfo).port}`;

    const rows: { page: string; path: string; status: number; kb: number; medianMs: number; p95Ms: number; maxMs: number }[] = [];
    const lastRun = String(store.runs({ limit: 1 })[0]?.id ?? 1);
    for (const page of PAGES.map((p) => ({ ...p, path: p.path.replace('{lastRun}', lastRun) }))) {
      for (let i = 0; i < WARM_UP; i++) await timeGet(`${base}${page.path}`);
      const times: number[] = [];
      let last = { status: 0, bytes: 0 };
      for (let i = 0; i < requests; i++) {
        const t = await timeGet(`${base}${page.path}`);
        times.push(t.ms);
        last = t;
      }
      times.sort((a, b) => a - b);
      const round = (ms: number) => Math.round(ms * 10) / 10;
      rows.push({
        page: page.name,
        path: page.path,
        status: last.status,
        kb: Math.round(last.bytes / 102.4) / 10,
        medianMs: round(pct(times, 50)),
        p95Ms: round(pct(times, 95)),
        maxMs: round(times.at(-1) ?? Number.NaN),
      });
    }
    const broken = rows.filter((r) => r.status !== 200);

    const head = ['page', 'path', 'status', 'KiB', 'median ms', 'p95 ms', 'max ms'];
    const table = [head, ...rows.map((r) => [r.page, r.path, String(r.status), String(r.kb), String(r.medianMs), String(r.p95Ms), String(r.maxMs)])];
    const widths = head.map((_, i) => Math.max(...table.map((row) => (row[i] ?? '').length)));
    process.stdout.write(
      `\ndashboard: ${counts.decisions} decisions, ${counts.observations} observations, ${counts.last_reads} last reads, ${counts.pending} waiting; ${requests} requests per page after ${WARM_UP} warm-ups\n`,
    );
    for (const row of table) process.stdout.write(`${row.map((cell, i) => cell.padEnd(widths[i] ?? 0)).join(' | ')}\n`);
    const slow = rows.filter((r) => r.p95Ms >= TARGET_MS);
    process.stdout.write(
      slow.length === 0 ? `every page's p95 under ${TARGET_MS} ms\n` : `over ${TARGET_MS} ms at p95: ${slow.map((r) => r.path).join(', ')}\n`,
    );

    const result = {
      scenario: 'dashboard',
      state: {
        decisions: counts.decisions,
        observations: counts.observations,
        lastReads: counts.last_reads,
        items: counts.items,
        runs: counts.runs,
        pending: counts.pending,
        seedMs,
      },
      requestsPerPage: requests,
      targetMs: TARGET_MS,
      pages: rows,
      machine: { cpus: cpus().length, load: load.map((x) => Math.round(x * 100) / 100), node: process.version },
    };
    const results = join(process.cwd(), 'bench', 'results');
    mkdirSync(results, { recursive: true });
    const file = join(results, 'dashboard.json');
    writeFileSync(file, `${JSON.stringify(result, null, 2)}\n`);
    process.stdout.write(`\nwrote ${file}\n`);
    return broken.length === 0 ? 0 : 1;
  } finally {
    abort.abort();
    const open = server;
    if (open) await new Promise<void>((resolve) => open.close(() => resolve()));
    store.close();
    await Promise.all([plex.close(), jf.close()]);
    rmSync(dir, { recursive: true, force: true });
  }
}

runMain(main);
