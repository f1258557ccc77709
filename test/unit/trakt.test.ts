// Trakt pieces that need no server: the scrobble body and the playback → record mapping.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { scrobbleBody } from '../../src/providers/trakt/write.ts';
import { recordFromPlayback } from '../../src/providers/trakt/index.ts';
import { playbackEntry } from '../../src/providers/trakt/schema.ts';
import { valueFor, holdsValue } from '../../src/core/position.ts';
import { canonicalKey } from '../../src/core/ids.ts';

test('movies are named by their ids, numbers as numbers', () => {
  assert.deepEqual(scrobbleBody({ type: 'movie', ids: { imdb: 'tt0111161', tmdb: '278' }, title: 'The Shawshank Redemption', year: 1994 }, 42.123456), {
    movie: { ids: { imdb: 'tt0111161', tmdb: 278 }, title: 'The Shawshank Redemption', year: 1994 },
    progress: 42.12,
  });
});

test('episodes by show ids + numbers when known, else by their own ids, else not at all', () => {
  assert.deepEqual(
    scrobbleBody(
      { type: 'episode', ids: { imdb: 'tt0959621' }, title: 'Pilot', show: { ids: { tvdb: '81189' }, title: 'Breaking Bad' }, season: 1, episode: 1 },
      10,
    ),
    {
      show: { ids: { tvdb: 81189 }, title: 'Breaking Bad' },
      episode: { season: 1, number: 1 },
      progress: 10,
    },
  );
  assert.deepEqual(scrobbleBody({ type: 'episode', ids: { imdb: 'tt0959621' }, title: 'Pilot' }, 10), {
    episode: { ids: { imdb: 'tt0959621' } },
    progress: 10,
  });
  assert.equal(scrobbleBody({ type: 'episode', ids: {}, title: 'Pilot', show: { ids: {} }, season: 1, episode: 1 }, 10), undefined);
});

test('a playback entry becomes a percent-only record keyed like any other server would', () => {
  const entry = playbackEntry.parse({
    progress: 34.5,
    paused_at: '2026-11-23T20:11:09.000Z',
    id: 1234567,
    type: 'episode',
    episode: { season: 1, number: 1, title: 'Pilot', ids: { trakt: 100, tvdb: 2000001, imdb: 'tt0000001', tmdb: 1000001 }, runtime: 45 },
    show: { title: 'Example Show', year: 2020, ids: { trakt: 10, slug: 'example-show', tvdb: 3000001, imdb: 'tt0000010', tmdb: 1000010 } },
  });
  const r = recordFromPlayback(entry, { provider: 'trakt', server: 'trakt:api' });
  assert.equal(r.progressPct, 34.5);
  assert.equal(r.progressMs, undefined);
  assert.equal(r.durationMs, 45 * 60_000);
  assert.equal(r.progressAt, Date.parse('2026-11-23T20:11:09.000Z'));
  assert.equal(r.ref.id, '1234567');
  assert.equal(canonicalKey(r), 'imdb:tt0000010#s01e01');
});

test('a percent-only source becomes milliseconds through the target duration; a ms source carries its percent', () => {
  const base = { type: 'movie' as const, ids: { imdb: 'tt1' }, title: 'x', ref: { provider: 'p', server: 's', id: '1' }, watched: false, progressAt: 5 };
  const target = { ref: { provider: 't', server: 't', id: '9' }, durationMs: 7_200_000, watched: false, playCount: 0, playingNow: false };
  assert.deepEqual(valueFor({ ...base, progressPct: 25, durationMs: 7_260_000 }, target), {
    progressMs: 1_800_000,
    progressPct: 25,
    durationMs: 7_200_000,
    progressAt: 5,
  });
  assert.deepEqual(valueFor({ ...base, progressMs: 1_000_000, durationMs: 4_000_000 }, undefined), {
    progressMs: 1_000_000,
    progressPct: 25,
    durationMs: 4_000_000,
    progressAt: 5,
  });
  assert.equal(holdsValue({ ...target, progressPct: 25.04 }, { progressMs: 0, progressPct: 25 }), true);
  assert.equal(holdsValue({ ...target, progressPct: 25.2 }, { progressMs: 0, progressPct: 25 }), false);
  assert.equal(holdsValue({ ...target, progressMs: 1_800_900 }, { progressMs: 1_800_000 }), true);
});
