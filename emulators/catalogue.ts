// The synthetic catalogue every emulator draws from. It is kind-neutral: titles, years,
// durations and external ids only. Native ids (Plex ratingKeys, Jellyfin item ids, server ids)
// are each emulator's business, so two kinds given the same spec and seed hold the same
// movies and episodes under different native ids — exactly what a cross-server sync sees.
import { Rng, scatteredRange } from './random.ts';

export interface SyntheticSpec {
  movies: number;
  shows: number;
  /** Seasons per show. */
  seasons: number;
  /** Episodes per season. */
  episodes: number;
}

interface MovieIds {
  imdb: string;
  tmdb: number;
  tvdb?: number;
}

interface SeriesIds {
  imdb: string;
  tmdb: number;
  tvdb: number;
}

export interface CatalogueMovie {
  slug: string;
  title: string;
  year: number;
  durationMs: number;
  ids: MovieIds;
}

interface CatalogueEpisode {
  index: number;
  title: string;
  durationMs: number;
  ids: SeriesIds;
}

interface CatalogueSeason {
  index: number;
  episodes: CatalogueEpisode[];
}

export interface CatalogueShow {
  slug: string;
  title: string;
  year: number;
  ids: SeriesIds;
  seasons: CatalogueSeason[];
}

export interface Catalogue {
  movies: CatalogueMovie[];
  shows: CatalogueShow[];
}

const SPEC_KEYS = ['movies', 'shows', 'seasons', 'episodes'] as const;
const SPEC_DEFAULTS: SyntheticSpec = { movies: 0, shows: 0, seasons: 1, episodes: 1 };

/**
 * Parse `movies=N,shows=S,seasons=K,episodes=E`. Every key is optional (movies and shows
 * default to 0, seasons and episodes to 1); unknown keys, repeats and non-integers are errors.
 */
export function parseSyntheticSpec(text: string): SyntheticSpec {
  const spec = { ...SPEC_DEFAULTS };
  const seen = new Set<string>();
  const trimmed = text.trim();
  if (trimmed === '') return spec;
  for (const part of trimmed.split(',')) {
    const match = /^\s*([A-Za-z]+)\s*=\s*(\S*)\s*$/.exec(part);
    if (!match) {
      throw new Error(`synthetic spec: "${part.trim()}" is not key=value (expected e.g. movies=100,shows=5,seasons=2,episodes=8)`);
    }
    const key = match[1] as string;
    const raw = match[2] as string;
    if (!(SPEC_KEYS as readonly string[]).includes(key)) {
      throw new Error(`synthetic spec: unknown key "${key}" (allowed: ${SPEC_KEYS.join(', ')})`);
    }
    if (seen.has(key)) throw new Error(`synthetic spec: "${key}" given twice`);
    seen.add(key);
    if (!/^\d+$/.test(raw)) {
      throw new Error(`synthetic spec: ${key} must be a non-negative integer, got "${raw}"`);
    }
    spec[key as keyof SyntheticSpec] = Number(raw);
  }
  return spec;
}

// Id namespaces. Each kind of entity draws from its own disjoint range so ids never collide,
// and each range is large enough for the limits checked in checkLimits.
const ID_RANGES = {
  imdb: { movie: [1_000_000, 3_000_000], show: [4_000_000, 1_000_000], episode: [5_000_000, 4_999_999] },
  tmdb: { movie: [100_000, 900_000], show: [1_000, 99_000], episode: [1_000_000, 8_999_999] },
  tvdb: { movie: [400_000, 600_000], show: [70_000, 330_000], episode: [1_000_000, 8_999_999] },
} as const;

type Namespace = keyof typeof ID_RANGES;
type EntityKind = 'movie' | 'show' | 'episode';

function capacity(kind: EntityKind): number {
  return Math.min(ID_RANGES.imdb[kind][1], ID_RANGES.tmdb[kind][1], ID_RANGES.tvdb[kind][1]);
}

function checkLimits(spec: SyntheticSpec): void {
  const episodes = spec.shows * spec.seasons * spec.episodes;
  const limits: Array<[string, number, number]> = [
    ['movies', spec.movies, capacity('movie')],
    ['shows', spec.shows, capacity('show')],
    ['shows × seasons × episodes', episodes, capacity('episode')],
  ];
  for (const [what, count, max] of limits) {
    if (count > max) throw new Error(`synthetic spec: ${what} = ${count} is more than the ${max} the catalogue supports`);
  }
}

