// Benchmark scenario `realtime` (issue #12 point 5): `playhead serve` on a one-way Plex → Jellyfin
// pair over the default 20 000-item library with injected latency. After serve's first full run
// (which builds Jellyfin's id index), 200 movies spread over the library get a player's
// `/:/timeline` reports on Plex (playing, then stopped at a new position), 100–300 ms apart.
// Per event: stop report → the new position on the Jellyfin emulator (polled in its state);
// requests per event per server from the emulators' logs (the bench's own reports left out); then
// the same 200 positions cleared on Jellyfin and delivered by one full run for comparison.
//
//   node --import tsx bench/realtime.ts [--events 200] [--latency-ms 5] [--synthetic SPEC]
//
// Emulators run in this process (their state is read directly), so they share its CPU with serve.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { request } from 'undici';
import { startMediaBrowserEmulator } from '../emulators/mediabrowser/server.ts';
import { startPlexEmulator } from '../emulators/plex/server.ts';
import { createLogger } from '../src/cli/log.ts';
import type { Config } from '../src/config/types.ts';
import { DEFAULT_PROGRESS_SETTINGS } from '../src/core/pair.ts';
import { startServe } from '../src/serve/serve.ts';
import { Store } from '../src/store/store.ts';
import { runMain } from './children.ts';

const TICKS_PER_MS = 10_000;
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

async function until<T>(check: () => T | undefined, ms: number, what: string): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = check();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

function pct(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] as number;
}

