// Fidelity: npm `trakt.tv` reading and changing the watched history of the Trakt emulator the way
// its users do on api.trakt.tv: `sync.history.get` with type, item id, start_at/end_at, page/limit
// (its `pagination: true` answer carries the X-Pagination-* headers) and extended=full,
// `sync.history.add`/`remove` (by history ids and by item), `scrobble.stop` logging a play, and
// `sync.last_activities` watched_at moving with each of them. Every check compares what the
// client got with the emulator's own state. (The client's surface is typed here: the package
// ships no declarations.)
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { after, before, describe, it } from 'node:test';
import { startTraktEmulator, type RunningTraktEmulator } from '../../emulators/trakt/server.ts';

interface Ids {
  trakt: number;
  imdb?: string | null;
}
interface HistoryRow {
  id: number;
  watched_at: string;
  action: string;
  type: 'movie' | 'episode';
  movie?: { title: string; ids: Ids; runtime?: number | null };
  episode?: { season: number; number: number; ids: Ids };
  show?: { ids: Ids };
}
interface Paged<T> {
  data: T;
  pagination: { 'item-count': string; limit: string; page: string; 'page-count': string };
}
interface HistoryQuery {
  type?: 'movies' | 'shows' | 'episodes';
  id?: number;
  start_at?: string;
  end_at?: string;
  page?: number;
  limit?: number;
  extended?: 'full';
}
type MediaList = Array<{ ids: Partial<Ids>; watched_at?: string }>;
interface TraktClient {
  import_token(token: { access_token: string; refresh_token: string; expires: number }): Promise<unknown>;
  scrobble: { stop(body: { movie?: { ids: Partial<Ids> }; episode?: { ids: Partial<Ids> }; progress: number }): Promise<{ id: number; action: string }> };
  sync: {
    last_activities(): Promise<{ all: string; movies: { watched_at: string; paused_at: string }; episodes: { watched_at: string; paused_at: string } }>;
    playback: { get(params?: { type?: 'movies' | 'episodes' }): Promise<unknown[]> };
    history: {
      get(params: HistoryQuery & { pagination: true }): Promise<Paged<HistoryRow[]>>;
      get(params?: HistoryQuery): Promise<HistoryRow[]>;
      add(body: { movies?: MediaList; episodes?: MediaList }): Promise<{ added: { movies: number; episodes: number } }>;
      remove(body: {
        ids?: number[];
        movies?: MediaList;
        episodes?: MediaList;
      }): Promise<{ deleted: { movies: number; episodes: number }; not_found: { ids: number[] } }>;
    };
  };
}
type TraktConstructor = new (settings: { client_id: string; client_secret?: string; api_url?: string }) => TraktClient;
const Trakt = createRequire(import.meta.url)('trakt.tv') as TraktConstructor;

const HOUR = 3_600_000;
let clock = Math.floor(Date.now() / 1000) * 1000;
let emulator: RunningTraktEmulator;
let trakt: TraktClient;
const iso = (ms: number) => new Date(ms).toISOString();

before(async () => {
  emulator = await startTraktEmulator({
    name: 'trakt-history-fidelity',
    synthetic: 'movies=30,shows=2,seasons=1,episodes=3',
    seed: 'h',
    quiet: true,
    now: () => clock,
    writeLimitPerSecond: 1000,
  });
  const alice = emulator.users.find((u) => u.username === 'alice')!;
  trakt = new Trakt({ client_id: emulator.clientId, client_secret: emulator.clientSecret, api_url: emulator.url });
  await trakt.import_token({ access_token: alice.accessToken, refresh_token: alice.refreshToken, expires: clock + 86_400_000 });
});

after(async () => {
  await emulator?.close();
});

const movie = (n: number) => emulator.state.movies[n]!;
const plays = () => emulator.state.history.alice ?? [];

