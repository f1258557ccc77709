// Trakt's finished items over real HTTP against the emulator: `listFinished` asks
// /sync/last_activities first and reads /sync/history only for a kind whose plays moved since
// `since` (start_at, paged, an item once at its latest play, episodes with their show's ids);
// `readFinished` finds the latest play of named items, whatever its time. `markWatched` logs a
// play (`/scrobble/stop` at 100 %) and `markUnwatched(ref, since)` removes only the plays logged
// since, by either form of ref.
import { afterEach, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { pino } from 'pino';
import { startTraktEmulator, type RunningTraktEmulator } from '../../emulators/trakt/server.ts';
import type { TraktEpisode, TraktMovie } from '../../emulators/trakt/data.ts';
import { canonicalKey } from '../../src/core/ids.ts';
import type { ItemIdentity, ProgressRecord } from '../../src/core/model.ts';
import type { Provider } from '../../src/providers/provider.ts';
import { createProvider } from '../../src/providers/registry.ts';
import { HISTORY_PAGE_SIZE } from '../../src/providers/trakt/client.ts';
import type { TraktProviderConfig } from '../../src/providers/trakt/config.ts';
import { saveTokens } from '../../src/providers/trakt/oauth.ts';
import { Store } from '../../src/store/store.ts';
import { tokenOf, trakt } from '../emulator/trakt-http.ts';
import { startTraktHarness } from '../harness/trakt.ts';

const LIBRARY = `movies=${HISTORY_PAGE_SIZE + 30},shows=2,seasons=1,episodes=4`;
const log = pino({ level: 'silent' });
const HOUR = 3_600_000;

let emu: RunningTraktEmulator;
let clockMs: number;
let store: Store;
let built: Provider[];

beforeEach(async () => {
  clockMs = Math.floor(Date.now() / 1000) * 1000;
  emu = await startTraktEmulator({ name: 'finished', synthetic: LIBRARY, seed: 'finished', quiet: true, now: () => clockMs, writeLimitPerSecond: 1000 });
  store = Store.open(':memory:');
  built = [];
});

afterEach(async () => {
  await Promise.all(built.map((p) => p.close()));
  store.close();
  await emu.close();
});

/** A provider signed in as alice, sharing nothing in memory with another one (the same `id`
 * shares the provider's stored state, as one configured provider's runs do). */
function provider(id = `trakt-${built.length}`): Provider {
  const user = emu.users.find((u) => u.username === 'alice')!;
  saveTokens(store.providerState(id), { accessToken: user.accessToken, refreshToken: user.refreshToken, expiresAt: clockMs + 6 * 86_400_000 });
  const config: TraktProviderConfig = {
    kind: 'trakt',
    clientId: emu.clientId,
    clientSecret: emu.clientSecret,
    url: emu.url,
    authUrl: emu.url,
    timeoutMs: 5000,
    retries: 1,
    writesPerSecond: 1,
  };
  const p = createProvider(id, config, { state: store.providerState(id), installationId: 'test', log, now: () => clockMs, dryRun: false }, { minBackoffMs: 1 });
  built.push(p);
  return p;
}

const movie = (i: number): TraktMovie => emu.state.movies[i]!;
const episode = (i: number): TraktEpisode => emu.state.episodes[i]!;
const show = (e: TraktEpisode) => emu.state.shows.find((s) => s.ids.trakt === e.show)!;
const clean = (ids: { imdb?: string | null; tmdb?: number | null; tvdb?: number | null }) => ({
  ...(ids.imdb ? { imdb: ids.imdb } : {}),
  ...(ids.tmdb ? { tmdb: String(ids.tmdb) } : {}),
  ...(ids.tvdb ? { tvdb: String(ids.tvdb) } : {}),
});
const movieIdentity = (m: TraktMovie): ItemIdentity => ({ type: 'movie', ids: clean(m.ids), title: m.title });
const episodeIdentity = (e: TraktEpisode): ItemIdentity => ({
  type: 'episode',
  ids: clean(e.ids),
  title: e.title ?? '',
  show: { ids: clean(show(e).ids) },
  season: e.season,
  episode: e.number,
});
const keyOf = (item: ItemIdentity) => canonicalKey(item)!;

/** alice finishes an item at `at` the way a player does: a /scrobble/stop at 100 %. */
async function finish(body: Record<string, unknown>, at: number): Promise<void> {
  clockMs = at;
  const reply = await trakt(emu, '/scrobble/stop', { token: tokenOf(emu, 'alice'), body: { ...body, progress: 100 } });
  assert.equal(reply.json?.action, 'scrobble', `a play (${reply.status})`);
}
const finishMovie = (m: TraktMovie, at: number) => finish({ movie: { ids: { trakt: m.ids.trakt } } }, at);
const finishEpisode = (e: TraktEpisode, at: number) => finish({ episode: { ids: { trakt: e.ids.trakt } } }, at);

async function listFinished(p: Provider, since: number): Promise<ProgressRecord[]> {
  const out: ProgressRecord[] = [];
  assert.ok(p.listFinished, 'Trakt lists finished items');
  for await (const page of p.listFinished(since)) out.push(...page);
  return out;
}

/** The requests made since the log was cleared, as `METHOD path`. */
function requestLines(): string[] {
  return emu.requests.map((r) => `${r.method} ${r.path}`);
}

describe('Trakt listFinished', () => {
  test('claims finishedReads and logsPlays, and no watched state (history is not a flag next to positions)', () => {
    const p = provider();
    assert.equal(p.capabilities.finishedReads, true);
    assert.equal(p.capabilities.watchedState, false);
    assert.equal(p.capabilities.logsPlays, true);
    assert.equal(typeof p.markWatched, 'function');
    assert.equal(typeof p.markUnwatched, 'function');
    assert.equal(typeof p.readFinished, 'function');
  });

  test('nothing played since `since`: one /sync/last_activities request and no history read', async () => {
    const start = clockMs;
    await finishMovie(movie(0), start - 5 * HOUR);
    await finishEpisode(episode(0), start - 4 * HOUR);
    clockMs = start;
    emu.requests.length = 0;
    assert.deepEqual(await listFinished(provider(), start - 3 * HOUR), []);
    assert.deepEqual(requestLines(), ['GET /sync/last_activities']);
    // Only the kind that moved is read: a movie played later costs one history page, no episode read.
    await finishMovie(movie(1), start - HOUR);
    emu.requests.length = 0;
    const found = await listFinished(provider(), start - 3 * HOUR);
    assert.deepEqual(
      found.map((r) => r.ref.id),
      [keyOf(movieIdentity(movie(1)))],
    );
    assert.deepEqual(requestLines(), ['GET /sync/last_activities', 'GET /sync/history/movies']);
    assert.equal(emu.requests[1]!.query.start_at, new Date(start - 3 * HOUR).toISOString());
  });

  test('since is inclusive: a play at `since` counts, one a millisecond earlier does not', async () => {
    const since = clockMs - 2 * HOUR;
    await finishMovie(movie(0), since - 1);
    await finishMovie(movie(1), since);
    await finishMovie(movie(2), since + 1);
    const found = await listFinished(provider(), since);
    assert.deepEqual(
      found.map((r) => [r.ref.id, r.watchedAt]),
      [
        [keyOf(movieIdentity(movie(2))), since + 1],
        [keyOf(movieIdentity(movie(1))), since],
      ],
    );
    const record = found[0]!;
    assert.equal(record.watched, true);
    assert.equal(record.type, 'movie');
    assert.deepEqual(record.ids, clean(movie(2).ids));
    assert.equal(record.progressAt, since + 1, 'the play is also the last time it was played');
    assert.equal(record.progressPct ?? record.progressMs, undefined, 'a play carries no position');
    assert.equal(record.durationMs, (movie(2).runtime ?? 0) * 60_000, 'runtime from extended=full');
  });

  test('an item played several times appears once, at its latest play', async () => {
    const start = clockMs;
    await finishMovie(movie(3), start - 10 * HOUR);
    await finishMovie(movie(3), start - 6 * HOUR);
    await finishMovie(movie(4), start - 5 * HOUR);
    const found = await listFinished(provider(), start - 12 * HOUR);
    assert.deepEqual(
      found.map((r) => [r.ref.id, r.watchedAt]),
      [
        [keyOf(movieIdentity(movie(4))), start - 5 * HOUR],
        [keyOf(movieIdentity(movie(3))), start - 6 * HOUR],
      ],
    );
  });

  test('episodes carry their show ids, season and number; their ref names the episode by its show', async () => {
    const e = episode(1);
    await finishEpisode(e, clockMs - HOUR);
    const [record] = await listFinished(provider(), clockMs - 2 * HOUR);
    assert.ok(record);
    assert.equal(record.type, 'episode');
    assert.deepEqual(record.show?.ids, clean(show(e).ids));
    assert.deepEqual([record.season, record.episode], [e.season, e.number]);
    assert.deepEqual(record.ids, clean(e.ids));
    assert.equal(record.ref.id, keyOf(episodeIdentity(e)));
  });

  test('pages through more plays than one history page', async () => {
    const start = clockMs;
    const played = HISTORY_PAGE_SIZE + 20;
    // Plays straight into the state (a scrobble each would take as many requests), then the stamp.
    emu.state.history.alice = Array.from({ length: played }, (_, i) => ({
      id: 5_000 + i,
      type: 'movie' as const,
      item: movie(i).ids.trakt,
      watched_at: new Date(start - HOUR + i * 1000).toISOString(),
      action: 'scrobble' as const,
    }));
    emu.state.activities.alice = { movies: { watched_at: new Date(start).toISOString() }, episodes: {} };
    emu.requests.length = 0;
    const found = await listFinished(provider(), start - 2 * HOUR);
    assert.equal(found.length, played);
    assert.equal(new Set(found.map((r) => r.ref.id)).size, played);
    assert.deepEqual(
      emu.requests.map((r) => [r.path, r.query.page, r.query.limit]),
      [
        ['/sync/last_activities', undefined, undefined],
        ['/sync/history/movies', '1', String(HISTORY_PAGE_SIZE)],
        ['/sync/history/movies', '2', String(HISTORY_PAGE_SIZE)],
      ],
    );
  });

  test('a removed play is no longer a finish', async () => {
    await finishMovie(movie(5), clockMs - HOUR);
    const play = emu.state.history.alice!.at(-1)!;
    clockMs += 1000;
    await trakt(emu, '/sync/history/remove', { token: tokenOf(emu, 'alice'), body: { ids: [play.id] } });
    assert.deepEqual(await listFinished(provider(), clockMs - 2 * HOUR), []);
  });
});

describe('Trakt readFinished', () => {
  test('the latest play of items named by key (movie, episode by its show, episode by its own ids), whatever its time', async () => {
    const start = clockMs;
    const [m, e1, e2] = [movie(6), episode(2), episode(5)];
    await finishMovie(m, start - 400 * 24 * HOUR);
    await finishMovie(m, start - 300 * 24 * HOUR);
    await finishEpisode(e1, start - 3 * HOUR);
    await finishEpisode(e2, start - 2 * HOUR);
    clockMs = start;
    const byShow = keyOf(episodeIdentity(e1));
    const byOwnIds = `episode:imdb:${e2.ids.imdb}`;
    const never = keyOf(movieIdentity(movie(7)));
    const p = provider();
    assert.ok(p.readFinished);
    emu.requests.length = 0;
    const found = await p.readFinished([keyOf(movieIdentity(m)), byShow, byOwnIds, never, 'imdb:tt9999999']);
    assert.deepEqual(
      found.map((r) => [r.ref.id, r.watchedAt, r.watched]),
      [
        [keyOf(movieIdentity(m)), start - 300 * 24 * HOUR, true],
        [byShow, start - 3 * HOUR, true],
        [byOwnIds, start - 2 * HOUR, true],
      ],
    );
    assert.deepEqual([found[1]!.season, found[1]!.episode], [e1.season, e1.number]);
    // One search and one history read per item (none for an item Trakt does not know).
    const paths = emu.requests.map((r) => r.path);
    assert.equal(paths.filter((x) => x.startsWith('/search/')).length, 5);
    assert.deepEqual(
      paths.filter((x) => x.startsWith('/sync/history')),
      [
        `/sync/history/movies/${m.ids.trakt}`,
        `/sync/history/shows/${show(e1).ids.trakt}`,
        `/sync/history/episodes/${e2.ids.trakt}`,
        `/sync/history/movies/${movie(7).ids.trakt}`,
      ],
    );
    assert.equal(emu.requests.find((r) => r.path.startsWith('/sync/history/movies/'))?.query.limit, '1');
    // The Trakt ids are remembered: asking again reads the history only.
    emu.requests.length = 0;
    assert.equal((await p.readFinished([keyOf(movieIdentity(m))])).length, 1);
    assert.deepEqual(
      emu.requests.map((r) => r.path),
      [`/sync/history/movies/${m.ids.trakt}`],
    );
  });

  test('a playback id still saved names its item; one no longer saved names nothing', async () => {
    const m = movie(8);
    await finishMovie(m, clockMs - 2 * HOUR);
    clockMs += 1000;
    // Started again after the finish: a position saved after the play.
    const paused = await trakt(emu, '/scrobble/pause', { token: tokenOf(emu, 'alice'), body: { movie: { ids: { trakt: m.ids.trakt } }, progress: 10 } });
    const found = await provider().readFinished!([String(paused.json.id), '123456789']);
    assert.deepEqual(
      found.map((r) => [r.ref.id, r.watchedAt]),
      [[String(paused.json.id), clockMs - 1000]],
    );
    assert.deepEqual(await provider().readFinished!([]), []);
  });
});

/** alice stops an item part-way through at the current clock, as a player does: a saved position. */
async function pause(body: Record<string, unknown>, progress: number): Promise<number> {
  const reply = await trakt(emu, '/scrobble/pause', { token: tokenOf(emu, 'alice'), body: { ...body, progress } });
  assert.equal(reply.status, 201);
  return reply.json.id as number;
}
const movieBody = (m: TraktMovie) => ({ movie: { ids: { trakt: m.ids.trakt } } });
const episodeBody = (e: TraktEpisode) => ({ episode: { ids: { trakt: e.ids.trakt } } });

/** alice's plays of an item, as [watched time, action]. */
function playsOf(type: 'movie' | 'episode', trakt: number): Array<[number, string]> {
  return (emu.state.history.alice ?? []).filter((h) => h.type === type && h.item === trakt).map((h) => [Date.parse(h.watched_at), h.action]);
}

describe('Trakt markWatched and markUnwatched (finish: mark_watched, and its undo)', () => {
  test('markWatched by key: one /scrobble/stop at 100 % logs a play and drops the position', async () => {
    const m = movie(10);
    await pause(movieBody(m), 40);
    clockMs += 60_000;
    const p = provider();
    const ref = { provider: p.id, server: (await p.connect()).serverId, id: keyOf(movieIdentity(m)) };
    emu.requests.length = 0;
    await p.markWatched!(ref);
    assert.deepEqual(requestLines(), ['POST /scrobble/stop']);
    assert.equal(emu.requests[0]!.status, 201);
    assert.deepEqual(playsOf('movie', m.ids.trakt), [[clockMs, 'scrobble']]);
    const state = (await provider().targetState([ref])).get(ref.id);
    assert.deepEqual(state && [state.progressPct, state.watched], [undefined, false], 'no position, and no watched flag read');
  });

  test('markUnwatched removes the plays logged since, by play id; an older play of the item stays', async () => {
    const start = clockMs;
    const m = movie(11);
    await finishMovie(m, start - 30 * 24 * HOUR);
    clockMs = start;
    await pause(movieBody(m), 55);
    const ref = { provider: 'trakt', server: '', id: keyOf(movieIdentity(m)) };
    clockMs += 60_000;
    const since = clockMs;
    await provider().markWatched!(ref);
    clockMs += 60_000;
    emu.requests.length = 0;
    await provider().markUnwatched!(ref, since);
    assert.deepEqual(requestLines(), ['GET /sync/history/movies', 'POST /sync/history/remove']);
    assert.equal(emu.requests[0]!.query.start_at, new Date(since).toISOString());
    assert.deepEqual(playsOf('movie', m.ids.trakt), [[start - 30 * 24 * HOUR, 'scrobble']], 'the play of a month ago is kept');
    assert.deepEqual(await listFinished(provider(), since), [], 'nothing finished since');
    // Nothing left to remove: one read, no write.
    emu.requests.length = 0;
    await provider().markUnwatched!(ref, since);
    assert.deepEqual(requestLines(), ['GET /sync/history/movies']);
  });

  test('by a listed (playback id) ref on instances of one configured provider that share nothing in memory; plays of other items are kept', async () => {
    const [e, sibling] = [episode(0), episode(1)];
    await pause(episodeBody(e), 30);
    const listed = (await provider('alice-trakt').readItems([String((emu.state.playback.alice ?? [])[0]!.id)]))[0];
    assert.ok(listed, 'the playback entry is listed');
    clockMs += 60_000;
    const since = clockMs;
    emu.requests.length = 0;
    await provider('alice-trakt').markWatched!(listed.ref);
    assert.deepEqual(requestLines(), ['GET /sync/playback', 'POST /scrobble/stop']);
    assert.deepEqual(playsOf('episode', e.ids.trakt), [[since, 'scrobble']]);
    // The person watches another episode of the show in the meantime.
    await finishEpisode(sibling, since + 30_000);
    clockMs = since + 60_000;
    emu.requests.length = 0;
    // The playback entry is gone, yet the ref still names the episode (kept with the provider's state).
    await provider('alice-trakt').markUnwatched!(listed.ref, since);
    assert.deepEqual(requestLines(), ['GET /sync/history/episodes', 'POST /sync/history/remove']);
    assert.deepEqual(playsOf('episode', e.ids.trakt), []);
    assert.deepEqual(playsOf('episode', sibling.ids.trakt), [[since + 30_000, 'scrobble']], 'the other episode keeps its play');
    // Undo puts the position back by the same ref, and reads it back by it.
    await provider('alice-trakt').write(listed.ref, { progressMs: Math.round((listed.durationMs ?? 0) * 0.3), progressPct: 30 });
    assert.equal((await provider('alice-trakt').targetState([listed.ref])).get(listed.ref.id)?.progressPct, 30);
  });

  test('a play logged moments ago (409): that play stands, the position is removed', async () => {
    const m = movie(12);
    await finishMovie(m, clockMs);
    clockMs += 60_000;
    // Started again inside the scrobble window: a second stop now is a 409.
    await pause(movieBody(m), 5);
    clockMs += 60_000;
    const ref = { provider: 'trakt', server: '', id: keyOf(movieIdentity(m)) };
    emu.requests.length = 0;
    await provider().markWatched!(ref);
    assert.deepEqual(
      emu.requests.map((r) => [r.method, r.path.replace(/\d+$/, 'N'), r.status]),
      [
        ['POST', '/scrobble/stop', 409],
        ['GET', '/sync/playback', 200],
        ['DELETE', '/sync/playback/N', 204],
      ],
    );
    assert.equal(playsOf('movie', m.ids.trakt).length, 1, 'no second play');
    assert.deepEqual(emu.state.playback.alice, [], 'the position is gone');
  });

  test('markUnwatched without a time refuses: it would remove plays the person logged', async () => {
    const ref = { provider: 'trakt', server: '', id: keyOf(movieIdentity(movie(13))) };
    emu.requests.length = 0;
    await assert.rejects(provider().markUnwatched!(ref), /since a time/);
    assert.deepEqual(requestLines(), []);
  });
});

describe('Trakt conformance harness', () => {
  test('setFinished leaves what a ≥ 80 % scrobble leaves: a play at that time, no playback, stamps moved', async () => {
    const h = await startTraktHarness('harness-finish', 'movies=3,shows=1,seasons=1,episodes=2');
    const local = Store.open(':memory:');
    try {
      const [item] = h.movies();
      assert.ok(item && h.setFinished);
      await h.setProgress(item, 0.4, Date.now() - 2 * HOUR);
      const at = Date.now() - HOUR;
      await h.setFinished(item, at);
      assert.equal(await h.progressOf(item), undefined, 'the playback entry is gone');
      h.prepareStore?.(local, 'trakt', true);
      const p = createProvider('trakt', h.config(), { state: local.providerState('trakt'), installationId: 'test', log, now: Date.now, dryRun: false });
      try {
        const found: ProgressRecord[] = [];
        for await (const page of p.listFinished!(at - 1000)) found.push(...page);
        assert.deepEqual(
          found.map((r) => [r.ref.id, r.watchedAt]),
          [[keyOf(item), at]],
        );
        assert.equal((await p.readFinished!([keyOf(item)]))[0]?.watchedAt, at);
      } finally {
        await p.close();
      }
    } finally {
      local.close();
      await h.close();
    }
  });
});
