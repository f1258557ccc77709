// The routes other Jellyfin/Emby clients call most, over raw HTTP: Emby's forms of them (under
// /emby and /Users/{id}/…: views, a title search, Next Up, resume, sessions, played/unplayed and
// the playback reports, JSON and query-string), Jellyfin's query-string reports (/PlayingItems,
// which the 1.0 SDK no longer has), and item queries that stay right while the state changes
// under the indexes that keep a large library's pages cheap. Every check compares with the
// emulator's own state.
import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import type { MbItem } from '../../emulators/mediabrowser/data.ts';
import { startMediaBrowserEmulator, type MediaBrowserDialect, type RunningMediaBrowserEmulator } from '../../emulators/mediabrowser/server.ts';

const SPEC = 'movies=8,shows=2,seasons=2,episodes=3';
const running: RunningMediaBrowserEmulator[] = [];
const clock = Date.parse('2026-11-24T12:00:00Z');

async function start(dialect: MediaBrowserDialect, version?: string): Promise<RunningMediaBrowserEmulator> {
  const emu = await startMediaBrowserEmulator({
    dialect,
    name: `clients-${dialect}`,
    synthetic: SPEC,
    seed: 'c',
    quiet: true,
    now: () => clock,
    ...(version ? { version } : {}),
  });
  running.push(emu);
  return emu;
}

afterEach(async () => {
  await Promise.all(running.splice(0).map((emu) => emu.close()));
});

interface Answer {
  status: number;
  text: string;
  /** Wire JSON (as in mediabrowser-emulator.test.ts), checked field by field against the state. */
  json: any;
}

/** A client signed in as one user (or the API key), on one device. */
function clientOf(emu: RunningMediaBrowserEmulator, who: 'alice' | 'bob' | 'apiKey', prefix = '') {
  const token = who === 'apiKey' ? emu.apiKey : emu.users.find((u) => u.name === who)!.token;
  const auth = `MediaBrowser Client="raw-client", Device="den", DeviceId="raw-${who}", Version="2.0", Token="${token}"`;
  return async (path: string, init: { method?: string; body?: unknown } = {}): Promise<Answer> => {
    const headers: Record<string, string> = { Authorization: auth };
    if (init.body !== undefined) headers['Content-Type'] = 'application/json';
    const res = await fetch(emu.url + prefix + path, {
      method: init.method ?? 'GET',
      headers,
      ...(init.body !== undefined ? { body: JSON.stringify(init.body) } : {}),
    });
    const text = await res.text();
    return { status: res.status, text, json: text && (res.headers.get('content-type') ?? '').includes('json') ? JSON.parse(text) : undefined };
  };
}

const userOf = (emu: RunningMediaBrowserEmulator, name: string) => emu.users.find((u) => u.name === name)!;
const itemsOf = (emu: RunningMediaBrowserEmulator, type: MbItem['Type']) => emu.state.items.filter((i) => i.Type === type);
const episodesOf = (emu: RunningMediaBrowserEmulator, series: MbItem) =>
  itemsOf(emu, 'Episode')
    .filter((e) => e.SeriesId === series.Id)
    .sort((a, b) => a.ParentIndexNumber! - b.ParentIndexNumber! || a.IndexNumber! - b.IndexNumber!);
const ids = (rows: Array<{ Id: string }>) => rows.map((r) => r.Id);
const sorted = (values: string[]) => [...values].sort();

