// The Plex emulator's browsing routes and section filters beyond what Playhead reads: the library
// root, On Deck, Recently Added, section hubs, hub search, play history, and the filters/sorts
// python-plexapi's LibrarySection.search() sends. Expected values come from the emulator's state.
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { normalizeData, type PlexItem } from '../../emulators/plex/data.ts';
import { startPlexEmulator, type RunningPlexEmulator } from '../../emulators/plex/server.ts';
import { call, parseXml, type CallOptions } from './plex-http.ts';

const SPEC = 'movies=12,shows=2,seasons=2,episodes=3';
const START_MS = 1_763_900_000_000;
const LIBRARY = 'com.plexapp.plugins.library';

let emu: RunningPlexEmulator;
let clockMs = START_MS;
let owner: string;
const alice = 'alice-token-browse';

beforeEach(async () => {
  clockMs = START_MS;
  emu = await startPlexEmulator({ name: 'browse', synthetic: SPEC, seed: 'test', quiet: true, now: () => clockMs });
  owner = emu.ownerToken;
});

afterEach(async () => {
  await emu.close();
});

const get = (path: string, options: CallOptions = {}) => call(emu.url, path, { token: owner, ...options });
const nowS = () => Math.floor(clockMs / 1000);
const tick = (seconds: number) => void (clockMs += seconds * 1000);
const byKey = (a: PlexItem, b: PlexItem) => Number(a.ratingKey) - Number(b.ratingKey);
const keys = (rows: Array<{ ratingKey: string }> | undefined) => (rows ?? []).map((row) => row.ratingKey);

function itemsOf(type: PlexItem['type']): PlexItem[] {
  return emu.state.items.filter((item) => item.type === type).sort(byKey);
}

/** Episodes of a show in season/episode order. */
function episodesOf(show: PlexItem): PlexItem[] {
  return itemsOf('episode')
    .filter((e) => e.grandparentRatingKey === show.ratingKey)
    .sort((a, b) => (a.parentIndex ?? 0) - (b.parentIndex ?? 0) || (a.index ?? 0) - (b.index ?? 0));
}

function timeline(token: string, target: PlexItem, state: string, time: number, client = 'test-player') {
  const query = new URLSearchParams({
    ratingKey: target.ratingKey,
    key: `/library/metadata/${target.ratingKey}`,
    state,
    time: String(time),
    duration: String(target.durationMs),
  });
  return call(emu.url, `/:/timeline?${query}`, { method: 'POST', token, headers: { 'X-Plex-Client-Identifier': client } });
}

function scrobble(token: string, target: PlexItem, client?: string) {
  const headers: Record<string, string> = client ? { 'X-Plex-Client-Identifier': client } : {};
  return call(emu.url, `/:/scrobble?key=${target.ratingKey}&identifier=${LIBRARY}`, { token, headers });
}

describe('library root', () => {
  it('lists sections, recentlyAdded and onDeck, in JSON and XML', async () => {
    const res = await get('/library');
    assert.equal(res.status, 200);
    const mc = res.json.MediaContainer;
    assert.equal(mc.size, 3);
    assert.equal(mc.identifier, LIBRARY);
    assert.equal(mc.title1, 'Plex Library');
    assert.deepEqual(
      mc.Directory.map((d: { key: string }) => d.key),
      ['sections', 'recentlyAdded', 'onDeck'],
    );
    const xml = parseXml((await get('/library', { json: false })).text);
    assert.deepEqual(
      xml.MediaContainer.Directory.map((d: { key: string }) => d.key),
      ['sections', 'recentlyAdded', 'onDeck'],
    );
  });

  it('still answers 404 for unknown routes and 401 without a token', async () => {
    for (const path of ['/library/nothing', '/hubs/sections/1/nothing', '/status/sessions/history', '/hubs/searching']) {
      assert.equal((await get(path)).status, 404, path);
    }
    assert.equal((await call(emu.url, '/library')).status, 401);
    assert.equal((await call(emu.url, '/status/sessions/history/all')).status, 401);
  });
});

