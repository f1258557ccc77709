import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { generateCatalogue, parseSyntheticSpec } from '../../emulators/catalogue.ts';
import { describeMediaBrowserEmulator } from '../../emulators/mediabrowser/cli.ts';
import { normalizeData, type MbItem } from '../../emulators/mediabrowser/data.ts';
import {
  startMediaBrowserEmulator,
  type MediaBrowserDialect,
  type MediaBrowserEmulatorOptions,
  type RunningMediaBrowserEmulator,
} from '../../emulators/mediabrowser/server.ts';
import { PARTIAL_IDS_PERCENT } from '../../emulators/mediabrowser/synthetic.ts';
import { startPlexEmulator } from '../../emulators/plex/server.ts';

const SPEC = 'movies=12,shows=3,seasons=2,episodes=3';
const START_MS = Date.parse('2026-11-24T12:00:00Z');
const TICKS_PER_MS = 10_000;

let clockMs = START_MS;
const running: RunningMediaBrowserEmulator[] = [];

async function start(dialect: MediaBrowserDialect, options: Partial<MediaBrowserEmulatorOptions> = {}): Promise<RunningMediaBrowserEmulator> {
  const emu = await startMediaBrowserEmulator({ dialect, name: 'home', synthetic: SPEC, seed: 'test', quiet: true, now: () => clockMs, ...options });
  running.push(emu);
  return emu;
}

beforeEach(() => {
  clockMs = START_MS;
});

afterEach(async () => {
  await Promise.all(running.splice(0).map((emu) => emu.close()));
});

interface Result {
  status: number;
  headers: Headers;
  text: string;
  json: any;
}

async function call(base: string, path: string, init: { method?: string; headers?: Record<string, string>; body?: unknown } = {}): Promise<Result> {
  const headers: Record<string, string> = { ...init.headers };
  if (init.body !== undefined) headers['Content-Type'] = 'application/json';
  const response = await fetch(base + path, {
    method: init.method ?? 'GET',
    headers,
    ...(init.body !== undefined ? { body: typeof init.body === 'string' ? init.body : JSON.stringify(init.body) } : {}),
  });
  const text = await response.text();
  const json: unknown = text !== '' && (response.headers.get('content-type') ?? '').includes('json') ? JSON.parse(text) : undefined;
  return { status: response.status, headers: response.headers, text, json };
}

function mediaBrowser(token: string, client = 'test-client', deviceId = 'test-device'): Record<string, string> {
  return { Authorization: `MediaBrowser Client="${client}", Device="test", DeviceId="${deviceId}", Version="1.0", Token="${token}"` };
}

/** A small client for one emulator and one user. */
function clientFor(emu: RunningMediaBrowserEmulator, who: 'admin' | 'alice' | 'bob' | 'apiKey' = 'alice', deviceId = 'test-device') {
  const token = who === 'apiKey' ? emu.apiKey : emu.users.find((u) => u.name === who)!.token;
  return (path: string, init: { method?: string; body?: unknown; headers?: Record<string, string> } = {}) =>
    call(emu.url, path, { ...init, headers: { ...mediaBrowser(token, 'test-client', deviceId), ...init.headers } });
}

const userId = (emu: RunningMediaBrowserEmulator, name: string) => emu.users.find((u) => u.name === name)!.id;
const itemsOf = (emu: RunningMediaBrowserEmulator, type: MbItem['Type']) => emu.state.items.filter((i) => i.Type === type);
const fullIds = (item: MbItem) => Boolean(item.ProviderIds.Imdb && item.ProviderIds.Tmdb);
const firstMovie = (emu: RunningMediaBrowserEmulator) => itemsOf(emu, 'Movie').find(fullIds)!;

/** The user-scoped item route of each dialect (Jellyfin: the 10.9+ one). */
function itemPath(emu: RunningMediaBrowserEmulator, user: string, itemId: string): string {
  return emu.dialect === 'jellyfin' ? `/Items/${itemId}?userId=${userId(emu, user)}` : `/Users/${userId(emu, user)}/Items/${itemId}`;
}

function itemsPath(emu: RunningMediaBrowserEmulator, user: string, query: string): string {
  return emu.dialect === 'jellyfin' ? `/Items?userId=${userId(emu, user)}&${query}` : `/Users/${userId(emu, user)}/Items?${query}`;
}

function userDataWritePath(emu: RunningMediaBrowserEmulator, user: string, itemId: string): string {
  return emu.dialect === 'jellyfin' ? `/UserItems/${itemId}/UserData?userId=${userId(emu, user)}` : `/Users/${userId(emu, user)}/Items/${itemId}/UserData`;
}

function playedPath(emu: RunningMediaBrowserEmulator, user: string, itemId: string, query = ''): string {
  const base = emu.dialect === 'jellyfin' ? `/UserPlayedItems/${itemId}?userId=${userId(emu, user)}` : `/Users/${userId(emu, user)}/PlayedItems/${itemId}?`;
  return query ? `${base}&${query}` : base;
}

