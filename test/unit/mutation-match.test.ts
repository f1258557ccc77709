// Match: records → items by key (canonical id key, else ref key), duplicates within one listing,
// and joining B's items under A's keys when the same item is known by different ids.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { itemsOf, joinKeys } from '../../src/core/match.ts';
import type { ProgressRecord } from '../../src/core/model.ts';
import type { SourceItem } from '../../src/core/pipeline.ts';

const AT = Date.UTC(2026, 7, 4, 12);

function movie(id: string, ids: ProgressRecord['ids'], over: Partial<ProgressRecord> = {}): ProgressRecord {
  return {
    type: 'movie',
    ids,
    title: 'Heat',
    ref: { provider: 'plex', server: 'srvA', id },
    progressMs: 1_200_000,
    durationMs: 6_000_000,
    progressAt: AT,
    watched: false,
    ...over,
  };
}

describe('itemsOf', () => {
  it('nothing listed: no items', () => {
    assert.equal(itemsOf([], 'srvB').size, 0);
  });
  it('an item with external ids is keyed by its canonical key and resolved, whatever server it came from', () => {
    const r = movie('1', { imdb: 'tt0000001', tmdb: '5' });
    assert.deepEqual([...itemsOf([r], 'elsewhere')], [['imdb:tt0000001', { key: 'imdb:tt0000001', record: r, resolution: 'resolved' }]]);
  });
  it('without external ids: keyed by its ref; resolved only against its own server', () => {
    const r = movie('42', {});
    assert.deepEqual([...itemsOf([r], 'srvA')], [['ref:plex:42', { key: 'ref:plex:42', record: r, resolution: 'resolved' }]]);
    assert.deepEqual([...itemsOf([r], 'srvB')], [['ref:plex:42', { key: 'ref:plex:42', record: r, resolution: 'missing_ids' }]]);
  });
  it('different items stay apart, in listing order', () => {
    const r1 = movie('1', { imdb: 'tt0000001' });
    const r2 = movie('2', { imdb: 'tt0000002' });
    const r3 = movie('3', {});
    assert.deepEqual([...itemsOf([r1, r2, r3], 'srvB').keys()], ['imdb:tt0000001', 'imdb:tt0000002', 'ref:plex:3']);
  });
  it('the same item listed twice keeps the newer record, in either order', () => {
    const older = movie('1', { imdb: 'tt0000001' }, { progressMs: 3_000_000, progressAt: AT - 60_000 });
    const newer = movie('2', { imdb: 'tt0000001' }, { progressMs: 600_000, progressAt: AT });
    for (const list of [
      [older, newer],
      [newer, older],
    ]) {
      const got = itemsOf(list, 'srvB');
      assert.equal(got.size, 1);
      assert.equal(got.get('imdb:tt0000001')?.record, newer);
    }
  });
  it('three listings of one item: the newest of all wins wherever it is', () => {
    const rs = [AT - 2, AT, AT - 1].map((t, i) => movie(String(i), { imdb: 'tt0000001' }, { progressAt: t }));
    for (const order of [rs, [...rs].reverse()]) assert.equal(itemsOf(order, 'srvB').get('imdb:tt0000001')?.record.progressAt, AT);
  });
});

const item = (key: string, record: ProgressRecord): SourceItem => ({ key, record, resolution: 'resolved' });
const byKey = (...xs: SourceItem[]) => new Map(xs.map((x) => [x.key, x]));

