// The benchmark's request classification (bench/measure.ts): the finish reads of each kind are
// page reads told apart from the resumable read and the index scans, so `bench` can report them
// and count them in the no-change budget (pages + 2).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { countsAs, isFinishRead, routeFor } from '../../bench/measure.ts';
import type { EmulatorKind } from '../../bench/children.ts';
import { RESUMABLE, finishedSince } from '../../src/providers/plex/index.ts';

type Query = Record<string, string>;
const asQuery = (q: Record<string, string | number>): Query => Object.fromEntries(Object.entries(q).map(([k, v]) => [k, String(v)]));

function classify(kind: EmulatorKind, method: string, path: string, query: Query = {}): { route: string; counts: string; finish: boolean } {
  const route = routeFor(kind, { method, path, query, status: 200, at: 0 });
  return { route, counts: countsAs(kind, route), finish: isFinishRead(kind, route) };
}

describe('bench request routes: finish reads', () => {
  it('Plex: the lastViewedAt listing is a finish page; the resumable read and the index scan are not', () => {
    const finish = classify('plex', 'GET', '/library/sections/2/all', asQuery({ type: 4, ...finishedSince(Date.now() - 86_400_000).filter, includeGuids: 1 }));
    assert.deepEqual(finish, { route: 'GET /library/sections/{id}/all [lastViewedAt]', counts: 'page read', finish: true });
    const resumable = classify('plex', 'GET', '/library/sections/2/all', asQuery({ type: 4, ...RESUMABLE.filter, includeGuids: 1 }));
    assert.deepEqual(resumable, { route: 'GET /library/sections/{id}/all [viewOffset]', counts: 'page read', finish: false });
    assert.equal(classify('plex', 'GET', '/library/sections/1/all', { type: '1' }).finish, false);
    assert.equal(classify('plex', 'PUT', '/:/scrobble', { key: '7' }).counts, 'write');
  });

  for (const kind of ['jellyfin', 'emby'] as const) {
    it(`${kind}: the IsPlayed listing is a finish page; the items-by-id read is not`, () => {
      const path = kind === 'emby' ? '/emby/Users/0123456789abcdef0123456789abcdef/Items' : '/Items';
      const finish = classify(kind, 'GET', path, { IsPlayed: 'true', SortBy: 'DatePlayed', SortOrder: 'Descending', Recursive: 'true' });
      assert.equal(finish.counts, 'page read');
      assert.equal(finish.finish, true);
      assert.match(finish.route, /\[IsPlayed\]$/);
      // Items by id with IsPlayed (an item run's read of one finished item) is still an id read.
      const byId = classify(kind, 'GET', path, { Ids: 'a,b', IsPlayed: 'true' });
      assert.match(byId.route, /\[Ids\]$/);
      assert.equal(byId.finish, false);
      assert.equal(classify(kind, 'GET', path, { Filters: 'IsResumable' }).finish, false);
    });
  }

  it('Trakt: last_activities and history pages are finish pages; playback is a page but not a finish read', () => {
    assert.deepEqual(classify('trakt', 'GET', '/sync/last_activities'), { route: 'GET /sync/last_activities', counts: 'page read', finish: true });
    assert.deepEqual(classify('trakt', 'GET', '/sync/history/episodes', { start_at: '2026-12-01T00:00:00.000Z' }), {
      route: 'GET /sync/history/episodes',
      counts: 'page read',
      finish: true,
    });
    assert.equal(classify('trakt', 'GET', '/sync/history/shows/42').finish, true);
    assert.deepEqual(classify('trakt', 'GET', '/sync/playback/movies'), { route: 'GET /sync/playback/movies', counts: 'page read', finish: false });
    // Writing history is a write, not a read.
    assert.deepEqual(classify('trakt', 'POST', '/sync/history'), { route: 'POST /sync/history', counts: 'write', finish: false });
  });
});