describe('section filters and sorts (LibrarySection.search)', () => {
  it('title= contains, case-insensitive; title== is; title<= begins with; title!= excludes', async () => {
    const movie = itemsOf('movie')[3]!;
    const word = movie.title.split(' ').at(-1)!;
    const contains = itemsOf('movie').filter((m) => m.title.toLowerCase().includes(word.toLowerCase()));
    const res = await get(`/library/sections/1/all?title=${encodeURIComponent(word.toUpperCase())}`);
    assert.deepEqual(keys(res.json.MediaContainer.Metadata), keys(contains));
    assert.ok(contains.length >= 1);

    const exact = await get(`/library/sections/1/all?${encodeURIComponent('title=')}=${encodeURIComponent(movie.title.toLowerCase())}`);
    assert.deepEqual(keys(exact.json.MediaContainer.Metadata), keys(itemsOf('movie').filter((m) => m.title.toLowerCase() === movie.title.toLowerCase())));

    const first = movie.title.slice(0, 3);
    const begins = await get(`/library/sections/1/all?${encodeURIComponent('title<')}=${encodeURIComponent(first)}`);
    assert.deepEqual(keys(begins.json.MediaContainer.Metadata), keys(itemsOf('movie').filter((m) => m.title.toLowerCase().startsWith(first.toLowerCase()))));

    const without = await get(`/library/sections/1/all?${encodeURIComponent('title!')}=${encodeURIComponent(word)}`);
    assert.equal(without.json.MediaContainer.size, itemsOf('movie').length - contains.length);
  });

  it('year= and type= select items; sorts take :asc and :desc', async () => {
    const year = itemsOf('movie')[0]!.year!;
    const res = await get(`/library/sections/1/all?type=1&year=${year}`);
    assert.deepEqual(keys(res.json.MediaContainer.Metadata), keys(itemsOf('movie').filter((m) => m.year === year)));

    const byYear = await get('/library/sections/1/all?sort=year:desc');
    const years = byYear.json.MediaContainer.Metadata.map((m: { year: number }) => m.year);
    assert.deepEqual(
      years,
      [...years].sort((a, b) => b - a),
    );
    const byAdded = await get('/library/sections/1/all?sort=addedAt:asc');
    assert.deepEqual(keys(byAdded.json.MediaContainer.Metadata), keys([...itemsOf('movie')].sort((a, b) => a.addedAt - b.addedAt || byKey(a, b))));
    const byRating = await get('/library/sections/1/all?sort=rating:desc');
    const ratings = byRating.json.MediaContainer.Metadata.map((m: { rating?: number }) => m.rating ?? -1);
    assert.deepEqual(
      ratings,
      [...ratings].sort((a, b) => b - a),
    );
    const episodesNewest = await get('/library/sections/2/all?type=4&sort=episode.addedAt:desc');
    assert.deepEqual(keys(episodesNewest.json.MediaContainer.Metadata), keys([...itemsOf('episode')].sort((a, b) => b.addedAt - a.addedAt || byKey(a, b))));
  });

  it('guid= matches the own guid only, never an external Guid id', async () => {
    const movie = itemsOf('movie').find((m) => m.guids.length > 0)!;
    assert.deepEqual(keys((await get(`/library/sections/1/all?guid=${encodeURIComponent(movie.guid)}`)).json.MediaContainer.Metadata), [movie.ratingKey]);
    for (const external of movie.guids) {
      assert.equal((await get(`/library/sections/1/all?guid=${encodeURIComponent(external)}`)).json.MediaContainer.size, 0, external);
    }
    // A guid edited in place (after the index was built) is found under its new value only.
    const old = movie.guid;
    movie.guid = 'com.plexapp.agents.imdb://tt0999999?lang=en';
    assert.deepEqual(keys((await get(`/library/sections/1/all?guid=${encodeURIComponent(movie.guid)}`)).json.MediaContainer.Metadata), [movie.ratingKey]);
    assert.equal((await get(`/library/sections/1/all?guid=${encodeURIComponent(old)}`)).json.MediaContainer.size, 0);
  });

  it('unwatched=1 follows the caller; X-Plex-Container-* pages the filtered list', async () => {
    const [watched] = itemsOf('movie');
    assert.equal((await scrobble(owner, watched!)).status, 200);
    const unwatched = await get('/library/sections/1/all?unwatched=1');
    assert.deepEqual(keys(unwatched.json.MediaContainer.Metadata), keys(itemsOf('movie').slice(1)));
    const hers = await call(emu.url, '/library/sections/1/all?unwatched=1', { token: alice });
    assert.equal(hers.json.MediaContainer.size, itemsOf('movie').length);

    const page = await get('/library/sections/1/all?unwatched=1&X-Plex-Container-Start=2&X-Plex-Container-Size=3');
    assert.deepEqual(keys(page.json.MediaContainer.Metadata), keys(itemsOf('movie').slice(3, 6)));
    assert.equal(page.json.MediaContainer.totalSize, itemsOf('movie').length - 1);
    assert.equal(page.headers.get('X-Plex-Container-Total-Size'), String(itemsOf('movie').length - 1));
  });

  it('answers 400 for an unknown filter field, accepts response hints and @ctrl/plex keyword names', async () => {
    for (const filter of ['bogus=1', 'show.bogus=1', 'titel=x', `${encodeURIComponent('title>>')}=x`]) {
      assert.equal((await get(`/library/sections/1/all?${filter}`)).status, 400, filter);
      assert.equal((await get(`/library/all?${filter}`)).status, 400, filter);
    }
    const hints = await get('/library/sections/1/all?includeMeta=1&includeAdvanced=1&includeCollections=1&checkFiles=0&libtype=movie&maxresults=5');
    assert.equal(hints.status, 200);
    assert.equal(hints.json.MediaContainer.size, itemsOf('movie').length);
    // The queries Playhead sends keep working.
    const playhead = await get(`/library/sections/1/all?type=1&${encodeURIComponent('viewOffset>>')}=0&includeGuids=1&${encodeURIComponent('updatedAt>>')}=0`);
    assert.equal(playhead.status, 200);
  });

  it('a resumable listing follows writes: new positions appear, played ones leave', async () => {
    const [first, second] = itemsOf('movie');
    const resumable = async () => keys((await get(`/library/sections/1/all?type=1&${encodeURIComponent('viewOffset>>')}=0`)).json.MediaContainer.Metadata);
    assert.deepEqual(await resumable(), []);
    await timeline(owner, second!, 'stopped', 60_000);
    await timeline(owner, first!, 'stopped', 120_000);
    assert.deepEqual(await resumable(), [first!.ratingKey, second!.ratingKey]);
    // Edited in place, as tests and fault scripts do.
    emu.state.userState['1']![first!.ratingKey]!.viewOffset = 0;
    assert.deepEqual(await resumable(), [second!.ratingKey]);
    await timeline(owner, second!, 'stopped', second!.durationMs!);
    assert.deepEqual(await resumable(), []);
    // Items removed by a scan leave the index too.
    await timeline(owner, first!, 'stopped', 120_000);
    assert.equal((await fetch(`${emu.url}/__emulator/items/${first!.ratingKey}`, { method: 'DELETE' })).status, 200);
    assert.deepEqual(await resumable(), []);
    assert.ok(!keys((await get('/library/sections/1/all')).json.MediaContainer.Metadata).includes(first!.ratingKey));
  });
});

