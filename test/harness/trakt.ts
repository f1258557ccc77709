// A Trakt harness: the Trakt emulator, with alice signed in and playback in Trakt's own terms.
import { startTraktEmulator } from '../../emulators/trakt/server.ts';
import type { TraktEmulatorData } from '../../emulators/trakt/data.ts';
import { saveTokens } from '../../src/providers/trakt/oauth.ts';
import type { ExternalIds } from '../../src/core/model.ts';
import { PLAYBACK_PAGE_SIZE } from '../../src/providers/trakt/client.ts';
import type { Harness, TestItem, TestUser } from '../conformance/suite.ts';
import { CONFORMANCE_SEED, countRequests, openConnections, postFaults } from './util.ts';

/** The main user is alice; the other is bob. */
const USERS: Record<TestUser, string> = { main: 'alice', other: 'bob' };
/** More movies than one playback page (PLAYBACK_PAGE_SIZE), so the suite can check paging. */
const TRAKT_CONFORMANCE_LIBRARY = 'movies=1100,shows=3,seasons=2,episodes=8';

const ids = (i: { imdb?: string | null; tmdb?: number | null; tvdb?: number | null }): ExternalIds => ({
  ...(i.imdb ? { imdb: i.imdb } : {}),
  ...(i.tmdb ? { tmdb: String(i.tmdb) } : {}),
  ...(i.tvdb ? { tvdb: String(i.tvdb) } : {}),
});

export async function startTraktHarness(name = 'conformance-trakt', library = TRAKT_CONFORMANCE_LIBRARY): Promise<Harness> {
  const emu = await startTraktEmulator({ name, synthetic: library, seed: CONFORMANCE_SEED, quiet: true });
  const data = (): TraktEmulatorData => emu.state;
  const natives = new Map<TestItem, { type: 'movie' | 'episode'; trakt: number }>();
  const movies: TestItem[] = data().movies.map((m) => {
    const t: TestItem = { type: 'movie', ids: ids(m.ids), title: m.title, ...(m.year ? { year: m.year } : {}), durationMs: (m.runtime ?? 0) * 60_000 };
    natives.set(t, { type: 'movie', trakt: m.ids.trakt });
    return t;
  });
  const episodes: TestItem[] = data().episodes.map((e) => {
    const show = data().shows.find((s) => s.ids.trakt === e.show);
    const t: TestItem = {
      type: 'episode',
      ids: ids(e.ids),
      title: e.title ?? `S${e.season}E${e.number}`,
      show: { ids: show ? ids(show.ids) : {}, ...(show ? { title: show.title } : {}) },
      season: e.season,
      episode: e.number,
      durationMs: (e.runtime ?? show?.runtime ?? 0) * 60_000,
    };
    natives.set(t, { type: 'episode', trakt: e.ids.trakt });
    return t;
  });
  const native = (t: TestItem) => {
    const n = natives.get(t);
    if (!n) throw new Error(`no item ${t.title}`);
    return n;
  };
  const playback = (who: TestUser = 'main') => (data().playback[USERS[who]] ??= []);
  let nextId = 9_000_000;
  const userOf = (who: TestUser) => {
    const found = emu.users.find((u) => u.username === USERS[who]);
    if (!found) throw new Error(`the Trakt emulator has no ${USERS[who]}`);
    return found;
  };
  const config = {
    kind: 'trakt' as const,
    clientId: emu.clientId,
    clientSecret: emu.clientSecret,
    url: emu.url,
    authUrl: emu.url,
    timeoutMs: 5000,
    retries: 3,
    writesPerSecond: 1,
  };
  return {
    kind: 'trakt',
    // One app for every user: who signs in is in the tokens (prepareStore).
    config: () => config,
    badConfig: () => ({ ...config, retries: 0 }),
    unreachableConfig: (url) => ({ ...config, url }),
    prepareStore(store, providerId, good, who = 'main') {
      const user = userOf(who);
      saveTokens(store.providerState(providerId), {
        accessToken: good ? user.accessToken : 'revoked-token',
        refreshToken: user.refreshToken,
        expiresAt: Date.now() + 6 * 86_400_000,
      });
    },
    movies: () => movies,
    episodes: () => episodes,
    missing: () => ({ type: 'movie', ids: { imdb: 'tt9999999' }, title: 'Not On Trakt', durationMs: 100 }),
    unknownId: 'imdb:tt9999999',
    listingPageSize: PLAYBACK_PAGE_SIZE,
    async setProgress(item, fraction, at, who) {
      const n = native(item);
      const list = playback(who);
      const existing = list.findIndex((p) => p.item === n.trakt && p.type === n.type);
      const entry = { id: nextId++, type: n.type, item: n.trakt, progress: Math.round(fraction * 100 * 100) / 100, paused_at: new Date(at).toISOString() };
      if (existing >= 0) list[existing] = entry;
      else list.push(entry);
    },
    async progressOf(item, who) {
      const n = native(item);
      const p = playback(who).find((x) => x.item === n.trakt && x.type === n.type);
      return p ? { pct: p.progress } : undefined;
    },
    // A finish as a ≥ 80 % scrobble leaves it: a play at that time, the playback entry gone, and
    // both activity stamps moved (at the later of now and the play, as Trakt logs it when told).
    async setFinished(item, at, who = 'main') {
      const n = native(item);
      const username = USERS[who];
      const plays = (data().history[username] ??= []);
      const id = Math.max(0, ...Object.values(data().history).flatMap((list) => list.map((h) => h.id))) + 1;
      plays.push({ id, type: n.type, item: n.trakt, watched_at: new Date(at).toISOString(), action: 'scrobble' });
      data().playback[username] = playback(who).filter((p) => !(p.item === n.trakt && p.type === n.type));
      const stamp = new Date(Math.max(Date.now(), at)).toISOString();
      const activities = (data().activities[username] ??= { movies: {}, episodes: {} });
      activities[n.type === 'movie' ? 'movies' : 'episodes'] = { watched_at: stamp, paused_at: stamp };
    },
    async playsOf(item, sinceMs, who = 'main') {
      const n = native(item);
      return (data().history[USERS[who]] ?? []).filter((h) => h.item === n.trakt && h.type === n.type && Date.parse(h.watched_at) >= sinceMs).length;
    },
    listingPath: '/sync/playback',
    // What moved since (`/sync/last_activities`), then the plays (`/sync/history`).
    finishedRead: { path: '^/sync/(last_activities|history)' },
    setFaults: (rules) => postFaults(emu.url, rules),
    requestCount: (prefix, query) => countRequests(emu.requests, prefix, query),
    openConnections: () => openConnections(emu.port),
    close: () => emu.close(),
  };
}
