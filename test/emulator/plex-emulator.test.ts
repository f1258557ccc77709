import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import type { PlexItem } from '../../emulators/plex/data.ts';
import { startPlexEmulator, type RunningPlexEmulator } from '../../emulators/plex/server.ts';
import { call, parseXml, type CallOptions } from './plex-http.ts';

const UNAUTHORIZED = '<html><head><title>Unauthorized</title></head><body><h1>401 Unauthorized</h1></body></html>';
const SPEC = 'movies=12,shows=2,seasons=2,episodes=3';
const START_MS = 1_763_900_000_000;

let emu: RunningPlexEmulator;
let clockMs = START_MS;
let owner: string;
const alice = 'alice-token-home';
const bob = 'bob-token-home';

beforeEach(async () => {
  clockMs = START_MS;
  emu = await startPlexEmulator({ name: 'home', synthetic: SPEC, seed: 'test', quiet: true, now: () => clockMs });
  owner = emu.ownerToken;
});

afterEach(async () => {
  await emu.close();
});

const get = (path: string, options: CallOptions = {}) => call(emu.url, path, { token: owner, ...options });

function itemsOf(type: PlexItem['type']): PlexItem[] {
  return emu.state.items.filter((item) => item.type === type).sort((a, b) => Number(a.ratingKey) - Number(b.ratingKey));
}

function firstOf(type: PlexItem['type']): PlexItem {
  const item = itemsOf(type)[0];
  assert.ok(item, `no ${type} in the synthetic library`);
  return item;
}

function timeline(token: string, item: PlexItem, state: string, time: number, extra: Record<string, string> = {}) {
  const query = new URLSearchParams({
    ratingKey: item.ratingKey,
    key: `/library/metadata/${item.ratingKey}`,
    identifier: 'com.plexapp.plugins.library',
    state,
    time: String(time),
    duration: String(item.durationMs),
    ...extra,
  });
  return call(emu.url, `/:/timeline?${query}`, {
    method: 'POST',
    token,
    headers: { 'X-Plex-Client-Identifier': 'test-player', 'X-Plex-Product': 'Test Player' },
  });
}

async function metadataRow(ratingKey: string, token = owner) {
  const res = await call(emu.url, `/library/metadata/${ratingKey}`, { token });
  assert.equal(res.status, 200);
  return res.json.MediaContainer.Metadata[0];
}

describe('authentication', () => {
  it('serves /identity without a token', async () => {
    const res = await call(emu.url, '/identity');
    assert.equal(res.status, 200);
    assert.deepEqual(Object.keys(res.json.MediaContainer).sort(), ['apiVersion', 'claimed', 'machineIdentifier', 'size', 'version']);
    assert.equal(res.json.MediaContainer.machineIdentifier, emu.machineIdentifier);
  });

  it('answers 401 with the small HTML page on a missing or unknown token', async () => {
    for (const token of [null, 'nope']) {
      const res = await call(emu.url, '/library/sections', { token });
      assert.equal(res.status, 401);
      assert.equal(res.text, UNAUTHORIZED);
      assert.equal(res.headers.get('content-type'), 'text/html');
    }
  });

  it('accepts the token as a query parameter and extra owner tokens', async () => {
    assert.equal((await call(emu.url, `/library/sections?X-Plex-Token=${owner}`)).status, 200);
    const other = await startPlexEmulator({ name: 'x', synthetic: 'movies=1', quiet: true, tokens: ['first', 'second'] });
    try {
      assert.equal(other.ownerToken, 'first');
      assert.equal((await call(other.url, '/status/sessions', { token: 'second' })).status, 200);
    } finally {
      await other.close();
    }
  });
});

describe('content negotiation', () => {
  it('sends XML by default and JSON on Accept: application/json, with the same data', async () => {
    const path = '/library/sections/2/all?type=4&includeGuids=1';
    const json = await get(path);
    const xml = await get(path, { json: false });
    assert.equal(xml.headers.get('content-type'), 'text/xml;charset=utf-8');
    const doc = parseXml(xml.text);
    const xmlRows = doc.MediaContainer.Video;
    const jsonRows = json.json.MediaContainer.Metadata;
    assert.equal(xmlRows.length, jsonRows.length);
    assert.equal(doc.MediaContainer.librarySectionID, '2');
    assert.equal(json.json.MediaContainer.librarySectionID, 2);
    for (const [i, row] of jsonRows.entries()) {
      const xmlRow = xmlRows[i];
      for (const [name, value] of Object.entries(row)) {
        if (Array.isArray(value)) continue;
        const expected = typeof value === 'boolean' ? (value ? '1' : '0') : String(value);
        assert.equal(xmlRow[name], expected, `attribute ${name}`);
      }
      assert.deepEqual(
        xmlRow.Guid.map((g: { id: string }) => g.id),
        row.Guid.map((g: { id: string }) => g.id),
      );
      assert.equal(xmlRow.Media[0].Part[0].file, row.Media[0].Part[0].file);
    }
  });

  it('uses <Directory> for shows and seasons, <Video> for movies and episodes', async () => {
    const shows = parseXml((await get('/library/sections/2/all', { json: false })).text);
    assert.equal(shows.MediaContainer.Directory.length, 2);
    assert.equal(shows.MediaContainer.Video, undefined);
    const movies = parseXml((await get('/library/sections/1/all', { json: false })).text);
    assert.equal(movies.MediaContainer.Video.length, 12);
  });

  it('types JSON values like PMS: ratingKey/key strings, numbers as numbers', async () => {
    const episode = firstOf('episode');
    const row = await metadataRow(episode.ratingKey);
    for (const field of ['ratingKey', 'key', 'parentRatingKey', 'grandparentRatingKey', 'guid', 'grandparentTitle']) {
      assert.equal(typeof row[field], 'string', field);
    }
    for (const field of ['duration', 'index', 'parentIndex', 'librarySectionID', 'addedAt', 'updatedAt']) {
      assert.equal(typeof row[field], 'number', field);
    }
  });
});

