import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { startPlexEmulator } from '../../emulators/plex/server.ts';
import { describeEmulator } from '../../emulators/trakt/cli.ts';
import { startTraktEmulator, type RunningTraktEmulator } from '../../emulators/trakt/server.ts';
import { defaultHeaders, tokenOf, trakt } from './trakt-http.ts';

const SPEC = 'movies=12,shows=2,seasons=2,episodes=3';
const START_MS = Date.parse('2026-11-23T20:00:00.000Z');
const DAY = 86_400_000;

let emu: RunningTraktEmulator;
let clockMs = START_MS;
let alice: string;
let bob: string;

beforeEach(async () => {
  clockMs = START_MS;
  emu = await startTraktEmulator({ name: 'home', synthetic: SPEC, seed: 'test', quiet: true, now: () => clockMs, writeLimitPerSecond: 1000 });
  alice = tokenOf(emu, 'alice');
  bob = tokenOf(emu, 'bob');
});

afterEach(async () => {
  await emu.close();
});

const iso = (ms: number) => new Date(ms).toISOString();

function movie(i = 0) {
  const found = emu.state.movies[i];
  assert.ok(found, `no movie ${i}`);
  return found;
}

function episode(i = 0) {
  const found = emu.state.episodes[i];
  assert.ok(found, `no episode ${i}`);
  return found;
}

const movieBody = (i: number, progress: number) => ({ movie: { ids: { imdb: movie(i).ids.imdb } }, progress });

function post(path: string, body: unknown, token = alice) {
  return trakt(emu, path, { method: 'POST', token, body });
}

function playback(token: string | null = alice, query = '') {
  return trakt(emu, `/sync/playback${query}`, { token });
}

describe('required headers and auth', () => {
  it('answers 403 without the right trakt-api-key', async () => {
    const missing = await trakt(emu, '/sync/playback', { token: alice, headers: { 'trakt-api-version': '2' } });
    assert.equal(missing.status, 403);
    const wrong = await trakt(emu, '/sync/playback', { token: alice, extraHeaders: { 'trakt-api-key': 'nope' } });
    assert.equal(wrong.status, 403);
    assert.equal(wrong.json.error, 'invalid_api_key');
  });

  it('answers 400 for a missing or wrong trakt-api-version', async () => {
    const missing = await trakt(emu, '/sync/playback', { token: alice, headers: { 'trakt-api-key': emu.clientId } });
    assert.equal(missing.status, 400);
    const wrong = await trakt(emu, '/sync/playback', { token: alice, extraHeaders: { 'trakt-api-version': '1' } });
    assert.equal(wrong.status, 400);
    assert.equal(wrong.json.error, 'invalid_api_version');
  });

  it('answers 412 for a write without Content-Type: application/json', async () => {
    const headers = { 'trakt-api-key': emu.clientId, 'trakt-api-version': '2' };
    const none = await trakt(emu, '/scrobble/pause', { method: 'POST', token: alice, headers, raw: JSON.stringify(movieBody(0, 10)) });
    assert.equal(none.status, 412);
    const text = await trakt(emu, '/sync/playback/1', { method: 'DELETE', token: alice, headers: { ...headers, 'Content-Type': 'text/plain' } });
    assert.equal(text.status, 412);
  });

  it('answers 401 without a token, with an unknown one, and once the token expired', async () => {
    assert.equal((await playback(null)).status, 401);
    assert.equal((await trakt(emu, '/scrobble/pause', { method: 'POST', body: movieBody(0, 10) })).status, 401);
    assert.equal((await playback('not-a-token')).status, 401);
    assert.equal((await playback(alice)).status, 200);
    clockMs = START_MS + 7 * DAY + 1;
    const expired = await playback(alice);
    assert.equal(expired.status, 401);
    assert.match(expired.json.error_description, /expired/);
  });

  it('answers 404 for unknown routes, 405 for a known path with another method, 400 for bad JSON', async () => {
    assert.equal((await trakt(emu, '/movies/trending', { token: alice })).status, 404);
    const wrongMethod = await trakt(emu, '/scrobble/pause', { token: alice });
    assert.equal(wrongMethod.status, 405);
    assert.equal(wrongMethod.headers.get('allow'), 'POST');
    assert.equal((await trakt(emu, '/scrobble/pause', { method: 'POST', token: alice, raw: '{nope' })).status, 400);
  });

  it('search works without a token but rejects a bad one', async () => {
    const open = await trakt(emu, `/search/imdb/${movie().ids.imdb}`);
    assert.equal(open.status, 200);
    assert.equal((await trakt(emu, `/search/imdb/${movie().ids.imdb}`, { token: 'bad' })).status, 401);
  });
});

