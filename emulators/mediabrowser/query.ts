// The item query behind /Items, /Users/{userId}/Items and the resume lists: parameters parsed
// the way the servers bind them (case-insensitive names, comma lists, unknown enum values
// silently dropped, malformed numbers/booleans/dates/ids → 400), then filter, sort and page.
import type { MbItem, MbUser, MbUserData } from './data.ts';
import { cleanName, isLeaf, sortNameOf, type MbCatalog } from './library.ts';
import { HttpError, invalidParam, type MbEnv, type Params } from './request.ts';
import { parseIsoDate } from './time.ts';

const BASE_ITEM_KINDS = [
  'AggregateFolder',
  'Audio',
  'AudioBook',
  'BasePluginFolder',
  'Book',
  'BoxSet',
  'Channel',
  'ChannelFolderItem',
  'CollectionFolder',
  'Episode',
  'Folder',
  'Genre',
  'ManualPlaylistsFolder',
  'Movie',
  'LiveTvChannel',
  'LiveTvProgram',
  'MusicAlbum',
  'MusicArtist',
  'MusicGenre',
  'MusicVideo',
  'Person',
  'Photo',
  'PhotoAlbum',
  'Playlist',
  'PlaylistsFolder',
  'Program',
  'Recording',
  'Season',
  'Series',
  'Studio',
  'Trailer',
  'TvChannel',
  'TvProgram',
  'UserRootFolder',
  'UserView',
  'Video',
  'Year',
];
const ITEM_FILTERS = ['IsFolder', 'IsNotFolder', 'IsUnplayed', 'IsPlayed', 'IsFavorite', 'IsResumable', 'Likes', 'Dislikes', 'IsFavoriteOrLikes'];
const MEDIA_TYPES = ['Unknown', 'Video', 'Audio', 'Photo', 'Book'];
const SORT_ORDERS = ['Ascending', 'Descending'];

/** Keep the values that name a member of the enum (case-insensitively, canonical spelling); drop the rest. */
function enumValues(values: string[], members: readonly string[]): string[] {
  const byLower = new Map(members.map((m) => [m.toLowerCase(), m] as const));
  return values.map((v) => byLower.get(v.toLowerCase())).filter((v): v is string => v !== undefined);
}

export interface ItemQuery {
  parentId?: string;
  recursive: boolean;
  includeTypes: string[];
  excludeTypes: string[];
  filters: Set<string>;
  isPlayed?: boolean;
  isFavorite?: boolean;
  isFolder?: boolean;
  ids: string[];
  excludeIds: Set<string>;
  hasImdbId?: boolean;
  hasTmdbId?: boolean;
  hasTvdbId?: boolean;
  minDateLastSaved?: number;
  minDateLastSavedForUser?: number;
  parentIndexNumber?: number;
  indexNumber?: number;
  searchTerm?: string;
  years: Set<number>;
  mediaTypes: string[];
  /** Emby only: `imdb.tt0111161,tmdb.278` → [['imdb','tt0111161'], ['tmdb','278']]. */
  anyProviderIdEquals: Array<[string, string]>;
  sortBy: string[];
  sortOrder: string[];
  startIndex: number;
  limit?: number;
  enableTotalRecordCount: boolean;
  enableUserData: boolean;
  /** Lower-cased `Fields` values, unknown ones included (they are simply never looked at). */
  fields: Set<string>;
}

export function readBool(env: MbEnv, params: Params, name: string): boolean | undefined {
  const raw = params.get(name);
  if (raw === undefined || raw === '') return undefined;
  if (/^true$/i.test(raw)) return true;
  if (/^false$/i.test(raw)) return false;
  throw new HttpError(invalidParam(env, name, `The value '${raw}' is not valid.`));
}

export function readInt(env: MbEnv, params: Params, name: string): number | undefined {
  const raw = params.get(name);
  if (raw === undefined || raw === '') return undefined;
  if (!/^[+-]?\d+$/.test(raw.trim()) || Math.abs(Number(raw)) > 2_147_483_647) {
    throw new HttpError(invalidParam(env, name, `The value '${raw}' is not valid.`));
  }
  return Number(raw);
}