for (const dialect of ['jellyfin', 'emby'] as const) {
  describe(`${dialect}: authentication`, () => {
    it('serves /System/Info/Public without a token and 401s (empty body) on a missing or unknown token', async () => {
      const emu = await start(dialect);
      const info = await call(emu.url, '/System/Info/Public');
      assert.equal(info.status, 200);
      assert.equal(info.json.Id, emu.serverId);
      assert.equal(info.json.Version, dialect === 'jellyfin' ? '10.11.8' : '4.8.11.0');
      for (const headers of [{}, mediaBrowser('nope'), { 'X-Emby-Token': 'nope' }]) {
        const res = await call(emu.url, '/System/Info', { headers });
        assert.equal(res.status, 401);
        assert.equal(res.text, '');
      }
    });

    it('accepts the MediaBrowser header (any case, quoted or not, URL-encoded values)', async () => {
      const emu = await start(dialect);
      const alice = emu.users.find((u) => u.name === 'alice')!;
      for (const header of [
        `MediaBrowser Token="${alice.token}", Client="app"`,
        `mediabrowser client="my%20app", token="${encodeURIComponent(alice.token)}"`,
        `MEDIABROWSER Token=${alice.token}, Client=app`,
      ]) {
        const res = await call(emu.url, '/System/Info', { headers: { Authorization: header } });
        assert.equal(res.status, 200, header);
      }
      assert.equal(emu.requests.at(-2)?.client, 'my app', 'URL-decoded Client in the request log');
      assert.equal(emu.requests.at(-1)?.userId, alice.id);
    });

    it('treats API keys as admin without a user', async () => {
      const emu = await start(dialect);
      const api = clientFor(emu, 'apiKey');
      assert.equal((await api('/Users')).status, 200);
      assert.equal((await api(itemsPath(emu, 'bob', 'Recursive=true'))).status, 200);
      assert.equal(emu.requests.at(-1)?.userId, undefined, 'no user behind an API key');
    });
  });

  describe(`${dialect}: users and access`, () => {
    it("lists users (Jellyfin: to anyone signed in; Emby: to admins) and the login screen's users without a token", async () => {
      const emu = await start(dialect);
      const users = await clientFor(emu, 'admin')('/Users');
      assert.deepEqual(
        users.json.map((u: any) => [u.Name, u.Policy.IsAdministrator]),
        [
          ['admin', true],
          ['alice', false],
          ['bob', false],
        ],
      );
      assert.ok(users.json.every((u: any) => /^[0-9a-f]{32}$/.test(u.Id)));
      assert.equal((await clientFor(emu, 'alice')('/Users')).status, dialect === 'jellyfin' ? 200 : 403);
      const self = await clientFor(emu, 'alice')(`/Users/${userId(emu, 'alice')}`);
      assert.equal(self.json.Name, 'alice');
      assert.equal((await clientFor(emu, 'alice')(`/Users/${userId(emu, 'bob')}`)).status, dialect === 'jellyfin' ? 200 : 403);
      emu.state.users.find((u) => u.name === 'bob')!.hidden = true;
      const visible = await call(emu.url, '/Users/Public');
      assert.deepEqual(
        visible.json.map((u: any) => u.Name),
        ['admin', 'alice'],
        'hidden users are left out',
      );
    });

    it('answers 403 when a non-admin names another user, and lets admins and API keys act for anyone', async () => {
      const emu = await start(dialect);
      const bobItems = itemsPath(emu, 'bob', 'Recursive=true&IncludeItemTypes=Movie');
      assert.equal((await clientFor(emu, 'alice')(bobItems)).status, 403);
      assert.equal((await clientFor(emu, 'admin')(bobItems)).status, 200);
      assert.equal((await clientFor(emu, 'apiKey')(bobItems)).status, 200);
      const movie = firstMovie(emu);
      const write = await clientFor(emu, 'alice')(userDataWritePath(emu, 'bob', movie.Id), { method: 'POST', body: { PlaybackPositionTicks: 1 } });
      assert.equal(write.status, 403);
      if (dialect === 'jellyfin') assert.equal(write.text, 'User is not allowed to update this item user data.');
      assert.equal(emu.state.userData[userId(emu, 'bob')], undefined, 'nothing written');
    });

    it('logs in by name and hands out the user token', async () => {
      const emu = await start(dialect);
      const res = await call(emu.url, '/Users/AuthenticateByName', { method: 'POST', headers: mediaBrowser(''), body: { Username: 'Alice', Pw: '' } });
      assert.equal(res.status, 200);
      assert.equal(res.json.AccessToken, 'alice-token-home');
      assert.equal(res.json.User.Id, userId(emu, 'alice'));
      assert.equal(res.json.ServerId, emu.serverId);
      const wrong = await call(emu.url, '/Users/AuthenticateByName', { method: 'POST', body: { Username: 'nobody', Pw: '' } });
      assert.equal(wrong.status, 401);
    });
  });

  describe(`${dialect}: items`, () => {
    it('pages with StartIndex/Limit and counts the total', async () => {
      const emu = await start(dialect);
      const get = clientFor(emu, 'alice');
      const seen: string[] = [];
      for (let start = 0; ; start += 5) {
        const page = await get(itemsPath(emu, 'alice', `Recursive=true&IncludeItemTypes=Movie&StartIndex=${start}&Limit=5`));
        assert.equal(page.status, 200);
        assert.equal(page.json.TotalRecordCount, 12);
        if (dialect === 'jellyfin') assert.equal(page.json.StartIndex, start);
        else assert.equal('StartIndex' in page.json, false, 'Emby does not echo StartIndex');
        seen.push(...page.json.Items.map((i: any) => i.Id));
        if (start + page.json.Items.length >= page.json.TotalRecordCount) break;
      }
      assert.equal(new Set(seen).size, 12);
      const noCount = await get(itemsPath(emu, 'alice', 'Recursive=true&IncludeItemTypes=Movie&Limit=3&EnableTotalRecordCount=false'));
      assert.equal(noCount.json.TotalRecordCount, 3);
    });

    it('puts ProviderIds and other extra fields in lists only when Fields asks, ignoring unknown Fields', async () => {
      const emu = await start(dialect);
      const get = clientFor(emu, 'alice');
      const plain = await get(itemsPath(emu, 'alice', 'Recursive=true&IncludeItemTypes=Movie&Limit=1'));
      assert.equal(plain.json.Items[0].ProviderIds, undefined);
      assert.ok(plain.json.Items[0].UserData, 'EnableUserData defaults to true');
      const asked = await get(itemsPath(emu, 'alice', 'Recursive=true&IncludeItemTypes=Movie&Fields=Bogus,ProviderIds,Path,NotAField&Limit=1'));
      assert.equal(asked.status, 200);
      assert.ok(asked.json.Items[0].ProviderIds);
      assert.match(asked.json.Items[0].Path, /\.mkv$/);
      const noUserData = await get(itemsPath(emu, 'alice', 'Recursive=true&IncludeItemTypes=Movie&EnableUserData=false&Limit=1'));
      assert.equal(noUserData.json.Items[0].UserData, undefined);
      const single = await get(itemPath(emu, 'alice', firstMovie(emu).Id));
      assert.deepEqual(single.json.ProviderIds, firstMovie(emu).ProviderIds, 'a single item carries every field');
      assert.equal(single.json.Path, firstMovie(emu).Path);
    });

    it('speaks ticks and seven-digit UTC dates', async () => {
      const emu = await start(dialect);
      const catalogue = generateCatalogue(parseSyntheticSpec(SPEC), 'test');
      const movie = firstMovie(emu);
      const fromCatalogue = catalogue.movies.find((m) => m.title === movie.Name && m.year === movie.ProductionYear)!;
      const res = await clientFor(emu, 'alice')(itemPath(emu, 'alice', movie.Id));
      assert.equal(res.json.RunTimeTicks, fromCatalogue.durationMs * TICKS_PER_MS);
      assert.match(res.json.DateCreated, /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{7}Z$/);
      assert.match(res.headers.get('content-type') ?? '', /^application\/json/);
    });

    it('walks the hierarchy: libraries, series → seasons → episodes, with episode numbers', async () => {
      const emu = await start(dialect);
      const get = clientFor(emu, 'alice');
      const views = await get(dialect === 'jellyfin' ? `/UserViews?userId=${userId(emu, 'alice')}` : `/Users/${userId(emu, 'alice')}/Views`);
      assert.deepEqual(
        views.json.Items.map((v: any) => [v.Name, v.CollectionType, v.Type]),
        [
          ['Movies', 'movies', 'CollectionFolder'],
          ['Shows', 'tvshows', 'CollectionFolder'],
        ],
      );
      const root = await get(itemsPath(emu, 'alice', ''));
      assert.deepEqual(
        root.json.Items.map((v: any) => v.Id),
        views.json.Items.map((v: any) => v.Id),
        'a non-recursive root listing is the libraries',
      );
      const shows = views.json.Items[1].Id;
      const series = await get(itemsPath(emu, 'alice', `ParentId=${shows}`));
      assert.equal(series.json.TotalRecordCount, 3);
      assert.ok(series.json.Items.every((s: any) => s.Type === 'Series' && s.IsFolder === true));
      const seasons = await get(itemsPath(emu, 'alice', `ParentId=${series.json.Items[0].Id}`));
      assert.deepEqual(
        seasons.json.Items.map((s: any) => s.IndexNumber),
        [1, 2],
      );
      const episodes = await get(
        itemsPath(emu, 'alice', `ParentId=${series.json.Items[0].Id}&Recursive=true&IncludeItemTypes=Episode&ParentIndexNumber=2&Fields=ParentId`),
      );
      assert.deepEqual(
        episodes.json.Items.map((e: any) => [e.ParentIndexNumber, e.IndexNumber]),
        [
          [2, 1],
          [2, 2],
          [2, 3],
        ],
      );
      const episode = episodes.json.Items[0];
      assert.equal(episode.SeriesId, series.json.Items[0].Id);
      assert.equal(episode.SeriesName, series.json.Items[0].Name);
      assert.equal(episode.ParentId, episode.SeasonId);
      assert.equal(episode.SeasonName, 'Season 2');
    });

    it('finds items with an IMDb id and with DateLastSaved after a date', async () => {
      const emu = await start(dialect);
      const get = clientFor(emu, 'alice');
      const withImdb = await get(itemsPath(emu, 'alice', 'Recursive=true&IncludeItemTypes=Movie&HasImdbId=true'));
      assert.equal(withImdb.json.TotalRecordCount, itemsOf(emu, 'Movie').filter((m) => m.ProviderIds.Imdb).length);
      const movies = itemsOf(emu, 'Movie').sort((a, b) => Date.parse(a.DateLastSaved) - Date.parse(b.DateLastSaved));
      const cut = movies[6]!.DateLastSaved;
      const recent = await get(itemsPath(emu, 'alice', `Recursive=true&IncludeItemTypes=Movie&MinDateLastSaved=${encodeURIComponent(cut)}`));
      assert.equal(recent.json.TotalRecordCount, 6);
      assert.equal((await get(itemsPath(emu, 'alice', 'Recursive=true&Limit=abc'))).status, 400, 'a malformed number is a binding error');
    });

    it('filters by AnyProviderIdEquals on Emby only (Jellyfin has no such filter and ignores it)', async () => {
      const emu = await start(dialect);
      const [a, b] = itemsOf(emu, 'Movie').filter(fullIds);
      const res = await clientFor(
        emu,
        'alice',
      )(itemsPath(emu, 'alice', `Recursive=true&IncludeItemTypes=Movie&AnyProviderIdEquals=imdb.${a!.ProviderIds.Imdb},tmdb.${b!.ProviderIds.Tmdb}`));
      if (dialect === 'emby') assert.deepEqual(res.json.Items.map((i: any) => i.Id).sort(), [a!.Id, b!.Id].sort());
      else assert.equal(res.json.TotalRecordCount, 12);
    });

    it('answers 404 for unknown items, 404 for unknown routes, 405 for the wrong method', async () => {
      const emu = await start(dialect);
      const get = clientFor(emu, 'alice');
      const unknown = dialect === 'jellyfin' ? '0'.repeat(32) : '999999999';
      assert.equal((await get(itemPath(emu, 'alice', unknown))).status, 404);
      assert.equal((await get('/Library/Nothing')).status, 404);
      const wrong = await get('/Items', { method: 'PUT' });
      assert.equal(wrong.status, 405);
      if (dialect === 'jellyfin') {
        assert.equal((await get(`/Items/not-a-guid?userId=${userId(emu, 'alice')}`)).status, 400, 'ids bind as GUIDs');
        const dashed = firstMovie(emu)
          .Id.replace(/^(.{8})(.{4})(.{4})(.{4})/, '$1-$2-$3-$4-')
          .toUpperCase();
        assert.equal((await get(`/Items/${dashed}?userId=${userId(emu, 'alice')}`)).json.Id, firstMovie(emu).Id, 'GUIDs with dashes, any case');
      }
    });

    it('routes case-insensitively and ignores a trailing slash', async () => {
      const emu = await start(dialect);
      const res = await clientFor(emu, 'alice')(`/users/${userId(emu, 'alice')}/items/?recursive=true&includeitemtypes=movie&limit=2`);
      assert.equal(res.status, 200);
      assert.equal(res.json.Items.length, 2);
    });
  });

  describe(`${dialect}: progress and user data`, () => {
    it('lists resumable items with Filters=IsResumable and the resume route, newest first', async () => {
      const emu = await start(dialect);
      const alice = userId(emu, 'alice');
      const [m1, m2] = itemsOf(emu, 'Movie');
      const episode = itemsOf(emu, 'Episode')[0]!;
      emu.state.userData[alice] = {
        [m1!.Id]: { PlaybackPositionTicks: 600_000_000, PlayCount: 0, Played: false, IsFavorite: false, LastPlayedDate: '2026-11-20T10:00:00Z' },
        [m2!.Id]: { PlaybackPositionTicks: 0, PlayCount: 1, Played: true, IsFavorite: false, LastPlayedDate: '2026-11-23T10:00:00Z' },
        [episode.Id]: { PlaybackPositionTicks: 900_000_000, PlayCount: 0, Played: false, IsFavorite: false, LastPlayedDate: '2026-11-22T10:00:00Z' },
      };
      const get = clientFor(emu, 'alice');
      const resumable = await get(itemsPath(emu, 'alice', 'Recursive=true&IncludeItemTypes=Movie,Episode&Filters=IsResumable'));
      assert.deepEqual(resumable.json.Items.map((i: any) => i.Id).sort(), [m1!.Id, episode.Id].sort());
      assert.equal(resumable.json.Items.find((i: any) => i.Id === m1!.Id).UserData.PlaybackPositionTicks, 600_000_000);
      const series = await get(itemsPath(emu, 'alice', 'Recursive=true&IncludeItemTypes=Series&Filters=IsResumable'));
      assert.deepEqual(
        series.json.Items.map((i: any) => i.Id),
        [episode.SeriesId],
        'a series with an episode in progress is resumable',
      );
      const resume = await get(dialect === 'jellyfin' ? `/UserItems/Resume?userId=${alice}` : `/Users/${alice}/Items/Resume`);
      assert.deepEqual(
        resume.json.Items.map((i: any) => i.Id),
        [episode.Id, m1!.Id],
        'most recently played first',
      );
      const played = await get(itemsPath(emu, 'alice', 'Recursive=true&IncludeItemTypes=Movie&Filters=IsPlayed'));
      assert.deepEqual(
        played.json.Items.map((i: any) => i.Id),
        [m2!.Id],
      );
      const unplayed = await get(itemsPath(emu, 'alice', 'Recursive=true&IncludeItemTypes=Movie&IsPlayed=false'));
      assert.equal(unplayed.json.TotalRecordCount, 11);
      const byDate = await get(itemsPath(emu, 'alice', 'Recursive=true&IncludeItemTypes=Movie,Episode&SortBy=DatePlayed&SortOrder=Descending&Limit=3'));
      assert.deepEqual(
        byDate.json.Items.map((i: any) => i.Id),
        [m2!.Id, episode.Id, m1!.Id],
      );
      assert.equal((await clientFor(emu, 'bob')(itemsPath(emu, 'bob', 'Recursive=true&Filters=IsResumable'))).json.TotalRecordCount, 0, 'per user');
    });

    it('marks played and unplayed with the server side effects', async () => {
      const emu = await start(dialect);
      const alice = userId(emu, 'alice');
      const movie = firstMovie(emu);
      emu.state.userData[alice] = {
        [movie.Id]: { PlaybackPositionTicks: 600_000_000, PlayCount: 2, Played: false, IsFavorite: true, LastPlayedDate: '2026-11-20T10:00:00Z' },
      };
      const post = clientFor(emu, 'alice');
      const date = dialect === 'jellyfin' ? 'datePlayed=2026-11-24T07:00:00Z' : 'DatePlayed=20261124070000';
      const played = await post(playedPath(emu, 'alice', movie.Id, date), { method: 'POST' });
      assert.equal(played.status, 200);
      assert.equal(played.json.Played, true);
      assert.equal(played.json.PlaybackPositionTicks, 0);
      assert.equal(played.json.PlayCount, 3, 'a date counts one more play');
      assert.equal(played.json.LastPlayedDate, '2026-11-24T07:00:00.0000000Z');
      assert.equal(played.json.IsFavorite, true);
      const again = await post(playedPath(emu, 'alice', movie.Id), { method: 'POST' });
      assert.equal(again.json.PlayCount, 3, 'without a date the count stays (at least 1)');
      assert.equal(again.json.LastPlayedDate, '2026-11-24T07:00:00.0000000Z', 'and the previous date stays');
      emu.state.userData[alice]![movie.Id]!.PlaybackPositionTicks = 500;
      const unplayed = await post(playedPath(emu, 'alice', movie.Id), { method: 'DELETE' });
      assert.equal(unplayed.status, 200);
      assert.deepEqual(
        [unplayed.json.Played, unplayed.json.PlayCount, unplayed.json.PlaybackPositionTicks, unplayed.json.LastPlayedDate],
        [false, 0, 0, undefined],
        'unplayed also wipes the resume point',
      );
      const series = itemsOf(emu, 'Series')[0]!;
      const seriesPlayed = await post(playedPath(emu, 'alice', series.Id), { method: 'POST' });
      assert.equal(seriesPlayed.json.Played, true);
      assert.equal(seriesPlayed.json.UnplayedItemCount, 0);
      const episodes = itemsOf(emu, 'Episode').filter((e) => e.SeriesId === series.Id);
      assert.ok(
        episodes.every((e) => emu.state.userData[alice]![e.Id]!.Played),
        'a series marks every episode',
      );
      clockMs += 60_000;
      const firstEpisode = await post(playedPath(emu, 'alice', episodes[0]!.Id), { method: 'DELETE' });
      assert.equal(firstEpisode.json.Played, false);
      const seriesAfter = await post(itemPath(emu, 'alice', series.Id));
      assert.equal(seriesAfter.json.UserData.Played, false);
      assert.equal(seriesAfter.json.UserData.UnplayedItemCount, 1);
      if (dialect === 'emby') {
        const viaPost = await post(`/Users/${alice}/PlayedItems/${episodes[1]!.Id}/Delete`, { method: 'POST' });
        assert.equal(viaPost.json.Played, false);
      }
    });

    it('hands out stable per-user ids: user ids are 32 hex, item ids GUIDs (Jellyfin) or numbers (Emby)', async () => {
      const emu = await start(dialect);
      assert.ok(emu.users.every((u) => /^[0-9a-f]{32}$/.test(u.id)));
      const pattern = dialect === 'jellyfin' ? /^[0-9a-f]{32}$/ : /^[1-9]\d*$/;
      assert.ok([...emu.state.items, ...emu.state.libraries].every((i) => pattern.test(i.Id)));
      assert.equal(emu.apiKey, 'apikey-home');
      assert.deepEqual(
        emu.users.map((u) => [u.name, u.token, u.admin]),
        [
          ['admin', 'admin-token-home', true],
          ['alice', 'alice-token-home', false],
          ['bob', 'bob-token-home', false],
        ],
      );
    });
  });

  describe(`${dialect}: sessions and the resume thresholds`, () => {
    it('shows what a user plays in /Sessions, and applies 5 % / 90 % / 300 s on progress and stop', async () => {
      const emu = await start(dialect);
      const alice = userId(emu, 'alice');
      const movie = firstMovie(emu);
      const runtime = movie.RunTimeTicks!;
      const post = clientFor(emu, 'alice', 'living-room');
      const report = (path: string, body: Record<string, unknown>) =>
        post(path, { method: 'POST', body: { ItemId: movie.Id, CanSeek: true, IsMuted: false, ...body } });
      const written = dialect === 'jellyfin' ? 204 : 200;

      assert.equal((await report('/Sessions/Playing', { PositionTicks: 0, IsPaused: false })).status, written);
      let data = emu.state.userData[alice]![movie.Id]!;
      assert.deepEqual([data.PlayCount, data.Played, data.LastPlayedDate], [1, false, '2026-11-24T12:00:00.0000000Z'], 'counted at the start');

      const half = Math.round(runtime / 2);
      clockMs += 1000;
      await report('/Sessions/Playing/Progress', { PositionTicks: half, IsPaused: true });
      assert.equal(emu.state.userData[alice]![movie.Id]!.PlaybackPositionTicks, half);
      const sessions = await clientFor(emu, 'alice')('/Sessions');
      const playing = sessions.json.find((s: any) => s.DeviceId === 'living-room');
      assert.equal(playing.NowPlayingItem.Id, movie.Id);
      assert.equal(playing.PlayState.PositionTicks, half);
      assert.equal(playing.PlayState.IsPaused, true);
      assert.equal(playing.UserId, alice);
      assert.equal(playing.UserName, 'alice');
      assert.equal(
        (await clientFor(emu, 'bob', 'bob-phone')('/Sessions')).json.some((s: any) => s.UserId === alice),
        false,
        'others see only their own sessions',
      );
      assert.ok(
        (await clientFor(emu, 'admin', 'admin-pc')('/Sessions')).json.some((s: any) => s.UserId === alice),
        'admins see every session',
      );

      await report('/Sessions/Playing/Progress', { PositionTicks: Math.round(runtime * 0.03), IsPaused: false });
      data = emu.state.userData[alice]![movie.Id]!;
      assert.deepEqual([data.PlaybackPositionTicks, data.Played], [0, false], 'below 5 % nothing is kept');

      await report('/Sessions/Playing/Stopped', { PositionTicks: Math.round(runtime * 0.95) });
      data = emu.state.userData[alice]![movie.Id]!;
      assert.deepEqual([data.PlaybackPositionTicks, data.Played, data.PlayCount], [0, true, 1], 'past 90 % it is played (no second count)');
      const after = await clientFor(emu, 'alice')('/Sessions');
      assert.equal(after.json.find((s: any) => s.DeviceId === 'living-room').NowPlayingItem, undefined, 'stopped: the session is idle');

      await report('/Sessions/Playing/Stopped', {});
      assert.equal(emu.state.userData[alice]![movie.Id]!.PlayCount, 2, 'a stop without a position counts as watched to the end');
      await report('/Sessions/Playing/Stopped', { PositionTicks: half, Failed: true });
      assert.equal(emu.state.userData[alice]![movie.Id]!.PlaybackPositionTicks, 0, 'a failed playback stores nothing');
    });

    it('marks short items played instead of keeping a position, and ignores API-key playback', async () => {
      const emu = await start(dialect);
      const alice = userId(emu, 'alice');
      const movie = firstMovie(emu);
      movie.RunTimeTicks = 200 * 10_000_000; // 200 s, under the 300 s minimum
      await clientFor(emu, 'alice')('/Sessions/Playing/Progress', { method: 'POST', body: { ItemId: movie.Id, PositionTicks: 100 * 10_000_000 } });
      assert.deepEqual([emu.state.userData[alice]![movie.Id]!.PlaybackPositionTicks, emu.state.userData[alice]![movie.Id]!.Played], [0, true]);
      const other = itemsOf(emu, 'Movie').find((m) => m.Id !== movie.Id)!;
      const res = await clientFor(emu, 'apiKey')('/Sessions/Playing', { method: 'POST', body: { ItemId: other.Id, PositionTicks: 1 } });
      assert.ok(res.status === 204 || res.status === 200);
      assert.equal(
        Object.values(emu.state.userData).some((byItem) => other.Id in byItem),
        false,
        'an API key plays for nobody',
      );
    });
  });

  describe(`${dialect}: synthetic library`, () => {
    it('shares titles and external ids with the Plex emulator for the same spec and seed; native ids differ per name', async () => {
      const spec = 'movies=30,shows=4,seasons=2,episodes=3';
      const plex = await startPlexEmulator({ name: 'plexy', synthetic: spec, seed: 'shared', quiet: true });
      try {
        const one = await start(dialect, { name: 'one', synthetic: spec, seed: 'shared' });
        const two = await start(dialect, { name: 'two', synthetic: spec, seed: 'shared' });
        const plexMovies = new Map(plex.state.items.filter((i) => i.type === 'movie').map((i) => [`${i.title}|${i.year}`, i]));
        const movies = itemsOf(one, 'Movie');
        assert.equal(movies.length, 30);
        let compared = 0;
        for (const movie of movies) {
          const twin = plexMovies.get(`${movie.Name}|${movie.ProductionYear}`);
          assert.ok(twin, `${movie.Name} (${movie.ProductionYear}) is in the Plex library too`);
          assert.equal(Math.round(movie.RunTimeTicks! / TICKS_PER_MS), twin.durationMs);
          const plexImdb = twin.guids.find((g) => g.startsWith('imdb://'))?.slice(7) ?? /agents\.imdb:\/\/(tt\d+)/.exec(twin.guid)?.[1];
          if (movie.ProviderIds.Imdb && plexImdb) {
            assert.equal(movie.ProviderIds.Imdb, plexImdb);
            compared++;
          }
        }
        assert.ok(compared >= 25, `compared ${compared} imdb ids`);
        const plexEpisodes = plex.state.items
          .filter((i) => i.type === 'episode')
          .map((i) => i.guids.find((g) => g.startsWith('tvdb://'))?.slice(7))
          .filter(Boolean);
        const ourEpisodes = itemsOf(one, 'Episode').map((e) => e.ProviderIds.Tvdb);
        assert.deepEqual(new Set(ourEpisodes), new Set([...ourEpisodes.filter((t) => plexEpisodes.includes(t))]), 'episode tvdb ids are the Plex ones');
        // Same catalogue under another name: same titles and ids, different native ids and server id.
        assert.deepEqual(
          itemsOf(two, 'Movie').map((m) => m.Name),
          movies.map((m) => m.Name),
        );
        assert.notEqual(one.serverId, two.serverId);
        const oneIds = new Set(one.state.items.map((i) => i.Id));
        assert.equal(two.state.items.filter((i) => oneIds.has(i.Id)).length, 0, 'no native id shared');
        assert.deepEqual(
          itemsOf(two, 'Movie')
            .filter(fullIds)
            .map((m) => m.ProviderIds.Imdb)
            .slice(0, 5),
          itemsOf(two, 'Movie')
            .filter(fullIds)
            .map((m) => movies.find((x) => x.Name === m.Name)!)
            .filter(fullIds)
            .map((m) => m.ProviderIds.Imdb)
            .slice(0, 5),
        );
      } finally {
        await plex.close();
      }
    });

    it(`gives about ${PARTIAL_IDS_PERCENT} % of items only some provider ids, deterministically per server`, async () => {
      const spec = 'movies=300,shows=20,seasons=1,episodes=1';
      const a = await start(dialect, { name: 'a', synthetic: spec, seed: 'p' });
      const again = await start(dialect, { name: 'a', synthetic: spec, seed: 'p' });
      const b = await start(dialect, { name: 'b', synthetic: spec, seed: 'p' });
      const partial = (emu: RunningMediaBrowserEmulator) =>
        itemsOf(emu, 'Movie')
          .filter((m) => !fullIds(m))
          .map((m) => m.Name);
      const count = partial(a).length;
      assert.ok(count >= 3 && count <= 30, `${count} of 300 movies lack an id`);
      assert.deepEqual(partial(again), partial(a));
      assert.notDeepEqual(partial(b), partial(a));
      assert.ok(
        itemsOf(a, 'Movie')
          .filter((m) => !fullIds(m))
          .every((m) => Object.keys(m.ProviderIds).length === 1),
      );
    });
  });

  describe(`${dialect}: test control`, () => {
    it('injects faults and logs requests', async () => {
      const emu = await start(dialect);
      const get = clientFor(emu, 'alice');
      const faults = await call(emu.url, '/__emulator/faults', {
        method: 'POST',
        body: {
          rules: [
            { path: '/Sessions', status: 503, count: 1 },
            { path: '/System/Info/Public', nonJson: true },
          ],
        },
      });
      assert.equal(faults.status, 200);
      assert.equal((await get('/Sessions')).status, 503);
      assert.equal((await get('/Sessions')).status, 200, 'count 1: only the first');
      const html = await get('/System/Info/Public');
      assert.equal(html.status, 200);
      assert.match(html.headers.get('content-type') ?? '', /text\/html/);
      await call(emu.url, '/__emulator/faults', { method: 'POST', body: { rules: [{ path: '^/Users/[^/]+/Items$', reset: true }] } });
      await assert.rejects(get(`/Users/${userId(emu, 'alice')}/Items?Recursive=true`));
      assert.equal((await call(emu.url, '/__emulator/faults', { method: 'DELETE' })).status, 200);

      const log = (await call(emu.url, '/__emulator/requests')).json;
      assert.deepEqual(
        log.map((e: any) => [e.method, e.path, e.status, e.fault ?? null]),
        [
          ['GET', '/Sessions', 503, 'status'],
          ['GET', '/Sessions', 200, null],
          ['GET', '/System/Info/Public', 200, 'nonJson'],
          ['GET', `/Users/${userId(emu, 'alice')}/Items`, 0, 'reset'],
        ],
      );
      assert.equal(log[1].userId, userId(emu, 'alice'));
      assert.equal(log[1].client, 'test-client');
      assert.deepEqual(log[3].query, { Recursive: 'true' });
      assert.equal(log[1].at, START_MS);
      await call(emu.url, '/__emulator/requests', { method: 'DELETE' });
      assert.deepEqual((await call(emu.url, '/__emulator/requests')).json, []);
    });

    it('reads and replaces the state, naming the bad field', async () => {
      const emu = await start(dialect);
      const state = (await call(emu.url, '/__emulator/state')).json;
      assert.equal(state.serverId, emu.serverId);
      state.items[0].RunTimeTicks = 'long';
      const bad = await call(emu.url, '/__emulator/state', { method: 'PUT', body: state });
      assert.equal(bad.status, 400);
      assert.match(bad.json.error, /items\[0\]\.RunTimeTicks|items.*0.*RunTimeTicks/);
      state.items[0].RunTimeTicks = 1_000;
      state.items[0].Name = 'Renamed';
      const good = await call(emu.url, '/__emulator/state', { method: 'PUT', body: state });
      assert.equal(good.status, 200);
      assert.equal((await clientFor(emu, 'alice')(itemPath(emu, 'alice', state.items[0].Id))).json.Name, 'Renamed');
      assert.throws(() => normalizeData({ ...state, items: [{ ...state.items[0], Id: dialect === 'jellyfin' ? '12345' : 'abc' }] }, dialect), /items\[0\]\.Id/);
      assert.throws(() => normalizeData({ ...state, items: [{ ...state.items[0], ParentId: state.items[0].Id }] }, dialect), /items\[0\]\.ParentId/);
    });

    it('describes itself on one line for the command line', async () => {
      const emu = await start(dialect);
      assert.equal(
        describeMediaBrowserEmulator('home', emu),
        `${dialect} emulator "home" listening on ${emu.url} (server id ${emu.serverId}, api key apikey-home, users: admin=admin-token-home, alice=alice-token-home, bob=bob-token-home)`,
      );
    });
  });
}