describe('OAuth device flow', () => {
  async function newCode() {
    const res = await trakt(emu, '/oauth/device/code', { method: 'POST', body: { client_id: emu.clientId } });
    assert.equal(res.status, 200);
    return res.json as { device_code: string; user_code: string; verification_url: string; expires_in: number; interval: number };
  }

  const poll = (code: string, secret = emu.clientSecret) =>
    trakt(emu, '/oauth/device/token', { method: 'POST', body: { code, client_id: emu.clientId, client_secret: secret } });

  it('goes pending → slow down → pending → approved → used', async () => {
    const code = await newCode();
    assert.equal(code.expires_in, 600);
    assert.equal(code.interval, 5);
    assert.match(code.user_code, /^[A-Z2-9]{8}$/);
    assert.match(code.device_code, /^[0-9a-f]{64}$/);

    const first = await poll(code.device_code);
    assert.equal(first.status, 400);
    assert.equal(first.text, '');
    clockMs += 1_000;
    assert.equal((await poll(code.device_code)).status, 429);
    clockMs += 5_000;
    assert.equal((await poll(code.device_code)).status, 400);

    emu.approveDevice(code.user_code, 'alice');
    clockMs += 5_000;
    const granted = await poll(code.device_code);
    assert.equal(granted.status, 200);
    assert.equal(granted.json.token_type, 'bearer');
    assert.equal(granted.json.expires_in, 7 * 86_400);
    assert.equal(granted.json.created_at, Math.floor(clockMs / 1000));
    assert.notEqual(granted.json.access_token, alice);

    const settings = await trakt(emu, '/users/settings', { token: granted.json.access_token });
    assert.equal(settings.status, 200);
    assert.equal(settings.json.user.username, 'alice');
    // The seeded token still works: a device login adds a grant, it does not replace one.
    assert.equal((await playback(alice)).status, 200);

    clockMs += 5_000;
    assert.equal((await poll(code.device_code)).status, 409);
  });

  it('answers 404 for an unknown code, 418 when denied, 410 when expired, 401 for a wrong secret', async () => {
    assert.equal((await poll('f'.repeat(64))).status, 404);

    const denied = await newCode();
    emu.denyDevice(denied.user_code);
    assert.equal((await poll(denied.device_code)).status, 418);

    const expired = await newCode();
    clockMs += 601_000;
    assert.equal((await poll(expired.device_code)).status, 410);

    const other = await newCode();
    const wrongSecret = await poll(other.device_code, 'wrong');
    assert.equal(wrongSecret.status, 401);
    assert.equal(wrongSecret.json.error, 'invalid_client');

    const badClient = await trakt(emu, '/oauth/device/code', { method: 'POST', body: { client_id: 'nope' } });
    assert.equal(badClient.status, 403);
    assert.throws(() => emu.approveDevice('ZZZZZZZZ', 'alice'), /no device code/);
    assert.throws(() => emu.approveDevice(other.user_code, 'carol'), /no user/);
  });

  it('lets the control side door list and approve codes', async () => {
    const code = await newCode();
    const list = await fetch(`${emu.url}/__emulator/devices`).then((r) => r.json() as Promise<any>);
    assert.deepEqual(
      list.map((d: { user_code: string; state: string }) => [d.user_code, d.state]),
      [[code.user_code, 'pending']],
    );
    const approve = await fetch(`${emu.url}/__emulator/devices/approve`, {
      method: 'POST',
      body: JSON.stringify({ user_code: code.user_code, username: 'bob' }),
    });
    assert.equal(approve.status, 200);
    const granted = await poll(code.device_code);
    assert.equal(granted.status, 200);
    const settings = await trakt(emu, '/users/settings', { token: granted.json.access_token });
    assert.equal(settings.json.user.username, 'bob');
  });
});

describe('refresh-token rotation', () => {
  it('issues a new pair, and the old refresh and access tokens stop working', async () => {
    const before = emu.users.find((u) => u.username === 'alice')!;
    clockMs += 1_000;
    const body = {
      grant_type: 'refresh_token',
      refresh_token: before.refreshToken,
      client_id: emu.clientId,
      client_secret: emu.clientSecret,
      redirect_uri: 'urn:ietf:wg:oauth:2.0:oob',
    };
    const refreshed = await trakt(emu, '/oauth/token', { method: 'POST', body });
    assert.equal(refreshed.status, 200);
    assert.notEqual(refreshed.json.access_token, before.accessToken);
    assert.notEqual(refreshed.json.refresh_token, before.refreshToken);
    assert.equal(refreshed.json.expires_in, 7 * 86_400);
    assert.equal(refreshed.json.created_at, Math.floor(clockMs / 1000));

    const again = await trakt(emu, '/oauth/token', { method: 'POST', body });
    assert.equal(again.status, 400);
    assert.equal(again.json.error, 'invalid_grant');
    assert.equal((await playback(before.accessToken)).status, 401);
    assert.equal((await playback(refreshed.json.access_token)).status, 200);
    assert.equal(emu.users.find((u) => u.username === 'alice')!.accessToken, refreshed.json.access_token);

    // The new token lives 7 days from the refresh, not from the original grant.
    clockMs = START_MS + 7 * DAY + 500;
    assert.equal((await playback(refreshed.json.access_token)).status, 200);
  });

  it('accepts a form-encoded body and rejects a wrong client secret or grant type', async () => {
    const form = new URLSearchParams({
      grant_type: 'refresh_token',
      refresh_token: emu.users[1]!.refreshToken,
      client_id: emu.clientId,
      client_secret: emu.clientSecret,
    });
    const res = await trakt(emu, '/oauth/token', {
      method: 'POST',
      raw: form.toString(),
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    });
    assert.equal(res.status, 200);
    const wrong = await trakt(emu, '/oauth/token', {
      method: 'POST',
      body: { grant_type: 'refresh_token', refresh_token: res.json.refresh_token, client_id: emu.clientId, client_secret: 'x' },
    });
    assert.equal(wrong.status, 401);
    const grant = await trakt(emu, '/oauth/token', { method: 'POST', body: { grant_type: 'password' } });
    assert.equal(grant.json.error, 'unsupported_grant_type');
  });
});

