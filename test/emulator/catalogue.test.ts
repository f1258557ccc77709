import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { generateCatalogue, parseSyntheticSpec } from '../../emulators/catalogue.ts';

describe('parseSyntheticSpec', () => {
  it('reads every key and fills defaults', () => {
    assert.deepEqual(parseSyntheticSpec('movies=12,shows=3,seasons=2,episodes=5'), { movies: 12, shows: 3, seasons: 2, episodes: 5 });
    assert.deepEqual(parseSyntheticSpec('movies=4'), { movies: 4, shows: 0, seasons: 1, episodes: 1 });
    assert.deepEqual(parseSyntheticSpec(' shows = 2 , episodes = 3 '), { movies: 0, shows: 2, seasons: 1, episodes: 3 });
  });

  it('names the problem in its errors', () => {
    assert.throws(() => parseSyntheticSpec('films=3'), /unknown key "films" \(allowed: movies, shows, seasons, episodes\)/);
    assert.throws(() => parseSyntheticSpec('movies=2.5'), /movies must be a non-negative integer, got "2.5"/);
    assert.throws(() => parseSyntheticSpec('movies=-1'), /movies must be a non-negative integer/);
    assert.throws(() => parseSyntheticSpec('movies=x'), /movies must be a non-negative integer, got "x"/);
    assert.throws(() => parseSyntheticSpec('movies'), /"movies" is not key=value/);
    assert.throws(() => parseSyntheticSpec('movies=1,movies=2'), /"movies" given twice/);
  });
});

describe('generateCatalogue', () => {
  const spec = { movies: 300, shows: 20, seasons: 3, episodes: 10 };

  it('is deterministic for the same spec and seed, different for another seed', () => {
    assert.deepEqual(generateCatalogue(spec, 'abc'), generateCatalogue(spec, 'abc'));
    assert.deepEqual(generateCatalogue(spec, 7), generateCatalogue(spec, '7'));
    assert.notDeepEqual(generateCatalogue(spec, 'abc').movies[0], generateCatalogue(spec, 'xyz').movies[0]);
  });

  it('keeps earlier items stable when the library grows', () => {
    const small = generateCatalogue({ ...spec, movies: 10 }, 's');
    const large = generateCatalogue(spec, 's');
    assert.deepEqual(
      small.movies.map((m) => m.title),
      large.movies.slice(0, 10).map((m) => m.title),
    );
  });

  it('has the requested shape and plausible values', () => {
    const catalogue = generateCatalogue(spec, 'shape');
    assert.equal(catalogue.movies.length, 300);
    assert.equal(catalogue.shows.length, 20);
    for (const movie of catalogue.movies) {
      assert.ok(movie.year >= 1970 && movie.year <= 2025, `year ${movie.year}`);
      assert.ok(movie.durationMs >= 80 * 60_000 && movie.durationMs < 180 * 60_000, `duration ${movie.durationMs}`);
      assert.match(movie.ids.imdb, /^tt\d{7}$/);
      assert.ok(Number.isInteger(movie.ids.tmdb) && movie.ids.tmdb > 0);
    }
    for (const show of catalogue.shows) {
      assert.deepEqual(
        show.seasons.map((s) => s.index),
        [1, 2, 3],
      );
      for (const season of show.seasons) {
        assert.deepEqual(
          season.episodes.map((e) => e.index),
          [1, 2, 3, 4, 5, 6, 7, 8, 9, 10],
        );
        for (const episode of season.episodes) {
          assert.ok(episode.durationMs >= 20 * 60_000 && episode.durationMs < 60 * 60_000, `episode duration ${episode.durationMs}`);
          assert.ok(episode.title.length > 0);
        }
      }
    }
  });

  it('gives every entity unique external ids and unique slugs', () => {
    const catalogue = generateCatalogue(spec, 'unique');
    const episodes = catalogue.shows.flatMap((s) => s.seasons.flatMap((season) => season.episodes));
    const all = [...catalogue.movies.map((m) => m.ids), ...catalogue.shows.map((s) => s.ids), ...episodes.map((e) => e.ids)];
    for (const namespace of ['imdb', 'tmdb', 'tvdb'] as const) {
      const values = all.map((ids) => ids[namespace]).filter((v) => v !== undefined);
      assert.equal(new Set(values).size, values.length, `${namespace} ids collide`);
    }
    const slugs = [...catalogue.movies, ...catalogue.shows].map((x) => x.slug);
    assert.equal(new Set(slugs).size, slugs.length);
  });

  it('refuses libraries larger than its id ranges', () => {
    assert.throws(() => generateCatalogue({ movies: 10_000_000, shows: 0, seasons: 1, episodes: 1 }, 1), /movies = 10000000 is more than/);
  });
});