describe('On Deck, Recently Added, section hubs', () => {
  it('On Deck: started items and the next episode of a show being watched, newest first, per user', async () => {
    const [movie] = itemsOf('movie');
    const show = itemsOf('show')[0]!;
    const episodes = episodesOf(show);
    tick(60);
    await timeline(owner, movie!, 'stopped', 300_000);
    tick(60);
    assert.equal((await scrobble(owner, episodes[0]!)).status, 200);

    const deck = await get('/library/onDeck');
    assert.deepEqual(keys(deck.json.MediaContainer.Metadata), [episodes[1]!.ratingKey, movie!.ratingKey]);
    assert.equal(deck.json.MediaContainer.Metadata[0].grandparentTitle, show.title);
    assert.equal(deck.json.MediaContainer.Metadata[1].librarySectionID, 1);

    // A started episode of the show replaces the "next" one.
    tick(60);
    await timeline(owner, episodes[2]!, 'stopped', 60_000);
    assert.deepEqual(keys((await get('/library/onDeck')).json.MediaContainer.Metadata), [episodes[2]!.ratingKey, movie!.ratingKey]);

    assert.deepEqual(keys((await get('/library/sections/2/onDeck')).json.MediaContainer.Metadata), [episodes[2]!.ratingKey]);
    assert.deepEqual(keys((await get('/library/sections/1/onDeck')).json.MediaContainer.Metadata), [movie!.ratingKey]);
    assert.equal((await call(emu.url, '/library/onDeck', { token: alice })).json.MediaContainer.size, 0);
    assert.equal((await get('/library/sections/9/onDeck')).status, 404);

    // A finished show leaves the deck.
    for (const episode of episodes) await scrobble(owner, episode);
    assert.deepEqual(keys((await get('/library/sections/2/onDeck')).json.MediaContainer.Metadata), []);
  });

  it('Recently Added: movies and seasons, newest addedAt first, paged; per section', async () => {
    const expected = emu.state.items.filter((i) => i.type === 'movie' || i.type === 'season').sort((a, b) => b.addedAt - a.addedAt || byKey(b, a));
    const all = await get('/library/recentlyAdded');
    assert.deepEqual(keys(all.json.MediaContainer.Metadata), keys(expected));
    const page = await get('/library/recentlyAdded?X-Plex-Container-Start=1&X-Plex-Container-Size=2');
    assert.deepEqual(keys(page.json.MediaContainer.Metadata), keys(expected.slice(1, 3)));
    assert.equal(page.json.MediaContainer.totalSize, expected.length);
    const seasons = await get('/library/sections/2/recentlyAdded');
    assert.deepEqual(keys(seasons.json.MediaContainer.Metadata), keys(expected.filter((i) => i.type === 'season')));
  });

  it('/hubs/sections/{id}: Continue Watching, On Deck (shows), Recently Added with count and more', async () => {
    const movies = itemsOf('movie');
    tick(60);
    await timeline(owner, movies[0]!, 'stopped', 100_000);
    tick(60);
    await timeline(owner, movies[1]!, 'stopped', 100_000);
    const res = await get('/hubs/sections/1?count=1');
    assert.equal(res.status, 200);
    const hubs = res.json.MediaContainer.Hub as Array<Record<string, unknown> & { Metadata?: Array<{ ratingKey: string }> }>;
    assert.deepEqual(
      hubs.map((h) => [h.hubIdentifier, h.context, h.type, h.size, h.more]),
      [
        ['movie.inprogress.1', 'hub.movie.inprogress', 'movie', 1, true],
        ['movie.recentlyadded.1', 'hub.movie.recentlyadded', 'movie', 1, true],
      ],
    );
    assert.deepEqual(keys(hubs[0]!.Metadata), [movies[1]!.ratingKey]);
    const newest = [...movies].sort((a, b) => b.addedAt - a.addedAt || byKey(b, a))[0]!;
    assert.deepEqual(keys(hubs[1]!.Metadata), [newest.ratingKey]);
    assert.equal(res.json.MediaContainer.librarySectionID, 1);

    const tv = await get('/hubs/sections/2');
    assert.deepEqual(
      tv.json.MediaContainer.Hub.map((h: { hubIdentifier: string }) => h.hubIdentifier),
      ['tv.inprogress.2', 'tv.ondeck.2', 'tv.recentlyadded.2'],
    );
    assert.equal((await get('/hubs/sections/9')).status, 404);
    assert.equal((await get('/hubs/sections/1?count=x')).status, 400);
    // Continue Watching of one section, where the hub's key points.
    assert.deepEqual(keys((await get('/hubs/sections/1/continueWatching/items')).json.MediaContainer.Metadata), [movies[1]!.ratingKey, movies[0]!.ratingKey]);
  });
});