describe('scrobble and playback', () => {
  it('pause saves progress with paused_at from the clock and keeps the playback id', async () => {
    const first = await post('/scrobble/pause', movieBody(0, 12.5));
    assert.equal(first.status, 201);
    assert.equal(first.json.action, 'pause');
    assert.equal(first.json.progress, 12.5);
    assert.equal(first.json.movie.ids.trakt, movie(0).ids.trakt);

    let list = await playback();
    assert.equal(list.status, 200);
    assert.deepEqual(list.json, [
      {
        progress: 12.5,
        paused_at: iso(START_MS),
        id: first.json.id,
        type: 'movie',
        movie: {
          title: movie(0).title,
          year: movie(0).year,
          ids: { trakt: movie(0).ids.trakt, slug: movie(0).ids.slug, imdb: movie(0).ids.imdb, tmdb: movie(0).ids.tmdb },
        },
      },
    ]);

    clockMs += 60_000;
    const second = await post('/scrobble/pause', { movie: { ids: { tmdb: movie(0).ids.tmdb } }, progress: 30 });
    assert.equal(second.json.id, first.json.id);
    list = await playback();
    assert.equal(list.json.length, 1);
    assert.equal(list.json[0].progress, 30);
    assert.equal(list.json[0].paused_at, iso(START_MS + 60_000));
  });

  it('resolves episodes by their own ids or by show + season/number', async () => {
    const ep = episode(4);
    const show = emu.state.shows.find((s) => s.ids.trakt === ep.show)!;
    const byIds = await post('/scrobble/pause', { episode: { ids: { tvdb: ep.ids.tvdb } }, progress: 20 });
    assert.equal(byIds.status, 201);
    assert.equal(byIds.json.episode.ids.trakt, ep.ids.trakt);
    assert.equal(byIds.json.show.ids.trakt, show.ids.trakt);
    const byShow = await post('/scrobble/pause', { show: { ids: { imdb: show.ids.imdb } }, episode: { season: ep.season, number: ep.number }, progress: 25 });
    assert.equal(byShow.json.id, byIds.json.id);
    const list = await trakt(emu, '/sync/playback/episodes', { token: alice });
    assert.equal(list.json.length, 1);
    assert.equal(list.json[0].progress, 25);
    assert.deepEqual(list.json[0].episode, {
      season: ep.season,
      number: ep.number,
      title: ep.title,
      ids: { trakt: ep.ids.trakt, tvdb: ep.ids.tvdb, imdb: ep.ids.imdb, tmdb: ep.ids.tmdb },
    });
    assert.deepEqual(Object.keys(list.json[0].show.ids), ['trakt', 'slug', 'tvdb', 'imdb', 'tmdb']);
  });

  it('answers 404 for unknown items and 400/422 for malformed bodies', async () => {
    assert.equal((await post('/scrobble/pause', { movie: { ids: { imdb: 'tt0000001' } }, progress: 10 })).status, 404);
    assert.equal(
      (await post('/scrobble/pause', { show: { ids: { tvdb: emu.state.shows[0]!.ids.tvdb } }, episode: { season: 9, number: 9 }, progress: 10 })).status,
      404,
    );
    assert.equal((await post('/scrobble/pause', { progress: 10 })).status, 400);
    assert.equal((await post('/scrobble/pause', { movie: { ids: { imdb: movie().ids.imdb } } })).status, 422);
    assert.equal((await post('/scrobble/pause', movieBody(0, 101))).status, 422);
  });

  it('start clears saved progress and marks the item as watching now', async () => {
    await post('/scrobble/pause', movieBody(1, 40));
    assert.equal((await playback()).json.length, 1);
    const start = await post('/scrobble/start', movieBody(1, 40));
    assert.equal(start.status, 201);
    assert.equal(start.json.action, 'start');
    assert.deepEqual((await playback()).json, []);
    const watching = await trakt(emu, '/users/me/watching', { token: alice });
    assert.equal(watching.status, 200);
    assert.equal(watching.json.movie.ids.trakt, movie(1).ids.trakt);
    assert.equal((await trakt(emu, '/users/bob/watching')).status, 204);
    clockMs += (movie(1).runtime ?? 0) * 60_000;
    assert.equal((await trakt(emu, '/users/me/watching', { token: alice })).status, 204);
  });

  it('stop: ≥ 80 % scrobbles, 1–79 % pauses, < 1 % is 422, a repeat is 409', async () => {
    await post('/scrobble/pause', movieBody(2, 60));
    const scrobbled = await post('/scrobble/stop', movieBody(2, 80));
    assert.equal(scrobbled.status, 201);
    assert.equal(scrobbled.json.action, 'scrobble');
    assert.deepEqual((await playback()).json, [], 'a scrobble removes the playback entry');
    const history = await trakt(emu, '/sync/history', { token: alice });
    assert.equal(history.json.length, 1);
    assert.equal(history.json[0].id, scrobbled.json.id);
    assert.equal(history.json[0].action, 'scrobble');
    assert.equal(history.json[0].watched_at, iso(START_MS));
    assert.equal(history.headers.get('x-pagination-item-count'), '1');

    clockMs += 5_000;
    const duplicate = await post('/scrobble/stop', movieBody(2, 95));
    assert.equal(duplicate.status, 409);
    assert.equal(duplicate.json.watched_at, iso(START_MS));
    assert.equal(duplicate.json.expires_at, iso(START_MS + (movie(2).runtime ?? 0) * 60_000));
    clockMs = Date.parse(duplicate.json.expires_at) + 1;
    assert.equal((await post('/scrobble/stop', movieBody(2, 95))).status, 201);

    const paused = await post('/scrobble/stop', movieBody(3, 50));
    assert.equal(paused.status, 201);
    assert.equal(paused.json.action, 'pause');
    const list = await playback();
    assert.deepEqual(
      list.json.map((p: { id: number; progress: number }) => [p.id, p.progress]),
      [[paused.json.id, 50]],
    );

    const ignored = await post('/scrobble/stop', movieBody(4, 0.5));
    assert.equal(ignored.status, 422);
    assert.equal((await playback()).json.length, 1);
  });

  it('DELETE /sync/playback/{id} answers 204, then 404', async () => {
    const saved = await post('/scrobble/pause', movieBody(0, 33));
    const path = `/sync/playback/${saved.json.id}`;
    assert.equal((await trakt(emu, path, { method: 'DELETE', token: bob })).status, 404, "bob cannot delete alice's entry");
    const deleted = await trakt(emu, path, { method: 'DELETE', token: alice });
    assert.equal(deleted.status, 204);
    assert.equal(deleted.text, '');
    assert.equal((await trakt(emu, path, { method: 'DELETE', token: alice })).status, 404);
    assert.equal((await trakt(emu, '/sync/playback/1', { method: 'DELETE', token: alice })).status, 404);
    // A new pause after a delete gets a new id.
    const again = await post('/scrobble/pause', movieBody(0, 34));
    assert.notEqual(again.json.id, saved.json.id);
  });

  it('keeps users apart', async () => {
    await post('/scrobble/pause', movieBody(0, 10), alice);
    await post('/scrobble/pause', movieBody(1, 20), bob);
    const mine = await playback(alice);
    const theirs = await playback(bob);
    assert.deepEqual(
      mine.json.map((p: { movie: { ids: { trakt: number } } }) => p.movie.ids.trakt),
      [movie(0).ids.trakt],
    );
    assert.deepEqual(
      theirs.json.map((p: { movie: { ids: { trakt: number } } }) => p.movie.ids.trakt),
      [movie(1).ids.trakt],
    );
    assert.equal(emu.requests.at(-1)!.user, 'bob');
  });
});

