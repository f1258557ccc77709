// A Plex harness: the Plex emulator, with test items and state changes in Plex's own terms.
import { idsFromPlexGuids } from '../../src/core/ids.ts';
import { startPlexEmulator, type RunningPlexEmulator } from '../../emulators/plex/server.ts';
import type { PlexItem } from '../../emulators/plex/data.ts';
import { RESUME_PAGE_SIZE } from '../../src/providers/plex/index.ts';
import type { Harness, TestItem, TestUser } from '../conformance/suite.ts';
import { CONFORMANCE_LIBRARY, CONFORMANCE_SEED, countRequests, openConnections, postFaults } from './util.ts';

/** The main user is the server owner (account 1); the other is alice, a shared user. */
const ACCOUNTS: Record<TestUser, number> = { main: 1, other: 2 };

function testItem(emu: RunningPlexEmulator, item: PlexItem): TestItem {
  const ids = idsFromPlexGuids([item.guid, ...item.guids]).ids;
  if (item.type === 'movie') return { type: 'movie', ids, title: item.title, ...(item.year ? { year: item.year } : {}), durationMs: item.durationMs ?? 0 };
  const show = emu.state.items.find((i) => i.ratingKey === item.grandparentRatingKey);
  return {
    type: 'episode',
    ids,
    title: item.title,
    show: { ids: show ? idsFromPlexGuids([show.guid, ...show.guids]).ids : {}, ...(show ? { title: show.title } : {}) },
    ...(item.parentIndex !== undefined ? { season: item.parentIndex } : {}),
    ...(item.index !== undefined ? { episode: item.index } : {}),
    durationMs: item.durationMs ?? 0,
  };
}

export async function startPlexHarness(name = 'conformance-plex', library = CONFORMANCE_LIBRARY): Promise<Harness> {
  const emu = await startPlexEmulator({ name, synthetic: library, seed: CONFORMANCE_SEED, quiet: true });
  // New-agent items only: legacy-agent ones are covered by the integration tests.
  const videos = (type: 'movie' | 'episode') => emu.state.items.filter((i) => i.type === type && i.guids.length > 0 && i.durationMs);
  const natives = new Map<TestItem, PlexItem>();
  const remember = (i: PlexItem) => {
    const t = testItem(emu, i);
    natives.set(t, i);
    return t;
  };
  const native = (t: TestItem): PlexItem => {
    const found = natives.get(t);
    if (!found) throw new Error(`no item ${t.title}`);
    return found;
  };
  const movies = videos('movie').map(remember);
  const episodes = videos('episode').map(remember);
  const user = (who: TestUser = 'main') => (emu.state.userState[String(ACCOUNTS[who])] ??= {});
  const tokenOf = (who: TestUser) => {
    const account = emu.state.accounts.find((a) => a.id === ACCOUNTS[who]);
    if (!account) throw new Error(`the emulator has no account ${ACCOUNTS[who]}`);
    return account.token;
  };
  return {
    kind: 'plex',
    config: (who = 'main') => ({ kind: 'plex', url: emu.url, token: tokenOf(who), timeoutMs: 5000, retries: 3, maxConcurrentWrites: 4 }),
    badConfig: () => ({ kind: 'plex', url: emu.url, token: 'refused', timeoutMs: 5000, retries: 0, maxConcurrentWrites: 4 }),
    unreachableConfig: (url) => ({ kind: 'plex', url, token: emu.ownerToken, timeoutMs: 5000, retries: 3, maxConcurrentWrites: 4 }),
    movies: () => movies,
    episodes: () => episodes,
    missing: () => ({ type: 'movie', ids: { imdb: 'tt9999999' }, title: 'Not On This Server', durationMs: 100 }),
    unknownId: '987654321',
    listingPageSize: RESUME_PAGE_SIZE,
    async setProgress(item, fraction, at, who) {
      const rk = native(item).ratingKey;
      user(who)[rk] = { viewOffset: Math.round(item.durationMs * fraction), lastViewedAt: Math.floor(at / 1000) };
    },
    async progressOf(item, who) {
      const s = user(who)[native(item).ratingKey];
      return s?.viewOffset !== undefined ? { ms: s.viewOffset } : undefined;
    },
    async setWatched(item) {
      user()[native(item).ratingKey] = { viewCount: 1, lastViewedAt: Math.floor(Date.now() / 1000) };
    },
    async isWatched(item) {
      return (user()[native(item).ratingKey]?.viewCount ?? 0) > 0;
    },
    async removeItem(item) {
      const rk = native(item).ratingKey;
      emu.state.items.splice(
        emu.state.items.findIndex((i) => i.ratingKey === rk),
        1,
      );
    },
    async setFinished(item, at) {
      // What a stop past the played threshold leaves: one more play, its time, no position.
      const rk = native(item).ratingKey;
      user()[rk] = { viewCount: (user()[rk]?.viewCount ?? 0) + 1, lastViewedAt: Math.floor(at / 1000) };
    },
    async setPlaying(item) {
      const rk = native(item).ratingKey;
      emu.state.sessions.push({
        accountId: 1,
        ratingKey: rk,
        sessionKey: '9',
        state: 'playing',
        viewOffset: 1000,
        clientIdentifier: 'tv',
        startedAt: Date.now(),
        updatedAt: Date.now(),
      });
    },
    listingPath: '/library/sections/1/all',
    // The section listings filtered on watched (`unwatched=0&viewOffset=0&lastViewedAt>>=`).
    finishedRead: { path: '/library/sections/', query: { unwatched: '0' } },
    setFaults: (rules) => postFaults(emu.url, rules),
    requestCount: (prefix, query) => countRequests(emu.requests, prefix, query),
    openConnections: () => openConnections(emu.port),
    close: () => emu.close(),
  };
}