describe('/hubs/search', () => {
  it('returns one hub per type with case-insensitive title matches, limit per hub, sectionId', async () => {
    const show = itemsOf('show')[0]!;
    const movie = itemsOf('movie')[0]!;
    const res = await get(`/hubs/search?query=${encodeURIComponent(movie.title.toUpperCase())}&limit=5`);
    assert.equal(res.status, 200);
    const hubs = res.json.MediaContainer.Hub as Array<{ hubIdentifier: string; type: string; size: number; Metadata?: Array<{ ratingKey: string }> }>;
    assert.deepEqual(
      hubs.map((h) => h.hubIdentifier),
      ['movie', 'show', 'season', 'episode'],
    );
    const movieHits = keys(hubs[0]!.Metadata);
    assert.equal(movieHits[0], movie.ratingKey, 'the exact title ranks first');
    const expected = emu.state.items.filter((i) => i.type === 'movie' && i.title.toLowerCase().includes(movie.title.toLowerCase()));
    assert.deepEqual([...movieHits].sort(), keys(expected.slice(0, 5)).sort());

    const shows = await get(`/hubs/search?query=${encodeURIComponent(show.title.toLowerCase())}&limit=1`);
    const showHub = shows.json.MediaContainer.Hub.find((h: { type: string }) => h.type === 'show');
    assert.deepEqual(keys(showHub.Metadata), [show.ratingKey]);
    const inMovies = await get(`/hubs/search?query=${encodeURIComponent(show.title)}&sectionId=1`);
    assert.equal(inMovies.json.MediaContainer.Hub.find((h: { type: string }) => h.type === 'show').size, 0);

    // Episodes share words: limit caps each hub, `more` says there is more.
    const episodeTitle = itemsOf('episode')[0]!.title;
    const many = emu.state.items.filter((i) => i.type === 'episode' && i.title.toLowerCase().includes(episodeTitle.toLowerCase()));
    const capped = await get(`/hubs/search?query=${encodeURIComponent(episodeTitle)}&limit=1`);
    const episodeHub = capped.json.MediaContainer.Hub.find((h: { type: string }) => h.type === 'episode');
    assert.equal(episodeHub.size, 1);
    assert.equal(episodeHub.more, many.length > 1);
  });

  it('answers 400 without a query and 404 for an unknown section', async () => {
    assert.equal((await get('/hubs/search')).status, 400);
    assert.equal((await get('/hubs/search?query=%20')).status, 400);
    assert.equal((await get('/hubs/search?query=a&sectionId=9')).status, 404);
    assert.equal((await get('/hubs/search?query=a&limit=-1')).status, 400);
  });
});