export function readDate(env: MbEnv, params: Params, name: string): number | undefined {
  const raw = params.get(name);
  if (raw === undefined || raw === '') return undefined;
  const ms = parseIsoDate(raw);
  if (ms === undefined) throw new HttpError(invalidParam(env, name, `The value '${raw}' is not valid.`));
  return ms;
}

/** An Int64 query parameter (positions in ticks); malformed → 400 as model binding does. */
export function readLong(env: MbEnv, params: Params, name: string): number | undefined {
  const raw = params.get(name);
  if (raw === undefined || raw === '') return undefined;
  if (!/^[+-]?\d+$/.test(raw.trim()) || !Number.isSafeInteger(Number(raw))) {
    throw new HttpError(invalidParam(env, name, `The value '${raw}' is not valid.`));
  }
  return Number(raw);
}

const GUID = /^[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}$/;

/** Jellyfin binds ids as GUIDs (malformed → 400); Emby takes any string. */
export function checkId(env: MbEnv, name: string, raw: string): string {
  if (env.dialect === 'jellyfin' && !GUID.test(raw)) throw new HttpError(invalidParam(env, name, `The value '${raw}' is not valid.`));
  return env.catalog.normalizeId(raw);
}

export function readFields(params: Params): Set<string> {
  return new Set(params.list('Fields').map((f) => f.toLowerCase()));
}

export function parseItemQuery(env: MbEnv, params: Params): ItemQuery {
  const jellyfin = env.dialect === 'jellyfin';
  // Jellyfin drops names outside its BaseItemKind enum; Emby takes any name (unknown ones match nothing).
  const types = (name: string) =>
    jellyfin ? enumValues(params.list(name), BASE_ITEM_KINDS) : params.list(name).map((t) => enumValues([t], BASE_ITEM_KINDS)[0] ?? t);
  const parentRaw = params.get('ParentId');
  const query: ItemQuery = {
    recursive: readBool(env, params, 'Recursive') ?? false,
    includeTypes: types('IncludeItemTypes'),
    excludeTypes: types('ExcludeItemTypes'),
    filters: new Set(enumValues(params.list('Filters'), ITEM_FILTERS)),
    ids: params.list('Ids').map((id) => checkId(env, 'ids', id)),
    excludeIds: new Set(params.list('ExcludeItemIds').map((id) => checkId(env, 'excludeItemIds', id))),
    years: new Set(
      params.list('Years').map((y) => {
        if (!/^\d+$/.test(y)) throw new HttpError(invalidParam(env, 'years', `The value '${y}' is not valid.`));
        return Number(y);
      }),
    ),
    mediaTypes: enumValues(params.list('MediaTypes'), MEDIA_TYPES),
    anyProviderIdEquals: [],
    sortBy: params.list('SortBy'),
    sortOrder: enumValues(params.list('SortOrder'), SORT_ORDERS),
    startIndex: Math.max(0, readInt(env, params, 'StartIndex') ?? 0),
    enableTotalRecordCount: readBool(env, params, 'EnableTotalRecordCount') ?? true,
    enableUserData: readBool(env, params, 'EnableUserData') ?? true,
    fields: readFields(params),
  };
  if (parentRaw !== undefined && parentRaw !== '') query.parentId = checkId(env, 'parentId', parentRaw);
  const optional = {
    isPlayed: readBool(env, params, 'IsPlayed'),
    isFavorite: readBool(env, params, 'IsFavorite'),
    hasImdbId: readBool(env, params, 'HasImdbId'),
    hasTmdbId: readBool(env, params, 'HasTmdbId'),
    hasTvdbId: readBool(env, params, 'HasTvdbId'),
    minDateLastSaved: readDate(env, params, 'MinDateLastSaved'),
    minDateLastSavedForUser: readDate(env, params, 'MinDateLastSavedForUser'),
    parentIndexNumber: readInt(env, params, 'ParentIndexNumber'),
    indexNumber: readInt(env, params, 'IndexNumber'),
    limit: readInt(env, params, 'Limit'),
    isFolder: jellyfin ? undefined : readBool(env, params, 'IsFolder'),
  };
  for (const [key, value] of Object.entries(optional)) {
    if (value !== undefined) (query as unknown as Record<string, unknown>)[key] = value;
  }
  // Kept as sent: Jellyfin neither trims nor folds the term before cleaning it (see searchPredicate).
  const search = params.get('SearchTerm');
  if (search !== undefined && search !== '') query.searchTerm = search;
  if (!jellyfin) {
    // Jellyfin's HTTP API has no provider-id filter: the parameter is simply not bound there.
    for (const pair of params.list('AnyProviderIdEquals')) {
      const dot = pair.indexOf('.');
      if (dot > 0) query.anyProviderIdEquals.push([pair.slice(0, dot).toLowerCase(), pair.slice(dot + 1)]);
    }
  }
  return query;
}

