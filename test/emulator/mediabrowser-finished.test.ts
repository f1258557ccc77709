// What a finished item looks like on the Jellyfin/Emby emulator, over HTTP: the played routes,
// a player's stop past the 90 % threshold and the UserData writer set `Played` and
// `LastPlayedDate` as the servers do; `IsPlayed` with `SortBy=DatePlayed` and paging finds them;
// `MinDateLastSaved` compares the item's metadata save time, and so does Jellyfin's
// `MinDateLastSavedForUser`, while Emby's lists the user's records changed since.
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import type { MbItem } from '../../emulators/mediabrowser/data.ts';
import { startMediaBrowserEmulator, type MediaBrowserDialect, type RunningMediaBrowserEmulator } from '../../emulators/mediabrowser/server.ts';

const START_MS = Date.parse('2026-11-24T12:00:00Z');
const HOUR = 3_600_000;
let clockMs = START_MS;
const running: RunningMediaBrowserEmulator[] = [];

beforeEach(() => {
  clockMs = START_MS;
});
afterEach(async () => {
  await Promise.all(running.splice(0).map((emu) => emu.close()));
});

interface ListedItem {
  Id: string;
  Type: string;
  UserData?: { Played: boolean; LastPlayedDate?: string; PlaybackPositionTicks: number; PlayCount?: number };
}
interface Listing {
  Items: ListedItem[];
  TotalRecordCount: number;
}