describe('GET /sync/playback', () => {
  beforeEach(async () => {
    // Five movies and two episodes, paused a minute apart (oldest first).
    for (let i = 0; i < 5; i++) {
      await post('/scrobble/pause', movieBody(i, 10 + i));
      clockMs += 60_000;
    }
    for (let i = 0; i < 2; i++) {
      await post('/scrobble/pause', { episode: { ids: { trakt: episode(i).ids.trakt } }, progress: 50 + i });
      clockMs += 60_000;
    }
  });

  it('returns everything, newest first, without paging headers when no page/limit is given', async () => {
    const all = await playback();
    assert.equal(all.json.length, 7);
    assert.equal(all.headers.get('x-pagination-page'), null);
    assert.deepEqual(
      all.json.map((p: { type: string }) => p.type),
      ['episode', 'episode', 'movie', 'movie', 'movie', 'movie', 'movie'],
    );
    const times = all.json.map((p: { paused_at: string }) => Date.parse(p.paused_at));
    assert.deepEqual(
      times,
      [...times].sort((a, b) => b - a),
    );
    assert.equal((await trakt(emu, '/sync/playback/movies', { token: alice })).json.length, 5);
    assert.equal((await trakt(emu, '/sync/playback/episodes', { token: alice })).json.length, 2);
  });

  it('pages with page/limit and X-Pagination-* headers', async () => {
    const page2 = await playback(alice, '?page=2&limit=3');
    assert.equal(page2.json.length, 3);
    assert.equal(page2.headers.get('x-pagination-page'), '2');
    assert.equal(page2.headers.get('x-pagination-limit'), '3');
    assert.equal(page2.headers.get('x-pagination-page-count'), '3');
    assert.equal(page2.headers.get('x-pagination-item-count'), '7');
    const all = (await playback()).json;
    assert.deepEqual(page2.json, all.slice(3, 6));
    const onlyPage = await playback(alice, '?page=1');
    assert.equal(onlyPage.headers.get('x-pagination-limit'), '10');
    assert.equal((await playback(alice, '?limit=0')).status, 400);
  });

  it('filters on start_at/end_at and adds runtime with extended=full', async () => {
    const from = iso(START_MS + 2 * 60_000);
    const to = iso(START_MS + 4 * 60_000);
    const window = await playback(alice, `?start_at=${from}&end_at=${to}`);
    assert.deepEqual(
      window.json.map((p: { progress: number }) => p.progress),
      [14, 13, 12],
    );
    assert.equal((await playback(alice, '?start_at=2027-01-01')).json.length, 0);
    assert.equal((await playback(alice, '?start_at=yesterday')).status, 400);
    const full = await playback(alice, '?extended=full');
    const movieRow = full.json.find((p: { type: string }) => p.type === 'movie');
    const episodeRow = full.json.find((p: { type: string }) => p.type === 'episode');
    assert.equal(typeof movieRow.movie.runtime, 'number');
    assert.equal(typeof episodeRow.episode.runtime, 'number');
    assert.equal((await playback()).json[0].episode.runtime, undefined);
  });

  it('moves /sync/last_activities paused_at and watched_at', async () => {
    const before = await trakt(emu, '/sync/last_activities', { token: alice });
    assert.equal(before.json.movies.paused_at, iso(START_MS + 4 * 60_000));
    assert.equal(before.json.episodes.paused_at, iso(START_MS + 6 * 60_000));
    assert.equal(before.json.all, iso(START_MS + 6 * 60_000));
    const bobs = await trakt(emu, '/sync/last_activities', { token: bob });
    assert.equal(bobs.json.movies.paused_at, '1970-01-01T00:00:00.000Z');
    await post('/scrobble/stop', movieBody(0, 90));
    const after = await trakt(emu, '/sync/last_activities', { token: alice });
    assert.equal(after.json.movies.watched_at, iso(clockMs));
    assert.equal(after.json.movies.paused_at, iso(clockMs));
  });
});