describe('sections and listings', () => {
  it('lists sections on /library/sections and /library/sections/all', async () => {
    for (const path of ['/library/sections', '/library/sections/all', '/library/sections/']) {
      const res = await get(path);
      const dirs = res.json.MediaContainer.Directory;
      assert.deepEqual(
        dirs.map((d: { key: string; type: string }) => [d.key, d.type]),
        [
          ['1', 'movie'],
          ['2', 'show'],
        ],
      );
      assert.equal(dirs[0].Location[0].path, '/data/movies');
    }
  });

  it('answers 404 for an unknown section or route', async () => {
    assert.equal((await get('/library/sections/99/all')).status, 404);
    assert.equal((await get('/no/such/route')).status, 404);
  });

  it('pages with X-Plex-Container-Start/Size headers or query and reports the total', async () => {
    const all = itemsOf('movie').map((m) => m.ratingKey);
    const viaHeaders = await get('/library/sections/1/all?type=1', {
      headers: { 'X-Plex-Container-Start': '5', 'X-Plex-Container-Size': '4' },
    });
    const viaQuery = await get('/library/sections/1/all?type=1&X-Plex-Container-Start=5&X-Plex-Container-Size=4');
    for (const res of [viaHeaders, viaQuery]) {
      const mc = res.json.MediaContainer;
      assert.deepEqual([mc.offset, mc.size, mc.totalSize], [5, 4, 12]);
      assert.deepEqual(
        mc.Metadata.map((m: { ratingKey: string }) => m.ratingKey),
        all.slice(5, 9),
      );
      assert.equal(res.headers.get('x-plex-container-start'), '5');
      assert.equal(res.headers.get('x-plex-container-total-size'), '12');
    }
    const last = (await get('/library/sections/1/all?X-Plex-Container-Start=10&X-Plex-Container-Size=50')).json.MediaContainer;
    assert.deepEqual([last.size, last.totalSize], [2, 12]);
    const countOnly = (await get('/library/sections/1/all?X-Plex-Container-Start=0&X-Plex-Container-Size=0')).json.MediaContainer;
    assert.deepEqual([countOnly.size, countOnly.totalSize, countOnly.Metadata], [0, 12, undefined]);
  });

  it('leaves offset/totalSize out of unpaged bodies, keeps the headers', async () => {
    const res = await get('/library/sections/1/all');
    assert.equal(res.json.MediaContainer.totalSize, undefined);
    assert.equal(res.json.MediaContainer.size, 12);
    assert.equal(res.headers.get('x-plex-container-total-size'), '12');
  });

  it('answers HEAD with headers only', async () => {
    const res = await fetch(`${emu.url}/library/sections/1/all`, {
      method: 'HEAD',
      headers: { 'X-Plex-Token': owner, Accept: 'application/json', 'X-Plex-Container-Start': '0', 'X-Plex-Container-Size': '1000' },
    });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('x-plex-container-total-size'), '12');
    assert.equal(res.headers.get('content-type'), 'application/json');
    assert.equal(await res.text(), '');
  });

  it('carries section info on the container, not on rows; orders by ratingKey by default', async () => {
    const mc = (await get('/library/sections/1/all')).json.MediaContainer;
    assert.equal(mc.librarySectionID, 1);
    assert.equal(mc.librarySectionTitle, 'Movies');
    assert.equal(mc.identifier, 'com.plexapp.plugins.library');
    assert.equal(mc.viewGroup, 'movie');
    assert.ok(mc.librarySectionUUID);
    assert.equal(mc.allowSync, true);
    assert.deepEqual(
      mc.Metadata.map((m: { ratingKey: string }) => m.ratingKey),
      itemsOf('movie').map((m) => m.ratingKey),
    );
    assert.ok(mc.Metadata.every((m: Record<string, unknown>) => !('librarySectionID' in m)));
  });

  it('sorts by titleSort, addedAt and updatedAt, ascending or :desc', async () => {
    const sortedBy = async (sort: string) =>
      (await get(`/library/sections/1/all?sort=${sort}`)).json.MediaContainer.Metadata.map((m: { ratingKey: string }) => m.ratingKey);
    const byAdded = [...itemsOf('movie')].sort((a, b) => a.addedAt - b.addedAt).map((m) => m.ratingKey);
    assert.deepEqual(await sortedBy('addedAt'), byAdded);
    assert.deepEqual(await sortedBy('addedAt:desc'), [...byAdded].reverse());
    const byUpdated = [...itemsOf('movie')].sort((a, b) => b.updatedAt - a.updatedAt).map((m) => m.ratingKey);
    assert.deepEqual(await sortedBy('updatedAt:desc'), byUpdated);
    const titles = (await get('/library/sections/1/all?sort=titleSort')).json.MediaContainer.Metadata.map((m: { title: string; titleSort?: string }) =>
      (m.titleSort ?? m.title).toLowerCase(),
    );
    assert.deepEqual(titles, [...titles].sort());
  });

  it('lists shows, seasons and episodes with type=2/3/4 and their hierarchy fields', async () => {
    const shows = (await get('/library/sections/2/all?type=2')).json.MediaContainer.Metadata;
    assert.equal(shows.length, 2);
    assert.deepEqual([shows[0].leafCount, shows[0].viewedLeafCount, shows[0].childCount], [6, 0, 2]);
    assert.match(shows[0].key, /^\/library\/metadata\/\d+\/children$/);
    const seasons = (await get('/library/sections/2/all?type=3')).json.MediaContainer.Metadata;
    assert.equal(seasons.length, 4);
    const episodes = (await get('/library/sections/2/all?type=4')).json.MediaContainer;
    assert.equal(episodes.size, 12);
    assert.equal(episodes.viewGroup, 'episode');
    const ep = episodes.Metadata[0];
    for (const field of [
      'grandparentTitle',
      'grandparentRatingKey',
      'grandparentGuid',
      'grandparentKey',
      'parentTitle',
      'parentRatingKey',
      'parentGuid',
      'parentIndex',
      'index',
    ]) {
      assert.ok(ep[field] !== undefined, `episode row lacks ${field}`);
    }
  });
});

