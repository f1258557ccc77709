// A peer's progress job: what a sync tool built on python-plexapi does to copy resume positions
// from one server to another, as raw HTTP. The model is CrossWatch's progress modules (Plex and
// Jellyfin) and the python-plexapi calls they make.
// The benchmark runs it beside Playhead to compare wall time and request counts (issue 11,
// points 3 and 6); test/fidelity/plex-peer-progress.test.ts checks that it finds and writes
// every item between two emulators.
//
// It imports nothing from src/ or emulators/: it must behave like an outside client, so a bug
// shared with Playhead's providers or with the emulators cannot hide here.
//
// The strategy is sequential and per item, as those tools work (facts from their public code,
// our own implementation):
//
// Reading the source
// - Plex: `GET /` (python-plexapi's PlexServer loads it on connect), `GET /library/sections`, then
//   per movie/show section `GET /library/sections/{id}/all?type=1|4&inProgress=1&includeGuids=1`,
//   paged 100 at a time with X-Plex-Container-Start/Size (python-plexapi's default container size).
//   CrossWatch reads Continue Watching/On Deck capped at 150 rows instead; a full in-progress
//   listing never misses an item, which the "every item written" check needs. Episodes' show ids
//   come from `GET /library/metadata/{show}` once per show (CrossWatch hydrates them the same way).
// - Jellyfin: `GET /Items?userId=&recursive=true&includeItemTypes=Movie,Episode&filters=IsResumable
//   &fields=ProviderIds` paged 500 at a time, then the series' ProviderIds with `ids=` in batches
//   of 100 (CrossWatch's progress reader).
//
// Finding each item on the target, one at a time
// - Plex target, in order:
//   1. `guid`: `GET /library/sections/{id}/all?type=1|4&guid=<guid>` in every section of the
//      item's kind, with the item's own Plex guid (what python-plexapi's `section.getGuid()` sends
//      for a plex:// guid). A Jellyfin item has no Plex guid; it tries the legacy agent guids its
//      provider ids would have (`com.plexapp.agents.imdb://tt…?lang=en`…), as CrossWatch does.
//   2. `show-guid` (episodes): the show by its guid, then `/library/metadata/{show}/allLeaves`
//      and the episode by season and episode number (python-plexapi's `show.episode(season=,
//      episode=)`).
//   3. `index`: a guid index built once from `includeGuids=1` listings of the target's movies and
//      shows (the lookup table python-plexapi's `getGuid` documentation recommends): every
//      external id (`imdb://`, `tmdb://`, `tvdb://`) and the ids inside legacy agent guids.
//   4. `search`: `GET /hubs/search?query=<title>` (python-plexapi's `PlexServer.search()`), a
//      movie by exact title and year, an episode through its show's title.
// - Jellyfin target: `AnyProviderIdEquals` is ignored by Jellyfin 10.9+, so each item is looked
//   up as CrossWatch's per-item fallback does: `GET /Items?searchTerm=<title>&includeItemTypes=
//   Movie|Series&fields=ProviderIds,ProductionYear`, then a ProviderIds check (else exact name and
//   year ±1); an episode then by `parentId=<series>&parentIndexNumber=&indexNumber=`. A series
//   found once is remembered for its other episodes. (CrossWatch first consults a provider-id
//   index of the whole library; it is left out so that every item costs one lookup, the
//   sequential strategy the benchmark compares with.)
//
// Writing, one request per item
// - Plex: `POST /:/timeline?ratingKey=&key=/library/metadata/{rk}&identifier=…&time=&state=stopped
//   &duration=` (python-plexapi's `updateTimeline()`; it sends GET, PMS takes both).
// - Jellyfin 10.9+: `POST /UserItems/{id}/UserData?userId=` with `PlaybackPositionTicks` (and
//   `LastPlayedDate`), as CrossWatch does.
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { z } from 'zod';

type PeerEndpoint =
  | { kind: 'plex'; url: string; token: string }
  /** `userId` defaults to the token's own user (`GET /Users/Me`); an API key needs it. */
  | { kind: 'jellyfin'; url: string; token: string; userId?: string };

