// Fidelity (d): npm `trakt.tv` (vankasteelj/trakt.tv, the most used Node Trakt client) driven
// against the Trakt emulator the way its users drive api.trakt.tv: the device-code login
// (get_codes / poll_access), import_token with its automatic refresh, revoke, /users/settings,
// /sync/playback (get, remove), the scrobble state machine and /sync/history, and what the client
// does with a 429. Every check compares what the client got with the emulator's own state.
//
// The client has one base URL (`api_url`) for the API and OAuth alike, the pre-2026 layout
// (OAuth on the API host): the emulator serves both at its root, so `api_url` is all it needs.
// Its only dependency, got 11, makes no other requests (no DNS cache, no proxy, no telemetry).
//
// The emulator runs on a fake clock that starts at the real time (the client compares token
// expiry with Date.now()), so token times, paused_at and rate-limit windows are exact.
//
// What the client cannot do, so the test does not try:
// - scrobble an episode by show + season/number: its scrobble bodies copy only `movie`,
//   `episode`, `progress`, `app_version`, `app_date` from the call (methods.json), so `show` is
//   dropped; episodes go by their own ids;
// - a progress of 0: its body builder drops every falsy field, so `progress: 0` is never sent;
// - back off on 429 by itself: it has no retry of its own; got 11 retries GET/PUT/DELETE (not
//   POST) on 429 after `Retry-After`, and a POST's 429 reaches the caller;
// - slow down when device polling answers 429: poll_access rejects on anything but 400.
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { after, before, describe, it } from 'node:test';
import type { TraktEmulatorData } from '../../emulators/trakt/data.ts';
import { startTraktEmulator, type RunningTraktEmulator } from '../../emulators/trakt/server.ts';

// ---- the client's surface, typed here (the package ships no declarations) -------------------

interface DeviceCodes {
  device_code: string;
  user_code: string;
  verification_url: string;
  expires_in: number;
  interval: number;
}
interface TokenBody {
  access_token: string;
  token_type: string;
  expires_in: number;
  refresh_token: string;
  scope: string;
  created_at: number;
}
/** What import_token takes and export_token gives: `expires` in epoch ms. */
interface SavedToken {
  access_token: string;
  refresh_token: string;
  expires: number;
}
interface Ids {
  trakt?: number;
  slug?: string;
  imdb?: string | null;
  tmdb?: number | null;
  tvdb?: number | null;
}
interface MediaObjects {
  movie?: { title: string; year: number | null; ids: Ids };
  episode?: { season: number; number: number; title: string | null; ids: Ids };
  show?: { title: string; year: number | null; ids: Ids };
}
interface PlaybackRow extends MediaObjects {
  progress: number;
  paused_at: string;
  id: number;
  type: 'movie' | 'episode';
}
interface HistoryRow extends MediaObjects {
  id: number;
  watched_at: string;
  action: string;
  type: 'movie' | 'episode';
}
interface ScrobbleReply extends MediaObjects {
  id: number;
  action: string;
  progress: number;
  sharing: Record<string, boolean>;
}
interface ScrobbleBody {
  movie?: { ids: Ids };
  episode?: { ids: Ids };
  progress: number;
}

interface TraktClient {
  get_codes(): Promise<DeviceCodes>;
  poll_access(codes: DeviceCodes): Promise<TokenBody>;
  import_token(token: SavedToken): Promise<SavedToken>;
  export_token(): SavedToken;
  revoke_token(): void;
  users: {
    settings(): Promise<{ user: { username: string; name: string; vip: boolean; ids: { slug: string } } }>;
    watching(params: { username: string }): Promise<(MediaObjects & { action: string; type: string; started_at: string; expires_at: string }) | ''>;
  };
  sync: {
    last_activities(): Promise<{ all: string; movies: { paused_at: string; watched_at: string }; episodes: { paused_at: string; watched_at: string } }>;
    playback: {
      get(params?: { type?: 'movies' | 'episodes'; limit?: number }): Promise<PlaybackRow[]>;
      remove(params: { id: number }): Promise<unknown>;
    };
    history: { get(params?: { type?: 'movies' | 'episodes' }): Promise<HistoryRow[]> };
  };
  scrobble: {
    start(body: ScrobbleBody): Promise<ScrobbleReply>;
    pause(body: ScrobbleBody): Promise<ScrobbleReply>;
    stop(body: ScrobbleBody): Promise<ScrobbleReply>;
  };
}
type TraktConstructor = new (settings: { client_id: string; client_secret?: string; api_url?: string }) => TraktClient;