describe('emby: the common client routes under /emby and /Users/{id}/…', () => {
  it('views, a title search, resume, played/unplayed, JSON reports and sessions', async () => {
    const emu = await start('emby');
    const alice = userOf(emu, 'alice');
    const get = clientOf(emu, 'alice', '/emby');

    const views = await get(`/Users/${alice.id}/Views`);
    assert.equal(views.status, 200);
    assert.deepEqual(
      views.json.Items.map((v: { Id: string; CollectionType: string }) => [v.Id, v.CollectionType]),
      emu.state.libraries.map((l) => [l.Id, l.CollectionType]),
    );
    assert.equal(views.json.StartIndex, undefined, 'Emby envelopes carry no StartIndex');

    // Search: case-insensitive name match, typed and paged.
    const film = itemsOf(emu, 'Movie')[0]!;
    const word = film.Name.split(' ').find((w) => w.length >= 4)!;
    const expected = emu.state.items.filter((i) => i.Name.toLowerCase().includes(word.toLowerCase()));
    const search = await get(`/Users/${alice.id}/Items?SearchTerm=${encodeURIComponent(word.toUpperCase())}&Recursive=true`);
    assert.equal(search.json.TotalRecordCount, expected.length);
    assert.deepEqual(sorted(ids(search.json.Items)), sorted(ids(expected)));
    const typed = await get(`/Users/${alice.id}/Items?searchTerm=${word.toLowerCase()}&Recursive=true&IncludeItemTypes=Movie&StartIndex=0&Limit=1`);
    assert.equal(typed.json.TotalRecordCount, expected.filter((i) => i.Type === 'Movie').length);
    assert.equal(typed.json.Items.length, 1);

    // Played with Emby's date form, then unplayed.
    const played = await get(`/Users/${alice.id}/PlayedItems/${film.Id}?DatePlayed=20261120203000`, { method: 'POST' });
    assert.equal(played.status, 200);
    assert.deepEqual([played.json.Played, played.json.PlayCount], [true, 1]);
    assert.equal(emu.state.userData[alice.id]?.[film.Id]?.Played, true);
    assert.equal(Date.parse(emu.state.userData[alice.id]![film.Id]!.LastPlayedDate!), Date.parse('2026-11-20T20:30:00Z'));
    const unplayed = await get(`/Users/${alice.id}/PlayedItems/${film.Id}`, { method: 'DELETE' });
    assert.deepEqual([unplayed.status, unplayed.json.Played, emu.state.userData[alice.id]?.[film.Id]?.Played], [200, false, false]);

    // JSON reports: start, progress at 40 % (kept), read back in /Sessions and on Resume.
    const other = itemsOf(emu, 'Movie')[1]!;
    const position = Math.round(other.RunTimeTicks! * 0.4);
    assert.equal((await get('/Sessions/Playing', { method: 'POST', body: { ItemId: other.Id, PlaySessionId: 'e1' } })).status, 200);
    assert.equal(
      (await get('/Sessions/Playing/Progress', { method: 'POST', body: { ItemId: other.Id, PositionTicks: position, IsPaused: true, PlaySessionId: 'e1' } }))
        .status,
      200,
    );
    const sessions = await get('/Sessions');
    const mine = sessions.json.find((s: { DeviceId: string }) => s.DeviceId === 'raw-alice');
    assert.deepEqual([mine.UserId, mine.NowPlayingItem?.Id, mine.PlayState.PositionTicks, mine.PlayState.IsPaused], [alice.id, other.Id, position, true]);
    assert.equal(emu.state.userData[alice.id]?.[other.Id]?.PlaybackPositionTicks, position);
    const resume = await get(`/Users/${alice.id}/Items/Resume?Fields=ProviderIds`);
    assert.deepEqual(ids(resume.json.Items), [other.Id]);
    assert.equal(resume.json.Items[0].UserData.PlaybackPositionTicks, position);
    // Stopped past 90 %: played, position cleared, the session idle.
    await get('/Sessions/Playing/Stopped', {
      method: 'POST',
      body: { ItemId: other.Id, PositionTicks: Math.round(other.RunTimeTicks! * 0.95), PlaySessionId: 'e1' },
    });
    assert.deepEqual([emu.state.userData[alice.id]?.[other.Id]?.Played, emu.state.userData[alice.id]?.[other.Id]?.PlaybackPositionTicks], [true, 0]);
    const idle = (await get('/Sessions')).json.find((s: { DeviceId: string }) => s.DeviceId === 'raw-alice');
    assert.equal(idle.NowPlayingItem, undefined);
    assert.deepEqual((await get(`/Users/${alice.id}/Items/Resume`)).json.Items, []);
  });

  it('Next Up with UserId, and the query-string reports under /Users/{id}/PlayingItems', async () => {
    const emu = await start('emby');
    const alice = userOf(emu, 'alice');
    const get = clientOf(emu, 'alice', '/emby');
    const series = itemsOf(emu, 'Series')[1]!;
    const episodes = episodesOf(emu, series);

    // Emby requires a user on Next Up; an API key must name one.
    assert.equal((await clientOf(emu, 'apiKey', '/emby')('/Shows/NextUp')).status, 400);
    assert.deepEqual((await get(`/Shows/NextUp?UserId=${alice.id}`)).json.Items, []);

    // Start, progress (paused), stop at 95 %: the first episode is played, the second is next.
    const first = episodes[0]!;
    const base = `/Users/${alice.id}/PlayingItems/${first.Id}`;
    assert.equal((await get(`${base}?PlaySessionId=q1&CanSeek=true`, { method: 'POST' })).status, 200);
    assert.equal(emu.state.userData[alice.id]?.[first.Id]?.PlayCount, 1);
    const half = Math.round(first.RunTimeTicks! / 2);
    assert.equal((await get(`${base}/Progress?PositionTicks=${half}&IsPaused=true&PlaySessionId=q1`, { method: 'POST' })).status, 200);
    const session = emu.state.sessions.find((s) => s.deviceId === 'raw-alice')!;
    assert.deepEqual([session.itemId, session.positionTicks, session.isPaused, session.playSessionId], [first.Id, half, true, 'q1']);
    assert.equal(emu.state.userData[alice.id]?.[first.Id]?.PlaybackPositionTicks, half);
    assert.equal((await get(`${base}/Delete?PositionTicks=${Math.round(first.RunTimeTicks! * 0.95)}`, { method: 'POST' })).status, 200);
    assert.deepEqual([emu.state.userData[alice.id]?.[first.Id]?.Played, emu.state.userData[alice.id]?.[first.Id]?.PlaybackPositionTicks], [true, 0]);
    assert.equal(emu.state.sessions.find((s) => s.deviceId === 'raw-alice')?.itemId, undefined);

    const next = await get(`/Shows/NextUp?UserId=${alice.id}&Fields=ProviderIds`);
    assert.equal(next.status, 200);
    assert.deepEqual(ids(next.json.Items), [episodes[1]!.Id]);
    assert.deepEqual(next.json.Items[0].ProviderIds, episodes[1]!.ProviderIds);
    assert.equal(next.json.TotalRecordCount, 1);
    const bySeries = await get(`/Shows/NextUp?UserId=${alice.id}&SeriesId=${itemsOf(emu, 'Series')[0]!.Id}`);
    assert.deepEqual(ids(bySeries.json.Items), [episodesOf(emu, itemsOf(emu, 'Series')[0]!)[0]!.Id]);

    // DELETE with a position in the middle keeps it.
    const second = episodes[1]!;
    const at = Math.round(second.RunTimeTicks! * 0.3);
    await get(`/Users/${alice.id}/PlayingItems/${second.Id}`, { method: 'POST' });
    assert.equal((await get(`/Users/${alice.id}/PlayingItems/${second.Id}?PositionTicks=${at}`, { method: 'DELETE' })).status, 200);
    assert.equal(emu.state.userData[alice.id]?.[second.Id]?.PlaybackPositionTicks, at);
    assert.equal((await get(`/Users/${alice.id}/PlayingItems/${second.Id}/Progress?PositionTicks=soon`, { method: 'POST' })).status, 400);
  });
});

