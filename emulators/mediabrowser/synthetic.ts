// Builds Jellyfin/Emby emulator data from the shared catalogue. What is server-specific lives
// here: item ids (GUIDs on Jellyfin, numbers on Emby), the server id, users, api keys, paths,
// dates, and which items lack some provider ids.
//
// Rules (documented in README.md):
// - Titles, years, durations and external ids come from the catalogue: same spec + seed → same
//   on every emulator kind (Plex, Jellyfin, Emby, …).
// - Native ids derive from the dialect and the server name, so two servers with the same
//   catalogue disagree on every id, as real servers do. Jellyfin ids are SHA-1 based 32-hex;
//   Emby ids are numbers: a name-derived base plus a name-seeded permutation.
// - About PARTIAL_IDS_PERCENT % of movies and shows (chosen by dialect + name + slug, so it
//   differs per server) carry only some provider ids: movies Tmdb only (⅔) or Imdb only (⅓),
//   shows Tvdb only (their episodes too, their seasons none).
// - Users: admin (administrator), alice, bob; tokens `<user>-token-<name>`; one API key
//   `apikey-<name>` (or the given ones). No progress: tests create it through the routes or state.
import { generateCatalogue, type CatalogueMovie, type CatalogueShow, type SyntheticSpec } from '../catalogue.ts';
import { Rng, hash32, hexDigest } from '../random.ts';
import { DEFAULT_VERSION, type MbItem, type MbLibrary, type MbUser, type MediaBrowserDialect, type MediaBrowserEmulatorData } from './data.ts';
import { TICKS_PER_MS, isoTicks } from './time.ts';

export const PARTIAL_IDS_PERCENT = 4;

export interface MbSyntheticOptions {
  dialect: MediaBrowserDialect;
  spec: SyntheticSpec;
  seed: string | number;
  name: string;
  /** Server API keys; default `apikey-<name>`. */
  apiKeys?: string[];
  version?: string;
}

function serverIdFor(dialect: MediaBrowserDialect, name: string): string {
  return hexDigest(`playhead-${dialect}-emulator:${name}`, 32);
}

function syntheticUsers(dialect: MediaBrowserDialect, name: string): MbUser[] {
  return ['admin', 'alice', 'bob'].map((user) => ({
    id: hexDigest(`${dialect}-user:${name}:${user}`, 32),
    name: user,
    token: `${user}-token-${name}`,
    admin: user === 'admin',
    hidden: false,
  }));
}

/** Hands out native ids in catalogue order. */
interface IdSource {
  take(key: string): string;
}

function jellyfinIds(name: string): IdSource {
  return { take: (key) => hexDigest(`jellyfin-item:${name}:${key}`, 32) };
}

/** Emby: base + a name-seeded permutation of 0..count-1, so ids look scattered but never collide. */
function embyIds(name: string, count: number): IdSource {
  const base = 1000 + (hash32(`emby-base:${name}`) % 900_000);
  const order = Rng.from('emby-ids', name).shuffle(Array.from({ length: count }, (_, i) => i));
  let next = 0;
  return {
    take() {
      const slot = order[next++];
      if (slot === undefined) throw new Error('emby ids: more items than counted');
      return String(base + slot);
    },
  };
}

function countItems(spec: SyntheticSpec): number {
  return 2 + spec.movies + spec.shows * (1 + spec.seasons * (1 + spec.episodes));
}

function partialIds(ctx: BuildContext, slug: string): boolean {
  return hash32(`partial-ids:${ctx.dialect}:${ctx.name}:${slug}`) % 100 < PARTIAL_IDS_PERCENT;
}

/** When this server added the item (2016 – early 2025) and last saved its metadata. */
function addedDates(ctx: BuildContext, slug: string): { created: number; saved: number } {
  const rng = Rng.from('added', ctx.dialect, ctx.name, slug);
  const created = 1_451_606_400_000 + rng.int(0, 290_000_000) * 1000;
  return { created, saved: created + rng.int(0, 30 * 86_400) * 1000 };
}

/** Premiere dates are facts about the title, so they depend on the catalogue only. */
function premiere(seed: string, slug: string, year: number): string {
  const rng = Rng.from('premiere', seed, slug);
  return `${year}-${String(rng.int(1, 12)).padStart(2, '0')}-${String(rng.int(1, 28)).padStart(2, '0')}T00:00:00.0000000Z`;
}

interface BuildContext {
  dialect: MediaBrowserDialect;
  name: string;
  seed: string;
  ids: IdSource;
  movieLibrary: string;
  showLibrary: string;
}

function movieItem(movie: CatalogueMovie, ctx: BuildContext): MbItem {
  const dates = addedDates(ctx, movie.slug);
  let providerIds: Record<string, string> = { Imdb: movie.ids.imdb, Tmdb: String(movie.ids.tmdb) };
  if (movie.ids.tvdb !== undefined) providerIds.Tvdb = String(movie.ids.tvdb);
  if (partialIds(ctx, movie.slug)) {
    providerIds = hash32(`partial-kind:${ctx.name}:${movie.slug}`) % 3 === 0 ? { Imdb: movie.ids.imdb } : { Tmdb: String(movie.ids.tmdb) };
  }
  const folder = `${movie.title} (${movie.year})`;
  return {
    Id: ctx.ids.take(`movie:${movie.slug}`),
    Type: 'Movie',
    Name: movie.title,
    ParentId: ctx.movieLibrary,
    ProductionYear: movie.year,
    PremiereDate: premiere(ctx.seed, movie.slug, movie.year),
    RunTimeTicks: movie.durationMs * TICKS_PER_MS,
    ProviderIds: providerIds,
    Path: `/media/movies/${folder}/${folder}.mkv`,
    DateCreated: isoTicks(dates.created),
    DateLastSaved: isoTicks(dates.saved),
  };
}

