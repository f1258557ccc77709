// Fidelity (d): a well-known third-party Plex client, @ctrl/plex (the TypeScript port of
// python-plexapi), driven against the emulator the way its users drive a real Plex Media Server:
// connect, the library root, sections, shows → seasons → episodes, fetch by ratingKey, external
// ids, section searches (guid, title, year, unwatched, sort, watched time), hub search, play state, progress
// reports, play history, section hubs, Continue Watching, On Deck, Recently Added, and a second
// (non-owner) user.
// Every check compares what the client parsed with the emulator's own state.
//
// Where @ctrl/plex 3.x has no method for something Playhead needs (it has no updateTimeline,
// updateProgress, continueWatching or sessions), the test goes through the client's own
// transport, `PlexServer.query()` (its headers, its X-Plex-Client-Identifier, its JSON parsing),
// which is what its users do for those routes.
//
// Client calls the test leaves out, and why:
// - `LibrarySection.getGuid(guid)`: the port applies its `iexact` operator to the `Guid` array
//   (`v.toLowerCase is not a function`), so it throws against any server; `search({ guid })`
//   is the working way and is exercised below.
// @ctrl/plex has no onDeck method: On Deck is read with its own by-key fetcher (`fetchItems`),
// as python-plexapi's `library.onDeck()` reads `/library/onDeck`.
import assert from 'node:assert/strict';
import { syncBuiltinESMExports } from 'node:module';
import os from 'node:os';
import { after, before, describe, it } from 'node:test';
import type { Episode, Movie, MovieSection, PlexServer, Season, ShowSection } from '@ctrl/plex';
import type { PlexHistoryEntry, PlexItem, PlexUserItemState } from '../../emulators/plex/data.ts';
import { startPlexEmulator, type RunningPlexEmulator } from '../../emulators/plex/server.ts';

type PlexModule = typeof import('@ctrl/plex');
/** fetchItem/fetchItems: the port of python-plexapi's by-key fetchers (not re-exported by the index). */
type Base = typeof import('@ctrl/plex/dist/src/baseFunctionality.js');

const ZERO_MAC = /^(?:0{1,2}[:-]){5}0{1,2}$/;

/**
 * @ctrl/plex derives X-Plex-Client-Identifier from the first non-zero MAC address when it is
 * imported, and throws on a machine that only has loopback. Lend it a fixed address there.
 */
async function importClient(): Promise<{ plexapi: PlexModule; base: Base }> {
  const load = async () => ({
    plexapi: await import('@ctrl/plex'),
    base: await import('@ctrl/plex/dist/src/baseFunctionality.js'),
  });
  const interfaces = os.networkInterfaces();
  if (Object.values(interfaces).some((list) => list?.some((i) => !ZERO_MAC.test(i.mac)))) return load();
  const real = os.networkInterfaces;
  os.networkInterfaces = () => ({
    ...real(),
    test0: [{ address: '192.0.2.1', netmask: '255.255.255.0', family: 'IPv4', mac: '02:00:00:00:00:01', internal: false, cidr: '192.0.2.1/24' }],
  });
  syncBuiltinESMExports();
  try {
    return await load();
  } finally {
    os.networkInterfaces = real;
    syncBuiltinESMExports();
  }
}

const NAME = 'third-party';
const START_MS = 1_763_900_000_000;
const LIBRARY_IDENTIFIER = 'com.plexapp.plugins.library';

let plexapi: PlexModule;
let base: Base;
let emulator: RunningPlexEmulator;
let clock = START_MS;
let owner: PlexServer;
let alice: PlexServer;
let ownerId: number;
let aliceId: number;

before(async () => {
  ({ plexapi, base } = await importClient());
  emulator = await startPlexEmulator({
    name: NAME,
    synthetic: 'movies=20,shows=2,seasons=2,episodes=3',
    seed: 'x',
    quiet: true,
    now: () => clock,
  });
  const accounts = emulator.state.accounts;
  const aliceAccount = accounts.find((a) => a.name === 'alice')!;
  ownerId = accounts.find((a) => a.owner)!.id;
  aliceId = aliceAccount.id;
  owner = new plexapi.PlexServer(emulator.url, emulator.ownerToken);
  alice = new plexapi.PlexServer(emulator.url, aliceAccount.token);
  await owner.connect();
  await alice.connect();
});

after(async () => {
  await emulator?.close();
});

// ---- emulator state helpers ----------------------------------------------------------------

function itemsOf(type: PlexItem['type']): PlexItem[] {
  return emulator.state.items.filter((item) => item.type === type);
}

function item(ratingKey: string | undefined): PlexItem {
  const found = emulator.state.items.find((i) => i.ratingKey === ratingKey);
  assert.ok(found, `no item ${ratingKey}`);
  return found;
}

function childrenOf(ratingKey: string | undefined): PlexItem[] {
  return emulator.state.items.filter((i) => i.parentRatingKey === ratingKey);
}

