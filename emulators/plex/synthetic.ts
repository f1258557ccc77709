// Builds Plex emulator data from the shared catalogue. What is Plex-specific lives here:
// ratingKeys, machineIdentifier, plex:// guids, the agent mix, accounts.
//
// Rules (documented in README.md):
// - Titles, years, durations, external ids come from the catalogue (same spec + seed → same).
// - ratingKeys: base + a permutation, both derived from the server name, so two servers with the
//   same catalogue disagree on every native id, as real servers do.
// - plex:// guids derive from the external ids: Plex's metadata ids are global, so the same film
//   has the same plex:// guid on every server.
// - About LEGACY_PERCENT % of movies and shows (chosen by name + slug) use a legacy agent: movies
//   `com.plexapp.agents.imdb://tt…?lang=en` (two thirds) or `…themoviedb://N?lang=en`, shows and
//   their seasons/episodes `com.plexapp.agents.thetvdb://…?lang=en`; legacy items have no Guid[].
import { generateCatalogue, type CatalogueMovie, type CatalogueShow, type SyntheticSpec } from '../catalogue.ts';
import { Rng, hash32, hexDigest } from '../random.ts';
import type { PlexAccount, PlexEmulatorData, PlexItem, PlexSection } from './data.ts';

const LEGACY_PERCENT = 4;
const MOVIE_SECTION = '1';
const SHOW_SECTION = '2';

export interface SyntheticOptions {
  spec: SyntheticSpec;
  seed: string | number;
  name: string;
  /** Becomes the owner's token; default `owner-token-<name>`. */
  ownerToken?: string;
}

function machineIdentifierFor(name: string): string {
  return hexDigest(`playhead-plex-emulator:${name}`);
}

function syntheticAccounts(name: string, ownerToken?: string): PlexAccount[] {
  return [
    { id: 1, name: 'owner', token: ownerToken ?? `owner-token-${name}`, owner: true },
    { id: 2, name: 'alice', token: `alice-token-${name}` },
    { id: 3, name: 'bob', token: `bob-token-${name}` },
  ];
}

const GENRES = ['Drama', 'Comedy', 'Thriller', 'Science Fiction', 'Action', 'Mystery', 'Romance', 'Adventure', 'Crime', 'Documentary'];
const STUDIOS = ['Northlight Pictures', 'Harbor Lane Films', 'Blue Kettle Studios', 'Meridian Works', 'Foxglove Media'];
const MOVIE_RATINGS = ['G', 'PG', 'PG-13', 'R'];
const TV_RATINGS = ['TV-PG', 'TV-14', 'TV-MA'];

/** Hands out ratingKeys: base + a name-seeded permutation of 0..count-1. */
class RatingKeys {
  private readonly order: number[];
  private readonly base: number;
  private next = 0;

  constructor(name: string, count: number) {
    this.base = 1000 + (hash32(`base:${name}`) % 40_000);
    this.order = Rng.from('ratingKeys', name).shuffle(Array.from({ length: count }, (_, i) => i));
  }

  take(): string {
    const slot = this.order[this.next++];
    if (slot === undefined) throw new Error('RatingKeys: more items than counted');
    return String(this.base + slot);
  }
}

function countItems(spec: SyntheticSpec): number {
  return spec.movies + spec.shows * (1 + spec.seasons * (1 + spec.episodes));
}

function plexGuid(kind: 'movie' | 'show' | 'season' | 'episode', identity: string): string {
  return `plex://${kind}/${hexDigest(`${kind}:${identity}`, 24)}`;
}

function isLegacy(name: string, slug: string): boolean {
  return hash32(`agent:${name}:${slug}`) % 100 < LEGACY_PERCENT;
}

/** When a server added the item: per server, between 2016 and early 2025. */
function addedTimes(name: string, slug: string): { addedAt: number; updatedAt: number } {
  const rng = Rng.from('added', name, slug);
  const addedAt = 1_451_606_400 + rng.int(0, 290_000_000);
  return { addedAt, updatedAt: addedAt + rng.int(0, 30 * 86_400) };
}

/** Episodes arrive after their show, one season at a time. */
function episodeTimes(show: { addedAt: number; updatedAt: number }, season: number, episode: number) {
  const offset = ((season - 1) * 50 + episode) * 3_600;
  return { addedAt: show.addedAt + offset, updatedAt: show.updatedAt + offset };
}

/** Descriptive metadata shared by every server (keyed by the catalogue, not the name). */
function flavour(seed: string, slug: string, year: number, kind: 'movie' | 'show') {
  const rng = Rng.from('flavour', seed, slug);
  const genres = [rng.pick(GENRES)];
  if (rng.chance(0.5)) {
    const second = rng.pick(GENRES);
    if (second !== genres[0]) genres.push(second);
  }
  return {
    summary: `A ${genres[0]!.toLowerCase()} story from ${year}.`,
    studio: rng.pick(STUDIOS),
    contentRating: rng.pick(kind === 'movie' ? MOVIE_RATINGS : TV_RATINGS),
    audienceRating: rng.int(40, 95) / 10,
    originallyAvailableAt: `${year}-${String(rng.int(1, 12)).padStart(2, '0')}-${String(rng.int(1, 28)).padStart(2, '0')}`,
    tags: { Genre: genres },
  };
}