describe('GET /sync/history', () => {
  /** alice's plays, oldest first: movies 0–2 a minute apart, then episodes 0–1 (the same show), then movie 0 again. */
  beforeEach(async () => {
    const stop = async (body: Record<string, unknown>) => {
      assert.equal((await post('/scrobble/stop', { ...body, progress: 100 })).json.action, 'scrobble');
      clockMs += 60_000;
    };
    for (let i = 0; i < 3; i++) await stop({ movie: { ids: { imdb: movie(i).ids.imdb } } });
    for (let i = 0; i < 2; i++) await stop({ episode: { ids: { trakt: episode(i).ids.trakt } } });
    // A second play of movie 0, after its scrobble window.
    clockMs += 3 * 3_600_000;
    await stop({ movie: { ids: { imdb: movie(0).ids.imdb } } });
  });

  const history = (query = '', path = '/sync/history') => trakt(emu, `${path}${query}`, { token: alice });
  type Row = { id: number; watched_at: string; type: string; movie?: { ids: { trakt: number } }; episode?: { ids: { trakt: number } } };
  const traktIdOf = (row: Row) => (row.movie ?? row.episode)!.ids.trakt;

  it('pages newest first (10 per page by default) with X-Pagination-* headers', async () => {
    const all = await history();
    assert.equal(all.json.length, 6);
    assert.equal(all.headers.get('x-pagination-page'), '1');
    assert.equal(all.headers.get('x-pagination-limit'), '10');
    assert.equal(all.headers.get('x-pagination-item-count'), '6');
    const times = all.json.map((r: Row) => Date.parse(r.watched_at));
    assert.deepEqual(
      times,
      [...times].sort((a, b) => b - a),
    );
    const page2 = await history('?page=2&limit=4');
    assert.deepEqual(page2.json, all.json.slice(4));
    assert.equal(page2.headers.get('x-pagination-page-count'), '2');
    assert.equal((await history('/movies')).json.length, 4);
    assert.equal((await history('/episodes')).json.length, 2);
    assert.deepEqual((await history('', '/sync/history/shows')).json, (await history('/episodes')).json);
  });

  it('filters on start_at/end_at (inclusive) and adds runtime with extended=full', async () => {
    const since = iso(START_MS + 2 * 60_000);
    const window = await history(`?start_at=${since}&end_at=${iso(START_MS + 4 * 60_000)}`);
    assert.deepEqual(
      window.json.map((r: Row) => r.type),
      ['episode', 'episode', 'movie'],
    );
    assert.equal(window.json.at(-1).watched_at, since);
    const full = await history('?extended=full&limit=1');
    assert.equal(full.json[0].movie.runtime, movie(0).runtime);
    assert.equal((await history('?limit=1')).json[0].movie.runtime, undefined);
    assert.equal((await history('?start_at=soon')).status, 400);
  });

  it('reads one item by Trakt id: a movie, an episode, or every episode of a show', async () => {
    const movie0 = await history(`/movies/${movie(0).ids.trakt}`);
    assert.equal(movie0.json.length, 2);
    assert.ok(movie0.json.every((r: Row) => traktIdOf(r) === movie(0).ids.trakt));
    const newest = await history(`/movies/${movie(0).ids.trakt}?limit=1`);
    assert.equal(newest.json[0].watched_at, movie0.json[0].watched_at);
    assert.equal(newest.headers.get('x-pagination-item-count'), '2');
    assert.deepEqual((await history(`/episodes/${episode(1).ids.trakt}`)).json.map(traktIdOf), [episode(1).ids.trakt]);
    const show = emu.state.shows.find((s) => s.ids.trakt === episode(0).show)!;
    const ofShow = (await history(`/shows/${show.ids.trakt}`)).json.map(traktIdOf);
    assert.deepEqual(
      ofShow.sort(),
      emu.state.history
        .alice!.filter((h) => h.type === 'episode' && emu.state.episodes.find((e) => e.ids.trakt === h.item)?.show === show.ids.trakt)
        .map((h) => h.item)
        .sort(),
    );
    // A known item without plays is an empty list; an id naming nothing is a 404.
    assert.deepEqual((await history(`/movies/${movie(7).ids.trakt}`)).json, []);
    assert.equal((await history('/movies/999999999')).status, 404);
    assert.equal((await history(`/movies/${movie(0).ids.slug}`)).status, 404);
  });

  it('removes plays by history id or by item, moving last_activities watched_at', async () => {
    const before = (await trakt(emu, '/sync/last_activities', { token: alice })).json;
    clockMs += 60_000;
    const newest = (await history(`/movies/${movie(0).ids.trakt}`)).json[0];
    const byId = await post('/sync/history/remove', { ids: [newest.id] });
    assert.deepEqual(byId.json.deleted, { movies: 1, episodes: 0 });
    assert.equal((await history(`/movies/${movie(0).ids.trakt}`)).json.length, 1);
    const moved = (await trakt(emu, '/sync/last_activities', { token: alice })).json;
    assert.equal(moved.movies.watched_at, iso(clockMs));
    assert.equal(moved.episodes.watched_at, before.episodes.watched_at);
    clockMs += 60_000;
    const byItem = await post('/sync/history/remove', { episodes: [{ ids: { trakt: episode(0).ids.trakt } }] });
    assert.deepEqual(byItem.json.deleted, { movies: 0, episodes: 1 });
    assert.equal((await trakt(emu, '/sync/last_activities', { token: alice })).json.episodes.watched_at, iso(clockMs));
    assert.equal((await history()).json.length, 4);
  });
});