function stateOf(accountId: number, ratingKey: string | undefined): PlexUserItemState {
  return emulator.state.userState[String(accountId)]?.[ratingKey ?? ''] ?? {};
}

const byIndex = (a: PlexItem, b: PlexItem) => (a.index ?? 0) - (b.index ?? 0);
const sorted = (values: Array<string | undefined>) => [...values].sort();
const tick = (seconds: number) => void (clock += seconds * 1000);

/** The n-th movie with new-agent external ids (`plex://movie/…` plus imdb/tmdb Guid[]). */
function newAgentMovie(n = 0): PlexItem {
  const movie = itemsOf('movie').filter((m) => m.guid.startsWith('plex://movie/'))[n];
  assert.ok(movie, `synthetic library has no new-agent movie #${n}`);
  return movie;
}

/** A movie with a legacy agent guid, made once from the last new-agent movie. */
function legacyMovie(): PlexItem {
  const existing = itemsOf('movie').find((m) => m.guid.startsWith('com.plexapp.agents.'));
  if (existing) return existing;
  const movie = itemsOf('movie')
    .filter((m) => m.guid.startsWith('plex://movie/'))
    .at(-1)!;
  const imdb = movie.guids.find((id) => id.startsWith('imdb://'))!.slice('imdb://'.length);
  movie.guid = `com.plexapp.agents.imdb://${imdb}?lang=en`;
  movie.guids = [];
  return movie;
}

async function movieSection(server = owner): Promise<MovieSection> {
  const sections = await (await server.library()).sections();
  return sections.find((s): s is MovieSection => s instanceof plexapi.MovieSection)!;
}

async function showSection(server = owner): Promise<ShowSection> {
  const sections = await (await server.library()).sections();
  return sections.find((s): s is ShowSection => s instanceof plexapi.ShowSection)!;
}

/** The client's own by-ratingKey fetch (`fetchItem(server, <int>)` → /library/metadata/<rk>). */
async function fetchMovie(server: PlexServer, ratingKey: string): Promise<Movie> {
  return new plexapi.Movie(server, await base.fetchItem(server, Number(ratingKey)));
}

async function fetchEpisode(server: PlexServer, ratingKey: string): Promise<Episode> {
  return new plexapi.Episode(server, await base.fetchItem(server, Number(ratingKey)));
}

function timeline(server: PlexServer, target: PlexItem, state: string, timeMs: number): Promise<unknown> {
  const params = new URLSearchParams({
    ratingKey: target.ratingKey,
    key: `/library/metadata/${target.ratingKey}`,
    identifier: LIBRARY_IDENTIFIER,
    state,
    time: String(timeMs),
    duration: String(target.durationMs),
  });
  return server.query(`/:/timeline?${params}`);
}

async function continueWatching(server: PlexServer): Promise<Array<Movie | Episode>> {
  const data = await server.query('/hubs/continueWatching/items');
  const rows: Array<{ type: string }> = data.MediaContainer.Metadata ?? [];
  return rows.map((row) => (row.type === 'movie' ? new plexapi.Movie(server, row) : new plexapi.Episode(server, row)));
}

function httpStatus(error: unknown): number | undefined {
  return (error as { status?: number; statusCode?: number }).status ?? (error as { statusCode?: number }).statusCode;
}

// ---- the client, as an owner -----------------------------------------------------------------

