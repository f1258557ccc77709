// `playhead serve` in real time, Plex → Jellyfin: a player's reports to the Plex emulator
// (`/:/timeline`) become notification frames on its websocket, serve's Plex trigger turns them
// into item-scoped runs, and the position lands on the Jellyfin emulator within seconds, at a
// handful of requests counted on both emulators' request logs. Real HTTP and websockets, port 0.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'undici';
import type { Config } from '../../src/config/types.ts';
import type { RunningServe } from '../../src/serve/serve.ts';
import { Store } from '../../src/store/store.ts';
import { startPlexEmulator, type RunningPlexEmulator } from '../../emulators/plex/server.ts';
import { startMediaBrowserEmulator, type RunningMediaBrowserEmulator } from '../../emulators/mediabrowser/server.ts';
import { api, eventually, limits, pair, plexTimeline, serveOn, sleep, subscribe } from './serve-support.ts';

const LIBRARY = 'movies=12,shows=1,seasons=1,episodes=2';
const SEED = 'realtime';
const TICKS_PER_MS = 10_000;

/** `work`, or a failure after `ms` (an SSE event that never comes must fail the test, not hang it). */
function within<T>(ms: number, work: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`nothing after ${ms} ms`)), ms);
  });
  return Promise.race([work, late]).finally(() => clearTimeout(timer));
}

type PlexItem = RunningPlexEmulator['state']['items'][number];

interface RunRow {
  id: number;
  pair: string;
  status: string;
  trigger?: string;
  finishedAt?: number;
}

