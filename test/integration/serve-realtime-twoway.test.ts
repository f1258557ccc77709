// `playhead serve` in real time for a two-way Plex ⇄ Jellyfin pair: an event on either side runs
// the pair for that item alone (the item read by id there, its copy on the other side found
// through the stored id index and read by id), decided as a full run would, at a handful of
// requests counted on both emulators' request logs. Real HTTP and websockets, port 0.
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
import { api, eventually, limits, pair, plexTimeline, serveOn, sleep } from './serve-support.ts';

const LIBRARY = 'movies=12,shows=1,seasons=1,episodes=2';
const SEED = 'realtime-two-way';
const TICKS_PER_MS = 10_000;

type PlexItem = RunningPlexEmulator['state']['items'][number];
type Request = RunningPlexEmulator['requests'][number];

interface RunRow {
  id: number;
  status: string;
  trigger?: string;
  finishedAt?: number;
}

describe('playhead serve: item-scoped runs of a two-way Plex ⇄ Jellyfin pair', () => {
  let plex: RunningPlexEmulator;
  let jf: RunningMediaBrowserEmulator;
  let store: Store;
  let serve: RunningServe;
  let dir: string;
  let films: PlexItem[];
  const imdbOf = (item: PlexItem) => item.guids.find((g) => g.startsWith('imdb://'))?.slice(7);
  const alice = () => jf.users.find((u) => u.name === 'alice')!;
  const twinOf = (film: PlexItem) => {
    const twin = jf.state.items.find((i) => i.Type === 'Movie' && i.ProviderIds.Imdb === imdbOf(film));
    assert.ok(twin, `${film.title} is on Jellyfin`);
    return twin;
  };
  const jfPositionMs = (film: PlexItem): number | undefined => {
    const ticks = jf.state.userData[alice().id]?.[twinOf(film).Id]?.PlaybackPositionTicks;
    return ticks ? Math.round(ticks / TICKS_PER_MS) : undefined;
  };
  const plexOffset = (film: PlexItem) => plex.state.userState['1']?.[film.ratingKey]?.viewOffset;
  const runs = (): RunRow[] => store.runs({ pair: 'tw', limit: 100 }) as RunRow[];
  /** The newest finished run started by `trigger` after `count` such runs. */
  const nextRun = (trigger: string, count: number) =>
    eventually(() => {
      const mine = runs().filter((r) => r.trigger === trigger);
      return mine.length > count && mine[0]?.finishedAt ? mine[0] : undefined;
    }, 10_000);
  const countOf = (trigger: string) => runs().filter((r) => r.trigger === trigger).length;
  /** Every request both emulators saw since `before`, for the budget and its failure message. */
  const since = (before: { plex: number; jf: number }): Request[] => [...plex.requests.slice(before.plex), ...jf.requests.slice(before.jf)];
  const show = (rs: Request[]) => JSON.stringify(rs.map((r) => `${r.method} ${r.path} ${JSON.stringify(r.query)}`));
  const mark = () => ({ plex: plex.requests.length, jf: jf.requests.length });
  /** Waits until neither emulator has seen a request for a coalescing window and more: the
   * previous test's echo (our write, announced by the written side's trigger, read and found to
   * be ours) is over before anything is counted. */
  const quiet = async () => {
    let last = mark();
    for (;;) {
      await sleep(1_500);
      const now = mark();
      if (now.plex === last.plex && now.jf === last.jf) return;
      last = now;
    }
  };
  /** No listing of either library: Plex only by ratingKey, Jellyfin only by Ids. */
  const assertNoListing = (rs: Request[]) => {
    assert.ok(!rs.some((r) => r.path.startsWith('/library/sections')), `Plex was listed: ${show(rs)}`);
    const jfItems = rs.filter((r) => r.method === 'GET' && /\/Items$/.test(r.path));
    assert.ok(
      jfItems.every((r) => r.query?.Ids !== undefined),
      `Jellyfin was listed: ${show(rs)}`,
    );
  };
  const saveOnJellyfin = async (film: PlexItem, positionMs: number) => {
    const res = await request(`${jf.url}/UserItems/${twinOf(film).Id}/UserData?userId=${alice().id}`, {
      method: 'POST',
      headers: { 'X-Emby-Token': alice().token, 'content-type': 'application/json' },
      body: JSON.stringify({ PlaybackPositionTicks: positionMs * TICKS_PER_MS, LastPlayedDate: new Date().toISOString() }),
    });
    await res.body.dump();
    assert.ok(res.statusCode < 300, `UserData answered ${res.statusCode}`);
  };
  const reportOnPlex = (film: PlexItem, state: 'playing' | 'stopped', timeMs: number) => plexTimeline(plex.url, plex.ownerToken, film, state, timeMs, 'owner');

  before(async () => {
    plex = await startPlexEmulator({ name: 'tw-rt-plex', synthetic: LIBRARY, seed: SEED, quiet: true });
    jf = await startMediaBrowserEmulator({ dialect: 'jellyfin', name: 'tw-rt-jf', synthetic: LIBRARY, seed: SEED, quiet: true });
    films = plex.state.items.filter((i) => i.type === 'movie' && imdbOf(i) !== undefined && (i.durationMs ?? 0) > 3_600_000);
    assert.ok(films.length >= 5, 'enough long films');
    // One position on each side: the first full run writes both ways, building both id indexes.
    const earlier = Date.now() - 3_600_000;
    (plex.state.userState['1'] ??= {})[films[3]!.ratingKey] = { viewOffset: 1_000_000, lastViewedAt: Math.floor(earlier / 1000) };
    (jf.state.userData[alice().id] ??= {})[twinOf(films[4]!).Id] = {
      PlaybackPositionTicks: 1_100_000 * TICKS_PER_MS,
      PlayCount: 0,
      Played: false,
      LastPlayedDate: new Date(earlier).toISOString(),
    } as never;
    dir = mkdtempSync(join(tmpdir(), 'playhead-tw-rt-'));
    const path = join(dir, 'state.db');
    store = Store.open(path);
    const config: Config = {
      providers: {
        plex: { kind: 'plex', url: plex.url, token: plex.ownerToken, ...limits },
        jf: { kind: 'jellyfin', url: jf.url, token: alice().token, ...limits },
      },
      pairs: [{ ...pair('tw', 'plex', 'jf'), mode: 'two-way' }],
      state: { path },
      logLevel: 'silent',
    };
    serve = await serveOn(config, store);
    await eventually(() => (runs().some((r) => r.trigger === 'schedule' && r.finishedAt) ? true : undefined));
    assert.equal(jfPositionMs(films[3]!), 1_000_000);
    assert.equal(plexOffset(films[4]!), 1_100_000);
    // Both sides' triggers are up: the Plex socket and the Jellyfin socket.
    await eventually(async () => {
      const pairs = (await api<{ pairs: { triggers: { state: string }[] }[] }>(serve.url, '/api/pairs')).body.pairs;
      const triggers = pairs[0]?.triggers ?? [];
      return triggers.length === 2 && triggers.every((t) => t.state === 'up') ? true : undefined;
    });
    await sleep(300);
  });

  after(async () => {
    await serve.stop('test over');
    store.close();
    await plex.close();
    await jf.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('a stop on Plex is written to Jellyfin by an item run of a handful of requests', async () => {
    const film = films[0]!;
    await reportOnPlex(film, 'playing', 600_000);
    // The Plex trigger maps the new session to its account once (`/status/sessions`), while it plays.
    await quiet();
    const count = countOf('plex-websocket');
    const before = mark();
    await reportOnPlex(film, 'stopped', 1_800_000);
    await eventually(() => (jfPositionMs(film) === 1_800_000 ? true : undefined), 10_000);
    const run = await nextRun('plex-websocket', count);
    assert.equal(run.status, 'ok');
    // Our own report is one of the Plex requests; everything else is serve's.
    const requests = since(before).filter((r) => r.path !== '/:/timeline');
    // Six for the run (read the item, read its copy, the copy's live state and who plays, write,
    // confirm); a seventh when the written Plex announces the write and its trigger asks whose it was.
    assert.ok(requests.length <= 7, `${requests.length} requests for one event: ${show(requests)}`);
    assertNoListing(requests);
    const decisions = store.decisionsOfRun(run.id);
    assert.deepEqual(
      decisions.map((d) => [d.action, d.detail?.direction]),
      [['write', 'plex → jf']],
    );
  });

  test('a position saved on Jellyfin is written to Plex by an item run of a handful of requests', async () => {
    const film = films[1]!;
    await quiet();
    const count = countOf('jellyfin-websocket');
    const before = mark();
    await saveOnJellyfin(film, 1_500_000);
    await eventually(() => (plexOffset(film) === 1_500_000 ? true : undefined), 10_000);
    const run = await nextRun('jellyfin-websocket', count);
    assert.equal(run.status, 'ok');
    const requests = since(before).filter((r) => !r.path.includes('/UserData'));
    // Six for the run (read the item, read its copy, the copy's live state and who plays, write,
    // confirm); a seventh when the written Plex announces the write and its trigger asks whose it was.
    assert.ok(requests.length <= 7, `${requests.length} requests for one event: ${show(requests)}`);
    assertNoListing(requests);
    assert.deepEqual(
      store.decisionsOfRun(run.id).map((d) => [d.action, d.detail?.direction]),
      [['write', 'jf → plex']],
    );
  });

  test('the side that moved later wins, as in a full run: a stop on Plex older than Jellyfin’s change writes nothing to Jellyfin', async () => {
    const film = films[2]!;
    const twin = twinOf(film);
    // Jellyfin moved too, unannounced, and later than the stop Plex is about to report.
    (jf.state.userData[alice().id] ??= {})[twin.Id] = {
      PlaybackPositionTicks: 2_500_000 * TICKS_PER_MS,
      PlayCount: 0,
      Played: false,
      LastPlayedDate: new Date(Date.now() + 10 * 60_000).toISOString(),
    } as never;
    const count = countOf('plex-websocket');
    await reportOnPlex(film, 'playing', 300_000);
    await sleep(300);
    const jfWrites = jf.requests.filter((r) => r.method === 'POST').length;
    await reportOnPlex(film, 'stopped', 900_000);
    const run = await nextRun('plex-websocket', count);
    const decisions = store.decisionsOfRun(run.id);
    assert.equal(decisions.find((d) => d.key.endsWith('#conflict'))?.reason, 'conflict_lost', JSON.stringify(decisions));
    assert.equal(decisions.find((d) => !d.key.endsWith('#conflict'))?.detail?.direction, 'jf → plex');
    assert.equal(jf.requests.filter((r) => r.method === 'POST').length, jfWrites, 'nothing written to Jellyfin');
    assert.equal(jfPositionMs(film), 2_500_000);
    await eventually(() => (plexOffset(film) === 2_500_000 ? true : undefined), 10_000);
  });
});