describe('@ctrl/plex against the Plex emulator', () => {
  it('connects and reads the server identity', () => {
    assert.equal(owner.friendlyName, NAME);
    assert.equal(owner.machineIdentifier, emulator.machineIdentifier);
    assert.equal(owner.version, emulator.state.version);
    assert.equal(owner.myPlexUsername, 'owner');
    assert.equal(owner.platform, 'Linux');
    assert.ok(owner.ownerFeatures.includes('webhooks'));
    assert.equal(owner._uriRoot(), `server://${emulator.machineIdentifier}/${LIBRARY_IDENTIFIER}`);
  });

  it('lists the library sections', async () => {
    const sections = await (await owner.library()).sections();
    assert.deepEqual(
      sections.map((s) => ({ key: s.key, title: s.title, type: s.type, agent: s.agent, uuid: s.uuid, locations: s.locations })),
      emulator.state.sections.map((s) => ({
        key: s.key,
        title: s.title,
        type: s.type,
        agent: s.agent,
        uuid: s.uuid,
        locations: s.locations,
      })),
    );
    assert.ok(sections[0] instanceof plexapi.MovieSection);
    assert.ok(sections[1] instanceof plexapi.ShowSection);
    assert.equal((await (await owner.library()).section('tv shows')).key, '2');
    assert.equal((await (await owner.library()).sectionByID(1)).title, 'Movies');
  });

  it('lists every movie with the emulator titles, years, durations and guids', async () => {
    const movies = await (await movieSection()).all();
    const expected = itemsOf('movie');
    assert.equal(movies.length, 20);
    assert.deepEqual(sorted(movies.map((m) => m.ratingKey)), sorted(expected.map((m) => m.ratingKey)));
    for (const movie of movies) {
      const source = item(movie.ratingKey);
      assert.ok(movie instanceof plexapi.Movie);
      assert.equal(movie.title, source.title);
      assert.equal(movie.year, source.year);
      assert.equal(movie.duration, source.durationMs);
      assert.equal(movie.guid, source.guid);
      assert.equal(movie.key, `/library/metadata/${source.ratingKey}`);
      assert.equal(movie.media[0]?.parts[0]?.duration, source.durationMs);
      // Section listings carry no <Guid> without includeGuids=1, as on a real server.
      assert.deepEqual(movie.guids, []);
    }
    // The client's sort= is passed through: titleSort ascending.
    const bySort = await (await movieSection()).all('titleSort');
    const titleSort = (m: Movie) => (m.titleSort ?? m.title ?? '').toLowerCase();
    assert.deepEqual(bySort.map(titleSort), bySort.map(titleSort).sort());
  });

  it('navigates shows → seasons (/children) → episodes (/children, /allLeaves)', async () => {
    const section = await showSection();
    const shows = await section.all();
    const expectedShows = itemsOf('show');
    assert.deepEqual(sorted(shows.map((s) => s.title)), sorted(expectedShows.map((s) => s.title)));
    for (const show of shows) {
      const source = item(show.ratingKey);
      assert.ok(show instanceof plexapi.Show);
      assert.equal(show.guid, source.guid);
      assert.equal(show.year, source.year);
      assert.equal(show.childCount, 2);
      assert.equal(show.leafCount, 6);

      const seasons: Season[] = await show.seasons();
      const expectedSeasons = childrenOf(show.ratingKey)
        .filter((i) => i.type === 'season')
        .sort(byIndex);
      assert.deepEqual(
        seasons.map((s) => [s.ratingKey, s.title, s.index, s.leafCount]),
        expectedSeasons.map((s) => [s.ratingKey, s.title, s.index, 3]),
      );

      const allLeaves = await show.episodes();
      const expectedEpisodes: PlexItem[] = [];
      for (const season of seasons) {
        const episodes = await season.episodes();
        const expected = childrenOf(season.ratingKey).sort(byIndex);
        assert.deepEqual(
          episodes.map((e) => [e.ratingKey, e.title, e.parentIndex, e.index, e.duration, e.grandparentTitle, e.parentRatingKey]),
          expected.map((e) => [e.ratingKey, e.title, season.index, e.index, e.durationMs, show.title, season.ratingKey]),
        );
        expectedEpisodes.push(...expected);
      }
      assert.deepEqual(
        allLeaves.map((e) => e.ratingKey),
        expectedEpisodes.map((e) => e.ratingKey),
      );

      // Back up the tree through parentKey / grandparentKey.
      const last = allLeaves.at(-1)!;
      assert.equal(await last.seasonEpisode(), `s02e03`);
      assert.equal((await last.show()).title, show.title);
      assert.equal((await last.season()).ratingKey, seasons[1]!.ratingKey);
    }
    // An episode-level search of the section (type=4), built as Episode objects.
    const episodes = await section.search({ libtype: 'episode' }, plexapi.Episode);
    assert.deepEqual(sorted(episodes.map((e) => e.ratingKey)), sorted(itemsOf('episode').map((e) => e.ratingKey)));
  });

  it('fetches an item by ratingKey with its external ids', async () => {
    const source = newAgentMovie();
    const movie = await fetchMovie(owner, source.ratingKey);
    assert.equal(movie.title, source.title);
    assert.equal(movie.librarySectionID, 1);
    assert.deepEqual(
      movie.guids.map((g) => g.id),
      source.guids,
    );
    assert.ok(source.guids.some((id) => id.startsWith('imdb://tt')) && source.guids.some((id) => id.startsWith('tmdb://')));
    assert.equal((await movie.section()).title, 'Movies');

    // reload() of a listing row (the client's lazy path to the detail view, no includeGuids) fills guids too.
    const row = (await (await movieSection()).all()).find((m) => m.ratingKey === source.ratingKey)!;
    assert.equal(row.guids.length, 0);
    await row.reload();
    assert.deepEqual(
      row.guids.map((g) => g.id),
      source.guids,
    );

    // get(title) lists with includeGuids=1 and filters by title client-side.
    const byTitle = await (await movieSection()).get(source.title);
    assert.equal(byTitle.ratingKey, source.ratingKey);
    assert.deepEqual(
      byTitle.guids.map((g) => g.id),
      source.guids,
    );

    // Episodes carry their own ids.
    const episodeSource = itemsOf('episode').find((e) => e.guids.length > 0)!;
    const episode = await fetchEpisode(owner, episodeSource.ratingKey);
    assert.equal(episode.title, episodeSource.title);
    assert.equal(episode.guid, episodeSource.guid);
    assert.equal(episode.grandparentRatingKey, episodeSource.grandparentRatingKey);

    // A legacy-agent item has its agent string as guid and no Guid[]. (This library has none of
    // its own: turn the last new-agent movie into one, which no later test picks.)
    const legacy = legacyMovie();
    const fetched = await fetchMovie(owner, legacy.ratingKey);
    assert.equal(fetched.guid, legacy.guid);
    assert.deepEqual(fetched.guids, []);

    await assert.rejects(base.fetchItem(owner, 999_999_999), (error) => httpStatus(error) === 404);
  });

  it('searches a section by guid', async () => {
    const source = newAgentMovie(1);
    const hits = await (await movieSection()).search({ guid: source.guid });
    assert.deepEqual(
      hits.map((m) => [m.ratingKey, m.title]),
      [[source.ratingKey, source.title]],
    );

    const show = itemsOf('show')[0]!;
    const shows = await (await showSection()).search({ guid: show.guid });
    assert.deepEqual(
      shows.map((s) => s.ratingKey),
      [show.ratingKey],
    );

    // guid= matches the primary guid only: an external id finds nothing (as on PMS)…
    assert.deepEqual(await (await movieSection()).search({ guid: source.guids[0]! }), []);
    // …and a legacy agent string is matched verbatim.
    const legacy = legacyMovie();
    assert.deepEqual(
      (await (await movieSection()).search({ guid: legacy.guid })).map((m) => m.ratingKey),
      [legacy.ratingKey],
    );
  });

  it('marks a movie played and unplayed (scrobble/unscrobble) and reads viewCount back', async () => {
    const source = newAgentMovie(2);
    const movie = await fetchMovie(owner, source.ratingKey);
    assert.equal(movie.viewCount, undefined);
    assert.equal(movie.isWatched, false);

    tick(60);
    await movie.markWatched();
    assert.equal(movie.viewCount, 1);
    assert.equal(movie.isWatched, true);
    assert.equal(movie.lastViewedAt?.getTime(), Math.floor(clock / 1000) * 1000);
    assert.equal(stateOf(ownerId, source.ratingKey).viewCount, 1);

    await movie.markWatched();
    assert.equal(movie.viewCount, 2);

    await movie.markUnwatched();
    // PMS leaves viewCount out at 0, and the client does not default it.
    assert.equal(movie.viewCount, undefined);
    assert.equal(movie.isWatched, false);
    assert.equal(stateOf(ownerId, source.ratingKey).viewCount ?? 0, 0);

    const scrobbles = emulator.requests.filter((r) => r.path === '/:/scrobble' && r.query.key === source.ratingKey);
    assert.equal(scrobbles.length, 2);
    assert.ok(scrobbles.every((r) => r.method === 'GET' && r.status === 200 && r.query.identifier === LIBRARY_IDENTIFIER));
  });

  it('marks a whole show played and unplayed', async () => {
    const source = itemsOf('show')[1]!;
    const show = (await (await showSection()).all()).find((s) => s.ratingKey === source.ratingKey)!;
    assert.equal(show.viewedLeafCount, 0);
    await show.markWatched();
    assert.equal(show.viewedLeafCount, 6);
    assert.equal(show.isWatched, true);
    const episodes = await show.episodes();
    assert.ok(episodes.every((e) => e.viewCount === 1));
    assert.ok(episodes.every((e) => stateOf(ownerId, e.ratingKey).viewCount === 1));

    await show.markUnwatched();
    assert.equal(show.viewedLeafCount, 0);
    assert.ok((await show.episodes()).every((e) => e.viewCount === undefined));
  });

  it('reports progress through /:/timeline and /:/progress and reads viewOffset back', async () => {
    const source = newAgentMovie(3);
    const duration = source.durationMs!;

    tick(60);
    await timeline(owner, source, 'playing', 600_000);
    // The session is keyed by the client's own X-Plex-Client-Identifier.
    const sessions = await owner.query('/status/sessions');
    const session = sessions.MediaContainer.Metadata.find((m: { ratingKey: string }) => m.ratingKey === source.ratingKey);
    assert.equal(session.viewOffset, 600_000);
    assert.equal(session.Player.machineIdentifier, plexapi.X_PLEX_IDENTIFIER);
    assert.equal(session.Player.product, 'PlexAPI');
    assert.equal(session.Player.state, 'playing');
    assert.equal(session.User.title, 'owner');

    tick(60);
    await timeline(owner, source, 'stopped', 1_234_000);
    const movie = await fetchMovie(owner, source.ratingKey);
    assert.equal(movie.viewOffset, 1_234_000);
    assert.equal(movie.viewCount, undefined);
    assert.equal(movie.lastViewedAt?.getTime(), Math.floor(clock / 1000) * 1000);
    assert.deepEqual(stateOf(ownerId, source.ratingKey), { viewOffset: 1_234_000, lastViewedAt: Math.floor(clock / 1000) });
    assert.equal((await owner.query('/status/sessions')).MediaContainer.size, 0);

    // /:/progress (python-plexapi's updateProgress) sets the offset verbatim.
    await owner.query(`/:/progress?key=${source.ratingKey}&identifier=${LIBRARY_IDENTIFIER}&time=2345000&state=stopped`);
    await movie.reload();
    assert.equal(movie.viewOffset, 2_345_000);
    assert.equal(movie.viewCount, undefined);

    // A stop past the played threshold (90 %) marks it played and clears the offset.
    tick(60);
    await timeline(owner, source, 'stopped', Math.ceil(duration * 0.95));
    await movie.reload();
    assert.equal(movie.viewCount, 1);
    assert.equal(movie.viewOffset, 0);
    assert.equal((await owner.settings()).get('LibraryVideoPlayedThreshold').value, 90);
  });

  it('lists Continue Watching newest first, as the hub and as items', async () => {
    const movie = newAgentMovie(4);
    const episode = itemsOf('episode')[0]!;
    tick(60);
    await timeline(owner, movie, 'stopped', 300_000);
    tick(60);
    await timeline(owner, episode, 'stopped', 120_000);

    const items = await continueWatching(owner);
    assert.deepEqual(
      items.map((i) => [i.ratingKey, i.viewOffset]),
      [
        [episode.ratingKey, 120_000],
        [movie.ratingKey, 300_000],
      ],
    );
    assert.ok(items[0] instanceof plexapi.Episode);
    assert.equal((items[0] as Episode).grandparentTitle, item(episode.grandparentRatingKey!).title);
    assert.ok(items[1] instanceof plexapi.Movie);

    const hubs = await base.fetchItems(owner, '/hubs/continueWatching', undefined, plexapi.Hub);
    assert.equal(hubs.length, 1);
    assert.equal(hubs[0].hubIdentifier, 'home.continue');
    assert.deepEqual(
      hubs[0].Metadata.map((m: { ratingKey: string }) => m.ratingKey),
      [episode.ratingKey, movie.ratingKey],
    );

    // Finishing the episode takes it out.
    tick(60);
    await (await fetchEpisode(owner, episode.ratingKey)).markWatched();
    assert.deepEqual(
      (await continueWatching(owner)).map((i) => i.ratingKey),
      [movie.ratingKey],
    );
  });
});

