// The Trakt emulator's responses against schemas written from shared/protocols.md §4.3–4.5,
// and a replay of the illustrative exchange of §4.6b on a state holding that example's items.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { z } from 'zod';
import type { TraktEmulatorDataInput } from '../../emulators/trakt/data.ts';
import { startTraktEmulator, type RunningTraktEmulator } from '../../emulators/trakt/server.ts';
import { trakt } from '../emulator/trakt-http.ts';
import { compareShapes, shapeOf } from './shapes.ts';

// ---- schemas, from the protocol notes (not from the emulator) -----------------------------

/** "Dates are UTC ISO-8601 with milliseconds" (§4.2). */
const isoMs = z.string().regex(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
const int = z.number().int();

const movieIds = z.strictObject({ trakt: int, slug: z.string(), imdb: z.string().nullable(), tmdb: int.nullable() });
const showIds = z.strictObject({ trakt: int, slug: z.string(), tvdb: int.nullable(), imdb: z.string().nullable(), tmdb: int.nullable() });
const episodeIds = z.strictObject({ trakt: int, tvdb: int.nullable(), imdb: z.string().nullable(), tmdb: int.nullable() });

const movie = z.strictObject({ title: z.string(), year: int.nullable(), ids: movieIds });
const show = z.strictObject({ title: z.string(), year: int.nullable(), ids: showIds });
const episode = z.strictObject({ season: int, number: int, title: z.string().nullable(), ids: episodeIds });

/** §4.3: one row of GET /sync/playback. */
const playbackMovie = z.strictObject({
  progress: z.number().min(0).max(100),
  paused_at: isoMs,
  id: int,
  type: z.literal('movie'),
  movie,
});
const playbackEpisode = z.strictObject({
  progress: z.number().min(0).max(100),
  paused_at: isoMs,
  id: int,
  type: z.literal('episode'),
  episode,
  show,
});
const playbackList = z.array(z.union([playbackMovie, playbackEpisode]));

/** §4.5: the 201 of /scrobble/start|pause|stop. */
const scrobbleBase = {
  id: int,
  action: z.enum(['start', 'pause', 'scrobble']),
  progress: z.number().min(0).max(100),
  sharing: z.record(z.string(), z.boolean()).optional(),
};
const scrobbleMovie = z.strictObject({ ...scrobbleBase, movie });
const scrobbleEpisode = z.strictObject({ ...scrobbleBase, episode, show });
const scrobbleConflict = z.strictObject({ watched_at: isoMs, expires_at: isoMs });

/** One row of GET /sync/history (Trakt's docs: "the id (64-bit integer) … uniquely identifies the
 * event"; action scrobble, checkin or watch), with the standard media objects. */
const historyBase = { id: int, watched_at: isoMs, action: z.enum(['scrobble', 'checkin', 'watch']) };
const historyList = z.array(
  z.union([z.strictObject({ ...historyBase, type: z.literal('movie'), movie }), z.strictObject({ ...historyBase, type: z.literal('episode'), episode, show })]),
);

/** §4.1: device code and token responses. */
const deviceCode = z.strictObject({
  device_code: z.string(),
  user_code: z.string(),
  verification_url: z.string(),
  expires_in: int,
  interval: int,
});
const tokenResponse = z.strictObject({
  access_token: z.string(),
  token_type: z.literal('bearer'),
  expires_in: int,
  refresh_token: z.string(),
  scope: z.string(),
  created_at: int,
});

/** §4.6: the fields of /sync/last_activities a sync compares. */
const lastActivities = z.object({
  all: isoMs,
  movies: z.object({ watched_at: isoMs, paused_at: isoMs }),
  episodes: z.object({ watched_at: isoMs, paused_at: isoMs }),
});

function check<T>(schema: z.ZodType<T>, value: unknown, what: string): T {
  const parsed = schema.safeParse(value);
  assert.ok(parsed.success, `${what}: ${parsed.success ? '' : z.prettifyError(parsed.error)}\n${JSON.stringify(value)}`);
  return parsed.data;
}

// ---- §4.6b, as printed in the notes --------------------------------------------------------

const EXAMPLE_ROW = {
  progress: 34.5,
  paused_at: '2026-11-23T20:11:09.000Z',
  id: 1234567,
  type: 'episode',
  episode: { season: 1, number: 1, title: 'Pilot', ids: { trakt: 100, tvdb: 2000001, imdb: 'tt0000001', tmdb: 1000001 } },
  show: { title: 'Example Show', year: 2020, ids: { trakt: 10, slug: 'example-show', tvdb: 3000001, imdb: 'tt0000010', tmdb: 1000010 } },
};

/** A state holding exactly the example's show, episode and playback row, plus the movie tt0000003. */
const EXAMPLE_STATE: TraktEmulatorDataInput = {
  app: { clientId: 'example-client', clientSecret: 'example-secret' },
  users: [
    {
      username: 'alice',
      tokens: [{ accessToken: 'token-a', refreshToken: 'refresh-a', createdAt: '2026-11-20T00:00:00.000Z', expiresAt: '2026-11-27T00:00:00.000Z' }],
    },
  ],
  movies: [{ title: 'Example Movie', year: 2019, ids: { trakt: 30, slug: 'example-movie-2019', imdb: 'tt0000003', tmdb: 1000003 }, runtime: 100 }],
  shows: [{ title: 'Example Show', year: 2020, ids: { trakt: 10, slug: 'example-show', tvdb: 3000001, imdb: 'tt0000010', tmdb: 1000010 }, runtime: 45 }],
  episodes: [{ show: 10, season: 1, number: 1, title: 'Pilot', ids: { trakt: 100, tvdb: 2000001, imdb: 'tt0000001', tmdb: 1000001 }, runtime: 45 }],
  playback: { alice: [{ id: 1234567, type: 'episode', item: 100, progress: 34.5, paused_at: '2026-11-23T20:11:09.000Z' }] },
};

let clockMs = Date.parse('2026-11-24T08:00:00.000Z');
let emu: RunningTraktEmulator;
const call = (path: string, options: Parameters<typeof trakt>[2] = {}) => trakt(emu, path, { token: 'token-a', ...options });
/** One write per second is the default limit: move the clock before each write. */
function write(path: string, options: Parameters<typeof trakt>[2] = {}) {
  clockMs += 1_000;
  return call(path, { method: 'POST', ...options });
}

before(async () => {
  emu = await startTraktEmulator({ data: structuredClone(EXAMPLE_STATE), quiet: true, now: () => clockMs });
});

after(async () => {
  await emu.close();
});

describe('§4.6b illustrative exchange, replayed', () => {
  it('GET /sync/playback/episodes?page=1&limit=100 gives the example row and headers', async () => {
    const res = await call('/sync/playback/episodes?page=1&limit=100');
    assert.equal(res.status, 200);
    assert.deepEqual(res.json, [EXAMPLE_ROW]);
    assert.equal(res.headers.get('x-pagination-page'), '1');
    assert.equal(res.headers.get('x-pagination-limit'), '100');
    assert.equal(res.headers.get('x-pagination-page-count'), '1');
    assert.equal(res.headers.get('x-pagination-item-count'), '1');
    check(playbackList, res.json, 'playback');
  });

  it('POST /scrobble/pause by show tvdb + S1E1 → 201 pause with the episode and show', async () => {
    const res = await write('/scrobble/pause', { body: { show: { ids: { tvdb: 3000001 } }, episode: { season: 1, number: 1 }, progress: 40.2 } });
    assert.equal(res.status, 201);
    const body = check(scrobbleEpisode, res.json, 'scrobble pause');
    assert.equal(body.action, 'pause');
    assert.equal(body.progress, 40.2);
    assert.deepEqual(body.episode, EXAMPLE_ROW.episode);
    assert.deepEqual(body.show, EXAMPLE_ROW.show);
    // Shape of the example's `{"id":…,"action":"pause","progress":40.2,"episode":{…},"show":{…}}`.
    const example = { id: 987654321, action: 'pause', progress: 40.2, episode: EXAMPLE_ROW.episode, show: EXAMPLE_ROW.show };
    assert.deepEqual(compareShapes(shapeOf(example), shapeOf(res.json)), []);
    // The emulator keeps the playback id of the item (our choice; UNCERTAIN upstream).
    assert.equal(body.id, 1234567);
    const list = await call('/sync/playback');
    assert.equal(list.json[0].progress, 40.2);
    assert.equal(list.json[0].paused_at, new Date(clockMs).toISOString());
  });

  it('POST /scrobble/stop at 0.5 % → 422', async () => {
    const res = await write('/scrobble/stop', { body: { movie: { ids: { imdb: 'tt0000003' } }, progress: 0.5 } });
    assert.equal(res.status, 422);
  });

  it('a second ≥ 80 % stop right after the first → 409 {watched_at, expires_at}', async () => {
    const first = await write('/scrobble/stop', { body: { movie: { ids: { imdb: 'tt0000003' } }, progress: 92 } });
    assert.equal(first.status, 201);
    assert.equal(check(scrobbleMovie, first.json, 'scrobble stop').action, 'scrobble');
    const watchedAt = new Date(clockMs).toISOString();
    const second = await write('/scrobble/stop', { body: { movie: { ids: { imdb: 'tt0000003' } }, progress: 92 } });
    assert.equal(second.status, 409);
    const conflict = check(scrobbleConflict, second.json, '409 body');
    assert.equal(conflict.watched_at, watchedAt);
    assert.equal(conflict.expires_at, new Date(Date.parse(watchedAt) + 100 * 60_000).toISOString());
  });

  it('DELETE /sync/playback/1234567 → 204; DELETE /sync/playback/1 → 404', async () => {
    clockMs += 1_000;
    assert.equal((await call('/sync/playback/1234567', { method: 'DELETE' })).status, 204);
    clockMs += 1_000;
    assert.equal((await call('/sync/playback/1', { method: 'DELETE' })).status, 404);
  });
});

describe('response schemas (§4.1, §4.3, §4.5, §4.6)', () => {
  let synthetic: RunningTraktEmulator;
  let now = Date.parse('2026-11-24T09:00:00.000Z');

  before(async () => {
    synthetic = await startTraktEmulator({
      name: 'shapes',
      synthetic: 'movies=4,shows=2,seasons=1,episodes=3',
      seed: 7,
      quiet: true,
      now: () => now,
      writeLimitPerSecond: 100,
    });
  });

  after(async () => {
    await synthetic.close();
  });

  const token = () => synthetic.users[0]!.accessToken;
  const post = (path: string, body: unknown) => trakt(synthetic, path, { method: 'POST', token: token(), body });

  it('playback rows, movies and episodes, match §4.3', async () => {
    const m = synthetic.state.movies[0]!;
    const e = synthetic.state.episodes[2]!;
    check(scrobbleMovie, (await post('/scrobble/pause', { movie: { ids: { trakt: m.ids.trakt } }, progress: 12.25 })).json, 'pause movie');
    check(scrobbleEpisode, (await post('/scrobble/pause', { episode: { ids: { imdb: e.ids.imdb } }, progress: 61 })).json, 'pause episode');
    const list = await trakt(synthetic, '/sync/playback', { token: token() });
    const rows = check(playbackList, list.json, 'playback list');
    assert.deepEqual(rows.map((r) => r.type).sort(), ['episode', 'movie']);
    // Every row of ours has the example row's shape, and no field the example lacks.
    const episodeRow = list.json.find((r: { type: string }) => r.type === 'episode');
    assert.deepEqual(compareShapes(shapeOf(EXAMPLE_ROW), shapeOf(episodeRow)), []);
    assert.deepEqual(compareShapes(shapeOf(episodeRow), shapeOf(EXAMPLE_ROW)), []);
    // extended=full adds runtime in minutes, nothing else.
    const full = await trakt(synthetic, '/sync/playback/movies?extended=full', { token: token() });
    const runtime = check(z.array(playbackMovie.extend({ movie: movie.extend({ runtime: int }) })), full.json, 'extended=full')[0]!.movie.runtime;
    assert.equal(runtime, m.runtime);
  });

  it('start, pause-by-stop and scrobble responses match §4.5', async () => {
    const m = synthetic.state.movies[1]!;
    const body = (progress: number) => ({ movie: { ids: { slug: m.ids.slug } }, progress });
    const actions: string[] = [];
    for (const [path, progress] of [
      ['/scrobble/start', 5],
      ['/scrobble/stop', 50],
      ['/scrobble/stop', 85],
    ] as const) {
      now += 1_000;
      const res = await post(path, body(progress));
      assert.equal(res.status, 201);
      actions.push(check(scrobbleMovie, res.json, path).action);
    }
    assert.deepEqual(actions, ['start', 'pause', 'scrobble']);
    check(lastActivities, (await trakt(synthetic, '/sync/last_activities', { token: token() })).json, 'last_activities');
  });

  it('history rows (all, one kind, one item) match the documented row', async () => {
    const m = synthetic.state.movies[2]!;
    const e = synthetic.state.episodes[1]!;
    now += 1_000;
    assert.equal((await post('/scrobble/stop', { movie: { ids: { trakt: m.ids.trakt } }, progress: 100 })).status, 201);
    now += 1_000;
    assert.equal((await post('/sync/history', { episodes: [{ ids: { trakt: e.ids.trakt } }] })).status, 201);
    const all = check(historyList, (await trakt(synthetic, '/sync/history', { token: token() })).json, 'history');
    assert.ok(all.some((r) => r.type === 'episode' && r.action === 'watch'));
    assert.ok(all.some((r) => r.type === 'movie' && r.action === 'scrobble'));
    const ofMovie = check(historyList, (await trakt(synthetic, `/sync/history/movies/${m.ids.trakt}`, { token: token() })).json, 'one movie');
    assert.ok(ofMovie.length >= 1 && ofMovie.every((r) => r.type === 'movie' && r.movie.ids.trakt === m.ids.trakt));
    const full = await trakt(synthetic, `/sync/history/episodes/${e.ids.trakt}?extended=full`, { token: token() });
    const rows = check(
      z.array(z.strictObject({ ...historyBase, type: z.literal('episode'), episode: episode.extend({ runtime: int }), show: show.extend({ runtime: int }) })),
      full.json,
      'extended=full',
    );
    assert.equal(rows[0]!.episode.runtime, e.runtime);
  });

  it('device code and token responses match §4.1', async () => {
    const code = check(deviceCode, (await trakt(synthetic, '/oauth/device/code', { body: { client_id: synthetic.clientId } })).json, 'device code');
    synthetic.approveDevice(code.user_code, 'bob');
    const poll = await trakt(synthetic, '/oauth/device/token', {
      body: { code: code.device_code, client_id: synthetic.clientId, client_secret: synthetic.clientSecret },
    });
    const granted = check(tokenResponse, poll.json, 'device token');
    const refreshed = await trakt(synthetic, '/oauth/token', {
      body: { grant_type: 'refresh_token', refresh_token: granted.refresh_token, client_id: synthetic.clientId, client_secret: synthetic.clientSecret },
    });
    check(tokenResponse, refreshed.json, 'refresh');
  });
});