/** Unique external ids per entity kind, scattered deterministically by the seed. */
class IdAllocator {
  private readonly maps = new Map<string, (index: number) => number>();

  constructor(private readonly seed: string) {}

  number(namespace: Namespace, kind: EntityKind, index: number): number {
    const key = `${namespace}:${kind}`;
    let map = this.maps.get(key);
    if (!map) {
      const [lo, size] = ID_RANGES[namespace][kind];
      map = scatteredRange(lo, size, Rng.from(this.seed, 'ids', key));
      this.maps.set(key, map);
    }
    return map(index);
  }

  imdb(kind: EntityKind, index: number): string {
    return `tt${String(this.number('imdb', kind, index)).padStart(7, '0')}`;
  }

  series(kind: 'show' | 'episode', index: number): SeriesIds {
    return { imdb: this.imdb(kind, index), tmdb: this.number('tmdb', kind, index), tvdb: this.number('tvdb', kind, index) };
  }
}

const ADJECTIVES = [
  'Silent',
  'Broken',
  'Golden',
  'Hidden',
  'Last',
  'Crimson',
  'Frozen',
  'Distant',
  'Electric',
  'Wild',
  'Hollow',
  'Bright',
  'Forgotten',
  'Restless',
  'Iron',
  'Paper',
  'Velvet',
  'Northern',
  'Lonely',
  'Burning',
  'Secret',
  'Quiet',
  'Savage',
  'Little',
  'Midnight',
  'Endless',
  'Lucky',
  'Bitter',
  'Silver',
  'Final',
];
const NOUNS = [
  'Harbor',
  'Signal',
  'Orchard',
  'Winter',
  'Horizon',
  'Promise',
  'Kingdom',
  'Frontier',
  'Garden',
  'Echo',
  'River',
  'Storm',
  'Empire',
  'Lantern',
  'Mirror',
  'Highway',
  'Voyage',
  'Summer',
  'Shadow',
  'Compass',
  'Island',
  'Circus',
  'Engine',
  'Monument',
  'Canyon',
  'Letter',
  'Station',
  'Crown',
  'Tide',
  'Witness',
];
const NAMES = [
  'Marlowe',
  'Juniper',
  'Callahan',
  'Rosalind',
  'Okafor',
  'Delgado',
  'Ingrid',
  'Tobias',
  'Keller',
  'Amara',
  'Winslow',
  'Harriet',
  'Nakamura',
  'Esperanza',
  'Fitzgerald',
  'Milo',
  'Petrov',
  'Beatrix',
  'Lindqvist',
  'Ravi',
];
const PLACES = [
  'Avalon',
  'Bell Harbor',
  'Cedar Falls',
  'Dunmore',
  'Eastgate',
  'Fairhaven',
  'Glasswater',
  'Hollowell',
  'Kingsport',
  'Larkspur',
  'Marrow Bay',
  'Northfield',
  'Port Verity',
  'Redmoor',
  'Stonebridge',
  'Westbury',
];
const GROUPS = ['Detectives', 'Files', 'Chronicles', 'Heights', 'Station', 'Academy', 'Diaries', 'Legacy', 'Nights', 'Society'];

const MOVIE_PATTERNS: Array<(rng: Rng) => string> = [
  (r) => `The ${r.pick(ADJECTIVES)} ${r.pick(NOUNS)}`,
  (r) => `${r.pick(NOUNS)} of the ${r.pick(NOUNS)}`,
  (r) => `${r.pick(ADJECTIVES)} ${r.pick(NOUNS)}`,
  (r) => `${r.pick(NAMES)}'s ${r.pick(NOUNS)}`,
  (r) => `The Last ${r.pick(NOUNS)}`,
  (r) => `${r.pick(NOUNS)} in ${r.pick(PLACES)}`,
  (r) => `Return to ${r.pick(PLACES)}`,
  (r) => `A ${r.pick(ADJECTIVES)} ${r.pick(NOUNS)}`,
];
const SHOW_PATTERNS: Array<(rng: Rng) => string> = [
  (r) => `${r.pick(PLACES)} ${r.pick(GROUPS)}`,
  (r) => `The ${r.pick(NOUNS)} ${r.pick(GROUPS)}`,
  (r) => `${r.pick(ADJECTIVES)} ${r.pick(NOUNS)}`,
  (r) => `${r.pick(NAMES)} & ${r.pick(NAMES)}`,
  (r) => `The ${r.pick(NAMES)} ${r.pick(GROUPS)}`,
];
const EPISODE_PATTERNS: Array<(rng: Rng) => string> = [
  (r) => `The ${r.pick(NOUNS)}`,
  (r) => `${r.pick(ADJECTIVES)} ${r.pick(NOUNS)}`,
  (r) => `${r.pick(NOUNS)} and ${r.pick(NOUNS)}`,
  (r) => `${r.pick(NAMES)} Returns`,
  (r) => `Welcome to ${r.pick(PLACES)}`,
];