/** One emulator and alice's client for it, in the dialect's own routes. */
async function start(dialect: MediaBrowserDialect) {
  const emu = await startMediaBrowserEmulator({
    dialect,
    name: `finished-${dialect}`,
    synthetic: 'movies=8,shows=1,seasons=1,episodes=3',
    seed: 'finished',
    quiet: true,
    now: () => clockMs,
  });
  running.push(emu);
  const alice = emu.users.find((u) => u.name === 'alice');
  assert.ok(alice);
  const base = dialect === 'emby' ? `${emu.url}/emby` : emu.url;
  const headers = { Authorization: `MediaBrowser Client="test", Device="test", DeviceId="fin-test", Version="1", Token="${alice.token}"` };
  const send = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(base + path, {
      method,
      headers: body === undefined ? headers : { ...headers, 'Content-Type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await res.text();
    assert.ok(res.ok, `${method} ${path}: ${res.status} ${text}`);
    return text === '' ? undefined : (JSON.parse(text) as unknown);
  };
  const itemsRoute = dialect === 'emby' ? `/Users/${alice.id}/Items?` : `/Items?userId=${alice.id}&`;
  // Emby lists carry LastPlayedDate only when asked for.
  const fields = dialect === 'emby' ? '&Fields=UserDataLastPlayedDate,UserDataPlayCount' : '';
  const list = async (query: string) => (await send('GET', `${itemsRoute}${query}${fields}`)) as Listing;
  const played = (id: string) => (dialect === 'emby' ? `/Users/${alice.id}/PlayedItems/${id}` : `/UserPlayedItems/${id}?userId=${alice.id}`);
  const dateParam = (ms: number) =>
    dialect === 'emby' ? `DatePlayed=${new Date(ms).toISOString().replace(/[-:T]/g, '').slice(0, 14)}` : `datePlayed=${new Date(ms).toISOString()}`;
  const markPlayed = (id: string, at?: number) => {
    const path = played(id);
    return send('POST', at === undefined ? path : `${path}${path.includes('?') ? '&' : '?'}${dateParam(at)}`);
  };
  const movies = emu.state.items.filter((i): i is MbItem => i.Type === 'Movie');
  const episodes = emu.state.items.filter((i) => i.Type === 'Episode');
  const record = (id: string) => emu.state.userData[alice.id]?.[id];
  return { emu, alice, send, list, played, markPlayed, movies, episodes, record };
}

const FINISHED = 'Recursive=true&IncludeItemTypes=Movie,Episode&IsPlayed=true&SortBy=DatePlayed&SortOrder=Descending';

for (const dialect of ['jellyfin', 'emby'] as const) {
  describe(`${dialect} emulator: finished items`, () => {
    it('marking played sets Played and LastPlayedDate (the given date, else the previous one, else now); unplayed clears both', async () => {
      const s = await start(dialect);
      const [a, b, c] = s.movies;
      assert.ok(a && b && c);
      await s.markPlayed(a.Id, START_MS - 5 * HOUR);
      assert.equal(s.record(a.Id)?.Played, true);
      assert.equal(Date.parse(s.record(a.Id)?.LastPlayedDate ?? ''), START_MS - 5 * HOUR);
      assert.equal(s.record(a.Id)?.PlayCount, 1);
      // No date: now, as nothing was played before.
      await s.markPlayed(b.Id);
      assert.equal(Date.parse(s.record(b.Id)?.LastPlayedDate ?? ''), START_MS);
      // No date, played before: the previous date stays.
      s.emu.state.userData[s.alice.id]![c.Id] = {
        PlaybackPositionTicks: 9_000,
        PlayCount: 0,
        Played: false,
        IsFavorite: false,
        LastPlayedDate: new Date(START_MS - HOUR).toISOString(),
      };
      await s.markPlayed(c.Id);
      assert.equal(Date.parse(s.record(c.Id)?.LastPlayedDate ?? ''), START_MS - HOUR);
      assert.equal(s.record(c.Id)?.PlaybackPositionTicks, 0, 'played drops the position');

      await s.send('DELETE', s.played(a.Id));
      assert.equal(s.record(a.Id)?.Played, false);
      assert.equal(s.record(a.Id)?.LastPlayedDate, undefined);
      const listed = await s.list(FINISHED);
      assert.deepEqual(
        listed.Items.map((i) => i.Id),
        [b.Id, c.Id],
      );
    });

    it('IsPlayed=true with SortBy=DatePlayed Descending pages newest first, with the total; IsPlayed=false is the rest', async () => {
      const s = await start(dialect);
      const [m0, m1, m2, m3] = s.movies;
      const [e0] = s.episodes;
      assert.ok(m0 && m1 && m2 && m3 && e0);
      // Played in this order: m2 oldest … e0 newest; m3 played with no date at all (a UserData write).
      await s.markPlayed(m2.Id, START_MS - 4 * HOUR);
      await s.markPlayed(m0.Id, START_MS - 3 * HOUR);
      await s.markPlayed(e0.Id, START_MS - HOUR);
      s.emu.state.userData[s.alice.id]![m3.Id] = { PlaybackPositionTicks: 0, PlayCount: 0, Played: true, IsFavorite: false };
      // In progress, not played: never listed.
      s.emu.state.userData[s.alice.id]![m1.Id] = {
        PlaybackPositionTicks: 1_000_000_000,
        PlayCount: 1,
        Played: false,
        IsFavorite: false,
        LastPlayedDate: new Date(START_MS).toISOString(),
      };

      const first = await s.list(`${FINISHED}&StartIndex=0&Limit=2`);
      assert.equal(first.TotalRecordCount, 4);
      assert.deepEqual(
        first.Items.map((i) => i.Id),
        [e0.Id, m0.Id],
      );
      assert.equal(Date.parse(first.Items[0]?.UserData?.LastPlayedDate ?? ''), START_MS - HOUR);
      const second = await s.list(`${FINISHED}&StartIndex=2&Limit=2`);
      assert.equal(second.TotalRecordCount, 4);
      // No LastPlayedDate sorts as the oldest.
      assert.deepEqual(
        second.Items.map((i) => i.Id),
        [m2.Id, m3.Id],
      );
      assert.equal(second.Items[1]?.UserData?.LastPlayedDate, undefined);

      const filtered = await s.list('Recursive=true&IncludeItemTypes=Movie,Episode&Filters=IsPlayed&SortBy=DatePlayed&SortOrder=Descending');
      assert.deepEqual(
        filtered.Items.map((i) => i.Id),
        [e0.Id, m0.Id, m2.Id, m3.Id],
        'Filters=IsPlayed is the same filter',
      );
      const unplayed = await s.list('Recursive=true&IncludeItemTypes=Movie,Episode&IsPlayed=false');
      assert.equal(unplayed.TotalRecordCount, s.movies.length + s.episodes.length - 4);
      assert.ok(!unplayed.Items.some((i) => [m0.Id, m2.Id, m3.Id, e0.Id].includes(i.Id)));
    });

    it('MinDateLastSaved compares the item metadata save time; MinDateLastSavedForUser too on Jellyfin, the user data on Emby', async () => {
      const s = await start(dialect);
      const [old, refreshed] = s.movies;
      assert.ok(old && refreshed);
      // Played last year, metadata refreshed today.
      clockMs = START_MS - 365 * 24 * HOUR;
      await s.markPlayed(refreshed.Id, clockMs);
      // Played today, metadata saved long ago.
      clockMs = START_MS;
      await s.markPlayed(old.Id, START_MS);
      const items = s.emu.state.items;
      s.emu.state.items = items.map((i) => ({ ...i, DateLastSaved: new Date(i.Id === refreshed.Id ? START_MS : START_MS - 400 * 24 * HOUR).toISOString() }));
      const since = encodeURIComponent(new Date(START_MS - HOUR).toISOString());
      const found = async (param: string) => (await s.list(`${FINISHED}&${param}=${since}`)).Items.map((i) => i.Id);
      assert.deepEqual(await found('MinDateLastSaved'), [refreshed.Id], 'the item saved since, whenever it was played');
      assert.deepEqual(
        await found('MinDateLastSavedForUser'),
        dialect === 'jellyfin' ? [refreshed.Id] : [old.Id],
        dialect === 'jellyfin' ? 'Jellyfin: the item save time again' : "Emby: the user's records changed since",
      );
    });

    it("a player's stop past 90 % marks played and keeps the start's LastPlayedDate; a UserData write stores what it is sent", async () => {
      const s = await start(dialect);
      const [film, other] = s.movies;
      assert.ok(film?.RunTimeTicks && other);
      await s.send('POST', '/Sessions/Playing', { ItemId: film.Id, PositionTicks: 0, PlayMethod: 'DirectPlay' });
      clockMs = START_MS + 2 * HOUR;
      await s.send('POST', '/Sessions/Playing/Stopped', { ItemId: film.Id, PositionTicks: Math.round(film.RunTimeTicks * 0.95) });
      const after = s.record(film.Id);
      assert.equal(after?.Played, true);
      assert.equal(after?.PlaybackPositionTicks, 0);
      assert.equal(Date.parse(after?.LastPlayedDate ?? ''), START_MS, 'the session set it when playback started');
      const listed = await s.list(FINISHED);
      assert.deepEqual(
        listed.Items.map((i) => i.Id),
        [film.Id],
      );

      // Played: true through the UserData writer leaves the date alone (none here).
      const body = dialect === 'emby' ? { PlaybackPositionTicks: 0, PlayCount: 0, Played: true, IsFavorite: false } : { Played: true };
      await s.send(
        'POST',
        dialect === 'emby' ? `/Users/${s.alice.id}/Items/${other.Id}/UserData` : `/UserItems/${other.Id}/UserData?userId=${s.alice.id}`,
        body,
      );
      assert.equal(s.record(other.Id)?.Played, true);
      assert.equal(s.record(other.Id)?.LastPlayedDate, undefined);
    });
  });
}