// ---- a second user -------------------------------------------------------------------------

describe('@ctrl/plex with a non-owner token (alice)', () => {
  it('sees the same server and library', async () => {
    assert.equal(alice.friendlyName, NAME);
    assert.equal(alice.machineIdentifier, emulator.machineIdentifier);
    const sections = await (await alice.library()).sections();
    assert.deepEqual(
      sections.map((s) => s.title),
      ['Movies', 'TV Shows'],
    );
    assert.equal((await (await movieSection(alice)).all()).length, 20);
  });

  it('keeps her play state apart from the owner', async () => {
    const source = newAgentMovie(5);
    tick(60);
    await timeline(owner, source, 'stopped', 700_000);

    const hers = await fetchMovie(alice, source.ratingKey);
    assert.equal(hers.viewOffset, 0);
    assert.equal(hers.viewCount, undefined);

    await hers.markWatched();
    assert.equal(hers.viewCount, 1);
    assert.equal(stateOf(aliceId, source.ratingKey).viewCount, 1);
    const ownersView = await fetchMovie(owner, source.ratingKey);
    assert.equal(ownersView.viewCount, undefined);
    assert.equal(ownersView.viewOffset, 700_000);

    const episode = itemsOf('episode')[1]!;
    tick(60);
    await timeline(alice, episode, 'stopped', 90_000);
    assert.equal((await fetchEpisode(alice, episode.ratingKey)).viewOffset, 90_000);
    assert.equal((await fetchEpisode(owner, episode.ratingKey)).viewOffset, undefined);
    assert.deepEqual(
      (await continueWatching(alice)).map((i) => i.ratingKey),
      [episode.ratingKey],
    );
    assert.ok(!(await continueWatching(owner)).some((i) => i.ratingKey === episode.ratingKey));

    const aliceRequests = emulator.requests.filter((r) => r.path === '/:/timeline' && r.query.ratingKey === episode.ratingKey);
    assert.deepEqual(
      aliceRequests.map((r) => r.accountId),
      [aliceId],
    );
  });

  it('is refused the owner-only routes', async () => {
    const source = newAgentMovie(6);
    await assert.rejects(
      alice.query(`/:/progress?key=${source.ratingKey}&identifier=${LIBRARY_IDENTIFIER}&time=60000&state=stopped`),
      (error) => httpStatus(error) === 401,
    );
    assert.equal(stateOf(aliceId, source.ratingKey).viewOffset, undefined);
    await assert.rejects(alice.settings(), (error) => httpStatus(error) === 401);
    await assert.rejects(alice.query('/status/sessions'), (error) => httpStatus(error) === 403);
  });

  it('is refused with an unknown token', async () => {
    const stranger = new plexapi.PlexServer(emulator.url, 'not-a-token');
    await assert.rejects(stranger.connect(), (error) => httpStatus(error) === 401);
  });
});

