// The item query behind /Items, /Users/{userId}/Items and the resume lists: parameters parsed
// the way the servers bind them (case-insensitive names, comma lists, unknown enum values
// silently dropped, malformed numbers/booleans/dates/ids → 400), then filter, sort and page.
import type { MbItem, MbUser } from './data.ts';
import { isLeaf, sortNameOf, type MbCatalog } from './library.ts';
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

function readDate(env: MbEnv, params: Params, name: string): number | undefined {
  const raw = params.get(name);
  if (raw === undefined || raw === '') return undefined;
  const ms = parseIsoDate(raw);
  if (ms === undefined) throw new HttpError(invalidParam(env, name, `The value '${raw}' is not valid.`));
  return ms;
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
  const search = params.get('SearchTerm');
  if (search !== undefined && search.trim() !== '') query.searchTerm = search.trim().toLowerCase();
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

/** The candidate set before filters: ids, a parent (direct children or all descendants), or everything. */
function candidates(catalog: MbCatalog, query: ItemQuery): MbItem[] {
  if (query.ids.length > 0) return query.ids.map((id) => catalog.item(id)).filter((item): item is MbItem => item !== undefined);
  if (query.parentId !== undefined) {
    // An unknown parent simply matches nothing.
    return query.recursive ? catalog.descendants(query.parentId) : catalog.children(query.parentId);
  }
  return catalog.allItems();
}

function matches(env: MbEnv, item: MbItem, query: ItemQuery, user: MbUser | undefined): boolean {
  const catalog = env.catalog;
  if (query.includeTypes.length > 0 && !query.includeTypes.includes(item.Type)) return false;
  if (query.excludeTypes.includes(item.Type)) return false;
  if (query.excludeIds.has(item.Id)) return false;
  if (query.mediaTypes.length > 0 && !(isLeaf(item) ? query.mediaTypes.includes('Video') : query.mediaTypes.includes('Unknown'))) return false;
  const folderWanted = query.filters.has('IsFolder') ? true : query.filters.has('IsNotFolder') ? false : query.isFolder;
  if (folderWanted !== undefined && folderWanted === isLeaf(item)) return false;
  for (const [flag, provider] of [
    ['hasImdbId', 'Imdb'],
    ['hasTmdbId', 'Tmdb'],
    ['hasTvdbId', 'Tvdb'],
  ] as const) {
    const wanted = query[flag];
    if (wanted !== undefined && (providerId(item, provider) !== undefined) !== wanted) return false;
  }
  if (query.anyProviderIdEquals.length > 0) {
    const hit = query.anyProviderIdEquals.some(([provider, value]) => providerId(item, provider)?.toLowerCase() === value.toLowerCase());
    if (!hit) return false;
  }
  if (query.minDateLastSaved !== undefined && Date.parse(item.DateLastSaved) < query.minDateLastSaved) return false;
  if (query.parentIndexNumber !== undefined && item.ParentIndexNumber !== query.parentIndexNumber) return false;
  if (query.indexNumber !== undefined && item.IndexNumber !== query.indexNumber) return false;
  if (query.searchTerm !== undefined && !item.Name.toLowerCase().includes(query.searchTerm)) return false;
  if (query.years.size > 0 && (item.ProductionYear === undefined || !query.years.has(item.ProductionYear))) return false;
  // Per-user filters need a user; without one (an API key and no userId) servers ignore them.
  if (user) {
    const data = catalog.userData(user.id, item.Id);
    const played = catalog.isPlayed(user.id, item);
    const playedWanted = query.filters.has('IsPlayed') ? true : query.filters.has('IsUnplayed') ? false : query.isPlayed;
    if (playedWanted !== undefined && played !== playedWanted) return false;
    if (query.filters.has('IsResumable') && !catalog.isResumable(user.id, item)) return false;
    const favoriteWanted = query.filters.has('IsFavorite') ? true : query.isFavorite;
    if (favoriteWanted !== undefined && data.IsFavorite !== favoriteWanted) return false;
    if (query.filters.has('Likes') && data.Likes !== true) return false;
    if (query.filters.has('Dislikes') && data.Likes !== false) return false;
    if (query.filters.has('IsFavoriteOrLikes') && !(data.IsFavorite || data.Likes === true)) return false;
    if (query.minDateLastSavedForUser !== undefined) {
      const saved = data.DateLastSaved;
      if (saved === undefined || Date.parse(saved) < query.minDateLastSavedForUser) return false;
    }
  }
  return true;
}

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

/** Sort by the requested keys (each with its own order, Ascending by default), then by SortName, then Id. */
export function sortItems(env: MbEnv, items: MbItem[], sortBy: string[], sortOrder: string[], user: MbUser | undefined): MbItem[] {
  const keys: Array<{ key: SortKey; descending: boolean }> = [];
  sortBy.forEach((name, i) => {
    const key = sortKey(env, name, user);
    const order = sortOrder[i] ?? sortOrder[0] ?? 'Ascending';
    if (key) keys.push({ key, descending: order === 'Descending' });
  });
  keys.push({ key: sortNameOf, descending: false }, { key: (item) => item.Id, descending: false });
  const compare = (a: MbItem, b: MbItem) => {
    for (const { key, descending } of keys) {
      const ka = key(a);
      const kb = key(b);
      const diff = typeof ka === 'number' && typeof kb === 'number' ? ka - kb : String(ka).localeCompare(String(kb));
      if (diff !== 0) return descending ? -diff : diff;
    }
    return 0;
  };
  return [...items].sort(compare);
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

export function runItemQuery(env: MbEnv, query: ItemQuery, user: MbUser | undefined): MbItem[] {
  const found = candidates(env.catalog, query).filter((item) => matches(env, item, query, user));
  return sortItems(env, found, query.sortBy, query.sortOrder, user);
}