describe('media query filters', () => {
  it('viewOffset>>=0 (key "viewOffset>>") returns only started items', async () => {
    const [a, b] = itemsOf('movie');
    assert.ok(a && b);
    assert.equal((await timeline(owner, a, 'stopped', 600_000)).status, 200);
    assert.equal((await timeline(owner, b, 'stopped', 1_200_000)).status, 200);
    const encoded = await get('/library/sections/1/all?type=1&viewOffset%3E%3E=0&includeGuids=1');
    const raw = await get('/library/sections/1/all?type=1&viewOffset>>=0');
    for (const res of [encoded, raw]) {
      const rows = res.json.MediaContainer.Metadata;
      assert.deepEqual(rows.map((m: { ratingKey: string }) => m.ratingKey).sort(), [a.ratingKey, b.ratingKey].sort());
    }
    const offsets = encoded.json.MediaContainer.Metadata.map((m: { viewOffset: number }) => m.viewOffset).sort((x: number, y: number) => x - y);
    assert.deepEqual(offsets, [600_000, 1_200_000]);
  });

  it('supports >=, <=, <<, != and = on integers and relative dates', async () => {
    const [a, b, c] = itemsOf('movie');
    assert.ok(a && b && c);
    await timeline(owner, a, 'stopped', 100_000);
    await timeline(owner, b, 'stopped', 200_000);
    clockMs += 10 * 86_400_000;
    await timeline(owner, c, 'stopped', 300_000);
    const keys = async (filter: string) =>
      (await get(`/library/sections/1/all?${filter}`)).json.MediaContainer.Metadata?.map((m: { ratingKey: string }) => m.ratingKey).sort() ?? [];
    assert.deepEqual(await keys('viewOffset>=200000'), [b.ratingKey, c.ratingKey].sort());
    assert.deepEqual(await keys('viewOffset<=200000&viewOffset>>=0'), [a.ratingKey, b.ratingKey].sort());
    assert.deepEqual(await keys('viewOffset<<=200000&viewOffset>>=0'), [a.ratingKey]);
    assert.deepEqual(await keys('viewOffset=100000,300000'), [a.ratingKey, c.ratingKey].sort());
    assert.equal((await keys('viewOffset!=0')).length, 3);
    assert.deepEqual(await keys('lastViewedAt>>=-1d'), [c.ratingKey]);
    assert.equal((await get('/library/sections/1/all?viewOffset>>=abc')).status, 400);
  });

  it('finished since a time: unwatched=0&viewOffset=0&lastViewedAt>>= per user, with types and paging', async () => {
    const [early, late1, late2, rewatch, started, alices] = itemsOf('movie');
    const episode = firstOf('episode');
    assert.ok(early && late1 && late2 && rewatch && started && alices);
    const scrobble = (item: PlexItem, token = owner, verb = 'scrobble') =>
      call(emu.url, `/:/${verb}?key=${item.ratingKey}&identifier=com.plexapp.plugins.library`, { token, method: 'PUT' });
    await scrobble(early);
    await scrobble(rewatch);
    const since = Math.floor(clockMs / 1000);
    clockMs += 86_400_000;
    await scrobble(late1);
    // A stop past the played threshold finishes as a scrobble does.
    await timeline(owner, late2, 'stopped', Math.ceil(late2.durationMs! * 0.95));
    await timeline(owner, rewatch, 'stopped', 60_000);
    await timeline(owner, started, 'stopped', 60_000);
    await scrobble(episode);
    await scrobble(alices, alice);
    const finished = `unwatched=0&viewOffset=0&lastViewedAt%3E%3E=${since}`;
    const keys = async (path: string, token = owner) =>
      (await get(path, { token })).json.MediaContainer.Metadata?.map((m: { ratingKey: string }) => m.ratingKey) ?? [];
    assert.deepEqual(await keys(`/library/sections/1/all?type=1&${finished}`), [late1.ratingKey, late2.ratingKey]);
    assert.deepEqual(await keys(`/library/sections/1/all?type=1&${finished}`, alice), [alices.ratingKey]);
    assert.deepEqual(await keys(`/library/sections/2/all?type=4&${finished}`), [episode.ratingKey]);
    assert.deepEqual(await keys(`/library/sections/1/all?type=1&unwatched=0&lastViewedAt%3C%3C=${since + 1}`), [early.ratingKey]);
    // Paged like any listing: one row a page, the total of the filtered listing.
    const page = await get(`/library/sections/1/all?type=1&${finished}`, { headers: { 'X-Plex-Container-Start': '1', 'X-Plex-Container-Size': '1' } });
    assert.equal(page.headers.get('X-Plex-Container-Total-Size'), '2');
    assert.deepEqual(
      page.json.MediaContainer.Metadata.map((m: { ratingKey: string; lastViewedAt: number }) => [m.ratingKey, m.lastViewedAt]),
      [[late2.ratingKey, since + 86_400]],
    );
    // Marked unwatched: out of the finished listing, whatever lastViewedAt still says.
    await scrobble(late1, owner, 'unscrobble');
    assert.deepEqual(await keys(`/library/sections/1/all?type=1&${finished}`), [late2.ratingKey]);
  });

  it('unwatched=1 and inProgress=1', async () => {
    const [a, b] = itemsOf('movie');
    assert.ok(a && b);
    await call(emu.url, `/:/scrobble?key=${a.ratingKey}&identifier=com.plexapp.plugins.library`, { token: owner });
    await timeline(owner, b, 'stopped', 60_000);
    const unwatched = (await get('/library/sections/1/all?unwatched=1')).json.MediaContainer;
    assert.equal(unwatched.size, 11);
    const inProgress = (await get('/library/sections/1/all?inProgress=1')).json.MediaContainer.Metadata;
    assert.deepEqual(
      inProgress.map((m: { ratingKey: string }) => m.ratingKey),
      [b.ratingKey],
    );
  });

  it('guid= matches the primary guid only, on sections and /library/all', async () => {
    const movie = firstOf('movie');
    const imdb = movie.guids.find((g) => g.startsWith('imdb://'));
    assert.ok(imdb && movie.guid.startsWith('plex://movie/'));
    const hit = await get(`/library/sections/1/all?guid=${encodeURIComponent(movie.guid)}`);
    assert.deepEqual(
      hit.json.MediaContainer.Metadata.map((m: { ratingKey: string }) => m.ratingKey),
      [movie.ratingKey],
    );
    const miss = await get(`/library/all?guid=${encodeURIComponent(imdb)}`);
    assert.equal(miss.json.MediaContainer.size, 0);
    const episode = firstOf('episode');
    const viaAll = await get(`/library/all?guid=${encodeURIComponent(episode.guid)}&X-Plex-Container-Start=0&X-Plex-Container-Size=1`);
    const row = viaAll.json.MediaContainer.Metadata[0];
    assert.equal(row.ratingKey, episode.ratingKey);
    assert.equal(row.librarySectionID, 2);
  });

  it('matches a legacy agent guid verbatim', async () => {
    const movie = firstOf('movie');
    movie.guid = 'com.plexapp.agents.imdb://tt0000042?lang=en';
    movie.guids = [];
    const res = await get(`/library/all?type=1&guid=${encodeURIComponent(movie.guid)}&includeGuids=1`);
    const rows = res.json.MediaContainer.Metadata;
    assert.deepEqual(
      rows.map((m: { ratingKey: string }) => m.ratingKey),
      [movie.ratingKey],
    );
    assert.equal(rows[0].Guid, undefined);
  });

  it('adds Guid[] only with includeGuids=1', async () => {
    const without = (await get('/library/sections/1/all')).json.MediaContainer.Metadata;
    assert.ok(without.every((m: Record<string, unknown>) => !('Guid' in m)));
    const withGuids = (await get('/library/sections/1/all?includeGuids=1')).json.MediaContainer.Metadata;
    const first = withGuids.find((m: { guid: string }) => m.guid.startsWith('plex://'));
    assert.ok(first.Guid.some((g: { id: string }) => g.id.startsWith('imdb://tt')));
    assert.ok(first.Guid.some((g: { id: string }) => g.id.startsWith('tmdb://')));
  });
});