function slugify(text: string): string {
  return text
    .toLowerCase()
    .replace(/'/g, '')
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '');
}

/** Slugs are `title-year`, with `-2`, `-3`… added when two titles collide. */
class SlugRegistry {
  private readonly used = new Set<string>();

  claim(title: string, year: number): string {
    const base = `${slugify(title)}-${year}`;
    let slug = base;
    for (let n = 2; this.used.has(slug); n++) slug = `${base}-${n}`;
    this.used.add(slug);
    return slug;
  }
}

function minutesToMs(rng: Rng, minMinutes: number, maxMinutes: number): number {
  return rng.int(minMinutes, maxMinutes - 1) * 60_000 + rng.int(0, 59) * 1_000;
}

function makeMovie(seed: string, index: number, ids: IdAllocator, slugs: SlugRegistry): CatalogueMovie {
  const rng = Rng.from(seed, 'movie', index);
  let title = rng.pick(MOVIE_PATTERNS)(rng);
  if (rng.chance(0.07)) title += rng.pick([' II', ' 2', ': Part Two']);
  const year = rng.int(1970, 2025);
  const movieIds: MovieIds = { imdb: ids.imdb('movie', index), tmdb: ids.number('tmdb', 'movie', index) };
  if (rng.chance(0.4)) movieIds.tvdb = ids.number('tvdb', 'movie', index);
  return { slug: slugs.claim(title, year), title, year, durationMs: minutesToMs(rng, 80, 180), ids: movieIds };
}

function makeEpisodeTitle(rng: Rng, season: number, episode: number): string {
  if (season === 1 && episode === 1 && rng.chance(0.6)) return 'Pilot';
  if (rng.chance(0.08)) return `Part ${rng.pick(['One', 'Two', 'Three'])}`;
  return rng.pick(EPISODE_PATTERNS)(rng);
}

function makeShow(seed: string, index: number, spec: SyntheticSpec, ids: IdAllocator, slugs: SlugRegistry): CatalogueShow {
  const rng = Rng.from(seed, 'show', index);
  const title = rng.pick(SHOW_PATTERNS)(rng);
  const year = rng.int(1970, 2025);
  // One typical runtime per show (sitcom vs drama), each episode a little off it.
  const typicalMinutes = rng.int(22, 56);
  const seasons: CatalogueSeason[] = [];
  for (let s = 1; s <= spec.seasons; s++) {
    const episodes: CatalogueEpisode[] = [];
    for (let e = 1; e <= spec.episodes; e++) {
      const episodeIndex = (index * spec.seasons + (s - 1)) * spec.episodes + (e - 1);
      const epRng = Rng.from(seed, 'episode', index, s, e);
      const minutes = Math.min(59, Math.max(20, typicalMinutes + epRng.int(-3, 3)));
      episodes.push({
        index: e,
        title: makeEpisodeTitle(epRng, s, e),
        durationMs: minutes * 60_000 + epRng.int(0, 59) * 1_000,
        ids: ids.series('episode', episodeIndex),
      });
    }
    seasons.push({ index: s, episodes });
  }
  return { slug: slugs.claim(title, year), title, year, ids: ids.series('show', index), seasons };
}

/** Same spec and seed → the identical catalogue, on any machine and for any emulator kind. */
export function generateCatalogue(spec: SyntheticSpec, seed: string | number): Catalogue {
  checkLimits(spec);
  const seedText = String(seed);
  const ids = new IdAllocator(seedText);
  const slugs = new SlugRegistry();
  const movies: CatalogueMovie[] = [];
  for (let i = 0; i < spec.movies; i++) movies.push(makeMovie(seedText, i, ids, slugs));
  const shows: CatalogueShow[] = [];
  for (let i = 0; i < spec.shows; i++) shows.push(makeShow(seedText, i, spec, ids, slugs));
  return { movies, shows };
}