export interface PeerJobOptions {
  source: PeerEndpoint;
  target: PeerEndpoint;
  /** Injected fetch (e.g. with a latency-adding dispatcher); default the global one. */
  fetch?: typeof fetch;
}

/** How an item was found on the target (see the header). */
type PeerStep = 'guid' | 'show-guid' | 'index' | 'search';

interface PeerMatch {
  /** `Title (Year)` for a movie, `Show (Year) S01E02` for an episode. */
  item: string;
  kind: 'movie' | 'episode';
  step: PeerStep;
  /** The target's id: a Plex ratingKey or a Jellyfin item id. */
  targetId: string;
  positionMs: number;
}

export interface PeerJobResult {
  /** Resumable items read from the source. */
  items: number;
  found: number;
  written: number;
  /** Labels of the items the target did not have (by any step). */
  notFound: string[];
  /** Labels of items found whose write was refused. */
  failedWrites: string[];
  /** Every HTTP request made, to either server. */
  requests: number;
  wallMs: number;
  foundBy: Record<PeerStep, number>;
  matches: PeerMatch[];
}

// ---- the items being copied -------------------------------------------------------------------

/** External ids, lower-case namespace → value (`imdb` → `tt0111161`). */
type ExternalIds = Partial<Record<'imdb' | 'tmdb' | 'tvdb', string>>;

interface PeerShow {
  title: string;
  year?: number;
  ids: ExternalIds;
  /** The show's own Plex guid (Plex sources only). */
  plexGuid?: string;
}

interface PeerItem {
  kind: 'movie' | 'episode';
  title: string;
  year?: number;
  ids: ExternalIds;
  plexGuid?: string;
  show?: PeerShow;
  season?: number;
  episode?: number;
  positionMs: number;
  durationMs?: number;
  /** Epoch seconds. */
  lastPlayedAt?: number;
}

function label(item: PeerItem): string {
  if (item.kind === 'movie') return item.year === undefined ? item.title : `${item.title} (${item.year})`;
  const show = item.show;
  const showLabel = show === undefined ? '?' : show.year === undefined ? show.title : `${show.title} (${show.year})`;
  const pad = (n: number | undefined) => String(n ?? 0).padStart(2, '0');
  return `${showLabel} S${pad(item.season)}E${pad(item.episode)}`;
}

function idKeys(ids: ExternalIds): string[] {
  return (['imdb', 'tmdb', 'tvdb'] as const).flatMap((ns) => (ids[ns] === undefined ? [] : [`${ns}://${ids[ns]}`]));
}

const LEGACY_AGENTS: Record<string, keyof ExternalIds> = {
  'com.plexapp.agents.imdb': 'imdb',
  'com.plexapp.agents.themoviedb': 'tmdb',
  'com.plexapp.agents.thetvdb': 'tvdb',
  imdb: 'imdb',
  tmdb: 'tmdb',
  tvdb: 'tvdb',
};

/**
 * The external id inside a guid: `imdb://tt1`, or a legacy agent's `com.plexapp.agents.thetvdb://
 * 123/1/2?lang=en` (show 123, season 1, episode 2). plex:// guids carry none.
 */
function parseGuid(guid: string): { ids: ExternalIds; season?: number; episode?: number } {
  const match = /^([a-z.]+):\/\/([^?]*)/i.exec(guid);
  const ns = match ? LEGACY_AGENTS[match[1]!.toLowerCase()] : undefined;
  if (!match || ns === undefined) return { ids: {} };
  const [id, season, episode] = match[2]!.split('/');
  if (!id) return { ids: {} };
  return {
    ids: { [ns]: id },
    ...(season ? { season: Number(season) } : {}),
    ...(episode ? { episode: Number(episode) } : {}),
  };
}

// ---- HTTP ---------------------------------------------------------------------------------------

class Http {
  requests = 0;
  constructor(private readonly fetchImpl: typeof fetch) {}

  async send(url: string, init: RequestInit = {}): Promise<Response> {
    this.requests++;
    return this.fetchImpl(url, init);
  }

