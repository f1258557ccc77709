// The Plex provider's finished reads (issue 14) over real HTTP against the Plex emulator:
// listFinished(since) is filtered by the server (`unwatched=0&viewOffset=0&lastViewedAt>>=`),
// paged, scoped to the configured libraries, and costs one empty page per section when nothing
// finished; readFinished reads by id whatever the time; markUnwatched undoes markWatched.
import { after, before, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { pino } from 'pino';
import type { ProgressRecord } from '../../src/core/model.ts';
import type { ProviderConfig } from '../../src/config/types.ts';
import { RESUME_PAGE_SIZE } from '../../src/providers/plex/index.ts';
import type { Provider } from '../../src/providers/provider.ts';
import { createProvider } from '../../src/providers/registry.ts';
import { Store } from '../../src/store/store.ts';
import type { PlexItem, PlexUserItemState } from '../../emulators/plex/data.ts';
import { startPlexEmulator, type RunningPlexEmulator } from '../../emulators/plex/server.ts';

const log = pino({ level: 'silent' });
/** More finished movies than two pages hold, so a listing takes three. */
const MOVIES = 2 * RESUME_PAGE_SIZE + 50;
const NOW_S = 1_790_000_000;
const HOUR = 3600;

let emu: RunningPlexEmulator;
let clockMs = NOW_S * 1000;

const items = (type: PlexItem['type']) => emu.state.items.filter((i) => i.type === type);
const owner = (): Record<string, PlexUserItemState> => (emu.state.userState['1'] ??= {});
const setState = (item: PlexItem, state: PlexUserItemState): void => {
  owner()[item.ratingKey] = state;
};

function provider(extra: Partial<ProviderConfig> = {}): Provider {
  const config = { kind: 'plex', url: emu.url, token: emu.ownerToken, timeoutMs: 5000, retries: 0, maxConcurrentWrites: 2, ...extra } as ProviderConfig;
  const store = Store.open(':memory:');
  return createProvider('plex-test', config, { state: store.providerState('plex-test'), installationId: 'test', log, now: () => clockMs, dryRun: false });
}

async function finished(p: Provider, sinceMs: number): Promise<ProgressRecord[]> {
  assert.ok(p.listFinished, 'Plex lists finished items');
  const out: ProgressRecord[] = [];
  for await (const page of p.listFinished(sinceMs)) out.push(...page);
  return out;
}

async function progress(p: Provider): Promise<ProgressRecord[]> {
  const out: ProgressRecord[] = [];
  for await (const page of p.listProgress()) out.push(...page);
  return out;
}

/** Requests to a path since the log was last cleared (connect's own requests excluded). */
const requestsTo = (prefix: string) => emu.requests.filter((r) => r.path.startsWith(prefix));
const ids = (records: ProgressRecord[]) => records.map((r) => r.ref.id).sort();
const keys = (list: PlexItem[]) => list.map((i) => i.ratingKey).sort();

before(async () => {
  emu = await startPlexEmulator({
    name: 'finished',
    synthetic: `movies=${MOVIES + 20},shows=2,seasons=2,episodes=4`,
    seed: 'fin',
    quiet: true,
    now: () => clockMs,
  });
});
after(async () => {
  await emu.close();
});
beforeEach(() => {
  emu.state.userState = {};
  clockMs = NOW_S * 1000;
});

describe('Plex listFinished', () => {
  test('lists exactly the items finished at or after `since`, as watched records with watchedAt', async () => {
    const [old, atSince, recent, inProgress, rewatching, unscrobbled, otherUser] = items('movie');
    assert.ok(old && atSince && recent && inProgress && rewatching && unscrobbled && otherUser);
    const since = NOW_S - 2 * HOUR;
    setState(old, { viewCount: 1, lastViewedAt: since - 1 });
    setState(atSince, { viewCount: 2, lastViewedAt: since });
    setState(recent, { viewCount: 1, lastViewedAt: NOW_S - 60 });
    setState(inProgress, { viewOffset: 600_000, lastViewedAt: NOW_S - 60 });
    // Watched before and started again: progress, not a finish.
    setState(rewatching, { viewCount: 1, viewOffset: 300_000, lastViewedAt: NOW_S - 60 });
    // Marked unwatched after a finish: the server may keep the time, but the item is not watched.
    setState(unscrobbled, { lastViewedAt: NOW_S - 60 });
    emu.state.userState['2'] = { [otherUser.ratingKey]: { viewCount: 1, lastViewedAt: NOW_S - 60 } };

    const p = provider();
    const got = await finished(p, since * 1000);
    assert.deepEqual(ids(got), keys([atSince, recent]));
    for (const record of got) {
      const state = owner()[record.ref.id]!;
      assert.equal(record.watched, true);
      assert.equal(record.playCount, state.viewCount);
      assert.equal(record.watchedAt, state.lastViewedAt! * 1000);
      assert.equal(record.progressMs, undefined);
      assert.equal(record.libraryId, '1');
      assert.equal(record.type, 'movie');
    }
    // A `since` inside a second keeps the finishes of that second (`>>=` is "after").
    assert.deepEqual(ids(await finished(p, since * 1000 + 500)), keys([recent]));
    assert.deepEqual(ids(await finished(p, (NOW_S - 59) * 1000)), []);
    // From the beginning of time: every finish, none of the rest.
    assert.deepEqual(ids(await finished(p, 0)), keys([old, atSince, recent]));
    assert.equal(emu.requests.at(-1)?.query['lastViewedAt>>'], '0');
    await p.close();
  });

  test('asks the server to filter: one listing per section with the finished query, nothing else', async () => {
    const p = provider();
    await p.connect();
    emu.requests.length = 0;
    const since = (NOW_S - HOUR) * 1000;
    assert.deepEqual(await finished(p, since), []);
    const listings = requestsTo('/library/sections/');
    assert.deepEqual(listings.map((r) => r.path).sort(), ['/library/sections/1/all', '/library/sections/2/all']);
    for (const r of listings) {
      assert.equal(r.query.unwatched, '0');
      assert.equal(r.query.viewOffset, '0');
      assert.equal(r.query['lastViewedAt>>'], String(NOW_S - HOUR - 1));
      assert.equal(r.query.includeGuids, '1');
    }
    assert.equal(emu.requests.length, 2, 'a run with nothing finished costs one page per section');
    await p.close();
  });

  test('pages through several pages of finishes, each row once, one request per page', async () => {
    const movies = items('movie').slice(0, MOVIES);
    for (const [i, m] of movies.entries()) setState(m, { viewCount: 1, lastViewedAt: NOW_S - 1000 + (i % 500) });
    const p = provider();
    await p.connect();
    emu.requests.length = 0;
    const got = await finished(p, (NOW_S - HOUR) * 1000);
    assert.equal(got.length, MOVIES);
    assert.deepEqual(ids(got), keys(movies));
    assert.equal(requestsTo('/library/sections/1/all').length, Math.ceil(MOVIES / RESUME_PAGE_SIZE));
    assert.equal(requestsTo('/library/sections/2/all').length, 1);
    assert.equal(requestsTo('/library/metadata').length, 0, 'movies need no other read');

    // Nothing new since the last read: one (empty) page per section.
    emu.requests.length = 0;
    assert.deepEqual(await finished(p, clockMs), []);
    assert.equal(emu.requests.length, 2);
    await p.close();
  });

  test('reads only the configured libraries', async () => {
    const [movie] = items('movie');
    const [episode] = items('episode');
    setState(movie!, { viewCount: 1, lastViewedAt: NOW_S - 10 });
    setState(episode!, { viewCount: 1, lastViewedAt: NOW_S - 10 });
    const p = provider({ libraries: ['2'] } as Partial<ProviderConfig>);
    await p.connect();
    emu.requests.length = 0;
    assert.deepEqual(ids(await finished(p, (NOW_S - HOUR) * 1000)), [episode!.ratingKey]);
    assert.equal(requestsTo('/library/sections/1/').length, 0);
    await p.close();
  });

  test('episodes carry their show ids and numbers exactly as listProgress gives them', async () => {
    const episode = items('episode').find((e) => e.guids.length > 0)!;
    const p = provider();
    setState(episode, { viewOffset: 120_000, lastViewedAt: NOW_S - 100 });
    const asProgress = (await progress(p)).find((r) => r.ref.id === episode.ratingKey);
    assert.ok(asProgress?.show, 'listProgress gives the episode with its show');
    assert.ok(Object.keys(asProgress.show.ids).length > 0, 'the show has external ids');

    setState(episode, { viewCount: 1, lastViewedAt: NOW_S - 50 });
    const [asFinished] = await finished(p, (NOW_S - HOUR) * 1000);
    assert.ok(asFinished);
    assert.equal(asFinished.ref.id, episode.ratingKey);
    assert.deepEqual(asFinished.show, asProgress.show);
    assert.deepEqual(asFinished.ids, asProgress.ids);
    assert.equal(asFinished.season, asProgress.season);
    assert.equal(asFinished.episode, asProgress.episode);
    assert.equal(asFinished.libraryId, '2');
    assert.equal(asFinished.watchedAt, (NOW_S - 50) * 1000);
    await p.close();
  });
});

describe('Plex readFinished, markWatched and markUnwatched', () => {
  test('reads finished items by id whatever their time, in one batch, leaving out the rest', async () => {
    const [longAgo, inProgress, never] = items('movie');
    const episode = items('episode')[1]!;
    setState(longAgo!, { viewCount: 3, lastViewedAt: NOW_S - 400 * 24 * HOUR });
    setState(inProgress!, { viewOffset: 60_000, lastViewedAt: NOW_S });
    setState(episode, { viewCount: 1, lastViewedAt: NOW_S - 5 });
    const p = provider();
    assert.ok(p.readFinished);
    await p.connect();
    emu.requests.length = 0;
    const got = await p.readFinished([longAgo!.ratingKey, inProgress!.ratingKey, never!.ratingKey, episode.ratingKey, '987654321']);
    assert.deepEqual(ids(got), keys([longAgo!, episode]));
    assert.equal(got.find((r) => r.ref.id === longAgo!.ratingKey)?.watchedAt, (NOW_S - 400 * 24 * HOUR) * 1000);
    const ep = got.find((r) => r.ref.id === episode.ratingKey);
    assert.ok(ep?.show && Object.keys(ep.show.ids).length > 0, 'the episode has its show ids');
    // One read of the items, one of the episode's show.
    assert.equal(requestsTo('/library/metadata/').length, 2);
    assert.equal(requestsTo('/library/sections/').length, 0);
    assert.deepEqual(await p.readFinished([]), []);
    await p.close();
  });

  test('markWatched finishes an item at the server time; markUnwatched takes it out of the finished reads', async () => {
    const movie = items('movie')[5]!;
    setState(movie, { viewOffset: 1_200_000, lastViewedAt: NOW_S - HOUR });
    const p = provider();
    const { serverId } = await p.connect();
    const ref = { provider: 'plex-test', server: serverId, id: movie.ratingKey };
    const since = (NOW_S - 60) * 1000;
    assert.deepEqual(await finished(p, since), []);

    assert.ok(p.markWatched && p.markUnwatched);
    await p.markWatched(ref);
    const [record] = await finished(p, since);
    assert.equal(record?.ref.id, movie.ratingKey);
    assert.equal(record?.watchedAt, NOW_S * 1000);
    assert.equal(record?.progressMs, undefined, 'the position is gone once watched');
    assert.equal((await p.readFinished!([movie.ratingKey])).length, 1);

    await p.markUnwatched(ref);
    assert.equal(owner()[movie.ratingKey]?.viewCount, undefined);
    assert.deepEqual(await finished(p, since), []);
    assert.deepEqual(await p.readFinished!([movie.ratingKey]), []);
    assert.ok(requestsTo('/:/unscrobble').some((r) => r.query.key === movie.ratingKey));
    // Another server's ref is refused before anything is sent.
    await assert.rejects(p.markUnwatched({ ...ref, server: 'elsewhere' }), /refusing/);
    await p.close();
  });

  test('a stop past the played threshold is a finish; a stop before it is not', async () => {
    const [done, stopped] = items('movie').filter((m) => m.durationMs);
    const report = async (item: PlexItem, fraction: number) => {
      const time = Math.round(item.durationMs! * fraction);
      const url = `${emu.url}/:/timeline?ratingKey=${item.ratingKey}&key=/library/metadata/${item.ratingKey}&state=stopped&time=${time}&duration=${item.durationMs}`;
      const res = await fetch(url, { method: 'POST', headers: { 'X-Plex-Token': emu.ownerToken, 'X-Plex-Client-Identifier': 'tv' } });
      assert.equal(res.status, 200);
    };
    await report(done!, 0.95);
    await report(stopped!, 0.5);
    const p = provider();
    const got = await finished(p, (NOW_S - 60) * 1000);
    assert.deepEqual(ids(got), [done!.ratingKey]);
    assert.equal(got[0]?.watchedAt, NOW_S * 1000);
    await p.close();
  });
});