describe('playhead serve: Plex websocket → item-scoped runs → Jellyfin', () => {
  let plex: RunningPlexEmulator;
  let jf: RunningMediaBrowserEmulator;
  let store: Store;
  let serve: RunningServe;
  let dir: string;
  const imdbOf = (item: PlexItem) => item.guids.find((g) => g.startsWith('imdb://'))?.slice(7);
  let films: PlexItem[];
  const alice = () => jf.users.find((u) => u.name === 'alice')!;
  const jfPositionMs = (film: PlexItem): number | undefined => {
    const twin = jf.state.items.find((i) => i.Type === 'Movie' && i.ProviderIds.Imdb === imdbOf(film));
    assert.ok(twin, `${film.title} is on Jellyfin`);
    const ticks = jf.state.userData[alice().id]?.[twin.Id]?.PlaybackPositionTicks;
    return ticks ? Math.round(ticks / TICKS_PER_MS) : undefined;
  };
  /** The episode's twin on Jellyfin: the same show, season and episode number. */
  const jfEpisodeOf = (episode: PlexItem) => {
    const show = plex.state.items.find((i) => i.ratingKey === episode.grandparentRatingKey);
    const series = jf.state.items.find((i) => i.Type === 'Series' && i.Name === show?.title);
    return jf.state.items.find(
      (i) => i.Type === 'Episode' && i.SeriesId === series?.Id && i.ParentIndexNumber === episode.parentIndex && i.IndexNumber === episode.index,
    );
  };
  const jfPositionOf = (itemId: string): number | undefined => {
    const ticks = jf.state.userData[alice().id]?.[itemId]?.PlaybackPositionTicks;
    return ticks ? Math.round(ticks / TICKS_PER_MS) : undefined;
  };
  const runs = (): RunRow[] => store.runs({ pair: 'rt', limit: 100 }) as RunRow[];
  const itemRuns = () => runs().filter((r) => r.trigger === 'plex-websocket');
  const plexToken = (accountId: number) => plex.state.accounts.find((a) => a.id === accountId)!.token;

  const report = (film: PlexItem, state: 'playing' | 'paused' | 'stopped', timeMs: number, accountId = 1) =>
    plexTimeline(plex.url, plexToken(accountId), film, state, timeMs, String(accountId));

  before(async () => {
    plex = await startPlexEmulator({ name: 'rt-plex', synthetic: LIBRARY, seed: SEED, quiet: true });
    jf = await startMediaBrowserEmulator({ dialect: 'jellyfin', name: 'rt-jf', synthetic: LIBRARY, seed: SEED, quiet: true });
    films = plex.state.items.filter((i) => i.type === 'movie' && imdbOf(i) !== undefined && (i.durationMs ?? 0) > 3_600_000);
    assert.ok(films.length >= 7, 'enough long films');
    // One position already there: the first full run syncs it, and builds Jellyfin's id index on the way.
    (plex.state.userState['1'] ??= {})[films[5]!.ratingKey] = { viewOffset: 1_000_000, lastViewedAt: Math.floor(Date.now() / 1000) - 600 };
    dir = mkdtempSync(join(tmpdir(), 'playhead-rt-'));
    const path = join(dir, 'state.db');
    store = Store.open(path);
    const config: Config = {
      providers: {
        plex: { kind: 'plex', url: plex.url, token: plex.ownerToken, ...limits },
        jf: { kind: 'jellyfin', url: jf.url, token: alice().token, ...limits },
      },
      pairs: [pair('rt', 'plex', 'jf')],
      state: { path },
      logLevel: 'silent',
    };
    serve = await serveOn(config, store);
    // The first full run (it builds Jellyfin's id index) and the websocket.
    await eventually(() => (runs().some((r) => r.trigger === 'schedule' && r.finishedAt) ? true : undefined));
    await eventually(async () => {
      const pairs = (await api<{ pairs: { triggers: { state: string }[] }[] }>(serve.url, '/api/pairs')).body.pairs;
      return pairs[0]?.triggers[0]?.state === 'up' ? true : undefined;
    });
  });

  after(async () => {
    await serve.stop('test over');
    store.close();
    await plex.close();
    await jf.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('a stop on Plex reaches Jellyfin within seconds, in at most 6 requests for the event', async () => {
    const film = films[0]!;
    await report(film, 'playing', 600_000);
    // The trigger maps the new session to its account once (`/status/sessions`), while it plays.
    await sleep(500);
    const before = { plex: plex.requests.length, jf: jf.requests.length, runs: itemRuns().length };
    const stoppedAt = Date.now();
    await report(film, 'stopped', 1_800_000);
    await eventually(() => (jfPositionMs(film) === 1_800_000 ? true : undefined), 10_000);
    const delay = Date.now() - stoppedAt;
    assert.ok(delay < 6_000, `arrived after ${delay} ms`);
    const run = await eventually(() => (itemRuns().length > before.runs && itemRuns()[0]?.finishedAt ? itemRuns()[0] : undefined));
    assert.equal(run.status, 'ok');
    // Our own report is one of the Plex requests; everything else is serve's.
    const requests = plex.requests.length - before.plex - 1 + (jf.requests.length - before.jf);
    assert.ok(
      requests <= 6,
      `${requests} requests for one event: ${JSON.stringify([...plex.requests.slice(before.plex), ...jf.requests.slice(before.jf)].map((r) => `${r.method} ${r.path} ${JSON.stringify(r.query)}`))}`,
    );
    // Found through the stored id index: no listing and no index refresh on Jellyfin, only reads by id.
    const jfReads = jf.requests.slice(before.jf).filter((r) => r.method === 'GET' && r.path === '/Items');
    assert.ok(jfReads.length > 0 && jfReads.every((r) => r.query?.Ids !== undefined), JSON.stringify(jfReads.map((r) => r.query)));
    const metrics = (await api(serve.url, '/metrics')).text;
    assert.match(metrics, /playhead_event_to_write_seconds_count\{pair="rt",trigger="plex-websocket"\} [1-9]/);
    assert.match(metrics, /playhead_trigger_up\{provider="plex",trigger="plex-websocket"\} 1/);
  });

  test('a stop on an episode costs no more than a film: at most 6 requests for the event', async () => {
    const episode = plex.state.items.find((i) => i.type === 'episode' && (i.durationMs ?? 0) > 0 && jfEpisodeOf(i) !== undefined);
    assert.ok(episode, 'an episode on both servers');
    const positionMs = Math.round((episode.durationMs ?? 0) * 0.4);
    await report(episode, 'playing', 60_000);
    await sleep(500);
    const before = { plex: plex.requests.length, jf: jf.requests.length, runs: itemRuns().length };
    await report(episode, 'stopped', positionMs);
    await eventually(() => (jfPositionOf(jfEpisodeOf(episode)!.Id) === positionMs ? true : undefined), 10_000);
    const run = await eventually(() => (itemRuns().length > before.runs && itemRuns()[0]?.finishedAt ? itemRuns()[0] : undefined));
    assert.equal(run.status, 'ok');
    const requests = [...plex.requests.slice(before.plex), ...jf.requests.slice(before.jf)].filter((r) => r.path !== '/:/timeline');
    assert.ok(
      requests.length <= 6,
      `${requests.length} requests for one event: ${JSON.stringify(requests.map((r) => `${r.method} ${r.path} ${JSON.stringify(r.query)}`))}`,
    );
    // Neither library is listed (the episode is read by id, with its show for the show ids).
    assert.ok(!requests.some((r) => r.path.startsWith('/library/sections') || r.path.startsWith('/Shows')), JSON.stringify(requests.map((r) => r.path)));
  });

  test('events for one item within the window make one run and one write', async () => {
    const film = films[1]!;
    await report(film, 'playing', 300_000);
    await sleep(300);
    const before = { runs: itemRuns().length, writes: jf.requests.filter((r) => r.method === 'POST').length };
    // Stopped, started again a moment later, stopped again: two stops within the window.
    await report(film, 'stopped', 900_000);
    await report(film, 'playing', 900_000);
    await sleep(100);
    await report(film, 'stopped', 960_000);
    await eventually(() => (jfPositionMs(film) === 960_000 ? true : undefined), 10_000);
    await sleep(2_500);
    assert.equal(itemRuns().length - before.runs, 1, 'one run');
    assert.equal(jf.requests.filter((r) => r.method === 'POST').length - before.writes, 1, 'one write');
  });

  test('a playing item waits for its session to end', async () => {
    const film = films[2]!;
    const before = itemRuns().length;
    await report(film, 'playing', 1_200_000);
    // Past the coalescing window (2 s): a stop would have run by now; a play does not.
    await sleep(2_500);
    assert.equal(itemRuns().length, before, 'no run while it plays');
    assert.equal(jfPositionMs(film), undefined);
    await report(film, 'stopped', 1_260_000);
    await eventually(() => (jfPositionMs(film) === 1_260_000 ? true : undefined), 10_000);
  });

  test("another user's play never reaches the owner's pair", async () => {
    const film = films[3]!;
    const before = itemRuns().length;
    await report(film, 'playing', 700_000, 2);
    await sleep(300);
    await report(film, 'stopped', 1_500_000, 2);
    await sleep(3_000);
    assert.equal(itemRuns().length, before, "alice's stop started no run of the owner's pair");
    assert.equal(jfPositionMs(film), undefined);
  });

  test('a full run that finds the item playing on the target re-reads it once that session ended', async () => {
    const film = films[6]!;
    const twin = jf.state.items.find((i) => i.Type === 'Movie' && i.ProviderIds.Imdb === imdbOf(film));
    assert.ok(twin);
    (plex.state.userState['1'] ??= {})[film.ratingKey] = { viewOffset: 2_400_000, lastViewedAt: Math.floor(Date.now() / 1000) };
    jf.state.sessions.push({
      id: 'rt-session',
      userId: alice().id,
      client: 'Jellyfin Web',
      deviceName: 'TV',
      deviceId: 'tv-rt',
      applicationVersion: '10.11.8',
      itemId: twin.Id,
      positionTicks: 10_000_000,
      isPaused: false,
      lastActivityDate: new Date().toISOString(),
    });
    const ran = await api<{ run: { decisions: { reason: string }[] } }>(serve.url, '/api/pairs/rt/run', { method: 'POST', body: {} });
    assert.equal(ran.status, 200, ran.text);
    assert.ok(
      ran.body.run.decisions.some((d) => d.reason === 'playing_now'),
      ran.text,
    );
    // settle_seconds (1) later it is read again, still playing: nothing written, asked again.
    await eventually(() => (runs().some((r) => r.trigger === 'settle' && r.finishedAt) ? true : undefined));
    assert.equal(jfPositionMs(film), undefined);
    jf.state.sessions = jf.state.sessions.filter((x) => x.id !== 'rt-session');
    await eventually(() => (jfPositionMs(film) === 2_400_000 ? true : undefined), 10_000);
  });

  test('a dropped websocket reconnects, and what changed while it was down is picked up', async () => {
    const film = films[4]!;
    const sse = await subscribe(serve.url);
    try {
      const dropped = await request(`${plex.url}/__emulator/websockets/drop`, { method: 'POST' });
      assert.equal(dropped.statusCode, 200);
      await dropped.body.dump();
      // While nobody listens: a position the socket never announces.
      const state = (plex.state.userState['1'] ??= {});
      state[film.ratingKey] = { viewOffset: 2_100_000, lastViewedAt: Math.floor(Date.now() / 1000) };
      await within(
        10_000,
        sse.until((e) => e.event === 'trigger' && e.data.state === 'down'),
      );
      await within(
        10_000,
        sse.until((e) => e.event === 'trigger' && e.data.state === 'up' && Number(e.data.reconnects) >= 1),
      );
      await eventually(() => (jfPositionMs(film) === 2_100_000 ? true : undefined), 10_000);
      assert.ok(
        runs().some((r) => r.trigger === 'plex-websocket-reconnect'),
        'a catch-up run of the pair',
      );
      const pairs = (await api<{ pairs: { triggers: { state: string; reconnects: number }[] }[] }>(serve.url, '/api/pairs')).body.pairs;
      assert.equal(pairs[0]?.triggers[0]?.state, 'up');
      assert.ok((pairs[0]?.triggers[0]?.reconnects ?? 0) >= 1);
    } finally {
      sse.close();
    }
  });
});