  /** A read that must succeed (source listings, section lists). */
  async json<T>(url: string, headers: Record<string, string>, schema: z.ZodType<T>): Promise<T> {
    const res = await this.send(url, { headers });
    if (!res.ok) throw new Error(`peer: GET ${new URL(url).pathname} answered ${res.status}`);
    return schema.parse(await res.json());
  }

  /** A lookup: any failure is a miss, as the tools treat it (`if not r.ok: continue`). */
  async lookup<T>(url: string, headers: Record<string, string>, schema: z.ZodType<T>): Promise<T | undefined> {
    const res = await this.send(url, { headers });
    if (!res.ok) {
      await res.body?.cancel();
      return undefined;
    }
    const parsed = schema.safeParse(await res.json().catch(() => undefined));
    return parsed.success ? parsed.data : undefined;
  }
}

function withQuery(base: string, path: string, query: Record<string, string | number | undefined>): string {
  const url = new URL(path, base);
  for (const [k, v] of Object.entries(query)) if (v !== undefined) url.searchParams.set(k, String(v));
  return url.toString();
}

// ---- Plex ---------------------------------------------------------------------------------------

const PlexRow = z.object({
  ratingKey: z.string(),
  type: z.string(),
  title: z.string(),
  guid: z.string().optional(),
  year: z.number().optional(),
  index: z.number().optional(),
  parentIndex: z.number().optional(),
  grandparentTitle: z.string().optional(),
  grandparentGuid: z.string().optional(),
  grandparentRatingKey: z.string().optional(),
  duration: z.number().optional(),
  viewOffset: z.number().optional(),
  lastViewedAt: z.number().optional(),
  Guid: z.array(z.object({ id: z.string() })).optional(),
});
type PlexRow = z.infer<typeof PlexRow>;

const PlexRows = z.object({
  MediaContainer: z.object({ totalSize: z.number().optional(), Metadata: z.array(PlexRow).optional() }),
});
const PlexSections = z.object({
  MediaContainer: z.object({ Directory: z.array(z.object({ key: z.string(), type: z.string() })).optional() }),
});
const PlexHubs = z.object({
  MediaContainer: z.object({ Hub: z.array(z.object({ type: z.string(), Metadata: z.array(PlexRow).optional() })).optional() }),
});
const PlexAny = z.unknown();

/** python-plexapi's X_PLEX_CONTAINER_SIZE: the page size of its listings. */
const PLEX_PAGE = 100;
const PLEX_LIBRARY = 'com.plexapp.plugins.library';

function plexHeaders(token: string, clientId: string): Record<string, string> {
  // The X-Plex-* set python-plexapi sends with every request (plexapi/config.py), with this
  // tool's own product name; JSON, as CrossWatch's raw-HTTP paths ask for.
  return {
    Accept: 'application/json',
    'X-Plex-Token': token,
    'X-Plex-Client-Identifier': clientId,
    'X-Plex-Product': 'PlexAPI',
    'X-Plex-Version': '4.16.1',
    'X-Plex-Provides': 'controller',
    'X-Plex-Platform': 'Linux',
    'X-Plex-Platform-Version': '6.1',
    'X-Plex-Device': 'Linux',
    'X-Plex-Device-Name': 'peer-bench',
    'X-Plex-Sync-Version': '2',
    'X-Plex-Features': 'external-media',
  };
}

function plexIds(row: PlexRow): ExternalIds {
  const ids: ExternalIds = {};
  for (const g of row.Guid ?? []) Object.assign(ids, parseGuid(g.id).ids);
  return ids;
}

class PlexServer {
  private readonly headers: Record<string, string>;
  private sectionList?: { key: string; type: string }[];

  constructor(
    private readonly http: Http,
    private readonly url: string,
    token: string,
  ) {
    this.headers = plexHeaders(token, `peer-${randomUUID()}`);
  }

  async connect(): Promise<void> {
    await this.http.json(withQuery(this.url, '/', {}), this.headers, PlexAny);
    const body = await this.http.json(withQuery(this.url, '/library/sections', {}), this.headers, PlexSections);
    this.sectionList = body.MediaContainer.Directory ?? [];
  }

