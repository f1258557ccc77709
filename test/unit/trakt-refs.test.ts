// A Trakt ref's id is the item's canonical key: any provider instance reads the item back from it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { canonicalKey } from '../../src/core/ids.ts';
import type { ItemIdentity } from '../../src/core/model.ts';
import { identityOfRef, scrobbleBody } from '../../src/providers/trakt/write.ts';

const items: ItemIdentity[] = [
  { type: 'movie', ids: { imdb: 'tt0111161', tmdb: '278' }, title: 'The Shawshank Redemption' },
  { type: 'movie', ids: { tmdb: '550' }, title: 'Fight Club' },
  { type: 'movie', ids: { tvdb: '123' }, title: 'Only tvdb' },
  { type: 'episode', ids: { imdb: 'tt0959621' }, title: 'Pilot', show: { ids: { tvdb: '81189' } }, season: 1, episode: 2 },
  { type: 'episode', ids: { tmdb: '62085' }, title: 'Pilot', show: { ids: {} } },
  { type: 'episode', ids: { imdb: 'tt0959621' }, title: 'Pilot', show: { ids: { imdb: 'tt0903747' } }, season: 0, episode: 12 },
];

test('an item key names the same item again: same key, and Trakt can be told which item it is', () => {
  for (const item of items) {
    const key = canonicalKey(item);
    assert.ok(key, item.title);
    const named = identityOfRef(key);
    assert.ok(named, key);
    assert.equal(named.type, item.type, key);
    assert.equal(canonicalKey(named), key);
    assert.ok(scrobbleBody(named, 50), key);
  }
});

test('an episode key gives the show ids and numbers; a movie body carries no made-up title', () => {
  assert.deepEqual(scrobbleBody(identityOfRef('tvdb:81189#s01e02')!, 10), { show: { ids: { tvdb: 81189 } }, episode: { season: 1, number: 2 }, progress: 10 });
  assert.deepEqual(scrobbleBody(identityOfRef('imdb:tt0111161')!, 10), { movie: { ids: { imdb: 'tt0111161' } }, progress: 10 });
  assert.deepEqual(scrobbleBody(identityOfRef('episode:tmdb:62085')!, 10), { episode: { ids: { tmdb: 62085 } }, progress: 10 });
});

test('what is not an item key names nothing', () => {
  for (const id of ['12345', 'plex:1', 'imdb:', 'episode:foo:1', '', 'a6f0e2b4c1d3e5f7a9b0c2d4e6f8a0b1']) assert.equal(identityOfRef(id), undefined, id);
});
