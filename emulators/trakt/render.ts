// Trakt's "standard media objects" as they appear in playback, scrobble, history and search
// responses (protocols.md §4.3). Missing external ids are `null`, as Trakt sends them.
// `extended=full` adds `runtime` (minutes); the real API adds much more (overview, rating…).
import type { TraktEpisode, TraktMovie, TraktShow } from './data.ts';
import type { TraktLibrary } from './library.ts';

export interface RenderOptions {
  full: boolean;
}

export function renderOptions(params: URLSearchParams): RenderOptions {
  const extended = (params.get('extended') ?? '').split(',').map((part) => part.trim());
  return { full: extended.includes('full') };
}

export function movieObject(movie: TraktMovie, options: RenderOptions) {
  return {
    title: movie.title,
    year: movie.year,
    ids: { trakt: movie.ids.trakt, slug: movie.ids.slug, imdb: movie.ids.imdb ?? null, tmdb: movie.ids.tmdb ?? null },
    ...(options.full ? { runtime: movie.runtime ?? null } : {}),
  };
}

export function showObject(show: TraktShow, options: RenderOptions) {
  return {
    title: show.title,
    year: show.year,
    ids: {
      trakt: show.ids.trakt,
      slug: show.ids.slug,
      tvdb: show.ids.tvdb ?? null,
      imdb: show.ids.imdb ?? null,
      tmdb: show.ids.tmdb ?? null,
    },
    ...(options.full ? { runtime: show.runtime ?? null } : {}),
  };
}

export function episodeObject(episode: TraktEpisode, options: RenderOptions) {
  return {
    season: episode.season,
    number: episode.number,
    title: episode.title,
    ids: {
      trakt: episode.ids.trakt,
      tvdb: episode.ids.tvdb ?? null,
      imdb: episode.ids.imdb ?? null,
      tmdb: episode.ids.tmdb ?? null,
    },
    ...(options.full ? { runtime: episode.runtime ?? null } : {}),
  };
}

/** `{movie: …}` or `{episode: …, show: …}` for an entry pointing at a movie or an episode. */
export function mediaFields(library: TraktLibrary, type: 'movie' | 'episode', item: number, options: RenderOptions): Record<string, unknown> | undefined {
  if (type === 'movie') {
    const movie = library.movie(item);
    return movie ? { movie: movieObject(movie, options) } : undefined;
  }
  const episode = library.episode(item);
  const show = episode && library.show(episode.show);
  return episode && show ? { episode: episodeObject(episode, options), show: showObject(show, options) } : undefined;
}

export function isoTime(epochMs: number): string {
  return new Date(epochMs).toISOString();
}