  sections(type: 'movie' | 'show'): string[] {
    return (this.sectionList ?? []).filter((s) => s.type === type).map((s) => s.key);
  }

  /** Every row of a section listing, a page of PLEX_PAGE at a time. */
  async *listing(section: string, query: Record<string, string | number>): AsyncGenerator<PlexRow> {
    for (let start = 0; ; start += PLEX_PAGE) {
      const url = withQuery(this.url, `/library/sections/${section}/all`, {
        ...query,
        'X-Plex-Container-Start': start,
        'X-Plex-Container-Size': PLEX_PAGE,
      });
      const page = await this.http.json(url, this.headers, PlexRows);
      const rows = page.MediaContainer.Metadata ?? [];
      yield* rows;
      const total = page.MediaContainer.totalSize;
      if (rows.length < PLEX_PAGE || (total !== undefined && start + rows.length >= total)) return;
    }
  }

  async get(path: string, query: Record<string, string | number | undefined> = {}): Promise<PlexRow[] | undefined> {
    const body = await this.http.lookup(withQuery(this.url, path, query), this.headers, PlexRows);
    return body?.MediaContainer.Metadata;
  }

  async search(query: string): Promise<{ type: string; rows: PlexRow[] }[]> {
    // python-plexapi's PlexServer.search() adds these two flags to every hub search.
    const url = withQuery(this.url, '/hubs/search', { query, includeCollections: 1, includeExternalMedia: 1 });
    const body = await this.http.lookup(url, this.headers, PlexHubs);
    return (body?.MediaContainer.Hub ?? []).map((h) => ({ type: h.type, rows: h.Metadata ?? [] }));
  }

  async timeline(rk: string, timeMs: number, durationMs: number | undefined): Promise<boolean> {
    const url = withQuery(this.url, '/:/timeline', {
      ratingKey: rk,
      key: `/library/metadata/${rk}`,
      identifier: PLEX_LIBRARY,
      time: Math.round(timeMs),
      state: 'stopped',
      duration: durationMs,
    });
    const res = await this.http.send(url, { method: 'POST', headers: this.headers });
    await res.body?.cancel();
    return res.ok;
  }
}

async function readPlexSource(server: PlexServer): Promise<PeerItem[]> {
  const items: PeerItem[] = [];
  const shows = new Map<string, PeerShow>();
  const showOf = async (row: PlexRow): Promise<PeerShow> => {
    const key = row.grandparentRatingKey ?? row.grandparentTitle ?? '';
    const known = shows.get(key);
    if (known) return known;
    const detail = row.grandparentRatingKey === undefined ? undefined : (await server.get(`/library/metadata/${row.grandparentRatingKey}`))?.[0];
    const guid = detail?.guid ?? row.grandparentGuid;
    const show: PeerShow = {
      title: detail?.title ?? row.grandparentTitle ?? '',
      ...(detail?.year !== undefined ? { year: detail.year } : {}),
      ids: { ...(guid ? parseGuid(guid).ids : {}), ...(detail ? plexIds(detail) : {}) },
      ...(guid ? { plexGuid: guid } : {}),
    };
    shows.set(key, show);
    return show;
  };
  for (const [sectionType, type] of [
    ['movie', 1],
    ['show', 4],
  ] as const) {
    for (const section of server.sections(sectionType)) {
      for await (const row of server.listing(section, { type, inProgress: 1, includeGuids: 1 })) {
        if (row.viewOffset === undefined || row.viewOffset <= 0) continue;
        const common = {
          title: row.title,
          ...(row.year !== undefined ? { year: row.year } : {}),
          ...(row.guid ? { plexGuid: row.guid } : {}),
          positionMs: row.viewOffset,
          ...(row.duration !== undefined ? { durationMs: row.duration } : {}),
          ...(row.lastViewedAt !== undefined ? { lastPlayedAt: row.lastViewedAt } : {}),
        };
        if (type === 1) {
          items.push({ kind: 'movie', ...common, ids: { ...(row.guid ? parseGuid(row.guid).ids : {}), ...plexIds(row) } });
          continue;
        }
        // A legacy episode guid names its show's tvdb id, season and episode, not the episode's.
        items.push({
          kind: 'episode',
          ...common,
          ids: plexIds(row),
          show: await showOf(row),
          ...(row.parentIndex !== undefined ? { season: row.parentIndex } : {}),
          ...(row.index !== undefined ? { episode: row.index } : {}),
        });
      }
    }
  }
  return items;
}