describe('jellyfin only', () => {
  it('honours legacy authorization in 10.11 mode and refuses it in 12.0 mode (ApiKey query always works)', async () => {
    const legacy = await start('jellyfin');
    const modern = await start('jellyfin', { legacyAuth: false, version: '12.0.0' });
    for (const [emu, legacyOk] of [
      [legacy, true],
      [modern, false],
    ] as const) {
      const token = emu.users.find((u) => u.name === 'alice')!.token;
      const expect = legacyOk ? 200 : 401;
      assert.equal((await call(emu.url, '/System/Info', { headers: { 'X-Emby-Token': token } })).status, expect, 'X-Emby-Token');
      assert.equal((await call(emu.url, '/System/Info', { headers: { 'X-MediaBrowser-Token': token } })).status, expect, 'X-MediaBrowser-Token');
      assert.equal((await call(emu.url, `/System/Info?api_key=${token}`)).status, expect, 'api_key');
      assert.equal(
        (await call(emu.url, '/System/Info', { headers: { 'X-Emby-Authorization': `MediaBrowser Token="${token}"` } })).status,
        expect,
        'X-Emby-Authorization',
      );
      assert.equal((await call(emu.url, '/System/Info', { headers: { Authorization: `Emby Token="${token}"` } })).status, expect, 'Emby scheme');
      assert.equal((await call(emu.url, `/System/Info?ApiKey=${token}`)).status, 200, 'ApiKey');
      assert.equal((await call(emu.url, '/System/Info', { headers: mediaBrowser(token) })).status, 200, 'MediaBrowser header');
    }
  });

  it('answers /Users/Me for users and 400 for API keys', async () => {
    const emu = await start('jellyfin');
    assert.equal((await clientFor(emu, 'alice')('/Users/Me')).json.Name, 'alice');
    const key = await clientFor(emu, 'apiKey')('/Users/Me');
    assert.equal(key.status, 400);
    assert.match(key.text, /Token is not owned by a user/);
    const resume = await clientFor(emu, 'apiKey')('/UserItems/Resume');
    assert.equal(resume.status, 400, 'an API key must name the user');
    assert.equal((await clientFor(emu, 'apiKey')(`/UserItems/Resume?userId=${userId(emu, 'alice')}`)).status, 200);
    const noUser = await clientFor(emu, 'apiKey')('/Items?Recursive=true&IncludeItemTypes=Movie&Limit=1');
    assert.equal(noUser.json.Items[0].UserData, undefined, 'no user, no UserData');
  });

  it('patches user data verbatim: only the sent fields change, no thresholds, the result comes back', async () => {
    const emu = await start('jellyfin');
    const alice = userId(emu, 'alice');
    const movie = firstMovie(emu);
    emu.state.userData[alice] = {
      [movie.Id]: { PlaybackPositionTicks: 0, PlayCount: 4, Played: true, IsFavorite: true, LastPlayedDate: '2026-11-01T00:00:00Z', Likes: true },
    };
    const nearEnd = Math.round(movie.RunTimeTicks! * 0.99);
    const res = await clientFor(emu, 'alice')(`/UserItems/${movie.Id}/UserData?userId=${alice}`, { method: 'POST', body: { PlaybackPositionTicks: nearEnd } });
    assert.equal(res.status, 200);
    assert.equal(res.json.PlaybackPositionTicks, nearEnd, 'stored verbatim, even at 99 %');
    assert.deepEqual(
      [res.json.PlayCount, res.json.Played, res.json.IsFavorite, res.json.Likes, res.json.LastPlayedDate],
      [4, true, true, true, '2026-11-01T00:00:00.0000000Z'],
    );
    assert.equal(res.json.ItemId, movie.Id);
    assert.ok(Math.abs(res.json.PlayedPercentage - 99) < 0.01);
    const legacy = await clientFor(emu, 'alice')(`/Users/${alice}/Items/${movie.Id}/UserData`, {
      method: 'POST',
      body: { Played: false, LastPlayedDate: '2026-11-24T06:00:00Z', PlaybackPositionTicks: null },
    });
    assert.deepEqual(
      [legacy.json.Played, legacy.json.LastPlayedDate, legacy.json.PlaybackPositionTicks],
      [false, '2026-11-24T06:00:00.0000000Z', nearEnd],
      'null means "leave alone"',
    );
    const read = await clientFor(emu, 'alice')(`/UserItems/${movie.Id}/UserData?userId=${alice}`);
    assert.deepEqual(read.json, legacy.json);
    const bad = await clientFor(emu, 'alice')(`/UserItems/${movie.Id}/UserData?userId=${alice}`, { method: 'POST', body: { PlaybackPositionTicks: '600' } });
    assert.equal(bad.status, 400, 'a string position is a binding error');
    assert.equal(emu.state.userData[alice]![movie.Id]!.PlaybackPositionTicks, nearEnd);
  });

  it('emulates 10.8: no /UserItems, /UserPlayedItems, /UserViews, GET /Items/{id} or UserData writes — the legacy routes remain', async () => {
    const emu = await start('jellyfin', { version: '10.8.13' });
    const get = clientFor(emu, 'alice');
    const alice = userId(emu, 'alice');
    const movie = firstMovie(emu);
    assert.equal((await call(emu.url, '/System/Info/Public')).json.Version, '10.8.13');
    for (const [method, path] of [
      ['GET', `/UserItems/Resume?userId=${alice}`],
      ['GET', `/UserItems/${movie.Id}/UserData?userId=${alice}`],
      ['POST', `/UserItems/${movie.Id}/UserData?userId=${alice}`],
      ['POST', `/UserPlayedItems/${movie.Id}?userId=${alice}`],
      ['GET', `/UserViews?userId=${alice}`],
      ['GET', `/Items/${movie.Id}?userId=${alice}`],
      ['POST', `/Users/${alice}/Items/${movie.Id}/UserData`],
    ] as const) {
      assert.equal((await get(path, { method, ...(method === 'POST' ? { body: { PlaybackPositionTicks: 1 } } : {}) })).status, 404, `${method} ${path}`);
    }
    assert.equal((await get(`/Users/${alice}/Items?Recursive=true&IncludeItemTypes=Movie`)).status, 200);
    assert.equal((await get(`/Users/${alice}/Items/Resume`)).status, 200);
    assert.equal((await get(`/Users/${alice}/Items/${movie.Id}`)).status, 200);
    assert.equal((await get(`/Users/${alice}/Views`)).status, 200);
    assert.equal((await get(`/Users/${alice}/PlayedItems/${movie.Id}`, { method: 'POST' })).status, 200);
    assert.equal((await get('/Items?Recursive=true&Limit=1')).status, 200);
  });

  it('answers camelCase when asked for the CamelCase profile, leaving ProviderIds keys alone', async () => {
    const emu = await start('jellyfin');
    const res = await clientFor(emu, 'alice')(`/Items/${firstMovie(emu).Id}`, { headers: { Accept: 'application/json; profile="CamelCase"' } });
    assert.equal(res.json.name, firstMovie(emu).Name);
    assert.equal(typeof res.json.userData.playbackPositionTicks, 'number');
    assert.deepEqual(Object.keys(res.json.providerIds).sort(), Object.keys(firstMovie(emu).ProviderIds).sort());
    // Content negotiation: the first acceptable entry (by q, then order) decides. The official SDK
    // lists plain application/json first and reads PascalCase.
    const negotiated = async (accept: string) =>
      Object.keys((await clientFor(emu, 'alice')(`/Items/${firstMovie(emu).Id}`, { headers: { Accept: accept } })).json).includes('Name');
    assert.equal(await negotiated('application/json,application/json; profile=CamelCase,application/json; profile=PascalCase,text/html'), true);
    assert.equal(await negotiated('text/html, application/json; profile="CamelCase", application/json'), false);
    assert.equal(await negotiated('application/json; profile="CamelCase"; q=0.5, application/json'), true);
    assert.equal(await negotiated('*/*'), true);
  });
});

