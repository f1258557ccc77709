// Issue 11 point 3: a peer's progress job end to end. bench/peer.ts does, over raw HTTP, what a
// sync tool built on python-plexapi does for a Plex → Plex progress job (read the resumable items,
// find each on the target by its own guid, through the show, through a guid index of
// includeGuids=1 listings, through /hubs/search, then write with /:/timeline). Two emulators share
// the catalogue (same synthetic spec and seed) but not their ratingKeys or their legacy-agent
// picks (different names), as two real servers would.
//
// Every check reads the emulators' own state: positions are compared per identity (title and
// year, show + season + episode), never per ratingKey, which differs between the servers. The
// step that found each item is checked against what the two servers' guids imply, so a job that
// "found" everything by a looser step than it should have would fail too.
//
// The Jellyfin variants (Plex → Jellyfin, Jellyfin → Plex) of the same sequential strategy, which
// the benchmark compares with Playhead, run against the Jellyfin emulator at the end.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { runPeerJob, runPlexPeerJob, type PeerJobResult } from '../../bench/peer.ts';
import type { MbItem, MbUserData } from '../../emulators/mediabrowser/data.ts';
import { startMediaBrowserEmulator, type RunningMediaBrowserEmulator } from '../../emulators/mediabrowser/server.ts';
import type { PlexItem } from '../../emulators/plex/data.ts';
import { startPlexEmulator, type RunningPlexEmulator } from '../../emulators/plex/server.ts';

const SYNTHETIC = 'movies=120,shows=40,seasons=2,episodes=3';
const SEED = 'peer-progress';
const OWNER = '1';

const isLegacy = (guid: string) => !guid.startsWith('plex://');

/** What names an item on every server: kind, title/year or show title/year + season/episode. */
function plexIdentity(server: RunningPlexEmulator, item: PlexItem): string | undefined {
  if (item.type === 'movie') return `movie|${item.title}|${item.year}`;
  if (item.type !== 'episode') return undefined;
  const show = server.state.items.find((i) => i.ratingKey === item.grandparentRatingKey);
  return `episode|${show?.title}|${show?.year}|${item.parentIndex}|${item.index}`;
}

function byIdentity(server: RunningPlexEmulator): Map<string, PlexItem> {
  const map = new Map<string, PlexItem>();
  for (const item of server.state.items) {
    const id = plexIdentity(server, item);
    if (id !== undefined) map.set(id, item);
  }
  return map;
}

/** Identity → viewOffset of every item the owner has a position on. */
function plexPositions(server: RunningPlexEmulator): Map<string, number> {
  const out = new Map<string, number>();
  const states = server.state.userState[OWNER] ?? {};
  for (const item of server.state.items) {
    const offset = states[item.ratingKey]?.viewOffset;
    const id = plexIdentity(server, item);
    if (offset && id !== undefined) out.set(id, offset);
  }
  return out;
}

/** A position between 10 % and 80 % of the item, below every played threshold. */
function positionFor(durationMs: number, n: number): number {
  return Math.round(durationMs * (0.1 + ((n * 37) % 70) / 100));
}

function assertEveryItemCopied(result: PeerJobResult, expected: Map<string, number>, actual: Map<string, number>): void {
  assert.deepEqual(result.notFound, []);
  assert.deepEqual(result.failedWrites, []);
  assert.equal(result.items, expected.size);
  assert.equal(result.found, expected.size);
  assert.equal(result.written, expected.size);
  assert.deepEqual(new Map([...actual].sort()), new Map([...expected].sort()));
}