function providerId(item: MbItem, provider: string): string | undefined {
  const key = Object.keys(item.ProviderIds).find((k) => k.toLowerCase() === provider.toLowerCase());
  const value = key === undefined ? undefined : item.ProviderIds[key];
  return value === undefined || value === '' ? undefined : value;
}

// ---- search --------------------------------------------------------------------------------

/** SQL LIKE (`%` any run, `_` one character; case-insensitive as SQLite) as a RegExp. */
function likePattern(pattern: string): RegExp {
  const source = [...pattern].map((c) => (c === '%' ? '.*' : c === '_' ? '.' : c.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))).join('');
  return new RegExp(`^${source}$`, 'is');
}

/**
 * Jellyfin 10.11's SearchTerm (BaseItemRepository): the item's clean name contains the clean
 * term, or its OriginalTitle contains the term (lower case). A term with a LIKE wildcard
 * (`%`, `_`, `[`, `]`, `^`) is matched as `%term%` on the clean name and as the bare pattern on
 * the original title. Emby (a guess, its code is closed) is given the same rule.
 */
function searchPredicate(catalog: MbCatalog, term: string): (item: MbItem) => boolean {
  const clean = cleanName(term);
  const lower = term.toLowerCase();
  if (/[%_[\]^]/.test(clean)) {
    const name = likePattern(`%${clean.replace(/^%+|%+$/g, '')}%`);
    const original = likePattern(lower);
    return (item) => name.test(catalog.cleanName(item)) || (item.OriginalTitle !== undefined && original.test(item.OriginalTitle.toLowerCase()));
  }
  return (item) => catalog.cleanName(item).includes(clean) || item.OriginalTitle?.toLowerCase().includes(lower) === true;
}

/** Jellyfin orders search hits by match quality first: exact name, then "term …", then a prefix, then the rest. */
function searchRelevance(catalog: MbCatalog, term: string): (item: MbItem) => number {
  const clean = cleanName(term);
  return (item) => {
    const name = catalog.cleanName(item);
    if (name === clean) return 0;
    if (name.startsWith(`${clean} `)) return 1;
    return name.startsWith(clean) ? 2 : 3;
  };
}

// ---- filtering -----------------------------------------------------------------------------

type Predicate = (item: MbItem) => boolean;