describe('metadata routes', () => {
  it('returns comma lists, omits unknown ids, 404s when all are unknown', async () => {
    const [a, b] = itemsOf('movie');
    assert.ok(a && b);
    const res = await get(`/library/metadata/${a.ratingKey},999999,${b.ratingKey}?includeGuids=1`);
    const rows = res.json.MediaContainer.Metadata;
    assert.deepEqual(
      rows.map((m: { ratingKey: string }) => m.ratingKey),
      [a.ratingKey, b.ratingKey],
    );
    assert.equal(rows[0].librarySectionID, 1);
    assert.equal(rows[0].librarySectionTitle, 'Movies');
    assert.ok(rows[0].Guid.length >= 2);
    assert.equal(rows[0].Media[0].Part[0].duration, a.durationMs);
    assert.equal((await get('/library/metadata/999999,888888')).status, 404);
  });

  it('serves /children (with the All episodes row) and /allLeaves', async () => {
    const show = firstOf('show');
    const children = (await get(`/library/metadata/${show.ratingKey}/children`)).json.MediaContainer;
    assert.equal(children.Metadata[0].title, 'All episodes');
    assert.deepEqual(
      children.Metadata.slice(1).map((m: { index: number }) => m.index),
      [1, 2],
    );
    const excluded = (await get(`/library/metadata/${show.ratingKey}/children?excludeAllLeaves=1`)).json.MediaContainer;
    assert.equal(excluded.size, 2);
    const season = children.Metadata[1];
    const episodes = (await get(`/library/metadata/${season.ratingKey}/children`)).json.MediaContainer.Metadata;
    assert.deepEqual(
      episodes.map((m: { index: number; type: string }) => [m.type, m.index]),
      [
        ['episode', 1],
        ['episode', 2],
        ['episode', 3],
      ],
    );
    const leaves = (await get(`/library/metadata/${show.ratingKey}/allLeaves`)).json.MediaContainer.Metadata;
    assert.deepEqual(
      leaves.map((m: { parentIndex: number; index: number }) => `${m.parentIndex}x${m.index}`),
      ['1x1', '1x2', '1x3', '2x1', '2x2', '2x3'],
    );
    assert.equal((await get('/library/metadata/999999/children')).status, 404);
  });
});