async function post(url: string, body: unknown): Promise<void> {
  const res = await request(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  await res.body.dump();
  if (res.statusCode >= 300) throw new Error(`POST ${url}: ${res.statusCode}`);
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    args: process.argv.slice(2),
    options: {
      events: { type: 'string', default: '200' },
      'latency-ms': { type: 'string', default: '5' },
      synthetic: { type: 'string', default: 'movies=5000,shows=150,seasons=5,episodes=20' },
    },
    strict: true,
  });
  const events = Number(values.events);
  const latencyMs = Number(values['latency-ms']);
  const synthetic = values.synthetic;
  const say = (line: string) => process.stderr.write(`[realtime] ${line}\n`);
  const load = loadavg();
  const dir = mkdtempSync(join(tmpdir(), 'playhead-bench-realtime-'));
  say(`starting Plex and Jellyfin emulators (${synthetic}) in this process…`);
  const plex = await startPlexEmulator({ name: 'bench-source', synthetic, seed: 'playhead-bench', quiet: true });
  const jf = await startMediaBrowserEmulator({ dialect: 'jellyfin', name: 'bench-target', synthetic, seed: 'playhead-bench', quiet: true });
  let stopServe: (() => Promise<unknown>) | undefined;
  const store = Store.open(join(dir, 'state.db'));
  try {
    for (const url of [plex.url, jf.url]) await post(`${url}/__emulator/faults`, { latencyMs, rules: [] });
    const alice = jf.users.find((u) => u.name === 'alice');
    if (!alice) throw new Error('no alice on the Jellyfin emulator');
    const twinByImdb = new Map<string, string>();
    for (const i of jf.state.items) if (i.Type === 'Movie' && i.ProviderIds.Imdb) twinByImdb.set(i.ProviderIds.Imdb, i.Id);
    const imdbOf = (g: string[]) => g.find((x) => x.startsWith('imdb://'))?.slice(7);
    const movies = plex.state.items.filter((i) => i.type === 'movie' && (i.durationMs ?? 0) > 1_800_000 && twinByImdb.has(imdbOf(i.guids) ?? ''));
    const step = movies.length / events;
    const picked = Array.from({ length: events }, (_, k) => movies[Math.floor(k * step)]!);
    const twin = (ratingKey: string) => twinByImdb.get(imdbOf(plex.state.items.find((i) => i.ratingKey === ratingKey)!.guids)!)!;
    const jfPositionMs = (twinId: string): number | undefined => {
      const t = jf.state.userData[alice.id]?.[twinId]?.PlaybackPositionTicks;
      return t ? Math.round(t / TICKS_PER_MS) : undefined;
    };

    // One position already there (not one of the 200): the first full run syncs it and, on the way, builds Jellyfin's id index.
    const extra = movies[Math.floor(step / 2)];
    if (extra) (plex.state.userState['1'] ??= {})[extra.ratingKey] = { viewOffset: 1_000_000, lastViewedAt: Math.floor(Date.now() / 1000) - 600 };
    const path = join(dir, 'state.db');
    const limits = { timeoutMs: 10_000, retries: 1, maxConcurrentWrites: 4 };
    const config: Config = {
      providers: {
        plex: { kind: 'plex', url: plex.url, token: plex.ownerToken, ...limits },
        jf: { kind: 'jellyfin', url: jf.url, token: alice.token, ...limits },
      },
      pairs: [
        {
          name: 'rt',
          source: 'plex',
          target: 'jf',
          mode: 'one-way',
          features: { progress: { ...DEFAULT_PROGRESS_SETTINGS } },
          schedule: { everyMs: 24 * 3_600_000 },
          settleSeconds: 1,
        },
      ],
      state: { path },
      logLevel: 'silent',
    };
    say('starting serve; its first full run builds the id index…');
    const firstStarted = Date.now();
    const serve = await startServe({
      config,
      store,
      log: createLogger({ level: 'silent' }),
      host: '127.0.0.1',
      port: 0,
      onListening: () => {},
      triggerBackoffMs: 100,
    });
    stopServe = () => serve.stop('bench over');
    type Run = { trigger?: string; finishedAt?: number; status: string };
    const runs = () => store.runs({ pair: 'rt', limit: 1000 }) as Run[];
    await until(() => (runs().some((r) => r.trigger === 'schedule' && r.finishedAt) ? true : undefined), 300_000, 'the first full run');
    const firstMs = Date.now() - firstStarted;
    // The websocket trigger up.
    for (;;) {
      const res = await request(`${serve.url}/api/pairs`);
      const body = (await res.body.json()) as { pairs: { triggers: { state: string }[] }[] };
      if (body.pairs[0]?.triggers[0]?.state === 'up') break;
      await sleep(50);
    }
    say(`  first full run ${firstMs} ms; trigger up. ${events} stop events, 100–300 ms apart…`);
    await sleep(500);

    const report = async (ratingKey: string, durationMs: number, state: 'playing' | 'stopped', timeMs: number, n: number) => {
      const q = new URLSearchParams({ ratingKey, key: `/library/metadata/${ratingKey}`, state, time: String(timeMs), duration: String(durationMs) });
      const res = await request(`${plex.url}/:/timeline?${q}`, {
        method: 'POST',
        headers: { 'X-Plex-Token': plex.ownerToken, 'X-Plex-Client-Identifier': `bench-tv-${n}`, 'X-Plex-Session-Identifier': `bench-s-${n}` },
      });
      await res.body.dump();
      if (res.statusCode !== 200) throw new Error(`timeline ${state}: ${res.statusCode}`);
    };

    const before = { plex: plex.requests.length, jf: jf.requests.length, runs: runs().length };
    const phaseStart = Date.now();
    const pending = new Map<string, { stoppedAt: number; expect: number; n: number }>();
    const latencies: number[] = [];
    let rand = 12345;
    const next = () => {
      rand = (rand * 1103515245 + 12345) % 2147483648;
      return rand / 2147483648;
    };
    const poller = setInterval(() => {
      const now = Date.now();
      for (const [id, p] of pending) {
        if (jfPositionMs(id) === p.expect) {
          latencies[p.n] = now - p.stoppedAt;
          pending.delete(id);
        }
      }
    }, 10);
    const positions: { ratingKey: string; twin: string; ms: number }[] = [];
    for (let n = 0; n < picked.length; n++) {
      const item = picked[n]!;
      const duration = item.durationMs ?? 3_600_000;
      const ms = Math.round((duration * (0.2 + 0.6 * next())) / 1000) * 1000;
      const id = twin(item.ratingKey);
      positions.push({ ratingKey: item.ratingKey, twin: id, ms });
      await report(item.ratingKey, duration, 'playing', Math.max(0, ms - 60_000), n);
      await sleep(100);
      pending.set(id, { stoppedAt: Date.now(), expect: ms, n });
      await report(item.ratingKey, duration, 'stopped', ms, n);
      await sleep(100 + Math.round(200 * next()));
    }
    await until(() => (pending.size === 0 ? true : undefined), 120_000, `${pending.size} positions on Jellyfin`).catch((e: Error) => say(e.message));
    clearInterval(poller);
    // Let the last item runs finish (their confirming re-read comes after the write).
    await until(
      () =>
        runs()
          .slice(0, runs().length - before.runs)
          .every((r) => r.finishedAt)
          ? true
          : undefined,
      30_000,
      'item runs',
    );
    await sleep(300);
    const phaseMs = Date.now() - phaseStart;
    const plexLog = plex.requests.slice(before.plex).filter((r) => r.path !== '/:/timeline');
    const jfLog = jf.requests.slice(before.jf);
    const itemRuns = runs().slice(0, runs().length - before.runs);
    const metricsText = await (await request(`${serve.url}/metrics`)).body.text();
    const metric = (name: string) => Number(new RegExp(`^${name}\\{pair="rt",trigger="plex-websocket"\\} (\\S+)`, 'm').exec(metricsText)?.[1] ?? Number.NaN);
    const histogram = { count: metric('playhead_event_to_write_seconds_count'), sum: metric('playhead_event_to_write_seconds_sum') };
    const byRoute = (log: { method: string; path: string }[]) => {
      const m: Record<string, number> = {};
      for (const r of log) {
        const key = `${r.method} ${r.path.replace(/\/library\/metadata\/[^/]+/, '/library/metadata/{id}').replace(/[0-9a-f]{32}/g, '{id}')}`;
        m[key] = (m[key] ?? 0) + 1;
      }
      return m;
    };
    const done = latencies.filter((x) => x !== undefined);
    const sorted = [...done].sort((a, b) => a - b);
    const realtime = {
      events,
      delivered: done.length,
      p50Ms: pct(sorted, 50),
      p95Ms: pct(sorted, 95),
      maxMs: sorted.at(-1) ?? Number.NaN,
      meanMs: Math.round(done.reduce((a, b) => a + b, 0) / Math.max(1, done.length)),
      wallMs: phaseMs,
      itemRuns: itemRuns.length,
      itemRunStatus: itemRuns.reduce<Record<string, number>>((m, r) => {
        m[r.status] = (m[r.status] ?? 0) + 1;
        return m;
      }, {}),
      requests: { plex: plexLog.length, jellyfin: jfLog.length, total: plexLog.length + jfLog.length },
      perEvent: { plex: plexLog.length / events, jellyfin: jfLog.length / events, total: (plexLog.length + jfLog.length) / events },
      routes: { plex: byRoute(plexLog), jellyfin: byRoute(jfLog) },
      metricEventToWrite: { ...histogram, meanSeconds: histogram.sum / histogram.count },
    };

    // The same 200 positions by one full run: cleared on Jellyfin, then the pair runs in full.
    say('the same positions by one full run…');
    const data = jf.state.userData[alice.id] ?? {};
    for (const p of positions) delete data[p.twin];
    const b2 = { plex: plex.requests.length, jf: jf.requests.length };
    const scanStart = Date.now();
    const res = await request(`${serve.url}/api/pairs/rt/run`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    const ranText = await res.body.text();
    if (res.statusCode !== 200) throw new Error(`full run: ${res.statusCode} ${ranText}`);
    const scanMs = Date.now() - scanStart;
    const arrived = positions.filter((p) => jfPositionMs(p.twin) === p.ms).length;
    const fullScan = {
      wallMs: scanMs,
      arrived,
      requests: {
        plex: plex.requests.length - b2.plex,
        jellyfin: jf.requests.length - b2.jf,
        total: plex.requests.length - b2.plex + jf.requests.length - b2.jf,
      },
      routes: { plex: byRoute(plex.requests.slice(b2.plex)), jellyfin: byRoute(jf.requests.slice(b2.jf)) },
    };

    const rows = [
      ['', 'realtime (serve, per event)', 'one full run (all 200)'],
      ['delivered', `${realtime.delivered} of ${events}`, `${arrived} of ${events}`],
      ['stop → on Jellyfin p50 / p95 / max', `${realtime.p50Ms} / ${realtime.p95Ms} / ${realtime.maxMs} ms`, `${scanMs} ms (wall of the run)`],
      ['requests Plex', `${realtime.requests.plex} (${realtime.perEvent.plex.toFixed(2)} / event)`, `${fullScan.requests.plex}`],
      ['requests Jellyfin', `${realtime.requests.jellyfin} (${realtime.perEvent.jellyfin.toFixed(2)} / event)`, `${fullScan.requests.jellyfin}`],
      ['requests total', `${realtime.requests.total} (${realtime.perEvent.total.toFixed(2)} / event)`, `${fullScan.requests.total}`],
    ];
    const w0 = Math.max(...rows.map((r) => r[0]!.length));
    const w1 = Math.max(...rows.map((r) => r[1]!.length));
    process.stdout.write(`\nrealtime: ${synthetic}, ${latencyMs} ms latency, ${events} stop events on Plex → Jellyfin (first full run ${firstMs} ms)\n`);
    for (const r of rows) process.stdout.write(`${r[0]!.padEnd(w0)} | ${r[1]!.padEnd(w1)} | ${r[2]}\n`);
    process.stdout.write(
      `serve's playhead_event_to_write_seconds (first event = the playing report): ${histogram.count} events, mean ${(realtime.metricEventToWrite.meanSeconds * 1000).toFixed(0)} ms\n`,
    );
    process.stdout.write(`routes per event window: ${JSON.stringify(realtime.routes)}\n`);
    process.stdout.write(
      `targets: p95 < 2 000 ms ${realtime.p95Ms < 2000 ? 'met' : 'missed'}; ≤ 6 requests per event ${realtime.perEvent.total <= 6 ? 'met' : 'missed'}\n`,
    );
    const result = {
      scenario: 'realtime',
      when: new Date().toISOString(),
      node: process.version,
      machine: { cpus: cpus().length, loadavgAtStart: load },
      synthetic,
      latencyMs,
      firstFullRunMs: firstMs,
      realtime,
      latenciesMs: latencies,
      fullScan,
    };
    const file = join(process.cwd(), 'bench', 'results', 'realtime.json');
    mkdirSync(join(process.cwd(), 'bench', 'results'), { recursive: true });
    writeFileSync(file, `${JSON.stringify(result, null, 2)}\n`);
    process.stdout.write(`\nwrote ${file}\n`);
    return realtime.delivered === events && arrived === events ? 0 : 1;
  } finally {
    await stopServe?.();
    store.close();
    await plex.close();
    await jf.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

runMain(main);