describe('peer progress job, Plex → Plex (issue 11 point 3)', () => {
  let source: RunningPlexEmulator;
  let target: RunningPlexEmulator;
  let result: PeerJobResult;
  /** Identity → the step the servers' guids say must find it. */
  const expectedStep = new Map<string, string>();
  const personal = new Set<string>();

  before(async () => {
    source = await startPlexEmulator({ name: 'peer-source', synthetic: SYNTHETIC, seed: SEED, port: 0, quiet: true });
    target = await startPlexEmulator({ name: 'peer-target', synthetic: SYNTHETIC, seed: SEED, port: 0, quiet: true });

    // Two home videos (the "Personal Media" agent): a guid each server makes up, no external ids.
    // Only a title search can pair them. The arrays are replaced so the emulators re-index.
    const movies = source.state.items.filter((i) => i.type === 'movie' && !isLegacy(i.guid));
    const homeVideos = new Set([movies[3]!.title, movies[7]!.title]);
    for (const server of [source, target]) {
      server.state.items = server.state.items.map((i) =>
        i.type === 'movie' && homeVideos.has(i.title)
          ? { ...i, guid: `com.plexapp.agents.none://${server.machineIdentifier}${i.ratingKey}?lang=xn`, guids: [] }
          : i,
      );
    }

    // Resume positions on the source: every fourth movie, every legacy item on either side, the
    // home videos, and one or two episodes of every show.
    const targetItems = byIdentity(target);
    const states: Record<string, { viewOffset: number; lastViewedAt: number }> = {};
    let n = 0;
    for (const item of source.state.items) {
      if (item.type !== 'movie' && item.type !== 'episode') continue;
      const id = plexIdentity(source, item)!;
      const twin = targetItems.get(id);
      assert.ok(twin, `the target holds ${id}`);
      const show = item.type === 'episode' ? source.state.items.find((i) => i.ratingKey === item.grandparentRatingKey) : undefined;
      const twinShow = item.type === 'episode' ? target.state.items.find((i) => i.ratingKey === twin.grandparentRatingKey) : undefined;
      const legacy = isLegacy(item.guid) || isLegacy(twin.guid) || (show && isLegacy(show.guid)) || (twinShow && isLegacy(twinShow.guid));
      const movieIndex = source.state.items.indexOf(item);
      const picked =
        legacy ||
        (item.type === 'movie' && (homeVideos.has(item.title) || movieIndex % 4 === 0)) ||
        (item.type === 'episode' && item.index === (item.parentIndex === 1 ? 2 : 3) && movieIndex % 3 !== 0);
      if (!picked) continue;
      states[item.ratingKey] = { viewOffset: positionFor(item.durationMs!, n++), lastViewedAt: 1_765_000_000 + n * 60 };
      if (item.type === 'movie' && homeVideos.has(item.title)) {
        personal.add(id);
        expectedStep.set(id, 'search');
      } else {
        // The same guid on both servers is found by guid=; otherwise the external ids in the guid
        // index pair the movie, or the show (then its episode by number).
        expectedStep.set(id, item.guid === twin.guid ? 'guid' : 'index');
      }
    }
    source.state.userState[OWNER] = states;

    // One episode the target matched to another plex:// episode id (as after a show is
    // re-matched to another episode order): its own guid misses, its show's guid still pairs it.
    const rematched = [...expectedStep].find(([id, step]) => id.startsWith('episode|') && step === 'guid')![0];
    const rematchedKey = targetItems.get(rematched)!.ratingKey;
    target.state.items = target.state.items.map((i) =>
      i.ratingKey === rematchedKey ? { ...i, guid: 'plex://episode/5f0c1a2b3c4d5e6f7a8b9c0d', guids: [] } : i,
    );
    expectedStep.set(rematched, 'show-guid');

    result = await runPlexPeerJob({
      source: { url: source.url, token: source.ownerToken },
      target: { url: target.url, token: target.ownerToken },
    });
  });

  after(async () => {
    await source?.close();
    await target?.close();
  });

  it('covers plex:// and legacy-agent items, movies and episodes, on both sides', () => {
    const targetItems = byIdentity(target);
    const picked = [...plexPositions(source).keys()].map((id) => ({ id, src: byIdentity(source).get(id)!, dst: targetItems.get(id)! }));
    assert.ok(
      picked.some((p) => p.src.type === 'movie' && isLegacy(p.src.guid) && !personal.has(p.id)),
      'a legacy movie on the source',
    );
    assert.ok(
      picked.some((p) => p.dst.type === 'movie' && isLegacy(p.dst.guid) && !personal.has(p.id)),
      'a legacy movie on the target',
    );
    assert.ok(
      picked.some((p) => p.src.type === 'episode' && isLegacy(p.src.guid)),
      'an episode of a legacy show on the source',
    );
    assert.ok(
      picked.some((p) => p.dst.type === 'episode' && isLegacy(p.dst.guid)),
      'an episode of a legacy show on the target',
    );
    assert.ok(picked.filter((p) => p.src.type === 'episode' && !isLegacy(p.src.guid)).length >= 10, 'plex:// episodes');
    assert.equal(personal.size, 2);
  });

  it('finds and writes every resumable item, at the source position', () => {
    assertEveryItemCopied(result, plexPositions(source), plexPositions(target));
  });

  it('finds each item by the step its guids call for', () => {
    const steps = new Map(result.matches.map((m) => [m.item, m.step]));
    const targetItems = byIdentity(target);
    for (const [id, step] of expectedStep) {
      const [kind, title, year, season, episode] = id.split('|');
      const name = kind === 'movie' ? `${title} (${year})` : `${title} (${year}) S${season!.padStart(2, '0')}E${episode!.padStart(2, '0')}`;
      assert.equal(steps.get(name), step, `${name} (target guid ${targetItems.get(id)?.guid})`);
    }
    assert.equal(result.foundBy.guid + result.foundBy['show-guid'] + result.foundBy.index + result.foundBy.search, result.found);
    assert.ok(result.foundBy.guid > result.foundBy.index, 'most items share their plex:// guid');
  });

  it('writes with /:/timeline and counts every request both servers saw', () => {
    const writes = target.requests.filter((r) => r.path === '/:/timeline');
    assert.equal(writes.length, result.written);
    assert.ok(writes.every((r) => r.status === 200 && r.query.state === 'stopped'));
    assert.equal(source.requests.filter((r) => r.method !== 'GET').length, 0, 'the source is only read');
    assert.equal(result.requests, source.requests.length + target.requests.length);
  });
});