interface Found {
  id: string;
  step: PeerStep;
  durationMs?: number;
}

/** The legacy agent guids a Plex server would give an item with these ids (CrossWatch's candidates). */
function legacyGuids(ids: ExternalIds, suffix = ''): string[] {
  const out: string[] = [];
  if (ids.imdb) out.push(`com.plexapp.agents.imdb://${ids.imdb}${suffix}?lang=en`);
  if (ids.tmdb) out.push(`com.plexapp.agents.themoviedb://${ids.tmdb}${suffix}?lang=en`);
  if (ids.tvdb) out.push(`com.plexapp.agents.thetvdb://${ids.tvdb}${suffix}?lang=en`);
  return out;
}

function sameTitle(a: string | undefined, b: string): boolean {
  return a !== undefined && a.trim().toLowerCase() === b.trim().toLowerCase();
}

class PlexTarget {
  private index?: { movie: Map<string, PlexRow>; show: Map<string, PlexRow> };
  private readonly leaves = new Map<string, PlexRow[]>();

  constructor(private readonly server: PlexServer) {}

  async find(item: PeerItem): Promise<Found | undefined> {
    return item.kind === 'movie' ? this.findMovie(item) : this.findEpisode(item);
  }

  private async byGuid(sectionType: 'movie' | 'show', type: number, guids: string[]): Promise<PlexRow | undefined> {
    for (const guid of guids) {
      for (const section of this.server.sections(sectionType)) {
        const rows = await this.server.get(`/library/sections/${section}/all`, { type, guid });
        if (rows?.[0]) return rows[0];
      }
    }
    return undefined;
  }

  private async buildIndex() {
    if (this.index) return this.index;
    const index = { movie: new Map<string, PlexRow>(), show: new Map<string, PlexRow>() };
    for (const [sectionType, type] of [
      ['movie', 1],
      ['show', 2],
    ] as const) {
      for (const section of this.server.sections(sectionType)) {
        for await (const row of this.server.listing(section, { type, includeGuids: 1 })) {
          const map = index[sectionType];
          if (row.guid) map.set(row.guid, row);
          for (const key of idKeys({ ...(row.guid ? parseGuid(row.guid).ids : {}), ...plexIds(row) })) map.set(key, row);
        }
      }
    }
    this.index = index;
    return index;
  }

  private async byIndex(kind: 'movie' | 'show', ids: ExternalIds): Promise<PlexRow | undefined> {
    const keys = idKeys(ids);
    if (keys.length === 0) return undefined;
    const map = (await this.buildIndex())[kind];
    for (const key of keys) {
      const row = map.get(key);
      if (row) return row;
    }
    return undefined;
  }

  private async episodeOf(show: PlexRow, item: PeerItem): Promise<PlexRow | undefined> {
    let rows = this.leaves.get(show.ratingKey);
    if (!rows) {
      rows = (await this.server.get(`/library/metadata/${show.ratingKey}/allLeaves`)) ?? [];
      this.leaves.set(show.ratingKey, rows);
    }
    return rows.find((r) => r.parentIndex === item.season && r.index === item.episode);
  }

  private async findMovie(item: PeerItem): Promise<Found | undefined> {
    const found = (row: PlexRow | undefined, step: PeerStep): Found | undefined =>
      row ? { id: row.ratingKey, step, ...(row.duration !== undefined ? { durationMs: row.duration } : {}) } : undefined;
    const guids = item.plexGuid ? [item.plexGuid] : legacyGuids(item.ids);
    const hit = found(await this.byGuid('movie', 1, guids), 'guid') ?? found(await this.byIndex('movie', item.ids), 'index');
    if (hit) return hit;
    for (const hub of await this.server.search(item.title)) {
      if (hub.type !== 'movie') continue;
      const row = hub.rows.find((r) => sameTitle(r.title, item.title) && (item.year === undefined || r.year === item.year));
      if (row) return found(row, 'search');
    }
    return undefined;
  }