describe('play history', () => {
  const history = (token: string, query = '') => call(emu.url, `/status/sessions/history/all${query}`, { token });

  it('records scrobbles (one row per episode of a show) and played-threshold stops, not plain stops or /:/progress', async () => {
    const [movie, other] = itemsOf('movie');
    const show = itemsOf('show')[1]!;
    tick(60);
    assert.equal((await scrobble(owner, movie!, 'phone')).status, 200);
    tick(60);
    await timeline(owner, other!, 'stopped', 60_000);
    await get(`/:/progress?key=${other!.ratingKey}&identifier=${LIBRARY}&time=70000&state=stopped`);
    assert.equal(emu.state.history.length, 1);
    tick(60);
    await timeline(owner, other!, 'stopped', Math.ceil(other!.durationMs! * 0.95), 'tv');
    tick(60);
    await scrobble(owner, show, 'phone');
    const showEpisodes = episodesOf(show);
    assert.deepEqual(
      emu.state.history.map((h) => [h.ratingKey, h.accountId, h.viewedAt, h.deviceId]),
      [[movie!.ratingKey, 1, nowS() - 180, 1], [other!.ratingKey, 1, nowS() - 60, 2], ...showEpisodes.map((e) => [e.ratingKey, 1, nowS(), 1])],
    );
    const res = await history(owner, '?sort=viewedAt:desc');
    const rows = res.json.MediaContainer.Metadata as Array<Record<string, unknown>>;
    assert.equal(rows.length, emu.state.history.length);
    assert.deepEqual(rows.at(-1), {
      historyKey: `/status/sessions/history/${emu.state.history[0]!.id}`,
      key: `/library/metadata/${movie!.ratingKey}`,
      ratingKey: movie!.ratingKey,
      librarySectionID: '1',
      title: movie!.title,
      type: 'movie',
      thumb: `/library/metadata/${movie!.ratingKey}/thumb/${movie!.updatedAt}`,
      ...(movie!.originallyAvailableAt ? { originallyAvailableAt: movie!.originallyAvailableAt } : {}),
      viewedAt: nowS() - 180,
      accountID: 1,
      deviceID: 1,
    });
    const episodeRow = rows[0]!;
    assert.equal(episodeRow.grandparentTitle, show.title);
    assert.equal(episodeRow.type, 'episode');
  });

  it('shows a user their own plays, the owner everyone with accountID; filters, sort and paging', async () => {
    const movies = itemsOf('movie');
    const show = itemsOf('show')[0]!;
    tick(60);
    await scrobble(owner, movies[0]!);
    tick(60);
    await scrobble(alice, movies[1]!);
    tick(60);
    await scrobble(alice, episodesOf(show)[0]!);
    tick(60);
    await scrobble(owner, movies[2]!);

    const mine = await history(alice);
    assert.deepEqual(keys(mine.json.MediaContainer.Metadata), [movies[1]!.ratingKey, episodesOf(show)[0]!.ratingKey]);
    assert.equal((await history(alice, '?accountID=1')).json.MediaContainer.size, 0, 'a user cannot read another account');
    const everyone = await history(owner, '?sort=viewedAt:desc');
    assert.deepEqual(
      everyone.json.MediaContainer.Metadata.map((r: { accountID: number }) => r.accountID),
      [1, 2, 2, 1],
    );
    assert.equal((await history(owner, '?accountID=2')).json.MediaContainer.size, 2);
    assert.deepEqual(keys((await history(owner, `?metadataItemID=${show.ratingKey}`)).json.MediaContainer.Metadata), [episodesOf(show)[0]!.ratingKey]);
    assert.equal((await history(owner, '?librarySectionID=1')).json.MediaContainer.size, 3);
    const since = nowS() - 60;
    assert.deepEqual(keys((await history(owner, `?${encodeURIComponent('viewedAt>')}=${since}&sort=viewedAt:asc`)).json.MediaContainer.Metadata), [
      episodesOf(show)[0]!.ratingKey,
      movies[2]!.ratingKey,
    ]);
    const page = await history(owner, '?sort=viewedAt:desc&X-Plex-Container-Start=1&X-Plex-Container-Size=2');
    assert.deepEqual(keys(page.json.MediaContainer.Metadata), [episodesOf(show)[0]!.ratingKey, movies[1]!.ratingKey]);
    assert.equal(page.json.MediaContainer.totalSize, 4);
    assert.equal(page.json.MediaContainer.offset, 1);

    for (const bad of ['?bogus=1', '?sort=title', '?accountID=x', `?${encodeURIComponent('viewedAt>')}=soon`]) {
      assert.equal((await history(owner, bad)).status, 400, bad);
    }
    const xml = parseXml((await call(emu.url, '/status/sessions/history/all', { token: owner, json: false })).text);
    assert.equal(xml.MediaContainer.Video.length, 4);
    assert.equal(xml.MediaContainer.Video[0].historyKey, `/status/sessions/history/${emu.state.history[0]!.id}`);
  });

  it('loads data files written before history existed, and keeps history in the state', () => {
    const { history: _dropped, ...old } = structuredClone(emu.state);
    assert.deepEqual(normalizeData(old).history, []);
    const withRow = { ...old, history: [{ id: 7, ratingKey: itemsOf('movie')[0]!.ratingKey, accountId: 1, viewedAt: 1, deviceId: 0 }] };
    assert.equal(normalizeData(withRow).history[0]!.id, 7);
    assert.throws(() => normalizeData({ ...old, history: [{ id: 0 }] }), /history/);
  });
});