describe('emby only', () => {
  it("answers at the root and under /emby, and accepts its own token forms (not Jellyfin's ApiKey)", async () => {
    const emu = await start('emby');
    const token = emu.users.find((u) => u.name === 'alice')!.token;
    for (const prefix of ['', '/emby', '/EMBY']) {
      assert.equal((await call(emu.url, `${prefix}/System/Info`, { headers: { 'X-Emby-Token': token } })).status, 200, prefix);
    }
    assert.equal((await call(emu.url, `/emby/System/Info?api_key=${token}`)).status, 200);
    assert.equal(
      (
        await call(emu.url, '/emby/System/Info', {
          headers: { 'X-Emby-Authorization': `Emby UserId="${userId(emu, 'alice')}", Client="x", Device="y", DeviceId="z", Version="1", Token="${token}"` },
        })
      ).status,
      200,
    );
    assert.equal((await call(emu.url, '/emby/System/Info', { headers: mediaBrowser(token) })).status, 200);
    assert.equal((await call(emu.url, `/emby/System/Info?ApiKey=${token}`)).status, 401);
    assert.equal((await call(emu.url, '/emby/Users/Me', { headers: { 'X-Emby-Token': token } })).status, 404, 'Emby has no /Users/Me');
    assert.equal(emu.requests.at(-1)?.path, '/emby/Users/Me', 'the log keeps the path as sent');
  });

  it('REPLACES user data on POST: an omitted PlayCount is reset to 0 (the trap for a patch-minded client)', async () => {
    const emu = await start('emby');
    const alice = userId(emu, 'alice');
    const movie = firstMovie(emu);
    emu.state.userData[alice] = {
      [movie.Id]: { PlaybackPositionTicks: 0, PlayCount: 3, Played: true, IsFavorite: true, LastPlayedDate: '2026-11-01T00:00:00Z' },
    };
    const post = clientFor(emu, 'alice');
    const res = await post(`/emby/Users/${alice}/Items/${movie.Id}/UserData`, { method: 'POST', body: { PlaybackPositionTicks: 18_000_000_000 } });
    assert.equal(res.status, 200);
    assert.equal(res.text, '', 'Emby answers an empty 200');
    const after = (await post(`/emby/Users/${alice}/Items/${movie.Id}`)).json.UserData;
    assert.equal(after.PlaybackPositionTicks, 18_000_000_000);
    assert.deepEqual(
      [after.PlayCount, after.Played, after.IsFavorite, after.LastPlayedDate],
      [0, false, false, undefined],
      'everything not sent is back to its default',
    );
    // The safe way: read the whole record, change the position, send it all back.
    emu.state.userData[alice]![movie.Id] = { PlaybackPositionTicks: 0, PlayCount: 3, Played: true, IsFavorite: true, LastPlayedDate: '2026-11-01T00:00:00Z' };
    const current = (await post(`/emby/Users/${alice}/Items/${movie.Id}`)).json.UserData;
    await post(`/emby/Users/${alice}/Items/${movie.Id}/UserData`, {
      method: 'POST',
      body: { ...current, Played: false, PlaybackPositionTicks: 18_000_000_000 },
    });
    const kept = (await post(`/emby/Users/${alice}/Items/${movie.Id}`)).json.UserData;
    assert.deepEqual(
      [kept.PlayCount, kept.IsFavorite, kept.LastPlayedDate, kept.PlaybackPositionTicks],
      [3, true, '2026-11-01T00:00:00.0000000Z', 18_000_000_000],
    );
  });

  it('shows LastPlayedDate and PlayCount in lists only when Fields asks for them', async () => {
    const emu = await start('emby');
    const alice = userId(emu, 'alice');
    const movie = firstMovie(emu);
    emu.state.userData[alice] = {
      [movie.Id]: { PlaybackPositionTicks: 5, PlayCount: 2, Played: false, IsFavorite: false, LastPlayedDate: '2026-11-01T00:00:00Z' },
    };
    const get = clientFor(emu, 'alice');
    const plain = (await get(`/Users/${alice}/Items?Ids=${movie.Id}`)).json.Items[0].UserData;
    assert.equal(plain.PlayCount, undefined);
    assert.equal(plain.LastPlayedDate, undefined);
    assert.equal(plain.PlaybackPositionTicks, 5);
    const asked = (await get(`/Users/${alice}/Items?Ids=${movie.Id}&Fields=UserDataPlayCount,UserDataLastPlayedDate`)).json.Items[0].UserData;
    assert.deepEqual([asked.PlayCount, asked.LastPlayedDate], [2, '2026-11-01T00:00:00.0000000Z']);
    const resume = (await get(`/Users/${alice}/Items/Resume`)).json.Items[0].UserData;
    assert.equal(resume.LastPlayedDate, undefined, 'the resume list follows the same rule');
  });

  it('hides an item from resume', async () => {
    const emu = await start('emby');
    const alice = userId(emu, 'alice');
    const movie = firstMovie(emu);
    emu.state.userData[alice] = { [movie.Id]: { PlaybackPositionTicks: 5_000_000_000, PlayCount: 1, Played: false, IsFavorite: false } };
    const res = await clientFor(emu, 'alice')(`/Users/${alice}/Items/${movie.Id}/HideFromResume?Hide=true`, { method: 'POST' });
    assert.equal(res.json.PlaybackPositionTicks, 0);
    assert.equal((await clientFor(emu, 'alice')(`/Users/${alice}/Items/Resume`)).json.TotalRecordCount, 0);
  });
});