  private async findEpisode(item: PeerItem): Promise<Found | undefined> {
    const found = (row: PlexRow | undefined, step: PeerStep): Found | undefined =>
      row ? { id: row.ratingKey, step, ...(row.duration !== undefined ? { durationMs: row.duration } : {}) } : undefined;
    const show = item.show;
    const numbers = item.season !== undefined && item.episode !== undefined ? `/${item.season}/${item.episode}` : undefined;
    const ownGuids = item.plexGuid ? [item.plexGuid] : numbers && show ? legacyGuids({ ...(show.ids.tvdb ? { tvdb: show.ids.tvdb } : {}) }, numbers) : [];
    const own = await this.byGuid('show', 4, ownGuids);
    if (own) return found(own, 'guid');
    if (!show) return undefined;
    const showGuids = show.plexGuid ? [show.plexGuid] : legacyGuids(show.ids);
    const byShowGuid = await this.byGuid('show', 2, showGuids);
    if (byShowGuid) {
      const episode = await this.episodeOf(byShowGuid, item);
      if (episode) return found(episode, 'show-guid');
    }
    const byIndex = await this.byIndex('show', show.ids);
    if (byIndex) {
      const episode = await this.episodeOf(byIndex, item);
      if (episode) return found(episode, 'index');
    }
    for (const hub of await this.server.search(show.title)) {
      if (hub.type !== 'show') continue;
      for (const row of hub.rows) {
        if (!sameTitle(row.title, show.title) || (show.year !== undefined && row.year !== show.year)) continue;
        const episode = await this.episodeOf(row, item);
        if (episode) return found(episode, 'search');
      }
    }
    return undefined;
  }

  write(found: Found, item: PeerItem): Promise<boolean> {
    // updateTimeline() sends the target item's own duration.
    return this.server.timeline(found.id, item.positionMs, found.durationMs ?? item.durationMs);
  }
}

// ---- Jellyfin -------------------------------------------------------------------------------------

const JfRow = z.object({
  Id: z.string(),
  Type: z.string(),
  Name: z.string(),
  ProductionYear: z.number().optional(),
  ProviderIds: z.record(z.string(), z.string().nullable()).optional(),
  SeriesId: z.string().optional(),
  SeriesName: z.string().optional(),
  ParentIndexNumber: z.number().optional(),
  IndexNumber: z.number().optional(),
  RunTimeTicks: z.number().optional(),
  UserData: z.object({ PlaybackPositionTicks: z.number().optional(), LastPlayedDate: z.string().optional() }).optional(),
});
type JfRow = z.infer<typeof JfRow>;
const JfRows = z.object({ Items: z.array(JfRow), TotalRecordCount: z.number().optional() });
const JfMe = z.object({ Id: z.string() });

const JF_PAGE = 500;
const TICKS_PER_MS = 10_000;

function jfIds(row: JfRow): ExternalIds {
  const ids: ExternalIds = {};
  for (const [key, value] of Object.entries(row.ProviderIds ?? {})) {
    const ns = key.toLowerCase();
    if (value && (ns === 'imdb' || ns === 'tmdb' || ns === 'tvdb')) ids[ns] = value;
  }
  return ids;
}

function sharesId(a: ExternalIds, b: ExternalIds): boolean {
  return (['imdb', 'tmdb', 'tvdb'] as const).some((ns) => a[ns] !== undefined && a[ns] === b[ns]);
}

class JellyfinServer {
  private readonly headers: Record<string, string>;
  userId = '';

  constructor(
    private readonly http: Http,
    private readonly endpoint: Extract<PeerEndpoint, { kind: 'jellyfin' }>,
  ) {
    const device = randomUUID();
    this.headers = {
      Accept: 'application/json',
      Authorization: `MediaBrowser Client="peer-bench", Device="bench", DeviceId="${device}", Version="1.0.0", Token="${endpoint.token}"`,
    };
  }