describe('rate limits', () => {
  let limited: RunningTraktEmulator;
  afterEach(async () => {
    await limited.close();
  });

  it('allows one write per second per token, with Retry-After and X-Ratelimit on 429', async () => {
    limited = await startTraktEmulator({ name: 'rl', synthetic: SPEC, seed: 'test', quiet: true, now: () => clockMs });
    const token = tokenOf(limited, 'alice');
    const body = { movie: { ids: { trakt: limited.state.movies[0]!.ids.trakt } }, progress: 10 };
    assert.equal((await trakt(limited, '/scrobble/pause', { token, body })).status, 201);
    const second = await trakt(limited, '/scrobble/pause', { token, body });
    assert.equal(second.status, 429);
    assert.equal(second.headers.get('retry-after'), '1');
    assert.deepEqual(JSON.parse(second.headers.get('x-ratelimit')!), {
      name: 'AUTHED_API_POST_LIMIT',
      period: 1,
      limit: 1,
      remaining: 0,
      until: iso(START_MS + 1000),
    });
    // Another user's token has its own budget; GETs are counted separately.
    assert.equal((await trakt(limited, '/scrobble/pause', { token: tokenOf(limited, 'bob'), body })).status, 201);
    assert.equal((await trakt(limited, '/sync/playback', { token })).status, 200);
    clockMs += 1_000;
    assert.equal((await trakt(limited, '/scrobble/pause', { token, body })).status, 201);
    assert.equal(limited.requests.filter((r) => r.status === 429).length, 1);
  });

  it('limits GETs per token over 300 s', async () => {
    limited = await startTraktEmulator({ name: 'rl', synthetic: SPEC, seed: 'test', quiet: true, now: () => clockMs, getLimitPer5Min: 3 });
    const token = tokenOf(limited, 'alice');
    for (let i = 0; i < 3; i++) {
      assert.equal((await trakt(limited, '/sync/playback', { token })).status, 200);
      clockMs += 10_000;
    }
    const over = await trakt(limited, '/sync/playback', { token });
    assert.equal(over.status, 429);
    assert.equal(over.headers.get('retry-after'), String(300 - 30));
    assert.equal(JSON.parse(over.headers.get('x-ratelimit')!).name, 'AUTHED_API_GET_LIMIT');
    clockMs = START_MS + 300_001;
    assert.equal((await trakt(limited, '/sync/playback', { token })).status, 200);
  });
});