describe('joinKeys', () => {
  it('a B item under a key A also has stays as it is (no alias)', () => {
    const b = item('imdb:tt0000001', movie('b1', { imdb: 'tt0000001', tmdb: '5' }));
    const a = item('imdb:tt0000001', movie('a1', { imdb: 'tt0000001' }));
    // Even when another A item shares one of its tokens.
    const a2 = item('tmdb:5', movie('a2', { tmdb: '5' }));
    assert.deepEqual([...joinKeys(byKey(a, a2), byKey(b))], [['imdb:tt0000001', b]]);
  });
  it("a B item known by another id is put under A's key, its own key kept as the alias", () => {
    const a = item('imdb:tt0000001', movie('a1', { imdb: 'tt0000001', tmdb: '5' }));
    const b = item('tmdb:5', movie('b1', { tmdb: '5' }));
    assert.deepEqual([...joinKeys(byKey(a), byKey(b))], [['imdb:tt0000001', { ...b, key: 'imdb:tt0000001', aliasKey: 'tmdb:5' }]]);
  });
  it('no shared token: B keeps its own key', () => {
    const a = item('imdb:tt0000001', movie('a1', { imdb: 'tt0000001' }));
    const b = item('tmdb:5', movie('b1', { tmdb: '5' }));
    assert.deepEqual([...joinKeys(byKey(a), byKey(b))], [['tmdb:5', b]]);
  });
  it("an A key that B holds itself is not taken: B's item under it stays, the other keeps its own key", () => {
    // A knows the film under imdb (with tmdb 5). B lists it twice: once by imdb, once by tmdb only.
    const a = item('imdb:tt0000001', movie('a1', { imdb: 'tt0000001', tmdb: '5' }));
    const bImdb = item('imdb:tt0000001', movie('b1', { imdb: 'tt0000001' }));
    const bTmdb = item('tmdb:5', movie('b2', { tmdb: '5' }));
    assert.deepEqual(
      [...joinKeys(byKey(a), byKey(bImdb, bTmdb))],
      [
        ['imdb:tt0000001', bImdb],
        ['tmdb:5', bTmdb],
      ],
    );
  });
  it('a later token is tried when the first leads to a key B already holds', () => {
    // B's item has imdb 2 and tmdb 5: its imdb token meets A's imdb:tt0000002, which B also
    // lists on its own; its tmdb token meets A's tmdb:5, free.
    const aTaken = item('imdb:tt0000002', movie('a1', { imdb: 'tt0000002' }));
    const aFree = item('tmdb:5', movie('a2', { tmdb: '5' }));
    const bOwn = item('imdb:tt0000002', movie('b0', { imdb: 'tt0000002' }));
    const b = item('tvdb:9', movie('b1', { imdb: 'tt0000002', tmdb: '5' }));
    const got = joinKeys(byKey(aTaken, aFree), byKey(bOwn, b));
    assert.deepEqual(got.get('tmdb:5'), { ...b, key: 'tmdb:5', aliasKey: 'tvdb:9' });
    assert.equal(got.get('imdb:tt0000002'), bOwn);
    assert.equal(got.size, 2);
  });
  it('tokens A does not know are passed over', () => {
    // B's imdb token meets nothing on A; its tmdb token meets A's item.
    const a = item('tmdb:5', movie('a1', { tmdb: '5' }));
    const b = item('imdb:tt0000003', movie('b1', { imdb: 'tt0000003', tmdb: '5' }));
    assert.deepEqual([...joinKeys(byKey(a), byKey(b))], [['tmdb:5', { ...b, key: 'tmdb:5', aliasKey: 'imdb:tt0000003' }]]);
  });
  it('episodes join through show coordinates', () => {
    const ep = (id: string, ids: ProgressRecord['ids']): ProgressRecord => ({
      ...movie(id, {}),
      type: 'episode',
      title: 'Pilot',
      show: { ids },
      season: 1,
      episode: 2,
    });
    const a = item('tvdb:7#s01e02', ep('a1', { tvdb: '7', tmdb: '8' }));
    const b = item('tmdb:8#s01e02', ep('b1', { tmdb: '8' }));
    assert.deepEqual([...joinKeys(byKey(a), byKey(b)).keys()], ['tvdb:7#s01e02']);
  });
  it('A items are not part of the result', () => {
    const a = item('imdb:tt0000001', movie('a1', { imdb: 'tt0000001' }));
    assert.equal(joinKeys(byKey(a), new Map()).size, 0);
  });
});