describe('timeline, sessions and the played threshold', () => {
  it('playing creates a session only the owner may list; stopped ends it and persists', async () => {
    const movie = firstOf('movie');
    assert.equal((await get('/status/sessions', { token: alice })).status, 403);
    const playing = await timeline(alice, movie, 'playing', 120_000);
    assert.equal(playing.status, 200);
    assert.deepEqual(playing.json, { MediaContainer: { size: 0 } });
    const sessions = (await get('/status/sessions')).json.MediaContainer;
    assert.equal(sessions.size, 1);
    const row = sessions.Metadata[0];
    assert.equal(row.ratingKey, movie.ratingKey);
    assert.equal(row.viewOffset, 120_000);
    assert.equal(typeof row.sessionKey, 'string');
    assert.deepEqual([row.User.id, row.User.title], ['2', 'alice']);
    assert.deepEqual([row.Player.machineIdentifier, row.Player.state, row.Player.product], ['test-player', 'playing', 'Test Player']);
    assert.equal(typeof row.Session.id, 'string');
    assert.equal(row.librarySectionID, 1);

    await timeline(alice, movie, 'paused', 150_000);
    const paused = (await get('/status/sessions')).json.MediaContainer.Metadata[0];
    assert.deepEqual([paused.Player.state, paused.viewOffset, paused.sessionKey], ['paused', 150_000, row.sessionKey]);

    clockMs += 60_000;
    await timeline(alice, movie, 'stopped', 180_000);
    assert.equal((await get('/status/sessions')).json.MediaContainer.size, 0);
    const aliceRow = await metadataRow(movie.ratingKey, alice);
    assert.equal(aliceRow.viewOffset, 180_000);
    assert.equal(aliceRow.lastViewedAt, Math.floor(clockMs / 1000));
    assert.equal(aliceRow.viewCount, undefined);
  });

  it('keeps state per user', async () => {
    const movie = firstOf('movie');
    await timeline(alice, movie, 'stopped', 300_000);
    await timeline(bob, movie, 'stopped', 900_000);
    assert.equal((await metadataRow(movie.ratingKey, alice)).viewOffset, 300_000);
    assert.equal((await metadataRow(movie.ratingKey, bob)).viewOffset, 900_000);
    const ownerRow = await metadataRow(movie.ratingKey, owner);
    assert.equal(ownerRow.viewOffset, undefined);
    assert.equal(ownerRow.lastViewedAt, undefined);
    const ownerList = (await get('/library/sections/1/all?viewOffset>>=0')).json.MediaContainer;
    assert.equal(ownerList.size, 0);
    assert.deepEqual(Object.keys(emu.state.userState).sort(), ['2', '3']);
  });

  it('marks an item watched when stopped at or past 90 %', async () => {
    const movie = firstOf('movie');
    const duration = movie.durationMs!;
    await timeline(alice, movie, 'stopped', Math.ceil(duration * 0.9));
    const row = await metadataRow(movie.ratingKey, alice);
    assert.equal(row.viewCount, 1);
    assert.equal(row.viewOffset, undefined);
    assert.equal(row.lastViewedAt, Math.floor(START_MS / 1000));
    const below = itemsOf('movie')[1]!;
    await timeline(alice, below, 'stopped', Math.floor(below.durationMs! * 0.89));
    const belowRow = await metadataRow(below.ratingKey, alice);
    assert.equal(belowRow.viewCount, undefined);
    assert.ok(belowRow.viewOffset > 0);
  });

  it('honours a configured threshold', async () => {
    emu.state.playedThresholdPercent = 50;
    const movie = firstOf('movie');
    await timeline(owner, movie, 'stopped', Math.ceil(movie.durationMs! * 0.5));
    assert.equal((await metadataRow(movie.ratingKey)).viewCount, 1);
  });

  it('rejects bad timeline calls: 400 without client id or state, 404 for unknown items', async () => {
    const movie = firstOf('movie');
    const noClient = await call(emu.url, `/:/timeline?ratingKey=${movie.ratingKey}&state=stopped&time=1000&duration=5000`, { token: owner, method: 'POST' });
    assert.equal(noClient.status, 400);
    const queryClient = await call(emu.url, `/:/timeline/?ratingKey=${movie.ratingKey}&state=stopped&time=1000&duration=5000&X-Plex-Client-Identifier=c`, {
      token: owner,
    });
    assert.equal(queryClient.status, 200);
    assert.equal((await timeline(owner, movie, 'jumping', 1000)).status, 400);
    const unknown = { ...movie, ratingKey: '424242' };
    assert.equal((await timeline(owner, unknown, 'stopped', 1000)).status, 404);
  });

  it('ignores a timeline without a duration (PMS does not persist it)', async () => {
    const movie = firstOf('movie');
    const res = await call(emu.url, `/:/timeline?ratingKey=${movie.ratingKey}&state=stopped&time=5000&X-Plex-Client-Identifier=c`, {
      token: owner,
      method: 'POST',
    });
    assert.equal(res.status, 200);
    assert.equal((await metadataRow(movie.ratingKey)).viewOffset, undefined);
  });

  it('lists continue watching, most recent first', async () => {
    const [a, b] = itemsOf('movie');
    const episode = firstOf('episode');
    assert.ok(a && b);
    await timeline(alice, a, 'stopped', 100_000);
    clockMs += 1000_000;
    await timeline(alice, episode, 'stopped', 200_000);
    clockMs += 1000_000;
    await timeline(alice, b, 'stopped', 300_000);
    const items = (await get('/hubs/continueWatching/items', { token: alice })).json.MediaContainer.Metadata;
    assert.deepEqual(
      items.map((m: { ratingKey: string }) => m.ratingKey),
      [b.ratingKey, episode.ratingKey, a.ratingKey],
    );
    assert.equal(items[1].librarySectionID, 2);
    const hub = (await get('/hubs/continueWatching?count=2', { token: alice })).json.MediaContainer.Hub[0];
    assert.deepEqual([hub.hubIdentifier, hub.size, hub.more, hub.Metadata.length], ['home.continue', 2, true, 2]);
    assert.equal((await get('/hubs/continueWatching/items', { token: bob })).json.MediaContainer.size, 0);
  });
});