/** got's HTTPError, as the client lets it through. */
interface HttpFailure {
  response: { statusCode: number; headers: Record<string, string | undefined>; body: string };
}

const Trakt = createRequire(import.meta.url)('trakt.tv') as TraktConstructor;

// ---- setup ----------------------------------------------------------------------------------

const NAME = 'trakt-fidelity';
let clock = Math.floor(Date.now() / 1000) * 1000;
let emulator: RunningTraktEmulator;
/** alice's client, signed in by the device flow. */
let trakt: TraktClient;

before(async () => {
  emulator = await startTraktEmulator({ name: NAME, synthetic: 'movies=20,shows=2,seasons=2,episodes=3', seed: 'x', quiet: true, now: () => clock });
  // A short poll interval, so the device flow takes a second or two of real time.
  emulator.state.settings.deviceCodeInterval = 1;
});

after(async () => {
  await emulator?.close();
});

const tick = (seconds: number) => void (clock += seconds * 1000);
const iso = (ms: number) => new Date(ms).toISOString();

function client(): TraktClient {
  return new Trakt({ client_id: emulator.clientId, client_secret: emulator.clientSecret, api_url: emulator.url });
}

function userOf(username: string): TraktEmulatorData['users'][number] {
  const user = emulator.state.users.find((u) => u.username === username);
  assert.ok(user, `no user ${username}`);
  return user;
}

function httpFailure(error: unknown): HttpFailure['response'] | undefined {
  return (error as Partial<HttpFailure>)?.response;
}

function failsWith(status: number, check: (response: HttpFailure['response']) => boolean = () => true) {
  return (error: unknown) => {
    const response = httpFailure(error);
    return response?.statusCode === status && check(response);
  };
}