describe('emby: browsing a series, favourites, capabilities', () => {
  it('answers /Shows/{id}/Seasons and /Episodes, favourite writes and posted capabilities', async () => {
    const emu = await start('emby');
    const alice = userOf(emu, 'alice');
    const get = clientOf(emu, 'alice', '/emby');
    const show = itemsOf(emu, 'Series')[0]!;
    const episodes = episodesOf(emu, show);
    const seasons = await get(`/Shows/${show.Id}/Seasons?UserId=${alice.id}`);
    assert.deepEqual(
      ids(seasons.json.Items),
      itemsOf(emu, 'Season')
        .filter((s) => s.ParentId === show.Id)
        .sort((a, b) => a.IndexNumber! - b.IndexNumber!)
        .map((s) => s.Id),
    );
    const all = await get(`/Shows/${show.Id}/Episodes?UserId=${alice.id}&Fields=ProviderIds`);
    assert.deepEqual(ids(all.json.Items), ids(episodes));
    const second = await get(`/Shows/${show.Id}/Episodes?UserId=${alice.id}&Season=2&StartIndex=1&Limit=1`);
    assert.deepEqual([ids(second.json.Items), second.json.TotalRecordCount], [[episodes.filter((e) => e.ParentIndexNumber === 2)[1]!.Id], 3]);
    assert.equal((await get(`/Shows/${episodes[0]!.Id}/Seasons`)).status, 404);

    const favourite = await get(`/Users/${alice.id}/FavoriteItems/${episodes[0]!.Id}`, { method: 'POST' });
    assert.deepEqual([favourite.status, favourite.json.IsFavorite], [200, true]);
    assert.equal(emu.state.userData[alice.id]?.[episodes[0]!.Id]?.IsFavorite, true);
    const listed = await get(`/Users/${alice.id}/Items?Recursive=true&Filters=IsFavorite`);
    assert.deepEqual(ids(listed.json.Items), [episodes[0]!.Id]);
    const removed = await get(`/Users/${alice.id}/FavoriteItems/${episodes[0]!.Id}/Delete`, { method: 'POST' });
    assert.deepEqual([removed.json.IsFavorite, emu.state.userData[alice.id]?.[episodes[0]!.Id]?.IsFavorite], [false, false]);

    assert.equal((await get('/Sessions/Capabilities?Id=x&PlayableMediaTypes=Video', { method: 'POST' })).status, 200);
    assert.equal((await get('/Sessions/Capabilities/Full', { method: 'POST', body: { PlayableMediaTypes: ['Video'] } })).status, 200);
    assert.ok(emu.state.sessions.some((s) => s.userId === alice.id && s.deviceId === 'raw-alice'));
  });
});