/** The query's conditions beyond scope and types, each only when asked for (an empty list = no filtering pass). */
function predicates(env: MbEnv, query: ItemQuery, user: MbUser | undefined): Predicate[] {
  const catalog = env.catalog;
  const out: Predicate[] = [];
  if (query.excludeIds.size > 0) out.push((item) => !query.excludeIds.has(item.Id));
  if (query.mediaTypes.length > 0) {
    const video = query.mediaTypes.includes('Video');
    const unknown = query.mediaTypes.includes('Unknown');
    out.push((item) => (isLeaf(item) ? video : unknown));
  }
  const folderWanted = query.filters.has('IsFolder') ? true : query.filters.has('IsNotFolder') ? false : query.isFolder;
  if (folderWanted !== undefined) out.push((item) => folderWanted !== isLeaf(item));
  for (const [flag, provider] of [
    ['hasImdbId', 'Imdb'],
    ['hasTmdbId', 'Tmdb'],
    ['hasTvdbId', 'Tvdb'],
  ] as const) {
    const wanted = query[flag];
    if (wanted !== undefined) out.push((item) => (providerId(item, provider) !== undefined) === wanted);
  }
  if (query.anyProviderIdEquals.length > 0) {
    out.push((item) => query.anyProviderIdEquals.some(([provider, value]) => providerId(item, provider)?.toLowerCase() === value.toLowerCase()));
  }
  const minSaved = savedFloor(env, query);
  if (minSaved !== undefined) out.push((item) => Date.parse(item.DateLastSaved) >= minSaved);
  if (query.parentIndexNumber !== undefined) out.push((item) => item.ParentIndexNumber === query.parentIndexNumber);
  if (query.indexNumber !== undefined) out.push((item) => item.IndexNumber === query.indexNumber);
  if (query.searchTerm !== undefined) out.push(searchPredicate(catalog, query.searchTerm));
  if (query.years.size > 0) out.push((item) => item.ProductionYear !== undefined && query.years.has(item.ProductionYear));
  // Per-user filters need a user; without one (an API key and no userId) servers ignore them.
  if (!user) return out;
  const data = (item: MbItem) => catalog.userData(user.id, item.Id);
  const played = playedWanted(query);
  if (played !== undefined) out.push((item) => catalog.isPlayed(user.id, item) === played);
  if (query.filters.has('IsResumable')) out.push((item) => catalog.isResumable(user.id, item));
  const favoriteWanted = query.filters.has('IsFavorite') ? true : query.isFavorite;
  if (favoriteWanted !== undefined) out.push((item) => data(item).IsFavorite === favoriteWanted);
  if (query.filters.has('Likes')) out.push((item) => data(item).Likes === true);
  if (query.filters.has('Dislikes')) out.push((item) => data(item).Likes === false);
  if (query.filters.has('IsFavoriteOrLikes')) out.push((item) => data(item).IsFavorite || data(item).Likes === true);
  const userSince = userSavedSince(env, query);
  if (userSince !== undefined) out.push((item) => savedAtOrAfter(data(item), userSince));
  return out;
}

/**
 * The item-metadata floor: `MinDateLastSaved`, and on Jellyfin `MinDateLastSavedForUser` too.
 * Jellyfin's item repository (10.8's SQLite one and 10.10+'s EF Core one alike) writes the same
 * condition for both names — the ITEM's `DateLastSaved` — and its user data keeps no save time,
 * so a film marked played today keeps the `DateLastSaved` its last metadata refresh gave it.
 */
function savedFloor(env: MbEnv, query: ItemQuery): number | undefined {
  const names = env.dialect === 'jellyfin' ? [query.minDateLastSaved, query.minDateLastSavedForUser] : [query.minDateLastSaved];
  const floors = names.filter((f): f is number => f !== undefined);
  return floors.length === 0 ? undefined : Math.max(...floors);
}

/**
 * Emby's `MinDateLastSavedForUser` (4.2.0.23+): the user's records changed since — user-data
 * updates (a play, a played mark, a favourite), as Emby for Kodi's maintainers describe it and
 * its clients measure it. Emby's code is closed: the emulator's own save stamp stands in.
 */
function userSavedSince(env: MbEnv, query: ItemQuery): number | undefined {
  return env.dialect === 'emby' ? query.minDateLastSavedForUser : undefined;
}

function savedAtOrAfter(record: MbUserData, since: number): boolean {
  return record.DateLastSaved !== undefined && Date.parse(record.DateLastSaved) >= since;
}

/** `Filters=IsPlayed|IsUnplayed` or `IsPlayed=true|false`; the filter wins, as Jellyfin reads it first. */
function playedWanted(query: ItemQuery): boolean | undefined {
  return query.filters.has('IsPlayed') ? true : query.filters.has('IsUnplayed') ? false : query.isPlayed;
}

