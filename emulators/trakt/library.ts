// Lookups over the catalogue part of TraktEmulatorData: movies, shows and episodes by any of
// their ids, episodes by show + season + number. Tests may mutate the live state, so the index
// is rebuilt whenever one of the arrays is replaced or changes length.
import type { TraktEmulatorData, TraktEpisode, TraktMediaType, TraktMovie, TraktShow } from './data.ts';

export type IdType = 'trakt' | 'slug' | 'imdb' | 'tmdb' | 'tvdb';
export const ID_TYPES: readonly IdType[] = ['trakt', 'slug', 'imdb', 'tmdb', 'tvdb'];

type ById<T> = Record<IdType, Map<string, T>>;

interface Index {
  arrays: [TraktMovie[], TraktShow[], TraktEpisode[]];
  lengths: [number, number, number];
  movies: ById<TraktMovie>;
  shows: ById<TraktShow>;
  episodes: ById<TraktEpisode>;
  /** `${show trakt id}:${season}:${number}` → episode */
  bySeasonNumber: Map<string, TraktEpisode>;
}

function emptyById<T>(): ById<T> {
  return { trakt: new Map(), slug: new Map(), imdb: new Map(), tmdb: new Map(), tvdb: new Map() };
}

function addIds<T>(target: ById<T>, ids: Partial<Record<IdType, string | number | null>>, value: T): void {
  for (const type of ID_TYPES) {
    const id = ids[type];
    if (id === null || id === undefined) continue;
    const key = String(id).toLowerCase();
    if (!target[type].has(key)) target[type].set(key, value);
  }
}

/** Ids as a client sends them: numbers or numeric strings for trakt/tmdb/tvdb, strings otherwise. */
function idKey(value: unknown): string | undefined {
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  if (typeof value === 'string' && value.trim() !== '') return value.trim().toLowerCase();
  return undefined;
}

export class TraktLibrary {
  private index: Index | undefined;

  constructor(private readonly data: () => TraktEmulatorData) {}

  private current(): Index {
    const { movies, shows, episodes } = this.data();
    const cached = this.index;
    if (
      cached &&
      cached.arrays[0] === movies &&
      cached.arrays[1] === shows &&
      cached.arrays[2] === episodes &&
      cached.lengths[0] === movies.length &&
      cached.lengths[1] === shows.length &&
      cached.lengths[2] === episodes.length
    ) {
      return cached;
    }
    const index: Index = {
      arrays: [movies, shows, episodes],
      lengths: [movies.length, shows.length, episodes.length],
      movies: emptyById(),
      shows: emptyById(),
      episodes: emptyById(),
      bySeasonNumber: new Map(),
    };
    for (const movie of movies) addIds(index.movies, movie.ids, movie);
    for (const show of shows) addIds(index.shows, show.ids, show);
    for (const episode of episodes) {
      addIds(index.episodes, episode.ids, episode);
      index.bySeasonNumber.set(`${episode.show}:${episode.season}:${episode.number}`, episode);
    }
    this.index = index;
    return index;
  }

  private find<T>(table: ById<T>, ids: unknown): T | undefined {
    if (typeof ids !== 'object' || ids === null) return undefined;
    const given = ids as Record<string, unknown>;
    for (const type of ID_TYPES) {
      const key = idKey(given[type]);
      if (key === undefined) continue;
      const found = table[type].get(key);
      if (found) return found;
    }
    return undefined;
  }

  movieByIds(ids: unknown): TraktMovie | undefined {
    return this.find(this.current().movies, ids);
  }

  showByIds(ids: unknown): TraktShow | undefined {
    return this.find(this.current().shows, ids);
  }

  episodeByIds(ids: unknown): TraktEpisode | undefined {
    return this.find(this.current().episodes, ids);
  }

  movie(traktId: number): TraktMovie | undefined {
    return this.current().movies.trakt.get(String(traktId));
  }

  show(traktId: number): TraktShow | undefined {
    return this.current().shows.trakt.get(String(traktId));
  }

  episode(traktId: number): TraktEpisode | undefined {
    return this.current().episodes.trakt.get(String(traktId));
  }

  episodeOf(show: TraktShow, season: number, number: number): TraktEpisode | undefined {
    return this.current().bySeasonNumber.get(`${show.ids.trakt}:${season}:${number}`);
  }

  /** Movies, shows or episodes whose id of this type equals the value (search by id). */
  byId(kind: 'movie' | 'show' | 'episode', idType: IdType, value: string): Array<TraktMovie | TraktShow | TraktEpisode> {
    const index = this.current();
    const table = kind === 'movie' ? index.movies : kind === 'show' ? index.shows : index.episodes;
    const found = table[idType].get(value.trim().toLowerCase());
    return found ? [found] : [];
  }

  /** Case-insensitive title (and year when given) match, the fallback when no id matched. */
  movieByTitle(title: string, year: number | undefined): TraktMovie | undefined {
    const wanted = title.trim().toLowerCase();
    return this.data().movies.find((m) => m.title.toLowerCase() === wanted && (year === undefined || m.year === year));
  }

  showByTitle(title: string, year: number | undefined): TraktShow | undefined {
    const wanted = title.trim().toLowerCase();
    return this.data().shows.find((s) => s.title.toLowerCase() === wanted && (year === undefined || s.year === year));
  }

  /** The movie or episode a playback/history entry points at. */
  item(type: TraktMediaType, traktId: number): TraktMovie | TraktEpisode | undefined {
    return type === 'movie' ? this.movie(traktId) : this.episode(traktId);
  }
}