describe('jellyfin: the query-string playback reports', () => {
  it('/PlayingItems/{id} (10.9+) and /Users/{id}/PlayingItems/{id} move the position and mark played at the thresholds', async () => {
    const emu = await start('jellyfin');
    const alice = userOf(emu, 'alice');
    const get = clientOf(emu, 'alice');
    const film = itemsOf(emu, 'Movie')[2]!;
    const stored = () => emu.state.userData[alice.id]?.[film.Id];

    const startAnswer = await get(`/PlayingItems/${film.Id}?playSessionId=j1&canSeek=true&playMethod=Transcode`, { method: 'POST' });
    assert.deepEqual([startAnswer.status, startAnswer.text], [204, '']);
    assert.deepEqual([stored()?.PlayCount, stored()?.Played], [1, false]);
    const at = Math.round(film.RunTimeTicks! * 0.6);
    assert.equal((await get(`/PlayingItems/${film.Id}/Progress?positionTicks=${at}&isPaused=false&playSessionId=j1`, { method: 'POST' })).status, 204);
    const sessions = (await get('/Sessions')).json as Array<{ DeviceId: string; NowPlayingItem?: { Id: string }; PlayState: Record<string, unknown> }>;
    const mine = sessions.find((s) => s.DeviceId === 'raw-alice')!;
    // No transcoding job exists, so Jellyfin reports Transcode as DirectPlay.
    assert.deepEqual([mine.NowPlayingItem?.Id, mine.PlayState.PositionTicks, mine.PlayState.PlayMethod], [film.Id, at, 'DirectPlay']);
    assert.equal(stored()?.PlaybackPositionTicks, at);
    // Under 5 %: no position; stopped past 90 %: played.
    await get(`/PlayingItems/${film.Id}/Progress?positionTicks=${Math.round(film.RunTimeTicks! * 0.02)}`, { method: 'POST' });
    assert.equal(stored()?.PlaybackPositionTicks, 0);
    assert.equal((await get(`/PlayingItems/${film.Id}?positionTicks=${Math.round(film.RunTimeTicks! * 0.93)}`, { method: 'DELETE' })).status, 204);
    assert.deepEqual([stored()?.Played, stored()?.PlaybackPositionTicks, stored()?.PlayCount], [true, 0, 1]);

    // The legacy user-scoped form does the same for the token's user; its userId is bound, not used.
    const episode = itemsOf(emu, 'Episode')[0]!;
    const legacy = `/Users/${alice.id}/PlayingItems/${episode.Id}`;
    assert.equal((await get(legacy, { method: 'POST' })).status, 204);
    const mid = Math.round(episode.RunTimeTicks! * 0.5);
    assert.equal((await get(`${legacy}/Progress?positionTicks=${mid}`, { method: 'POST' })).status, 204);
    assert.equal(emu.state.userData[alice.id]?.[episode.Id]?.PlaybackPositionTicks, mid);
    assert.equal((await get(legacy, { method: 'DELETE' })).status, 204);
    assert.deepEqual([emu.state.userData[alice.id]?.[episode.Id]?.Played, emu.state.userData[alice.id]?.[episode.Id]?.PlayCount], [true, 2]);
    assert.equal((await get(`/Users/not-a-guid/PlayingItems/${episode.Id}`, { method: 'POST' })).status, 400);
    assert.equal((await get('/PlayingItems/not-a-guid', { method: 'POST' })).status, 400);

    // 10.8 has only the user-scoped form.
    const old = await start('jellyfin', '10.8.13');
    const oldGet = clientOf(old, 'alice');
    const oldFilm = itemsOf(old, 'Movie')[0]!;
    assert.equal((await oldGet(`/PlayingItems/${oldFilm.Id}`, { method: 'POST' })).status, 404);
    assert.equal((await oldGet(`/Users/${userOf(old, 'alice').id}/PlayingItems/${oldFilm.Id}`, { method: 'POST' })).status, 204);
    assert.equal(old.state.userData[userOf(old, 'alice').id]?.[oldFilm.Id]?.PlayCount, 1);
  });
});