  async connect(): Promise<void> {
    this.userId = this.endpoint.userId ?? (await this.http.json(withQuery(this.endpoint.url, '/Users/Me', {}), this.headers, JfMe)).Id;
  }

  items(query: Record<string, string | number | undefined>): Promise<z.infer<typeof JfRows> | undefined> {
    return this.http.lookup(withQuery(this.endpoint.url, '/Items', { userId: this.userId, ...query }), this.headers, JfRows);
  }

  async *resumable(): AsyncGenerator<JfRow> {
    for (let start = 0; ; start += JF_PAGE) {
      const url = withQuery(this.endpoint.url, '/Items', {
        userId: this.userId,
        recursive: 'true',
        includeItemTypes: 'Movie,Episode',
        filters: 'IsResumable',
        fields: 'ProviderIds',
        enableUserData: 'true',
        startIndex: start,
        limit: JF_PAGE,
        enableTotalRecordCount: 'true',
      });
      const page = await this.http.json(url, this.headers, JfRows);
      yield* page.Items;
      const total = page.TotalRecordCount;
      if (page.Items.length < JF_PAGE || (total !== undefined && start + page.Items.length >= total)) return;
    }
  }

  async writePosition(id: string, item: PeerItem): Promise<boolean> {
    const url = withQuery(this.endpoint.url, `/UserItems/${id}/UserData`, { userId: this.userId });
    const body = {
      PlaybackPositionTicks: Math.round(item.positionMs) * TICKS_PER_MS,
      ...(item.lastPlayedAt !== undefined ? { LastPlayedDate: new Date(item.lastPlayedAt * 1000).toISOString() } : {}),
    };
    const res = await this.http.send(url, { method: 'POST', headers: { ...this.headers, 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
    await res.body?.cancel();
    return res.ok;
  }
}

async function readJellyfinSource(server: JellyfinServer): Promise<PeerItem[]> {
  const rows: JfRow[] = [];
  for await (const row of server.resumable()) {
    if ((row.UserData?.PlaybackPositionTicks ?? 0) > 0 && (row.Type === 'Movie' || row.Type === 'Episode')) rows.push(row);
  }
  const seriesIds = [...new Set(rows.flatMap((r) => (r.SeriesId ? [r.SeriesId] : [])))];
  const series = new Map<string, JfRow>();
  for (let i = 0; i < seriesIds.length; i += 100) {
    const batch = seriesIds.slice(i, i + 100);
    const page = await server.items({ ids: batch.join(','), fields: 'ProviderIds' });
    for (const s of page?.Items ?? []) series.set(s.Id, s);
  }
  return rows.map((row): PeerItem => {
    const lastPlayed = row.UserData?.LastPlayedDate ? Date.parse(row.UserData.LastPlayedDate) : Number.NaN;
    const common = {
      title: row.Name,
      ...(row.ProductionYear !== undefined ? { year: row.ProductionYear } : {}),
      ids: jfIds(row),
      positionMs: Math.round((row.UserData?.PlaybackPositionTicks ?? 0) / TICKS_PER_MS),
      ...(row.RunTimeTicks !== undefined ? { durationMs: Math.round(row.RunTimeTicks / TICKS_PER_MS) } : {}),
      ...(Number.isFinite(lastPlayed) ? { lastPlayedAt: Math.floor(lastPlayed / 1000) } : {}),
    };
    if (row.Type === 'Movie') return { kind: 'movie', ...common };
    const s = row.SeriesId ? series.get(row.SeriesId) : undefined;
    return {
      kind: 'episode',
      ...common,
      show: {
        title: s?.Name ?? row.SeriesName ?? '',
        ...(s?.ProductionYear !== undefined ? { year: s.ProductionYear } : {}),
        ids: s ? jfIds(s) : {},
      },
      ...(row.ParentIndexNumber !== undefined ? { season: row.ParentIndexNumber } : {}),
      ...(row.IndexNumber !== undefined ? { episode: row.IndexNumber } : {}),
    };
  });
}

class JellyfinTarget {
  private readonly series = new Map<string, JfRow | undefined>();

  constructor(private readonly server: JellyfinServer) {}

  /** searchTerm, then the ProviderIds check; exact name and year ±1 when no id is shared. */
  private async search(type: 'Movie' | 'Series', title: string, year: number | undefined, ids: ExternalIds): Promise<JfRow | undefined> {
    const page = await this.server.items({
      searchTerm: title,
      includeItemTypes: type,
      recursive: 'true',
      fields: 'ProviderIds,ProductionYear',
      limit: 50,
    });
    const rows = (page?.Items ?? []).filter((r) => r.Type === type);
    return (
      rows.find((r) => sharesId(jfIds(r), ids)) ??
      rows.find((r) => sameTitle(r.Name, title) && (year === undefined || r.ProductionYear === undefined || Math.abs(r.ProductionYear - year) <= 1))
    );
  }

  async find(item: PeerItem): Promise<Found | undefined> {
    if (item.kind === 'movie') {
      const row = await this.search('Movie', item.title, item.year, item.ids);
      return row ? { id: row.Id, step: 'search' } : undefined;
    }
    const show = item.show;
    if (!show || item.season === undefined || item.episode === undefined) return undefined;
    const key = `${show.title.toLowerCase()}|${show.year ?? ''}|${idKeys(show.ids).join(',')}`;
    if (!this.series.has(key)) this.series.set(key, await this.search('Series', show.title, show.year, show.ids));
    const series = this.series.get(key);
    if (!series) return undefined;
    const page = await this.server.items({
      parentId: series.Id,
      recursive: 'true',
      includeItemTypes: 'Episode',
      parentIndexNumber: item.season,
      indexNumber: item.episode,
    });
    const row = page?.Items.find((r) => r.ParentIndexNumber === item.season && r.IndexNumber === item.episode);
    return row ? { id: row.Id, step: 'search' } : undefined;
  }

  write(found: Found, item: PeerItem): Promise<boolean> {
    return this.server.writePosition(found.id, item);
  }
}

// ---- the job ------------------------------------------------------------------------------------

/** Copies every resume position from `source` to `target`, one item at a time. */
export async function runPeerJob(options: PeerJobOptions): Promise<PeerJobResult> {
  const started = performance.now();
  const http = new Http(options.fetch ?? fetch);

  let items: PeerItem[];
  if (options.source.kind === 'plex') {
    const source = new PlexServer(http, options.source.url, options.source.token);
    await source.connect();
    items = await readPlexSource(source);
  } else {
    const source = new JellyfinServer(http, options.source);
    await source.connect();
    items = await readJellyfinSource(source);
  }

  let target: PlexTarget | JellyfinTarget;
  if (options.target.kind === 'plex') {
    const server = new PlexServer(http, options.target.url, options.target.token);
    await server.connect();
    target = new PlexTarget(server);
  } else {
    const server = new JellyfinServer(http, options.target);
    await server.connect();
    target = new JellyfinTarget(server);
  }

  const result: PeerJobResult = {
    items: items.length,
    found: 0,
    written: 0,
    notFound: [],
    failedWrites: [],
    requests: 0,
    wallMs: 0,
    foundBy: { guid: 0, 'show-guid': 0, index: 0, search: 0 },
    matches: [],
  };
  for (const item of items) {
    const found = await target.find(item);
    if (!found) {
      result.notFound.push(label(item));
      continue;
    }
    result.found++;
    result.foundBy[found.step]++;
    result.matches.push({ item: label(item), kind: item.kind, step: found.step, targetId: found.id, positionMs: item.positionMs });
    if (await target.write(found, item)) result.written++;
    else result.failedWrites.push(label(item));
  }
  result.requests = http.requests;
  result.wallMs = performance.now() - started;
  return result;
}

/** The Plex → Plex job of issue 11 point 3. */
export function runPlexPeerJob(options: {
  source: { url: string; token: string };
  target: { url: string; token: string };
  fetch?: typeof fetch;
}): Promise<PeerJobResult> {
  return runPeerJob({
    source: { kind: 'plex', ...options.source },
    target: { kind: 'plex', ...options.target },
    ...(options.fetch ? { fetch: options.fetch } : {}),
  });
}