describe('/:/progress, /:/scrobble, /:/unscrobble', () => {
  it('/:/progress sets the offset verbatim for the owner, ignores 0, keeps the count', async () => {
    const movie = firstOf('movie');
    await call(emu.url, `/:/scrobble?key=${movie.ratingKey}&identifier=com.plexapp.plugins.library`, { token: owner, method: 'PUT' });
    const nearlyDone = movie.durationMs! - 1000;
    for (const method of ['GET', 'PUT', 'POST']) {
      const res = await call(emu.url, `/:/progress?key=${movie.ratingKey}&identifier=com.plexapp.plugins.library&time=${nearlyDone}&state=stopped`, {
        token: owner,
        method,
      });
      assert.equal(res.status, 200);
      assert.equal(res.text, '');
    }
    await call(emu.url, `/:/progress?key=${movie.ratingKey}&time=0&state=stopped`, { token: owner });
    const row = await metadataRow(movie.ratingKey);
    assert.deepEqual([row.viewOffset, row.viewCount], [nearlyDone, 1]);
  });

  it('/:/progress is owner-only (401 for managed/shared users)', async () => {
    const movie = firstOf('movie');
    const res = await call(emu.url, `/:/progress?key=${movie.ratingKey}&time=5000&state=stopped`, { token: alice });
    assert.equal(res.status, 401);
    assert.equal((await metadataRow(movie.ratingKey, alice)).viewOffset, undefined);
    assert.equal((await call(emu.url, '/:/progress?time=5000', { token: owner })).status, 400);
    assert.equal((await call(emu.url, '/:/progress?key=424242&time=5000', { token: owner })).status, 404);
  });

  it('scrobble marks played and clears the offset; unscrobble resets both', async () => {
    const movie = firstOf('movie');
    await timeline(alice, movie, 'stopped', 400_000);
    const scrobble = await call(emu.url, `/:/scrobble?key=${movie.ratingKey}&identifier=com.plexapp.plugins.library`, { token: alice, method: 'PUT' });
    assert.equal(scrobble.status, 200);
    let row = await metadataRow(movie.ratingKey, alice);
    assert.deepEqual([row.viewCount, row.viewOffset, row.lastViewedAt], [1, undefined, Math.floor(START_MS / 1000)]);
    await call(emu.url, `/:/scrobble?key=${movie.ratingKey}&identifier=com.plexapp.plugins.library`, { token: alice });
    assert.equal((await metadataRow(movie.ratingKey, alice)).viewCount, 2);
    await timeline(alice, movie, 'stopped', 400_000);
    await call(emu.url, `/:/unscrobble?key=${movie.ratingKey}&identifier=com.plexapp.plugins.library`, { token: alice, method: 'POST' });
    row = await metadataRow(movie.ratingKey, alice);
    assert.deepEqual([row.viewCount, row.viewOffset], [undefined, undefined]);
  });

  it('scrobbling a show marks all its episodes; uri= works too', async () => {
    const show = firstOf('show');
    await call(emu.url, `/:/scrobble?key=${show.ratingKey}&identifier=com.plexapp.plugins.library`, { token: owner });
    const showRow = await metadataRow(show.ratingKey);
    assert.deepEqual([showRow.leafCount, showRow.viewedLeafCount], [6, 6]);
    const movie = firstOf('movie');
    const uri = `server://${emu.machineIdentifier}/com.plexapp.plugins.library/library/metadata/${movie.ratingKey}`;
    const res = await call(emu.url, `/:/scrobble?uri=${encodeURIComponent(uri)}&identifier=com.plexapp.plugins.library`, { token: owner });
    assert.equal(res.status, 200);
    assert.equal((await metadataRow(movie.ratingKey)).viewCount, 1);
  });

  it('answers 400 without key/identifier and 404 for unknown items or providers', async () => {
    assert.equal((await call(emu.url, '/:/scrobble?key=1', { token: owner })).status, 400);
    assert.equal((await call(emu.url, '/:/scrobble?identifier=com.plexapp.plugins.library', { token: owner })).status, 400);
    assert.equal((await call(emu.url, '/:/unscrobble?key=424242&identifier=com.plexapp.plugins.library', { token: owner })).status, 404);
    const movie = firstOf('movie');
    assert.equal((await call(emu.url, `/:/scrobble?key=${movie.ratingKey}&identifier=tv.plex.provider.other`, { token: owner })).status, 404);
  });
});