/**
 * A short list of items that holds every match, when the query names one: its ids, the user's
 * in-progress items (IsResumable), the user's records saved since a date (Emby), the user's
 * played items (IsPlayed), or the items saved since a date. Undefined = the whole scope is the candidate set. Each comes from an index or
 * from the user's own records, never from a pass over the library.
 */
function narrowCandidates(env: MbEnv, query: ItemQuery, user: MbUser | undefined, scopeSize: number): MbItem[] | undefined {
  const catalog = env.catalog;
  if (query.ids.length > 0) return query.ids.map((id) => catalog.item(id)).filter((item): item is MbItem => item !== undefined);
  if (user && query.filters.has('IsResumable')) {
    // A movie/episode with a position, and the series and season above an episode in progress.
    const found = new Set<MbItem>();
    for (const [item, record] of catalog.userRecords(user.id)) {
      if (record.PlaybackPositionTicks <= 0 || !isLeaf(item)) continue;
      // Up the parent links (episode → season → series) until the library.
      for (let at: MbItem | undefined = item; at; at = catalog.item(at.ParentId)) found.add(at);
    }
    return [...found];
  }
  const userSince = userSavedSince(env, query);
  if (user && userSince !== undefined) {
    return catalog
      .userRecords(user.id)
      .filter(([, record]) => savedAtOrAfter(record, userSince))
      .map(([item]) => item);
  }
  if (user && playedWanted(query) === true) {
    // A played movie/episode, and the series and season above it (played when all below are).
    const found = new Set<MbItem>();
    for (const [item, record] of catalog.userRecords(user.id)) {
      if (!record.Played || !isLeaf(item)) continue;
      for (let at: MbItem | undefined = item; at; at = catalog.item(at.ParentId)) found.add(at);
    }
    return [...found];
  }
  const floor = savedFloor(env, query);
  if (floor !== undefined) {
    const saved = catalog.savedSince(floor);
    if (saved.length < scopeSize) return saved;
  }
  return undefined;
}

// ---- sorting -------------------------------------------------------------------------------

type SortKey = (item: MbItem) => number | string;

function sortKey(env: MbEnv, name: string, user: MbUser | undefined): SortKey | undefined {
  const catalog = env.catalog;
  const lastPlayed = (item: MbItem) => {
    const date = user ? catalog.userData(user.id, item.Id).LastPlayedDate : undefined;
    return date === undefined ? 0 : Date.parse(date);
  };
  switch (name.toLowerCase()) {
    case 'sortname':
      return sortNameOf;
    case 'name':
      return (item) => item.Name.toLowerCase();
    case 'datecreated':
      return (item) => Date.parse(item.DateCreated);
    case 'dateplayed':
      return lastPlayed;
    case 'premieredate':
      return (item) => (item.PremiereDate === undefined ? 0 : Date.parse(item.PremiereDate));
    case 'productionyear':
      return (item) => item.ProductionYear ?? 0;
    case 'runtime':
      return (item) => item.RunTimeTicks ?? 0;
    case 'playcount':
      return (item) => (user ? catalog.userData(user.id, item.Id).PlayCount : 0);
    case 'isplayed':
      return (item) => (user && catalog.isPlayed(user.id, item) ? 1 : 0);
    case 'isunplayed':
      return (item) => (user && catalog.isPlayed(user.id, item) ? 0 : 1);
    case 'indexnumber':
      return (item) => item.IndexNumber ?? 0;
    case 'parentindexnumber':
      return (item) => item.ParentIndexNumber ?? 0;
    case 'seriessortname':
      return (item) => {
        const series = item.SeriesId !== undefined ? catalog.item(item.SeriesId) : undefined;
        return series ? sortNameOf(series) : sortNameOf(item);
      };
    default:
      return undefined; // Random, Default and unsupported orders leave the order alone
  }
}