// ---- Jellyfin variants ------------------------------------------------------------------------

function jfIdentity(server: RunningMediaBrowserEmulator, item: MbItem): string | undefined {
  if (item.Type === 'Movie') return `movie|${item.Name}|${item.ProductionYear}`;
  if (item.Type !== 'Episode') return undefined;
  const series = server.state.items.find((i) => i.Id === item.SeriesId);
  return `episode|${series?.Name}|${series?.ProductionYear}|${item.ParentIndexNumber}|${item.IndexNumber}`;
}

function jfPositions(server: RunningMediaBrowserEmulator, userId: string): Map<string, number> {
  const out = new Map<string, number>();
  const data = server.state.userData[userId] ?? {};
  for (const item of server.state.items) {
    const ticks = data[item.Id]?.PlaybackPositionTicks;
    const id = jfIdentity(server, item);
    if (ticks && id !== undefined) out.set(id, ticks / 10_000);
  }
  return out;
}

describe('peer progress job, Jellyfin variants', () => {
  const SMALL = 'movies=60,shows=10,seasons=2,episodes=3';
  let plex: RunningPlexEmulator;
  let jf: RunningMediaBrowserEmulator;
  let alice: { id: string; token: string };

  before(async () => {
    plex = await startPlexEmulator({ name: 'peer-plex', synthetic: SMALL, seed: SEED, port: 0, quiet: true });
    jf = await startMediaBrowserEmulator({ dialect: 'jellyfin', name: 'peer-jelly', synthetic: SMALL, seed: SEED, port: 0, quiet: true });
    alice = jf.users.find((u) => u.name === 'alice')!;
  });

  after(async () => {
    await plex?.close();
    await jf?.close();
  });

  it('Plex → Jellyfin: one search and one UserData write per item', async () => {
    const states: Record<string, { viewOffset: number; lastViewedAt: number }> = {};
    plex.state.items.forEach((item, n) => {
      if ((item.type === 'movie' && n % 3 === 0) || (item.type === 'episode' && n % 4 === 0)) {
        states[item.ratingKey] = { viewOffset: positionFor(item.durationMs!, n), lastViewedAt: 1_765_000_000 + n };
      }
    });
    plex.state.userState[OWNER] = states;
    const result = await runPeerJob({
      source: { kind: 'plex', url: plex.url, token: plex.ownerToken },
      target: { kind: 'jellyfin', url: jf.url, token: alice.token },
    });
    const expected = plexPositions(plex);
    assert.ok(expected.size >= 20);
    assertEveryItemCopied(result, expected, jfPositions(jf, alice.id));
    const writes = jf.requests.filter((r) => r.method === 'POST' && /\/UserItems\/[0-9a-f]{32}\/UserData$/.test(r.path));
    assert.equal(writes.length, result.written);
    // One search per movie and per show (a series found once serves its other episodes).
    const searches = jf.requests.filter((r) => r.query.searchTerm !== undefined);
    const movies = [...expected.keys()].filter((id) => id.startsWith('movie|')).length;
    const shows = new Set([...expected.keys()].filter((id) => id.startsWith('episode|')).map((id) => id.split('|').slice(1, 3).join('|'))).size;
    assert.equal(searches.length, movies + shows);
    assert.ok(searches.every((r) => r.status === 200));
  });

  it('Jellyfin → Plex: every resumable Jellyfin item lands on Plex', async () => {
    const data: Record<string, MbUserData> = {};
    jf.state.items.forEach((item, n) => {
      if ((item.Type === 'Movie' && n % 3 === 1) || (item.Type === 'Episode' && n % 4 === 1)) {
        data[item.Id] = {
          PlaybackPositionTicks: positionFor(item.RunTimeTicks! / 10_000, n) * 10_000,
          PlayCount: 0,
          Played: false,
          IsFavorite: false,
          LastPlayedDate: '2026-12-01T10:00:00.0000000Z',
        };
      }
    });
    jf.state.userData[alice.id] = data;
    plex.state.userState[OWNER] = {};
    const result = await runPeerJob({
      source: { kind: 'jellyfin', url: jf.url, token: alice.token, userId: alice.id },
      target: { kind: 'plex', url: plex.url, token: plex.ownerToken },
    });
    const expected = jfPositions(jf, alice.id);
    assert.ok(expected.size >= 20);
    assertEveryItemCopied(result, expected, plexPositions(plex));
  });
});