describe('synthetic libraries', () => {
  it('hold the same catalogue under different native ids on differently named servers', async () => {
    const other = await startPlexEmulator({ name: 'cabin', synthetic: SPEC, seed: 'test', quiet: true });
    try {
      assert.notEqual(other.machineIdentifier, emu.machineIdentifier);
      assert.match(other.machineIdentifier, /^[0-9a-f]{40}$/);
      const catalogueView = (items: PlexItem[]) =>
        items.map((i) => `${i.type}|${i.title}|${i.year ?? ''}|${i.durationMs ?? ''}|${i.index ?? ''}|${i.parentIndex ?? ''}`).sort();
      assert.deepEqual(catalogueView(other.state.items), catalogueView(emu.state.items));
      const externalIds = (items: PlexItem[]) => items.flatMap((i) => i.guids).sort();
      const newAgentOnBoth = (items: PlexItem[]) => items.filter((i) => i.guids.length > 0);
      const shared = new Set(externalIds(newAgentOnBoth(emu.state.items)));
      assert.ok(externalIds(newAgentOnBoth(other.state.items)).filter((g) => shared.has(g)).length > 20);
      const keysHome = new Set(emu.state.items.map((i) => i.ratingKey));
      const byTitle = (items: PlexItem[], title: string) => items.find((i) => i.type === 'movie' && i.title === title)!;
      const homeMovie = itemsOf('movie')[0]!;
      assert.notEqual(byTitle(other.state.items, homeMovie.title).ratingKey, homeMovie.ratingKey);
      assert.ok(other.state.items.some((i) => !keysHome.has(i.ratingKey)));
    } finally {
      await other.close();
    }
  });

  it('mixes agents: mostly plex:// with Guid[], a few legacy agents without', async () => {
    const big = await startPlexEmulator({ name: 'big', synthetic: 'movies=400,shows=40,seasons=1,episodes=2', seed: 1, quiet: true });
    try {
      const movies = big.state.items.filter((i) => i.type === 'movie');
      const legacy = movies.filter((m) => m.guid.startsWith('com.plexapp.agents.'));
      assert.ok(legacy.length > 0 && legacy.length < movies.length * 0.1, `${legacy.length} legacy movies`);
      assert.ok(legacy.every((m) => m.guids.length === 0 && /^com\.plexapp\.agents\.(imdb:\/\/tt\d{7}|themoviedb:\/\/\d+)\?lang=en$/.test(m.guid)));
      assert.ok(movies.filter((m) => m.guid.startsWith('plex://movie/')).every((m) => /^plex:\/\/movie\/[0-9a-f]{24}$/.test(m.guid) && m.guids.length >= 2));
      const legacyEpisodes = big.state.items.filter((i) => i.type === 'episode' && i.guid.startsWith('com.plexapp.agents.thetvdb://'));
      assert.ok(legacyEpisodes.length > 0);
      for (const episode of legacyEpisodes) {
        assert.match(episode.guid, new RegExp(`/${episode.parentIndex}/${episode.index}\\?lang=en$`));
        const show = big.state.items.find((i) => i.ratingKey === episode.grandparentRatingKey)!;
        assert.equal(episode.guid.replace(/\/\d+\/\d+\?lang=en$/, '?lang=en'), show.guid);
      }
      assert.deepEqual(
        big.state.accounts.map((a) => [a.id, a.name, a.token, a.owner ?? false]),
        [
          [1, 'owner', 'owner-token-big', true],
          [2, 'alice', 'alice-token-big', false],
          [3, 'bob', 'bob-token-big', false],
        ],
      );
    } finally {
      await big.close();
    }
  });
});