async function until(condition: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 5000;
  while (!condition()) {
    assert.ok(Date.now() < deadline, `timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

function movie(n: number) {
  const found = emulator.state.movies[n];
  assert.ok(found, `no movie #${n}`);
  return found;
}

/** The standard movie object Trakt sends (null for missing external ids). */
function movieObject(m: ReturnType<typeof movie>) {
  return { title: m.title, year: m.year, ids: { trakt: m.ids.trakt, slug: m.ids.slug, imdb: m.ids.imdb ?? null, tmdb: m.ids.tmdb ?? null } };
}

function episodeWithShow(n: number) {
  const episode = emulator.state.episodes[n];
  assert.ok(episode, `no episode #${n}`);
  const show = emulator.state.shows.find((s) => s.ids.trakt === episode.show)!;
  return {
    source: episode,
    episode: {
      season: episode.season,
      number: episode.number,
      title: episode.title,
      ids: { trakt: episode.ids.trakt, tvdb: episode.ids.tvdb ?? null, imdb: episode.ids.imdb ?? null, tmdb: episode.ids.tmdb ?? null },
    },
    show: {
      title: show.title,
      year: show.year,
      ids: { trakt: show.ids.trakt, slug: show.ids.slug, tvdb: show.ids.tvdb ?? null, imdb: show.ids.imdb ?? null, tmdb: show.ids.tmdb ?? null },
    },
  };
}

function playbackOf(username: string) {
  return emulator.state.playback[username] ?? [];
}

// ---- tests ----------------------------------------------------------------------------------

describe('trakt.tv against the Trakt emulator', () => {
  it('signs in with the device flow: get_codes, poll_access while pending, then approved', async () => {
    trakt = client();
    const codes = await trakt.get_codes();
    assert.equal(codes.verification_url, 'https://trakt.tv/activate');
    assert.equal(codes.expires_in, 600);
    assert.equal(codes.interval, 1);
    assert.match(codes.device_code, /^[0-9a-f]{64}$/);
    assert.match(codes.user_code, /^[A-Z2-9]{8}$/);

    const polled = trakt.poll_access(codes);
    // The first poll finds the code pending (400, which the client keeps polling through)…
    await until(() => emulator.requests.some((r) => r.path === '/oauth/device/token'), 'the first poll');
    // …then the person approves on trakt.tv/activate, and the next poll gets the token.
    emulator.approveDevice(codes.user_code, 'alice');
    tick(1);
    const token = await polled;
    const grant = userOf('alice').tokens.at(-1)!;
    assert.deepEqual(token, {
      access_token: grant.accessToken,
      token_type: 'bearer',
      expires_in: 7 * 86_400,
      refresh_token: grant.refreshToken,
      scope: 'public',
      created_at: clock / 1000,
    });
    assert.equal(userOf('alice').tokens.length, 2);
    assert.deepEqual(
      emulator.requests.filter((r) => r.path.startsWith('/oauth/')).map((r) => [r.method, r.path, r.status]),
      [
        ['POST', '/oauth/device/code', 200],
        ['POST', '/oauth/device/token', 400],
        ['POST', '/oauth/device/token', 200],
      ],
    );
    const saved = trakt.export_token();
    assert.equal(saved.access_token, grant.accessToken);
    assert.equal(saved.refresh_token, grant.refreshToken);
    // poll_access dates the expiry from the local clock: now + expires_in.
    assert.ok(Math.abs(saved.expires - (Date.now() + 7 * 86_400_000)) < 10_000);

    const settings = await trakt.users.settings();
    assert.equal(settings.user.username, 'alice');
    assert.equal(settings.user.ids.slug, 'alice');
    assert.equal(settings.user.vip, false);
  });

  it('rejects a used code (409) and a denied one (418) while polling', async () => {
    const again = client();
    const codes = await again.get_codes();
    emulator.denyDevice(codes.user_code);
    const first = client();
    const firstCodes = await first.get_codes();
    emulator.approveDevice(firstCodes.user_code, 'bob');
    const token = await first.poll_access(firstCodes);
    assert.equal(token.access_token, userOf('bob').tokens.at(-1)!.accessToken);
    tick(1);
    await Promise.all([assert.rejects(again.poll_access(codes), failsWith(418)), assert.rejects(first.poll_access(firstCodes), failsWith(409))]);
  });

  it('imports a saved token, and refreshes it once it has expired (single-use refresh tokens)', async () => {
    const seeded = emulator.users.find((u) => u.username === 'alice')!;
    const grant = userOf('alice').tokens[0]!;
    const app = client();
    const imported = await app.import_token({ access_token: seeded.accessToken, refresh_token: seeded.refreshToken, expires: Date.parse(grant.expiresAt) });
    assert.deepEqual(imported, { access_token: seeded.accessToken, refresh_token: seeded.refreshToken, expires: Date.parse(grant.expiresAt) });
    assert.deepEqual(await app.sync.playback.get(), []);

    // The grant runs out (on the server and in the app's saved copy).
    grant.expiresAt = iso(Date.now() - 60_000);
    await assert.rejects(
      app.sync.playback.get(),
      failsWith(401, (r) => JSON.parse(r.body).error === 'invalid_token'),
    );
    tick(5);
    const refreshed = await client().import_token({
      access_token: seeded.accessToken,
      refresh_token: seeded.refreshToken,
      expires: Date.parse(grant.expiresAt),
    });
    const rotated = emulator.users.find((u) => u.username === 'alice')!;
    assert.notEqual(rotated.accessToken, seeded.accessToken);
    assert.notEqual(rotated.refreshToken, seeded.refreshToken);
    // The client dates the new expiry from the server's created_at + expires_in.
    assert.deepEqual(refreshed, { access_token: rotated.accessToken, refresh_token: rotated.refreshToken, expires: clock + 7 * 86_400_000 });
    assert.equal(grant.expiresAt, iso(clock + 7 * 86_400_000));
    const last = emulator.requests.at(-1)!;
    assert.deepEqual([last.method, last.path, last.status], ['POST', '/oauth/token', 200]);

    // The old refresh token was used up: refreshing with it again is invalid_grant.
    await assert.rejects(
      client().import_token({ access_token: seeded.accessToken, refresh_token: seeded.refreshToken, expires: 0 }),
      failsWith(400, (r) => JSON.parse(r.body).error === 'invalid_grant'),
    );
    const fresh = client();
    await fresh.import_token(refreshed);
    assert.equal((await fresh.users.settings()).user.username, 'alice');
  });

  it('saves progress with scrobble.pause and reads it back with sync.playback.get', async () => {
    const target = movie(0);
    const show = episodeWithShow(4);
    assert.deepEqual(await trakt.sync.playback.get(), []);

    tick(1);
    const paused = await trakt.scrobble.pause({ movie: { ids: { imdb: target.ids.imdb! } }, progress: 42.5 });
    const movieEntry = playbackOf('alice').find((p) => p.item === target.ids.trakt)!;
    assert.deepEqual(movieEntry, { id: movieEntry.id, type: 'movie', item: target.ids.trakt, progress: 42.5, paused_at: iso(clock) });
    assert.deepEqual(paused, {
      id: movieEntry.id,
      action: 'pause',
      progress: 42.5,
      sharing: { twitter: false, mastodon: false, tumblr: false },
      movie: movieObject(target),
    });
    const movieAt = clock;

    tick(1);
    const episodeReply = await trakt.scrobble.pause({ episode: { ids: { tvdb: show.source.ids.tvdb! } }, progress: 12.25 });
    assert.deepEqual([episodeReply.action, episodeReply.episode, episodeReply.show], ['pause', show.episode, show.show]);
    const episodeEntry = playbackOf('alice').find((p) => p.item === show.source.ids.trakt)!;

    const rows = await trakt.sync.playback.get();
    assert.deepEqual(rows, [
      { progress: 12.25, paused_at: iso(clock), id: episodeEntry.id, type: 'episode', episode: show.episode, show: show.show },
      { progress: 42.5, paused_at: iso(movieAt), id: movieEntry.id, type: 'movie', movie: movieObject(target) },
    ]);
    assert.deepEqual(
      (await trakt.sync.playback.get({ type: 'movies' })).map((r) => r.id),
      [movieEntry.id],
    );
    assert.deepEqual(
      (await trakt.sync.playback.get({ type: 'episodes' })).map((r) => r.id),
      [episodeEntry.id],
    );
    assert.deepEqual(
      (await trakt.sync.playback.get({ limit: 1 })).map((r) => r.id),
      [episodeEntry.id],
    );

    // Pausing the same movie again moves its progress and paused_at (the entry keeps its id here).
    tick(1);
    const again = await trakt.scrobble.pause({ movie: { ids: { tmdb: target.ids.tmdb! } }, progress: 55 });
    assert.equal(again.id, movieEntry.id);
    assert.deepEqual(
      playbackOf('alice').find((p) => p.id === movieEntry.id),
      { ...movieEntry, progress: 55, paused_at: iso(clock) },
    );
    const activities = await trakt.sync.last_activities();
    assert.equal(activities.movies.paused_at, iso(clock));
    assert.equal(activities.episodes.paused_at, iso(clock - 1000));
    assert.equal(activities.all, iso(clock));

    // Bob's list stays empty.
    assert.deepEqual(playbackOf('bob'), []);
  });

  it('removes playback with sync.playback.remove (204), and 404s an id that is not there', async () => {
    const entry = playbackOf('alice').find((p) => p.type === 'movie')!;
    tick(1);
    assert.equal(await trakt.sync.playback.remove({ id: entry.id }), '');
    assert.equal(
      playbackOf('alice').some((p) => p.id === entry.id),
      false,
    );
    assert.deepEqual(await trakt.sync.playback.get({ type: 'movies' }), []);
    tick(1);
    await assert.rejects(trakt.sync.playback.remove({ id: entry.id }), failsWith(404));
    assert.deepEqual(
      emulator.requests.filter((r) => r.method === 'DELETE').map((r) => [r.path, r.status, r.user]),
      [
        [`/sync/playback/${entry.id}`, 204, 'alice'],
        [`/sync/playback/${entry.id}`, 404, 'alice'],
      ],
    );
  });

  it('runs start → watching → stop (scrobble, history) and refuses a duplicate stop (409) and a stop under 1 % (422)', async () => {
    const target = movie(1);
    tick(1);
    const started = await trakt.scrobble.start({ movie: { ids: { trakt: target.ids.trakt } }, progress: 10 });
    assert.equal(started.action, 'start');
    assert.deepEqual(started.movie, movieObject(target));
    const watching = await trakt.users.watching({ username: 'me' });
    assert.ok(watching !== '');
    assert.deepEqual([watching.action, watching.type, watching.started_at, watching.movie], ['scrobble', 'movie', iso(clock), movieObject(target)]);
    assert.equal(watching.expires_at, emulator.state.watching.alice?.expires_at);

    tick(60);
    const stopped = await trakt.scrobble.stop({ movie: { ids: { slug: target.ids.slug } }, progress: 92 });
    const play = emulator.state.history.alice?.at(-1);
    assert.deepEqual(play, { id: stopped.id, type: 'movie', item: target.ids.trakt, watched_at: iso(clock), action: 'scrobble' });
    assert.equal(stopped.action, 'scrobble');
    assert.equal(await trakt.users.watching({ username: 'me' }), '');
    const history = await trakt.sync.history.get({ type: 'movies' });
    assert.deepEqual(history, [{ id: stopped.id, watched_at: iso(clock), action: 'scrobble', type: 'movie', movie: movieObject(target) }]);

    tick(1);
    await assert.rejects(
      trakt.scrobble.stop({ movie: { ids: { trakt: target.ids.trakt } }, progress: 95 }),
      failsWith(409, (r) => JSON.parse(r.body).watched_at === iso(clock - 1000)),
    );
    tick(1);
    await assert.rejects(trakt.scrobble.stop({ movie: { ids: { trakt: movie(2).ids.trakt } }, progress: 0.5 }), failsWith(422));
    assert.equal(emulator.state.history.alice?.length, 1);
    // A stop between 1 and 80 % saves progress like a pause.
    tick(1);
    const early = await trakt.scrobble.stop({ movie: { ids: { trakt: movie(2).ids.trakt } }, progress: 30 });
    assert.equal(early.action, 'pause');
    assert.equal(playbackOf('alice').find((p) => p.id === early.id)?.progress, 30);
  });

  it('surfaces a POST 429 with its headers, and rides a DELETE 429 out after Retry-After (got)', async () => {
    const target = movie(3);
    tick(1);
    const saved = await trakt.scrobble.pause({ movie: { ids: { trakt: target.ids.trakt } }, progress: 20 });
    // A second write in the same second is over AUTHED_API_POST_LIMIT; the client does not retry POSTs.
    await assert.rejects(
      trakt.scrobble.pause({ movie: { ids: { trakt: target.ids.trakt } }, progress: 21 }),
      failsWith(429, (r) => {
        const limit = JSON.parse(r.headers['x-ratelimit'] ?? '{}');
        return (
          r.headers['retry-after'] === '1' &&
          limit.name === 'AUTHED_API_POST_LIMIT' &&
          limit.limit === 1 &&
          limit.remaining === 0 &&
          limit.until === iso(clock + 1000)
        );
      }),
    );
    assert.equal(playbackOf('alice').find((p) => p.id === saved.id)?.progress, 20);
    assert.equal(emulator.requests.filter((r) => r.path === '/scrobble/pause' && r.status === 429).length, 1);

    // A DELETE in the same second: 429, then got waits Retry-After (1 s) and tries again. The fake
    // clock moves on meanwhile, so the retry is admitted.
    const began = Date.now();
    const timer = setTimeout(() => tick(1), 300);
    try {
      await trakt.sync.playback.remove({ id: saved.id });
    } finally {
      clearTimeout(timer);
    }
    assert.ok(Date.now() - began >= 1000, 'got waited for Retry-After');
    assert.deepEqual(
      emulator.requests.filter((r) => r.path === `/sync/playback/${saved.id}`).map((r) => [r.method, r.status]),
      [
        ['DELETE', 429],
        ['DELETE', 204],
      ],
    );
    assert.equal(
      playbackOf('alice').some((p) => p.id === saved.id),
      false,
    );
  });

  it('is refused with a wrong client id (403), and a revoked token stops working (401)', async () => {
    const stranger = new Trakt({ client_id: 'not-our-app', client_secret: emulator.clientSecret, api_url: emulator.url });
    await stranger.import_token(trakt.export_token());
    await assert.rejects(stranger.sync.playback.get(), failsWith(403));

    const token = trakt.export_token();
    trakt.revoke_token();
    // revoke_token fires the request without waiting for it.
    await until(() => emulator.requests.some((r) => r.path === '/oauth/revoke'), 'the revoke call');
    assert.equal(emulator.requests.find((r) => r.path === '/oauth/revoke')?.status, 200);
    assert.equal(
      userOf('alice').tokens.some((t) => t.accessToken === token.access_token),
      false,
    );
    const old = client();
    await old.import_token(token);
    await assert.rejects(old.sync.playback.get(), failsWith(401));
  });
});