/**
 * Sort by the requested keys (each with its own order, Ascending by default), then by the
 * default order (SortName, then Id). With a Jellyfin search term, match quality, SortName and
 * Name come first, as Jellyfin 10.11 puts them before any requested key. Keys are computed once
 * per item, not per comparison. The input is left alone.
 */
export function sortItems(env: MbEnv, items: MbItem[], sortBy: string[], sortOrder: string[], user: MbUser | undefined, searchTerm?: string): MbItem[] {
  const catalog = env.catalog;
  const keys: Array<{ key: SortKey; descending: boolean }> = [];
  if (searchTerm !== undefined && env.dialect === 'jellyfin') {
    keys.push(
      { key: searchRelevance(catalog, searchTerm), descending: false },
      { key: sortNameOf, descending: false },
      { key: (item) => item.Name, descending: false },
    );
  }
  sortBy.forEach((name, i) => {
    const key = sortKey(env, name, user);
    const order = sortOrder[i] ?? sortOrder[0] ?? 'Ascending';
    if (key) keys.push({ key, descending: order === 'Descending' });
  });
  if (keys.length === 0) return catalog.inDefaultOrder([...items]);
  const rows = items.map((item) => ({ item, values: keys.map(({ key }) => key(item)), rank: catalog.rankOf(item) }));
  rows.sort((a, b) => {
    for (const [i, { descending }] of keys.entries()) {
      const ka = a.values[i] as number | string;
      const kb = b.values[i] as number | string;
      const diff = typeof ka === 'number' && typeof kb === 'number' ? ka - kb : String(ka).localeCompare(String(kb));
      if (diff !== 0) return descending ? -diff : diff;
    }
    return a.rank - b.rank;
  });
  return rows.map((row) => row.item);
}

export interface Page<T> {
  items: T[];
  total: number;
  startIndex: number;
}

/** StartIndex/Limit; with EnableTotalRecordCount=false the count is just the page length. */
export function pageOf<T>(all: T[], query: Pick<ItemQuery, 'startIndex' | 'limit' | 'enableTotalRecordCount'>): Page<T> {
  const end = query.limit === undefined ? all.length : query.startIndex + Math.max(0, query.limit);
  const items = all.slice(query.startIndex, end);
  return { items, total: query.enableTotalRecordCount ? all.length : items.length, startIndex: query.startIndex };
}

/**
 * Every match of an item query, in order. The candidates come from the catalogue's indexes
 * (scope and types, ids, the user's records, DateLastSaved), so a page of a large library costs
 * what the matches cost, not a pass over the whole library.
 */
export function runItemQuery(env: MbEnv, query: ItemQuery, user: MbUser | undefined): MbItem[] {
  const catalog = env.catalog;
  const scope = catalog.scoped({
    ...(query.parentId !== undefined ? { parentId: query.parentId } : {}),
    recursive: query.recursive,
    includeTypes: query.includeTypes,
    excludeTypes: query.excludeTypes,
  });
  const tests = predicates(env, query, user);
  const narrow = narrowCandidates(env, query, user, scope.items.length);
  let found: MbItem[];
  if (narrow !== undefined) {
    // Ids are looked up wherever they are (the parent is not applied to them), types still are.
    const inScope = query.ids.length > 0 ? (item: MbItem) => scopeTypesOk(query, item) : (item: MbItem) => scope.has(item);
    found = catalog.inDefaultOrder(narrow.filter((item) => inScope(item) && tests.every((test) => test(item))));
  } else {
    found = tests.length === 0 ? scope.items : scope.items.filter((item) => tests.every((test) => test(item)));
  }
  if (query.sortBy.length === 0 && (query.searchTerm === undefined || env.dialect !== 'jellyfin')) return found;
  return sortItems(env, found, query.sortBy, query.sortOrder, user, query.searchTerm);
}

function scopeTypesOk(query: ItemQuery, item: MbItem): boolean {
  return (query.includeTypes.length === 0 || query.includeTypes.includes(item.Type)) && !query.excludeTypes.includes(item.Type);
}
