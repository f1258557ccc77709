// Builds Trakt emulator data from the shared catalogue. What is Trakt-specific lives here:
// trakt ids, the app credentials, the users and their tokens.
//
// Rules (documented in README.md):
// - Titles, years, external ids (imdb/tmdb/tvdb) and slugs come from emulators/catalogue.ts:
//   the same spec + seed give the same items as the Plex emulator (and every other kind).
// - Trakt ids are global on the real service, so they depend on the seed only, not on the name:
//   each kind draws from its own scattered range (shows 1 000–199 999, movies 200 000–1 199 999,
//   episodes 2 000 000–10 999 999), so a number never names two things.
// - runtime (minutes) = the catalogue duration rounded to the minute; a show's runtime is its
//   first episode's.
// - Users alice and bob; tokens `<user>-access-<name>` / `<user>-refresh-<name>`, issued "now"
//   with the configured lifetime (7 days by default).
// - No playback, history or scrobbles: tests create them through the routes or `state`.
import { generateCatalogue, type CatalogueMovie, type CatalogueShow, type SyntheticSpec } from '../catalogue.ts';
import { Rng, scatteredRange } from '../random.ts';
import type { TraktEmulatorData, TraktEpisode, TraktMovie, TraktShow, TraktUser } from './data.ts';
import { normalizeData } from './data.ts';
import { isoTime } from './render.ts';

const SYNTHETIC_USERS = ['alice', 'bob'] as const;

export interface SyntheticOptions {
  spec: SyntheticSpec;
  seed: string | number;
  name: string;
  /** Epoch ms used as the issue time of the users' tokens. */
  now: number;
  clientId?: string;
  clientSecret?: string;
}

function defaultClientId(name: string): string {
  return `client-id-${name}`;
}

function defaultClientSecret(name: string): string {
  return `client-secret-${name}`;
}

function syntheticTokens(username: string, name: string): { accessToken: string; refreshToken: string } {
  return { accessToken: `${username}-access-${name}`, refreshToken: `${username}-refresh-${name}` };
}

const TRAKT_RANGES = {
  show: [1_000, 199_000],
  movie: [200_000, 1_000_000],
  episode: [2_000_000, 9_000_000],
} as const;

function traktIds(seed: string, kind: keyof typeof TRAKT_RANGES): (index: number) => number {
  const [lo, size] = TRAKT_RANGES[kind];
  return scatteredRange(lo, size, Rng.from(seed, 'trakt-ids', kind));
}

const minutes = (ms: number) => Math.round(ms / 60_000);

function movieOf(movie: CatalogueMovie, traktId: number): TraktMovie {
  return {
    title: movie.title,
    year: movie.year,
    ids: { trakt: traktId, slug: movie.slug, imdb: movie.ids.imdb, tmdb: movie.ids.tmdb },
    runtime: minutes(movie.durationMs),
  };
}

function showOf(show: CatalogueShow, traktId: number, nextEpisodeId: () => number): { show: TraktShow; episodes: TraktEpisode[] } {
  const first = show.seasons[0]?.episodes[0];
  const episodes: TraktEpisode[] = [];
  for (const season of show.seasons) {
    for (const episode of season.episodes) {
      episodes.push({
        show: traktId,
        season: season.index,
        number: episode.index,
        title: episode.title,
        ids: { trakt: nextEpisodeId(), tvdb: episode.ids.tvdb, imdb: episode.ids.imdb, tmdb: episode.ids.tmdb },
        runtime: minutes(episode.durationMs),
      });
    }
  }
  return {
    show: {
      title: show.title,
      year: show.year,
      ids: { trakt: traktId, slug: show.slug, tvdb: show.ids.tvdb, imdb: show.ids.imdb, tmdb: show.ids.tmdb },
      ...(first ? { runtime: minutes(first.durationMs) } : {}),
    },
    episodes,
  };
}

export function buildSyntheticData(options: SyntheticOptions): TraktEmulatorData {
  const seed = String(options.seed);
  const catalogue = generateCatalogue(options.spec, seed);
  const movieId = traktIds(seed, 'movie');
  const showId = traktIds(seed, 'show');
  const episodeId = traktIds(seed, 'episode');
  let episodeIndex = 0;
  const movies = catalogue.movies.map((movie, i) => movieOf(movie, movieId(i)));
  const shows: TraktShow[] = [];
  const episodes: TraktEpisode[] = [];
  for (const [i, show] of catalogue.shows.entries()) {
    const built = showOf(show, showId(i), () => episodeId(episodeIndex++));
    shows.push(built.show);
    episodes.push(...built.episodes);
  }
  const ttlSeconds = 7 * 86_400;
  const users: TraktUser[] = SYNTHETIC_USERS.map((username) => ({
    username,
    name: username[0]!.toUpperCase() + username.slice(1),
    vip: false,
    tokens: [
      {
        ...syntheticTokens(username, options.name),
        createdAt: isoTime(options.now),
        expiresAt: isoTime(options.now + ttlSeconds * 1000),
        scope: 'public',
      },
    ],
  }));
  // Run through the schema so defaults are filled exactly as for a data file.
  return normalizeData(
    {
      app: {
        clientId: options.clientId ?? defaultClientId(options.name),
        clientSecret: options.clientSecret ?? defaultClientSecret(options.name),
        name: 'Playhead',
      },
      settings: { accessTokenTtlSeconds: ttlSeconds },
      users,
      movies,
      shows,
      episodes,
    },
    `synthetic library (${JSON.stringify(options.spec)})`,
  );
}