describe('trakt.tv history calls against the Trakt emulator', () => {
  const start = clock;

  it('adds back-dated plays with sync.history.add; last_activities watched_at moves to when they were logged', async () => {
    const before = await trakt.sync.last_activities();
    assert.equal(before.movies.watched_at, '1970-01-01T00:00:00.000Z');
    clock += 1000;
    const added = await trakt.sync.history.add({
      movies: Array.from({ length: 12 }, (_, i) => ({ ids: { trakt: movie(i).ids.trakt }, watched_at: iso(start - (12 - i) * HOUR) })),
    });
    assert.deepEqual(added.added, { movies: 12, episodes: 0 });
    const after = await trakt.sync.last_activities();
    assert.equal(after.movies.watched_at, iso(clock));
    assert.equal(after.episodes.watched_at, '1970-01-01T00:00:00.000Z');
    assert.equal(after.all, iso(clock));
  });

  it('reads the history newest first, 10 a page by default, and pages with page/limit', async () => {
    const first = await trakt.sync.history.get({ type: 'movies', pagination: true });
    assert.deepEqual(first.pagination, { 'item-count': '12', limit: '10', page: '1', 'page-count': '2' });
    assert.deepEqual(
      first.data.map((r) => r.movie?.ids.trakt),
      [11, 10, 9, 8, 7, 6, 5, 4, 3, 2].map((i) => movie(i).ids.trakt),
    );
    const second = await trakt.sync.history.get({ type: 'movies', page: 2, limit: 5, pagination: true });
    assert.deepEqual(second.pagination, { 'item-count': '12', limit: '5', page: '2', 'page-count': '3' });
    const ids = new Map(plays().map((p) => [p.item, p.id]));
    assert.deepEqual(
      second.data.map((r) => [r.id, r.watched_at, r.action, r.type]),
      [6, 5, 4, 3, 2].map((i) => [ids.get(movie(i).ids.trakt), iso(start - (12 - i) * HOUR), 'watch', 'movie']),
    );
  });

  it('filters on start_at/end_at (the client encodes them) and adds runtime with extended=full', async () => {
    const window = await trakt.sync.history.get({ type: 'movies', start_at: iso(start - 4 * HOUR), end_at: iso(start - 2 * HOUR), extended: 'full' });
    assert.deepEqual(
      window.map((r) => r.watched_at),
      [iso(start - 2 * HOUR), iso(start - 3 * HOUR), iso(start - 4 * HOUR)],
    );
    assert.equal(window[0]!.movie?.runtime, movie(10).runtime);
    const logged = emulator.requests.at(-1)!;
    assert.equal(logged.query.start_at, iso(start - 4 * HOUR));
    assert.equal(logged.status, 200);
    assert.deepEqual(await trakt.sync.history.get({ start_at: iso(start + HOUR) }), []);
  });

  it('scrobble.stop at 100 % logs a play, leaves playback empty, and the item reads by its Trakt id', async () => {
    const target = movie(3);
    clock += 60_000;
    const stopped = await trakt.scrobble.stop({ movie: { ids: { trakt: target.ids.trakt } }, progress: 100 });
    assert.equal(stopped.action, 'scrobble');
    assert.deepEqual(await trakt.sync.playback.get({ type: 'movies' }), []);
    assert.equal((await trakt.sync.last_activities()).movies.watched_at, iso(clock));
    const ofItem = await trakt.sync.history.get({ type: 'movies', id: target.ids.trakt });
    assert.deepEqual(
      ofItem.map((r) => [r.id, r.watched_at, r.action]),
      [
        [stopped.id, iso(clock), 'scrobble'],
        [plays().find((p) => p.item === target.ids.trakt && p.action === 'watch')!.id, iso(start - 9 * HOUR), 'watch'],
      ],
    );
    const newest = await trakt.sync.history.get({ type: 'movies', id: target.ids.trakt, limit: 1, pagination: true });
    assert.deepEqual([newest.data.length, newest.pagination['item-count']], [1, '2']);
  });

  it('removes plays by history id and by item with sync.history.remove, moving watched_at', async () => {
    const target = movie(3);
    const [newest] = await trakt.sync.history.get({ type: 'movies', id: target.ids.trakt, limit: 1 });
    clock += 60_000;
    const byId = await trakt.sync.history.remove({ ids: [newest!.id, 1] });
    assert.deepEqual(byId.deleted, { movies: 1, episodes: 0 });
    assert.deepEqual(byId.not_found.ids, [1]);
    assert.equal((await trakt.sync.last_activities()).movies.watched_at, iso(clock));
    clock += 60_000;
    const byItem = await trakt.sync.history.remove({ movies: [{ ids: { imdb: target.ids.imdb! } }] });
    assert.deepEqual(byItem.deleted, { movies: 1, episodes: 0 });
    assert.deepEqual(await trakt.sync.history.get({ type: 'movies', id: target.ids.trakt }), []);
    assert.equal(
      plays().some((p) => p.item === target.ids.trakt),
      false,
    );
    assert.equal((await trakt.sync.last_activities()).movies.watched_at, iso(clock));
  });
});
