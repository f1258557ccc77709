// Jellyfin and Emby harnesses: the MediaBrowser emulator in either dialect, with alice's items
// and user data in the server's own terms (ticks, ISO dates, ProviderIds).
import { startMediaBrowserEmulator, type MediaBrowserDialect } from '../../emulators/mediabrowser/server.ts';
import { normaliseIds } from '../../src/core/ids.ts';
import { RESUME_PAGE_SIZE } from '../../src/providers/mediabrowser/index.ts';
import type { Harness, TestItem, TestUser } from '../conformance/suite.ts';
import { CONFORMANCE_LIBRARY, CONFORMANCE_SEED, countRequests, openConnections, postFaults } from './util.ts';

const TICKS_PER_MS = 10_000;

export async function startMediaBrowserHarness(dialect: MediaBrowserDialect, name: string, library = CONFORMANCE_LIBRARY): Promise<Harness> {
  const emu = await startMediaBrowserEmulator({ dialect, name, synthetic: library, seed: CONFORMANCE_SEED, quiet: true });
  const userNamed = (name: string) => {
    const found = emu.users.find((u) => u.name === name);
    if (!found) throw new Error(`the emulator has no ${name}`);
    return found;
  };
  // The main user is alice; the other is bob.
  const alice = userNamed('alice');
  const users: Record<TestUser, typeof alice> = { main: alice, other: userNamed('bob') };
  const items = emu.state.items;
  const natives = new Map<TestItem, string>();
  const toTest = (type: 'Movie' | 'Episode'): TestItem[] =>
    items
      .filter((i) => i.Type === type && i.RunTimeTicks)
      .map((i) => {
        const series = i.SeriesId ? items.find((s) => s.Id === i.SeriesId) : undefined;
        const t: TestItem =
          type === 'Movie'
            ? {
                type: 'movie',
                ids: normaliseIds(i.ProviderIds),
                title: i.Name,
                ...(i.ProductionYear ? { year: i.ProductionYear } : {}),
                durationMs: Math.round((i.RunTimeTicks ?? 0) / TICKS_PER_MS),
              }
            : {
                type: 'episode',
                ids: normaliseIds(i.ProviderIds),
                title: i.Name,
                show: { ids: series ? normaliseIds(series.ProviderIds) : {}, ...(series ? { title: series.Name } : {}) },
                ...(i.ParentIndexNumber !== undefined ? { season: i.ParentIndexNumber } : {}),
                ...(i.IndexNumber !== undefined ? { episode: i.IndexNumber } : {}),
                durationMs: Math.round((i.RunTimeTicks ?? 0) / TICKS_PER_MS),
              };
        natives.set(t, i.Id);
        return t;
      });
  const movies = toTest('Movie');
  const episodes = toTest('Episode');
  const native = (t: TestItem) => {
    const id = natives.get(t);
    if (!id) throw new Error(`no item ${t.title}`);
    return id;
  };
  const data = (who: TestUser = 'main') => (emu.state.userData[users[who].id] ??= {});
  // Emby cannot tell whose token it is: the user is named (by id) as a user would.
  const configFor = (who: TestUser) => {
    const u = users[who];
    return { kind: dialect, url: emu.url, token: u.token, ...(dialect === 'emby' ? { user: u.id } : {}), timeoutMs: 5000, retries: 3, maxConcurrentWrites: 4 };
  };
  const config = configFor('main');
  return {
    kind: dialect,
    config: (who = 'main') => configFor(who),
    badConfig: () => ({ ...config, token: 'refused', retries: 0 }),
    unreachableConfig: (url) => ({ ...config, url }),
    movies: () => movies,
    episodes: () => episodes,
    missing: () => ({ type: 'movie', ids: { imdb: 'tt9999999' }, title: 'Not On This Server', durationMs: 100 }),
    // Jellyfin ids are 32 hex, Emby's numbers.
    unknownId: dialect === 'emby' ? '987654321' : 'f'.repeat(32),
    listingPageSize: RESUME_PAGE_SIZE,
    async setProgress(item, fraction, at, who) {
      data(who)[native(item)] = {
        PlaybackPositionTicks: Math.round(item.durationMs * fraction) * TICKS_PER_MS,
        PlayCount: 0,
        Played: false,
        IsFavorite: false,
        LastPlayedDate: new Date(at).toISOString(),
      };
    },
    async progressOf(item, who) {
      const d = data(who)[native(item)];
      return d && d.PlaybackPositionTicks > 0 ? { ms: Math.round(d.PlaybackPositionTicks / TICKS_PER_MS) } : undefined;
    },
    async clearProgress(item) {
      const d = data()[native(item)];
      if (d) d.PlaybackPositionTicks = 0;
    },
    async setIds(item, providerIds) {
      const found = items.find((i) => i.Id === native(item));
      if (!found) throw new Error(`no item ${item.title}`);
      found.ProviderIds = providerIds;
      found.DateLastSaved = new Date().toISOString();
    },
    async setWatched(item) {
      data()[native(item)] = { PlaybackPositionTicks: 0, PlayCount: 1, Played: true, IsFavorite: false, LastPlayedDate: new Date().toISOString() };
    },
    async isWatched(item) {
      return data()[native(item)]?.Played === true;
    },
    async removeItem(item) {
      const id = native(item);
      items.splice(
        items.findIndex((i) => i.Id === id),
        1,
      );
    },
    async setFinished(item, at, who) {
      // What a played mark with a date leaves: Played, no position, one more play, that date.
      const previous = data(who)[native(item)];
      data(who)[native(item)] = {
        PlaybackPositionTicks: 0,
        PlayCount: (previous?.PlayCount ?? 0) + 1,
        Played: true,
        IsFavorite: previous?.IsFavorite ?? false,
        LastPlayedDate: new Date(at).toISOString(),
        // Saved now, as the server stamps the records it writes (Emby's MinDateLastSavedForUser reads it).
        DateLastSaved: new Date().toISOString(),
      };
    },
    async setPlaying(item) {
      emu.state.sessions.push({
        id: `session-${native(item)}`,
        userId: alice.id,
        client: 'Jellyfin Web',
        deviceName: 'TV',
        deviceId: 'tv-1',
        applicationVersion: '10.11.8',
        itemId: native(item),
        positionTicks: 10_000_000,
        isPaused: false,
        lastActivityDate: new Date().toISOString(),
      });
    },
    listingPath: dialect === 'emby' ? `/Users/${alice.id}/Items` : '/Items',
    finishedRead: { path: dialect === 'emby' ? `/Users/${alice.id}/Items` : '/Items', query: { IsPlayed: 'true' } },
    setFaults: (rules) => postFaults(emu.url, rules),
    requestCount: (prefix, query) => countRequests(emu.requests, prefix, query),
    openConnections: () => openConnections(emu.port),
    close: () => emu.close(),
  };
}