describe('emulator control: state, request log, faults', () => {
  it('logs Plex requests (not /__emulator ones) and clears the log', async () => {
    await get('/library/sections?foo=bar');
    await call(emu.url, '/library/sections', { token: 'bad' });
    await call(emu.url, '/__emulator/state');
    const log = (await call(emu.url, '/__emulator/requests')).json;
    assert.equal(log.length, 2);
    assert.deepEqual(
      { method: log[0].method, path: log[0].path, foo: log[0].query.foo, status: log[0].status, at: log[0].at, accountId: log[0].accountId },
      { method: 'GET', path: '/library/sections', foo: 'bar', status: 200, at: START_MS, accountId: 1 },
    );
    assert.equal(log[1].status, 401);
    assert.equal(emu.requests.length, 2);
    assert.equal((await call(emu.url, '/__emulator/requests', { method: 'DELETE' })).status, 200);
    assert.equal(emu.requests.length, 0);
  });

  it('reads and replaces the whole state', async () => {
    const state = (await call(emu.url, '/__emulator/state')).json;
    state.friendlyName = 'renamed';
    state.items = state.items.filter((i: PlexItem) => i.type === 'movie').slice(0, 3);
    const put = await call(emu.url, '/__emulator/state', { method: 'PUT', body: JSON.stringify(state) });
    assert.equal(put.status, 200);
    assert.equal(emu.state.friendlyName, 'renamed');
    assert.equal((await get('/library/sections/1/all')).json.MediaContainer.size, 3);
    const bad = await call(emu.url, '/__emulator/state', { method: 'PUT', body: JSON.stringify({ ...state, items: [{ ratingKey: 1 }] }) });
    assert.equal(bad.status, 400);
    assert.match(bad.json.error, /items\[0\]/);
  });

  it('injects status faults a limited number of times, and logs them', async () => {
    await call(emu.url, '/__emulator/faults', { method: 'POST', body: JSON.stringify({ rules: [{ path: '/library/sections', status: 503, count: 2 }] }) });
    assert.equal((await get('/library/sections')).status, 503);
    assert.equal((await get('/library/sections/1/all')).status, 503);
    assert.equal((await get('/library/sections')).status, 200);
    assert.deepEqual(
      emu.requests.map((r) => [r.status, r.fault]),
      [
        [503, 'status'],
        [503, 'status'],
        [200, undefined],
      ],
    );
    const config = (await call(emu.url, '/__emulator/faults')).json;
    assert.equal(config.rules[0].count, 0);
  });

  it('matches rules by regex and method', async () => {
    await call(emu.url, '/__emulator/faults', {
      method: 'POST',
      body: JSON.stringify({ rules: [{ path: '^/:/(timeline|scrobble)$', method: 'post', status: 500 }] }),
    });
    const movie = firstOf('movie');
    assert.equal((await timeline(owner, movie, 'stopped', 1000)).status, 500);
    assert.equal((await call(emu.url, `/:/scrobble?key=${movie.ratingKey}&identifier=com.plexapp.plugins.library`, { token: owner })).status, 200);
  });

  it('resets connections', async () => {
    await call(emu.url, '/__emulator/faults', { method: 'POST', body: JSON.stringify({ rules: [{ path: '/identity', reset: true, count: 1 }] }) });
    await assert.rejects(call(emu.url, '/identity'));
    assert.equal((await call(emu.url, '/identity')).status, 200);
    assert.deepEqual(
      emu.requests.map((r) => [r.status, r.fault]),
      [
        [0, 'reset'],
        [200, undefined],
      ],
    );
  });

  it('truncates bodies', async () => {
    await call(emu.url, '/__emulator/faults', { method: 'POST', body: JSON.stringify({ rules: [{ path: '/library/sections/1/all', truncate: true }] }) });
    await assert.rejects(get('/library/sections/1/all'));
    assert.equal(emu.requests[0]?.fault, 'truncate');
  });

  it('answers 200 with HTML instead of JSON (nonJson)', async () => {
    await call(emu.url, '/__emulator/faults', { method: 'POST', body: JSON.stringify({ rules: [{ nonJson: true }] }) });
    const res = await get('/library/sections');
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-type'), 'text/html');
    assert.match(res.text, /^<html>/);
    await call(emu.url, '/__emulator/faults', { method: 'DELETE' });
    assert.equal((await get('/library/sections')).json.MediaContainer.size, 2);
  });

  it('adds latency', async () => {
    await call(emu.url, '/__emulator/faults', { method: 'POST', body: JSON.stringify({ latencyMs: 120 }) });
    const started = performance.now();
    assert.equal((await get('/identity')).status, 200);
    assert.ok(performance.now() - started >= 110);
  });

  it('rejects malformed fault configs', async () => {
    const res = await call(emu.url, '/__emulator/faults', { method: 'POST', body: JSON.stringify({ rules: [{ path: '/x' }] }) });
    assert.equal(res.status, 400);
    assert.match(res.json.error, /needs one of status, reset, truncate, nonJson/);
  });
});

describe('data files', () => {
  it('starts from a data file (as written by GET /__emulator/state) under a new name', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'plex-emulator-'));
    try {
      await timeline(alice, firstOf('movie'), 'stopped', 123_000);
      const file = join(dir, 'plex.json');
      await writeFile(file, (await call(emu.url, '/__emulator/state')).text);
      const copy = await startPlexEmulator({ dataFile: file, name: 'copy', quiet: true });
      try {
        assert.equal(copy.machineIdentifier, emu.machineIdentifier);
        assert.equal(copy.state.friendlyName, 'copy');
        assert.equal(
          (await call(copy.url, `/library/metadata/${firstOf('movie').ratingKey}`, { token: alice })).json.MediaContainer.Metadata[0].viewOffset,
          123_000,
        );
      } finally {
        await copy.close();
      }
      await writeFile(file, '{ not json');
      await assert.rejects(startPlexEmulator({ dataFile: file, quiet: true }), /is not valid JSON/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('data validation', () => {
  it('names the bad field of invalid data', async () => {
    await assert.rejects(
      startPlexEmulator({
        quiet: true,
        data: { machineIdentifier: 'm', friendlyName: 'f', accounts: [{ id: 1, name: 'o', token: 't' }], sections: [], items: [{ ratingKey: '1' }] } as never,
      }),
      /items\[0\]|items\.0/,
    );
    await assert.rejects(
      startPlexEmulator({
        quiet: true,
        data: {
          machineIdentifier: 'm',
          friendlyName: 'f',
          accounts: [{ id: 1, name: 'o', token: 't' }],
          sections: [],
          items: [{ ratingKey: '1', type: 'movie', sectionId: '9', title: 'x', guid: 'g', guids: [], addedAt: 1, updatedAt: 1 }],
        },
      }),
      /items\[0\]\.sectionId "9" is not a section key/,
    );
  });
});

it('a fault rule can target one item by its query parameters', async () => {
  const emu = await startPlexEmulator({ name: 'faults-by-query', quiet: true });
  try {
    const faults = await fetch(`${emu.url}/__emulator/faults`, {
      method: 'POST',
      body: JSON.stringify({ rules: [{ path: '/:/timeline', query: { ratingKey: '1' }, status: 500 }] }),
    });
    assert.equal(faults.status, 200);
    const call = (rk: string) =>
      fetch(`${emu.url}/:/timeline?ratingKey=${rk}&state=stopped&time=1&duration=10&X-Plex-Client-Identifier=t&X-Plex-Token=${emu.ownerToken}`, {
        method: 'POST',
      });
    assert.equal((await call('1')).status, 500);
    assert.notEqual((await call('2')).status, 500);
  } finally {
    await emu.close();
  }
});