function movieItem(movie: CatalogueMovie, ctx: BuildContext): PlexItem {
  const legacy = isLegacy(ctx.name, movie.slug);
  const useImdbAgent = hash32(`legacy-kind:${ctx.name}:${movie.slug}`) % 3 !== 0;
  const guids = [`imdb://${movie.ids.imdb}`, `tmdb://${movie.ids.tmdb}`];
  if (movie.ids.tvdb !== undefined) guids.push(`tvdb://${movie.ids.tvdb}`);
  return {
    ratingKey: ctx.keys.take(),
    type: 'movie',
    sectionId: MOVIE_SECTION,
    title: movie.title,
    year: movie.year,
    guid: !legacy
      ? plexGuid('movie', movie.ids.imdb)
      : useImdbAgent
        ? `com.plexapp.agents.imdb://${movie.ids.imdb}?lang=en`
        : `com.plexapp.agents.themoviedb://${movie.ids.tmdb}?lang=en`,
    guids: legacy ? [] : guids,
    durationMs: movie.durationMs,
    ...flavour(ctx.seed, movie.slug, movie.year, 'movie'),
    ...addedTimes(ctx.name, movie.slug),
  };
}

function showItems(show: CatalogueShow, ctx: BuildContext): PlexItem[] {
  const legacy = isLegacy(ctx.name, show.slug);
  const tvdbAgent = `com.plexapp.agents.thetvdb://${show.ids.tvdb}`;
  const times = addedTimes(ctx.name, show.slug);
  const showKey = ctx.keys.take();
  const firstEpisode = show.seasons[0]?.episodes[0];
  const items: PlexItem[] = [
    {
      ratingKey: showKey,
      type: 'show',
      sectionId: SHOW_SECTION,
      title: show.title,
      year: show.year,
      index: 1,
      guid: legacy ? `${tvdbAgent}?lang=en` : plexGuid('show', String(show.ids.tvdb)),
      guids: legacy ? [] : [`imdb://${show.ids.imdb}`, `tmdb://${show.ids.tmdb}`, `tvdb://${show.ids.tvdb}`],
      ...(firstEpisode ? { durationMs: firstEpisode.durationMs } : {}),
      ...flavour(ctx.seed, show.slug, show.year, 'show'),
      ...times,
    },
  ];
  for (const season of show.seasons) {
    const seasonKey = ctx.keys.take();
    items.push({
      ratingKey: seasonKey,
      type: 'season',
      sectionId: SHOW_SECTION,
      title: `Season ${season.index}`,
      index: season.index,
      parentRatingKey: showKey,
      guid: legacy ? `${tvdbAgent}/${season.index}?lang=en` : plexGuid('season', `${show.ids.tvdb}:${season.index}`),
      guids: [],
      ...times,
    });
    const airYear = Math.min(2025, show.year + season.index - 1);
    for (const episode of season.episodes) {
      items.push({
        ratingKey: ctx.keys.take(),
        type: 'episode',
        sectionId: SHOW_SECTION,
        title: episode.title,
        year: airYear,
        index: episode.index,
        parentIndex: season.index,
        parentRatingKey: seasonKey,
        grandparentRatingKey: showKey,
        guid: legacy ? `${tvdbAgent}/${season.index}/${episode.index}?lang=en` : plexGuid('episode', String(episode.ids.tvdb)),
        guids: legacy ? [] : [`imdb://${episode.ids.imdb}`, `tmdb://${episode.ids.tmdb}`, `tvdb://${episode.ids.tvdb}`],
        durationMs: episode.durationMs,
        originallyAvailableAt: `${airYear}-${String(1 + ((episode.index - 1) % 12)).padStart(2, '0')}-15`,
        ...episodeTimes(times, season.index, episode.index),
      });
    }
  }
  return items;
}

interface BuildContext {
  name: string;
  seed: string;
  keys: RatingKeys;
}

function syntheticSections(name: string): PlexSection[] {
  const stamp = 1_700_000_000 + (hash32(`sections:${name}`) % 10_000_000);
  const uuid = (key: string) => {
    const hex = hexDigest(`section:${name}:${key}`, 32);
    return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
  };
  const common = { language: 'en-US', createdAt: stamp - 86_400 * 400, updatedAt: stamp, scannedAt: stamp };
  return [
    {
      key: MOVIE_SECTION,
      type: 'movie',
      title: 'Movies',
      agent: 'tv.plex.agents.movie',
      scanner: 'Plex Movie',
      uuid: uuid(MOVIE_SECTION),
      locations: [{ id: 1, path: '/data/movies' }],
      ...common,
    },
    {
      key: SHOW_SECTION,
      type: 'show',
      title: 'TV Shows',
      agent: 'tv.plex.agents.series',
      scanner: 'Plex TV Series',
      uuid: uuid(SHOW_SECTION),
      locations: [{ id: 2, path: '/data/tv' }],
      ...common,
    },
  ];
}

export function buildSyntheticData(options: SyntheticOptions): PlexEmulatorData {
  const { spec, name } = options;
  const seed = String(options.seed);
  const catalogue = generateCatalogue(spec, seed);
  const ctx: BuildContext = { name, seed, keys: new RatingKeys(name, countItems(spec)) };
  const items: PlexItem[] = [];
  for (const movie of catalogue.movies) items.push(movieItem(movie, ctx));
  for (const show of catalogue.shows) items.push(...showItems(show, ctx));
  return {
    machineIdentifier: machineIdentifierFor(name),
    friendlyName: name,
    version: '1.43.0.10162-abcdef123',
    playedThresholdPercent: 90,
    accounts: syntheticAccounts(name, options.ownerToken),
    sections: syntheticSections(name),
    items,
    userState: {},
    sessions: [],
    history: [],
  };
}