for (const dialect of ['jellyfin', 'emby'] as const) {
  describe(`${dialect}: item queries follow the state under their indexes`, () => {
    const itemsUrl = (emu: RunningMediaBrowserEmulator, query: string) =>
      dialect === 'jellyfin' ? `/Items?userId=${userOf(emu, 'alice').id}&${query}` : `/Users/${userOf(emu, 'alice').id}/Items?${query}`;

    it('IsResumable sees writes and in-place edits; scans see added and deleted items; MinDateLastSaved', async () => {
      const emu = await start(dialect);
      const alice = userOf(emu, 'alice');
      const get = clientOf(emu, 'alice');
      const resumable = async () =>
        sorted(ids((await get(itemsUrl(emu, 'Recursive=true&IncludeItemTypes=Movie,Episode&Filters=IsResumable&Fields=ProviderIds'))).json.Items));
      assert.deepEqual(await resumable(), []);
      const [m0, m1] = itemsOf(emu, 'Movie');
      const writePath = (id: string) => (dialect === 'jellyfin' ? `/UserItems/${id}/UserData?userId=${alice.id}` : `/Users/${alice.id}/Items/${id}/UserData`);
      await get(writePath(m0!.Id), { method: 'POST', body: { PlaybackPositionTicks: 600_000_000, PlayCount: 0, Played: false, IsFavorite: false } });
      assert.deepEqual(await resumable(), [m0!.Id]);
      // A test editing the live state in place is seen at once (user data is never cached).
      emu.state.userData[alice.id]![m0!.Id]!.PlaybackPositionTicks = 0;
      emu.state.userData[alice.id]![m1!.Id] = { PlaybackPositionTicks: 700_000_000, PlayCount: 0, Played: false, IsFavorite: false };
      assert.deepEqual(await resumable(), [m1!.Id]);
      // The series above an episode in progress counts as resumable; the resume list has only the episode.
      const episode = itemsOf(emu, 'Episode')[4]!;
      await get(writePath(episode.Id), { method: 'POST', body: { PlaybackPositionTicks: 600_000_000, PlayCount: 0, Played: false, IsFavorite: false } });
      const folders = await get(itemsUrl(emu, 'Recursive=true&IncludeItemTypes=Series,Season&Filters=IsResumable'));
      assert.deepEqual(sorted(ids(folders.json.Items)), sorted([episode.SeriesId!, episode.SeasonId!]));

      const scan = async (extra = '') =>
        (await get(itemsUrl(emu, `Recursive=true&IncludeItemTypes=Movie,Series,Episode&Fields=ProviderIds&EnableUserData=false${extra}`))).json;
      const before = await scan();
      assert.equal(before.TotalRecordCount, emu.state.items.filter((i) => i.Type !== 'Season').length);
      // Deleted through the control route: gone from the next scan.
      assert.equal((await fetch(`${emu.url}/__emulator/items/${m1!.Id}`, { method: 'DELETE' })).status, 200);
      const after = await scan();
      assert.equal(after.TotalRecordCount, before.TotalRecordCount - 1);
      assert.ok(!ids(after.Items).includes(m1!.Id));
      // A state with a new film (a title with diacritics): found by the scan and by a plain-letter search.
      const state = (await (await fetch(`${emu.url}/__emulator/state`)).json()) as { items: MbItem[] };
      const newId = dialect === 'jellyfin' ? 'abcdefabcdefabcdefabcdefabcdef01' : '999999';
      state.items.push({ ...m0!, Id: newId, Name: 'Amélie à Montmartre', DateLastSaved: '2026-11-01T00:00:00.0000000Z' });
      assert.equal((await fetch(`${emu.url}/__emulator/state`, { method: 'PUT', body: JSON.stringify(state) })).status, 200);
      assert.ok(ids((await scan()).Items).includes(newId));
      const found = await get(itemsUrl(emu, 'Recursive=true&SearchTerm=amelie'));
      assert.deepEqual(ids(found.json.Items), [newId]);
      // MinDateLastSaved: exactly the items saved since, from the state.
      const since = '2020-01-01T00:00:00Z';
      const recent = await scan(`&MinDateLastSaved=${since}`);
      const expected = emu.state.items.filter((i) => i.Type !== 'Season' && Date.parse(i.DateLastSaved) >= Date.parse(since));
      assert.ok(expected.length > 0 && expected.length < emu.state.items.length);
      assert.deepEqual(sorted(ids(recent.Items)), sorted(ids(expected)));
      // And in the same order as the full scan (the default order, SortName).
      const full = ids((await scan()).Items);
      assert.deepEqual(
        ids(recent.Items),
        full.filter((id: string) => expected.some((e) => e.Id === id)),
      );
    });
  });
}