function showItems(show: CatalogueShow, ctx: BuildContext): MbItem[] {
  const partial = partialIds(ctx, show.slug);
  const dates = addedDates(ctx, show.slug);
  const seriesId = ctx.ids.take(`show:${show.slug}`);
  const seriesPath = `/media/tv/${show.title} (${show.year})`;
  const items: MbItem[] = [
    {
      Id: seriesId,
      Type: 'Series',
      Name: show.title,
      ParentId: ctx.showLibrary,
      ProductionYear: show.year,
      PremiereDate: premiere(ctx.seed, show.slug, show.year),
      ProviderIds: partial ? { Tvdb: String(show.ids.tvdb) } : { Imdb: show.ids.imdb, Tmdb: String(show.ids.tmdb), Tvdb: String(show.ids.tvdb) },
      Path: seriesPath,
      DateCreated: isoTicks(dates.created),
      DateLastSaved: isoTicks(dates.saved),
    },
  ];
  for (const season of show.seasons) {
    const seasonId = ctx.ids.take(`show:${show.slug}:s${season.index}`);
    const seasonPath = `${seriesPath}/Season ${String(season.index).padStart(2, '0')}`;
    const airYear = Math.min(2025, show.year + season.index - 1);
    items.push({
      Id: seasonId,
      Type: 'Season',
      Name: `Season ${season.index}`,
      ParentId: seriesId,
      SeriesId: seriesId,
      IndexNumber: season.index,
      ProductionYear: airYear,
      ProviderIds: {},
      Path: seasonPath,
      DateCreated: isoTicks(dates.created),
      DateLastSaved: isoTicks(dates.saved),
    });
    for (const episode of season.episodes) {
      // Episodes arrive after their show, one season at a time.
      const offsetMs = ((season.index - 1) * 50 + episode.index) * 3_600_000;
      const code = `S${String(season.index).padStart(2, '0')}E${String(episode.index).padStart(2, '0')}`;
      items.push({
        Id: ctx.ids.take(`show:${show.slug}:s${season.index}e${episode.index}`),
        Type: 'Episode',
        Name: episode.title,
        ParentId: seasonId,
        SeriesId: seriesId,
        SeasonId: seasonId,
        IndexNumber: episode.index,
        ParentIndexNumber: season.index,
        ProductionYear: airYear,
        PremiereDate: `${airYear}-${String(1 + ((episode.index - 1) % 12)).padStart(2, '0')}-15T00:00:00.0000000Z`,
        RunTimeTicks: episode.durationMs * TICKS_PER_MS,
        ProviderIds: partial ? { Tvdb: String(episode.ids.tvdb) } : { Imdb: episode.ids.imdb, Tmdb: String(episode.ids.tmdb), Tvdb: String(episode.ids.tvdb) },
        Path: `${seasonPath}/${show.title} ${code}.mkv`,
        DateCreated: isoTicks(dates.created + offsetMs),
        DateLastSaved: isoTicks(dates.saved + offsetMs),
      });
    }
  }
  return items;
}

export function buildSyntheticData(options: MbSyntheticOptions): MediaBrowserEmulatorData {
  const { dialect, spec, name } = options;
  const seed = String(options.seed);
  const catalogue = generateCatalogue(spec, seed);
  const ids = dialect === 'emby' ? embyIds(name, countItems(spec)) : jellyfinIds(name);
  const movieLibrary = ids.take('library:movies');
  const showLibrary = ids.take('library:tvshows');
  const created = isoTicks(1_700_000_000_000 + (hash32(`libraries:${dialect}:${name}`) % 10_000_000) * 1000);
  const libraries: MbLibrary[] = [
    { Id: movieLibrary, Name: 'Movies', CollectionType: 'movies', Path: '/media/movies', DateCreated: created },
    { Id: showLibrary, Name: 'Shows', CollectionType: 'tvshows', Path: '/media/tv', DateCreated: created },
  ];
  const ctx: BuildContext = { dialect, name, seed, ids, movieLibrary, showLibrary };
  const items: MbItem[] = [];
  for (const movie of catalogue.movies) items.push(movieItem(movie, ctx));
  for (const show of catalogue.shows) items.push(...showItems(show, ctx));
  const keys = options.apiKeys?.length ? options.apiKeys : [`apikey-${name}`];
  return {
    serverId: serverIdFor(dialect, name),
    serverName: name,
    version: options.version ?? DEFAULT_VERSION[dialect],
    users: syntheticUsers(dialect, name),
    apiKeys: keys.map((token) => ({ token, name: 'playhead' })),
    libraries,
    items,
    userData: {},
    sessions: [],
    playback: { minResumePct: 5, maxResumePct: 90, minResumeDurationSeconds: 300 },
  };
}