describe('catalogue, search and state', () => {
  it('matches the Plex emulator for the same spec and seed', async () => {
    const plex = await startPlexEmulator({ name: 'other', synthetic: SPEC, seed: 'test', quiet: true });
    try {
      const plexMovies = plex.state.items.filter((i) => i.type === 'movie' && i.guids.length > 0);
      assert.ok(plexMovies.length > 0);
      for (const item of plexMovies) {
        const imdb = item.guids.find((g) => g.startsWith('imdb://'))!.slice('imdb://'.length);
        const tmdb = Number(item.guids.find((g) => g.startsWith('tmdb://'))!.slice('tmdb://'.length));
        const match = emu.state.movies.find((m) => m.ids.imdb === imdb);
        assert.ok(match, `movie ${imdb} missing on Trakt`);
        assert.equal(match.ids.tmdb, tmdb);
        assert.equal(match.title, item.title);
        assert.equal(match.year, item.year);
      }
      const plexEpisodes = plex.state.items.filter((i) => i.type === 'episode' && i.guids.length > 0);
      for (const item of plexEpisodes) {
        const tvdb = Number(item.guids.find((g) => g.startsWith('tvdb://'))!.slice('tvdb://'.length));
        const match = emu.state.episodes.find((e) => e.ids.tvdb === tvdb);
        assert.ok(match, `episode tvdb ${tvdb} missing on Trakt`);
        assert.equal(`${match.season}x${match.number}`, `${item.parentIndex}x${item.index}`);
        assert.equal(match.ids.imdb, item.guids.find((g) => g.startsWith('imdb://'))!.slice('imdb://'.length));
      }
      assert.equal(emu.state.movies.length, 12);
      assert.equal(emu.state.episodes.length, 2 * 2 * 3);
    } finally {
      await plex.close();
    }
  });

  it('gives the same trakt ids for the same seed whatever the name, and other tokens per name', async () => {
    const other = await startTraktEmulator({ name: 'elsewhere', synthetic: SPEC, seed: 'test', quiet: true });
    try {
      assert.deepEqual(other.state.movies, emu.state.movies);
      assert.deepEqual(other.state.episodes, emu.state.episodes);
      assert.equal(tokenOf(other, 'alice'), 'alice-access-elsewhere');
      assert.equal(emu.users[0]!.refreshToken, 'alice-refresh-home');
      assert.equal(other.clientId, 'client-id-elsewhere');
      const traktIds = [...other.state.movies, ...other.state.shows, ...other.state.episodes].map((x) => x.ids.trakt);
      assert.equal(new Set(traktIds).size, traktIds.length);
    } finally {
      await other.close();
    }
  });

  it('finds items by trakt, imdb, tmdb and tvdb ids', async () => {
    const ep = episode(0);
    const byTvdb = await trakt(emu, `/search/tvdb/${ep.ids.tvdb}?type=episode`);
    assert.equal(byTvdb.json.length, 1);
    assert.equal(byTvdb.json[0].type, 'episode');
    assert.equal(byTvdb.json[0].episode.ids.trakt, ep.ids.trakt);
    assert.equal(byTvdb.json[0].show.ids.trakt, ep.show);
    assert.equal(byTvdb.headers.get('x-pagination-item-count'), '1');
    const byTmdb = await trakt(emu, `/search/tmdb/${movie().ids.tmdb}?type=movie`);
    assert.equal(byTmdb.json[0].movie.ids.imdb, movie().ids.imdb);
    assert.equal((await trakt(emu, `/search/trakt/${movie().ids.trakt}`)).json[0].type, 'movie');
    assert.deepEqual((await trakt(emu, `/search/imdb/${movie().ids.imdb}?type=show`)).json, []);
    assert.equal((await trakt(emu, '/search/netflix/1')).status, 400);
  });

  it('adds and removes history through /sync/history', async () => {
    const show = emu.state.shows[0]!;
    const added = await post('/sync/history', {
      movies: [{ ids: { imdb: movie(5).ids.imdb }, watched_at: '2026-01-02T03:04:05.000Z' }, { ids: { imdb: 'tt0000009' } }],
      shows: [{ ids: { trakt: show.ids.trakt }, seasons: [{ number: 1, episodes: [{ number: 1 }, { number: 2 }] }] }],
    });
    assert.equal(added.status, 201);
    assert.deepEqual(added.json.added, { movies: 1, episodes: 2 });
    assert.equal(added.json.not_found.movies.length, 1);
    const history = await trakt(emu, '/sync/history/movies', { token: alice });
    assert.equal(history.json[0].watched_at, '2026-01-02T03:04:05.000Z');
    assert.equal(history.json[0].action, 'watch');
    const removed = await post('/sync/history/remove', { ids: [history.json[0].id, 42] });
    assert.deepEqual(removed.json.deleted, { movies: 1, episodes: 0 });
    assert.deepEqual(removed.json.not_found.ids, [42]);
    assert.equal((await trakt(emu, '/sync/history', { token: alice })).json.length, 2);
  });

  it('reads and replaces state through /__emulator/state, naming bad fields', async () => {
    const state = await fetch(`${emu.url}/__emulator/state`).then((r) => r.json() as Promise<any>);
    assert.equal(state.app.clientId, emu.clientId);
    state.playback = { alice: [{ id: 9_000_000_000, type: 'movie', item: state.movies[0].ids.trakt, progress: 42, paused_at: '2026-11-01T10:00:00Z' }] };
    const put = await fetch(`${emu.url}/__emulator/state`, { method: 'PUT', body: JSON.stringify(state) });
    assert.equal(put.status, 200);
    const list = await playback();
    assert.deepEqual(
      list.json.map((p: { id: number; progress: number }) => [p.id, p.progress]),
      [[9_000_000_000, 42]],
    );
    assert.equal(list.json[0].paused_at, '2026-11-01T10:00:00.000Z', 'times are stored with milliseconds');
    // New ids continue above the ids already in the state.
    const next = await post('/scrobble/pause', movieBody(1, 5));
    assert.equal(next.json.id, 9_000_000_001);

    state.playback.alice[0].paused_at = 'yesterday';
    state.playback.bob = [{ id: 78, type: 'episode', item: 1, progress: 1, paused_at: '2026-11-01T10:00:00.000Z' }];
    const bad = await fetch(`${emu.url}/__emulator/state`, { method: 'PUT', body: JSON.stringify(state) });
    assert.equal(bad.status, 400);
    const message = ((await bad.json()) as { error: string }).error;
    assert.match(message, /playback\.alice\[0\]\.paused_at/);
  });

  it('names dangling references and loads a data file', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'trakt-emu-'));
    try {
      const state = structuredClone(emu.state) as any;
      state.episodes[0].show = 99;
      const badFile = join(dir, 'bad.json');
      await writeFile(badFile, JSON.stringify(state));
      await assert.rejects(startTraktEmulator({ dataFile: badFile, quiet: true }), /episodes\[0\]\.show: 99 is not the trakt id of a show/);
      const goodFile = join(dir, 'good.json');
      await writeFile(goodFile, JSON.stringify(emu.state));
      const loaded = await startTraktEmulator({ dataFile: goodFile, quiet: true, clientId: 'override' });
      try {
        assert.equal(loaded.clientId, 'override');
        assert.equal(loaded.state.movies.length, 12);
      } finally {
        await loaded.close();
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('faults and the request log', () => {
  it('applies status, reset and nonJson faults and logs them', async () => {
    const set = await fetch(`${emu.url}/__emulator/faults`, {
      method: 'POST',
      body: JSON.stringify({
        rules: [
          { path: '/sync/playback', method: 'GET', status: 503, count: 1 },
          { path: '/scrobble/pause', reset: true, count: 1 },
          { path: '^/search/', nonJson: true },
        ],
      }),
    });
    assert.equal(set.status, 200);
    const unavailable = await playback();
    assert.equal(unavailable.status, 503);
    assert.match(unavailable.headers.get('content-type')!, /text\/html/);
    assert.equal((await playback()).status, 200);
    await assert.rejects(post('/scrobble/pause', movieBody(0, 10)));
    const html = await trakt(emu, `/search/imdb/${movie().ids.imdb}`);
    assert.equal(html.status, 200);
    assert.equal(html.json, undefined);
    assert.match(html.text, /<html>/);
    const log = emu.requests.map((r) => [r.method, r.path, r.status, r.fault ?? null, r.user ?? null]);
    assert.deepEqual(log, [
      ['GET', '/sync/playback', 503, 'status', 'alice'],
      ['GET', '/sync/playback', 200, null, 'alice'],
      ['POST', '/scrobble/pause', 0, 'reset', 'alice'],
      ['GET', `/search/imdb/${movie().ids.imdb}`, 200, 'nonJson', null],
    ]);
    await fetch(`${emu.url}/__emulator/faults`, { method: 'DELETE' });
    assert.equal((await post('/scrobble/pause', movieBody(0, 10))).status, 201);
  });

  it('logs method, path, query, status, time and user; control routes are not logged', async () => {
    await playback(alice, '?page=1&limit=2');
    clockMs += 1_000;
    await trakt(emu, '/sync/playback', { token: null });
    const log = await fetch(`${emu.url}/__emulator/requests`).then((r) => r.json() as Promise<any>);
    assert.deepEqual(log, [
      { method: 'GET', path: '/sync/playback', query: { page: '1', limit: '2' }, status: 200, at: START_MS, user: 'alice' },
      { method: 'GET', path: '/sync/playback', query: {}, status: 401, at: START_MS + 1_000 },
    ]);
    assert.equal((await fetch(`${emu.url}/__emulator/requests`, { method: 'DELETE' })).status, 200);
    assert.equal(emu.requests.length, 0);
  });

  it('prints the CLI line with the client id and the users', () => {
    assert.equal(
      describeEmulator('home', emu),
      `trakt emulator "home" listening on ${emu.url} (client id client-id-home, users: alice=alice-access-home, bob=bob-access-home)`,
    );
    assert.deepEqual(Object.keys(defaultHeaders(emu)), ['trakt-api-key', 'trakt-api-version', 'Content-Type']);
  });
});