// ---- browsing: library root, search, history, hubs, On Deck, Recently Added -------------------

const newestFirst = (a: PlexItem, b: PlexItem) => b.addedAt - a.addedAt || Number(b.ratingKey) - Number(a.ratingKey);

/** What /status/sessions/history/all lists for `sort=viewedAt:desc` (ties in insertion order). */
function historyNewestFirst(rows: readonly PlexHistoryEntry[]): PlexHistoryEntry[] {
  return [...rows].sort((a, b) => b.viewedAt - a.viewedAt || a.id - b.id);
}

function episodesOf(show: PlexItem): PlexItem[] {
  return itemsOf('episode')
    .filter((e) => e.grandparentRatingKey === show.ratingKey)
    .sort((a, b) => (a.parentIndex ?? 0) - (b.parentIndex ?? 0) || (a.index ?? 0) - (b.index ?? 0));
}

describe('@ctrl/plex browsing the Plex emulator', () => {
  it('reads the library root (GET /library) with no fallback', async () => {
    const fresh = new plexapi.PlexServer(emulator.url, emulator.ownerToken);
    await fresh.connect();
    const before = emulator.requests.length;
    const library = await fresh.library();
    assert.deepEqual(
      emulator.requests.slice(before).map((r) => [r.method, r.path, r.status]),
      [['GET', '/library', 200]],
    );
    assert.equal(library.identifier, LIBRARY_IDENTIFIER);
    assert.equal(library.title1, 'Plex Library');
    assert.deepEqual(
      (await library.sections()).map((s) => [s.key, s.title]),
      emulator.state.sections.map((s) => [s.key, s.title]),
    );
  });

  it('filters and sorts a section with LibrarySection.search(): title, year, unwatched, sort, paging', async () => {
    const section = await movieSection();
    const movies = itemsOf('movie');
    const word = movies[2]!.title.split(' ').at(-1)!.toLowerCase();
    assert.deepEqual(
      sorted((await section.search({ title: word })).map((m) => m.ratingKey)),
      sorted(movies.filter((m) => m.title.toLowerCase().includes(word)).map((m) => m.ratingKey)),
    );
    const year = movies[4]!.year!;
    assert.deepEqual(
      sorted((await section.search({ year: String(year) })).map((m) => m.ratingKey)),
      sorted(movies.filter((m) => m.year === year).map((m) => m.ratingKey)),
    );
    const watched = (m: PlexItem) => (stateOf(ownerId, m.ratingKey).viewCount ?? 0) > 0;
    assert.ok(movies.some(watched), 'earlier tests watched some movies');
    assert.deepEqual(
      sorted((await section.search({ unwatched: true })).map((m) => m.ratingKey)),
      sorted(movies.filter((m) => !watched(m)).map((m) => m.ratingKey)),
    );
    const newest = await section.search({ sort: 'addedAt:desc', 'X-Plex-Container-Start': '0', 'X-Plex-Container-Size': '5' });
    assert.deepEqual(
      newest.map((m) => m.ratingKey),
      [...movies]
        .sort((a, b) => b.addedAt - a.addedAt || Number(a.ratingKey) - Number(b.ratingKey))
        .slice(0, 5)
        .map((m) => m.ratingKey),
    );
    // An unknown filter field is refused, as PMS does.
    await assert.rejects(section.search({ colour: 'blue' }), (error) => httpStatus(error) === 400);
  });

  it('searches with search() (/hubs/search): one hub per type, title matches from the emulator state', async () => {
    const movie = newAgentMovie(7);
    const hubs = await owner.search(movie.title.toLowerCase(), undefined, 10);
    assert.deepEqual(
      hubs.map((h) => h.hubIdentifier),
      ['movie', 'show', 'season', 'episode'],
    );
    const contains = (type: PlexItem['type'], text: string) => itemsOf(type).filter((i) => i.title.toLowerCase().includes(text.toLowerCase()));
    const expectedMovies = contains('movie', movie.title);
    assert.ok(expectedMovies.length <= 10);
    const movieHub = hubs.find((h) => h.type === 'movie')!;
    assert.equal(movieHub.size, expectedMovies.length);
    assert.deepEqual(sorted((movieHub.Metadata ?? []).map((m) => m.ratingKey)), sorted(expectedMovies.map((m) => m.ratingKey)));
    const first = new plexapi.Movie(owner, movieHub.Metadata![0]);
    assert.equal(first.title?.toLowerCase(), movie.title.toLowerCase(), 'the exact title ranks first');
    assert.equal(first.guid, item(first.ratingKey).guid);

    const show = itemsOf('show')[0]!;
    const showHub = (await owner.search(show.title.toUpperCase(), undefined, 10)).find((h) => h.type === 'show')!;
    assert.deepEqual(
      (showHub.Metadata ?? []).map((m) => m.ratingKey),
      contains('show', show.title).map((s) => s.ratingKey),
    );
    // limit caps every hub.
    const episode = itemsOf('episode')[0]!;
    const capped = await owner.search(episode.title, undefined, 1);
    assert.ok(capped.every((h) => h.size <= 1));
    assert.equal(capped.find((h) => h.type === 'episode')!.size, 1);
  });

  it('reads play history with history(): every row of the emulator state, filters and paging', async () => {
    const movie = newAgentMovie(8);
    tick(60);
    await (await fetchMovie(owner, movie.ratingKey)).markWatched();
    tick(60);
    await (await fetchMovie(alice, movie.ratingKey)).markWatched();
    // More rows than one page of the client (100), so it pages with X-Plex-Container-Start.
    const bob = emulator.state.accounts.find((a) => a.name === 'bob')!;
    const episodes = itemsOf('episode');
    for (let i = 0; i < 120; i++) {
      const id = 1 + Math.max(0, ...emulator.state.history.map((h) => h.id));
      emulator.state.history.push({
        id,
        ratingKey: episodes[i % episodes.length]!.ratingKey,
        accountId: bob.id,
        viewedAt: Math.floor(START_MS / 1000) - 86_400 - i,
        deviceId: 9,
      });
    }

    const all = await owner.history();
    const expected = historyNewestFirst(emulator.state.history);
    assert.ok(expected.length > 100);
    assert.deepEqual(
      all.map((h) => [h.historyKey, h.ratingKey, h.accountID, h.viewedAt, h.deviceID]),
      expected.map((h) => [`/status/sessions/history/${h.id}`, h.ratingKey, h.accountId, h.viewedAt, h.deviceId]),
    );
    for (const row of all) {
      const source = item(row.ratingKey);
      assert.equal(row.title, source.title);
      assert.equal(row.type, source.type);
      assert.equal(row.librarySectionID, source.sectionId);
      if (source.type === 'episode') assert.equal(row.grandparentTitle, item(source.grandparentRatingKey).title);
    }
    const [latest] = all;
    assert.deepEqual([latest!.ratingKey, latest!.accountID], [movie.ratingKey, aliceId]);

    const alicesRows = emulator.state.history.filter((h) => h.accountId === aliceId);
    assert.deepEqual(
      (await owner.history(undefined, undefined, undefined, aliceId)).map((h) => h.historyKey),
      historyNewestFirst(alicesRows).map((h) => `/status/sessions/history/${h.id}`),
    );
    // A user reads only their own plays.
    assert.deepEqual(
      (await alice.history()).map((h) => h.historyKey),
      historyNewestFirst(alicesRows).map((h) => `/status/sessions/history/${h.id}`),
    );
    const since = new Date(clock - 90_000);
    assert.deepEqual(
      (await owner.history(undefined, since)).map((h) => h.ratingKey),
      historyNewestFirst(emulator.state.history.filter((h) => h.viewedAt >= Math.floor(since.getTime() / 1000))).map((h) => h.ratingKey),
    );
    assert.deepEqual(
      (await owner.history(5, undefined, movie.ratingKey)).map((h) => h.accountID),
      [aliceId, ownerId],
    );
    assert.equal(
      (await owner.history(undefined, undefined, undefined, undefined, 2)).length,
      emulator.state.history.filter((h) => item(h.ratingKey).sectionId === '2').length,
    );
  });

  it("lists a section's hubs with LibrarySection.hubs(): Continue Watching, On Deck, Recently Added", async () => {
    const movieHubs = await (await movieSection()).hubs();
    assert.deepEqual(
      movieHubs.map((h) => h.hubIdentifier),
      ['movie.inprogress.1', 'movie.recentlyadded.1'],
    );
    const ownState = emulator.state.userState[String(ownerId)] ?? {};
    const started = itemsOf('movie')
      .filter((m) => (ownState[m.ratingKey]?.viewOffset ?? 0) > 0)
      .sort((a, b) => (ownState[b.ratingKey]?.lastViewedAt ?? 0) - (ownState[a.ratingKey]?.lastViewedAt ?? 0));
    assert.ok(started.length > 0, 'earlier tests left the owner some started movies');
    assert.deepEqual(
      (movieHubs[0]!.Metadata ?? []).map((m) => m.ratingKey),
      started.slice(0, 10).map((m) => m.ratingKey),
    );
    assert.equal(movieHubs[0]!.size, Math.min(10, started.length));
    assert.deepEqual(
      (movieHubs[1]!.Metadata ?? []).map((m) => m.ratingKey),
      [...itemsOf('movie')]
        .sort(newestFirst)
        .slice(0, 10)
        .map((m) => m.ratingKey),
    );
    const showHubs = await (await showSection()).hubs();
    assert.deepEqual(
      showHubs.map((h) => [h.hubIdentifier, h.type]),
      [
        ['tv.inprogress.2', 'episode'],
        ['tv.ondeck.2', 'episode'],
        ['tv.recentlyadded.2', 'season'],
      ],
    );
    assert.deepEqual(
      (showHubs[2]!.Metadata ?? []).map((m) => m.ratingKey),
      [...itemsOf('season')].sort(newestFirst).map((s) => s.ratingKey),
    );
  });

  it('reads On Deck (/library/onDeck, /library/sections/{id}/onDeck) through the client fetcher', async () => {
    const bobAccount = emulator.state.accounts.find((a) => a.name === 'bob')!;
    const bob = new plexapi.PlexServer(emulator.url, bobAccount.token);
    await bob.connect();
    const movie = newAgentMovie(9);
    const show = itemsOf('show')[1]!;
    const [watched, next] = episodesOf(show);
    tick(60);
    await timeline(bob, movie, 'stopped', 300_000);
    tick(60);
    await (await fetchEpisode(bob, watched!.ratingKey)).markWatched();

    const rows: Array<{ type: string }> = await base.fetchItems(bob, '/library/onDeck');
    const deck = rows.map((row) => (row.type === 'movie' ? new plexapi.Movie(bob, row) : new plexapi.Episode(bob, row)));
    assert.deepEqual(
      deck.map((i) => i.ratingKey),
      [next!.ratingKey, movie.ratingKey],
    );
    assert.ok(deck[0] instanceof plexapi.Episode);
    assert.equal((deck[0] as Episode).grandparentTitle, show.title);
    assert.equal((deck[1] as Movie).viewOffset, stateOf(bobAccount.id, movie.ratingKey).viewOffset);
    const tv: Array<{ ratingKey: string }> = await base.fetchItems(bob, '/library/sections/2/onDeck');
    assert.deepEqual(
      tv.map((r) => r.ratingKey),
      [next!.ratingKey],
    );
  });

  it('reads Recently Added: ShowSection.recentlyAdded() and /library/recentlyAdded', async () => {
    const episodes = await (await showSection()).recentlyAdded({});
    assert.deepEqual(
      episodes.map((e) => e.ratingKey),
      [...itemsOf('episode')].sort((a, b) => b.addedAt - a.addedAt || Number(a.ratingKey) - Number(b.ratingKey)).map((e) => e.ratingKey),
    );
    const rows: Array<{ ratingKey: string; type: string }> = await base.fetchItems(owner, '/library/recentlyAdded');
    assert.deepEqual(
      rows.map((r) => [r.ratingKey, r.type]),
      emulator.state.items
        .filter((i) => i.type === 'movie' || i.type === 'season')
        .sort(newestFirst)
        .map((i) => [i.ratingKey, i.type]),
    );
  });

  it("lists what was finished since a time with search(): lastViewedAt>>, unwatched, viewOffset (PMS's Recently Watched query)", async () => {
    const [first, second, restarted] = itemsOf('movie')
      .filter((m) => m.durationMs)
      .slice(-3);
    assert.ok(first && second && restarted);
    tick(3600);
    const since = Math.floor(clock / 1000);
    tick(60);
    await (await fetchMovie(owner, first.ratingKey)).markWatched();
    tick(60);
    await (await fetchMovie(owner, second.ratingKey)).markWatched();
    // Started again after being finished: in progress, not finished.
    await (await fetchMovie(owner, restarted.ratingKey)).markWatched();
    tick(60);
    await timeline(owner, restarted, 'stopped', Math.round(restarted.durationMs! / 3));

    const finishedSince = (server: PlexServer) =>
      movieSection(server).then((section) => section.search({ 'lastViewedAt>>': String(since), unwatched: false, viewOffset: '0', sort: 'lastViewedAt:desc' }));
    const found = await finishedSince(owner);
    assert.deepEqual(
      found.map((m) => m.ratingKey),
      [second.ratingKey, first.ratingKey],
    );
    for (const movie of found) {
      assert.equal(movie.isWatched, true);
      assert.equal(movie.lastViewedAt?.getTime(), stateOf(ownerId, movie.ratingKey).lastViewedAt! * 1000);
    }
    // What the client sent: the operator in the key, as PMS reads it.
    const sent = emulator.requests.filter((r) => r.path === '/library/sections/1/all' && r.query['lastViewedAt>>'] !== undefined).at(-1);
    assert.equal(sent?.query['lastViewedAt>>'], String(since));
    assert.equal(sent?.query.unwatched, '0');
    // Another user's finishes are theirs: alice finished nothing.
    assert.deepEqual(await finishedSince(alice), []);
    // Before the time: the movies watched by the tests above, exactly.
    const before = await (await movieSection()).search({ 'lastViewedAt<<': String(since), unwatched: false });
    const watchedBefore = itemsOf('movie').filter((m) => {
      const state = stateOf(ownerId, m.ratingKey);
      return (state.viewCount ?? 0) > 0 && (state.lastViewedAt ?? 0) < since;
    });
    assert.ok(watchedBefore.length > 0, 'earlier tests watched some movies');
    assert.deepEqual(sorted(before.map((m) => m.ratingKey)), sorted(watchedBefore.map((m) => m.ratingKey)));
  });
});
