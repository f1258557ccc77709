// Reading resume positions and finished items from Jellyfin / Emby: resumable (or played)
// movies and episodes, paged, with provider ids; series ids fetched in batches because episodes
// carry only their own.
import type { ExternalIds, ProgressRecord } from '../../core/model.ts';
import { normaliseIds } from '../../core/ids.ts';
import { toEpochMs } from '../../core/time.ts';
import { ticksToMs } from '../../core/position.ts';
import { holdsPositionField, positionFrom } from '../wire.ts';
import type { Query } from '../http.ts';
import { pagesInOrder, type Page } from '../paging.ts';
import { ProviderError } from '../provider.ts';
import type { ItemsPage, MediaBrowserClient } from './client.ts';
import { mediaBrowserId } from './ids.ts';
import type { BaseItem } from './schema.ts';

export const RESUME_PAGE_SIZE = 200;
/** Collection types whose items we sync. */
const VIDEO_COLLECTIONS = new Set(['movies', 'tvshows']);

export interface Library {
  id: string;
  title: string;
  type: string;
}

/** Movie and show libraries, honouring a whitelist; an unknown id is an error naming the real ones. */
export function selectLibraries(provider: string, views: BaseItem[], whitelist: string[] | undefined): Library[] | undefined {
  const video = views
    .filter((v) => VIDEO_COLLECTIONS.has(v.CollectionType ?? ''))
    .map((v) => ({ id: String(v.Id), title: v.Name ?? String(v.Id), type: v.CollectionType ?? '' }));
  if (!whitelist || whitelist.length === 0) return undefined;
  const known = new Map(video.map((l) => [mediaBrowserId(l.id), l]));
  const missing = whitelist.filter((id) => !known.has(mediaBrowserId(id)));
  if (missing.length > 0) {
    const available = video.map((l) => `${l.id} (${l.title}, ${l.type})`).join(', ') || 'none';
    throw new ProviderError(
      'config',
      provider,
      `${provider}: libraries ${missing.join(', ')} not found among movie/show libraries; the server has: ${available}`,
    );
  }
  return whitelist.map((id) => known.get(mediaBrowserId(id))).filter((l): l is Library => l !== undefined);
}

/** Pages through a listing in order (see ../paging.ts). */
export function itemPages(client: MediaBrowserClient, userId: string, query: Query, pageSize: number): AsyncGenerator<ItemsPage & Page<BaseItem>> {
  return pagesInOrder(
    async (start) => {
      const page = await client.itemsPage(userId, query, start, pageSize);
      return { ...page, rows: page.items };
    },
    pageSize,
    (i: BaseItem) => String(i.Id),
  );
}

export function externalIds(item: BaseItem): ExternalIds {
  const raw: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(item.ProviderIds ?? {})) raw[k] = v;
  return normaliseIds(raw);
}

interface ItemContext {
  provider: string;
  server: string;
  showIds?: ExternalIds;
}

/** Maps one item to our model: ticks → ms, ISO dates → UTC epoch ms. */
export function recordFromItem(item: BaseItem, ctx: ItemContext): ProgressRecord {
  const data = item.UserData ?? {};
  const isEpisode = item.Type === 'Episode';
  const playCount = data.PlayCount ?? 0;
  const record: ProgressRecord = {
    type: isEpisode ? 'episode' : 'movie',
    ids: externalIds(item),
    title: item.Name ?? String(item.Id),
    ref: { provider: ctx.provider, server: ctx.server, id: String(item.Id) },
    watched: data.Played === true,
    playCount,
  };
  if (item.ProductionYear) record.year = item.ProductionYear;
  Object.assign(record, positionFrom('progressMs', 'PlaybackPositionTicks', data.PlaybackPositionTicks, ticksToMs));
  // Under half a millisecond of ticks rounds to no duration at all.
  const durationMs = item.RunTimeTicks && item.RunTimeTicks > 0 ? ticksToMs(item.RunTimeTicks) : 0;
  if (durationMs > 0) record.durationMs = durationMs;
  const at = toEpochMs(data.LastPlayedDate ?? undefined);
  if (at !== undefined) {
    record.progressAt = at;
    if (record.watched) record.watchedAt = at;
  }
  if (isEpisode) {
    record.show = { ids: ctx.showIds ?? {}, ...(item.SeriesName ? { title: item.SeriesName } : {}) };
    if (item.ParentIndexNumber !== undefined && item.ParentIndexNumber !== null) record.season = item.ParentIndexNumber;
    if (item.IndexNumber !== undefined && item.IndexNumber !== null) record.episode = item.IndexNumber;
  }
  return record;
}

export const ITEM_FIELDS = ['ProviderIds', 'DateCreated', 'ParentId'];

/** The series' ids of these items' episodes, in a few batched calls. */
async function seriesIdsOf(client: MediaBrowserClient, userId: string, items: BaseItem[]): Promise<Map<string, ExternalIds>> {
  const ids = [...new Set(items.flatMap((i) => (i.Type === 'Episode' && i.SeriesId ? [String(i.SeriesId)] : [])))];
  if (ids.length === 0) return new Map();
  return new Map((await client.itemsById(userId, ids, ['ProviderIds'])).map((s) => [String(s.Id), externalIds(s)]));
}

function recordsOf(items: BaseItem[], series: Map<string, ExternalIds>, ctx: { provider: string; server: string }): ProgressRecord[] {
  return items.map((item) => recordFromItem(item, { ...ctx, ...(item.SeriesId ? { showIds: series.get(String(item.SeriesId)) ?? {} } : {}) }));
}

/** The listing query shared by every read of the user's movies and episodes (Emby needs its user-data fields). */
function videoQuery(client: MediaBrowserClient, extra: Query): Query {
  const fields = [...ITEM_FIELDS, ...client.dialect.userDataFields].join(',');
  return { Recursive: 'true', IncludeItemTypes: 'Movie,Episode', Fields: fields, ...extra };
}

/** One query per whitelisted library (so an item outside them stays out), or one for the server. */
function scoped(libraries: Library[] | undefined, query: Query): Query[] {
  return libraries ? libraries.map((l) => ({ ...query, ParentId: l.id })) : [query];
}

/**
 * The items among these ids that `keep` accepts, as the listings map them: the listing's own
 * query (plus `extra`) narrowed with `Ids`, per scope, then the series of its episodes. The
 * servers look ids up wherever they are (the parent does not narrow them), so an item comes
 * back once per scope: kept once.
 */
async function readByIdWhere(
  client: MediaBrowserClient,
  userId: string,
  libraries: Library[] | undefined,
  ctx: { provider: string; server: string },
  ids: string[],
  extra: Query,
  keep: (item: BaseItem) => boolean,
): Promise<ProgressRecord[]> {
  const items: BaseItem[] = [];
  for (const query of scoped(libraries, videoQuery(client, { ...extra, EnableUserData: 'true', Ids: ids.join(',') }))) {
    items.push(...(await client.itemsPage(userId, query, 0, ids.length)).items);
  }
  const unique = [...new Map(items.map((i) => [String(i.Id), i])).values()];
  const kept = unique.filter(keep);
  return recordsOf(kept, await seriesIdsOf(client, userId, kept), ctx);
}

/** The resumable ones among these item ids, as readResumable maps them. */
export function readById(
  client: MediaBrowserClient,
  userId: string,
  libraries: Library[] | undefined,
  ctx: { provider: string; server: string },
  ids: string[],
): Promise<ProgressRecord[]> {
  return readByIdWhere(client, userId, libraries, ctx, ids, {}, (i) => holdsPositionField(i.UserData?.PlaybackPositionTicks));
}

/** When the user finished this item: `LastPlayedDate` of a played item; none without both. */
function finishedAt(item: BaseItem): number | undefined {
  return item.UserData?.Played === true ? toEpochMs(item.UserData.LastPlayedDate ?? undefined) : undefined;
}

/** The finished ones among these item ids (played, with a time), whatever that time. */
export function readFinishedById(
  client: MediaBrowserClient,
  userId: string,
  libraries: Library[] | undefined,
  ctx: { provider: string; server: string },
  ids: string[],
): Promise<ProgressRecord[]> {
  return readByIdWhere(client, userId, libraries, ctx, ids, { IsPlayed: 'true' }, (i) => finishedAt(i) !== undefined);
}

/** Rows per page of the finished read; a no-change run reads one page per scope. */
export const FINISHED_PAGE_SIZE = 100;

/**
 * The movies and episodes the user finished at or after `since` (epoch ms): `IsPlayed=true`
 * ordered by `DatePlayed` (the user's `LastPlayedDate`), newest first, read page by page until
 * a play older than `since` (or one without a date, which sorts last). Emby also narrows to the
 * user's records changed since (`MinDateLastSavedForUser`); Jellyfin's parameter of that name,
 * like `MinDateLastSaved`, compares the item's metadata save time, which a play does not move,
 * so it would hide most finishes (emulators/mediabrowser/README.md). Pages are read one at a
 * time (no read-ahead): the first page usually ends the read.
 */
export async function* readFinished(
  client: MediaBrowserClient,
  userId: string,
  libraries: Library[] | undefined,
  ctx: { provider: string; server: string },
  since: number,
): AsyncGenerator<ProgressRecord[]> {
  const seen = new Set<string>();
  const savedSince = client.dialect.userDataSavedSince;
  const filters: Query = {
    IsPlayed: 'true',
    SortBy: 'DatePlayed',
    SortOrder: 'Descending',
    ...(savedSince ? { [savedSince]: new Date(since).toISOString() } : {}),
  };
  for (const query of scoped(libraries, videoQuery(client, filters))) {
    for (let start = 0; ; start += FINISHED_PAGE_SIZE) {
      const page = await client.itemsPage(userId, query, start, FINISHED_PAGE_SIZE);
      const recent: BaseItem[] = [];
      let reachedOlder = false;
      for (const item of page.items) {
        const at = finishedAt(item);
        if (at === undefined || at < since) reachedOlder = true;
        else if (!seen.has(String(item.Id))) recent.push(item);
      }
      for (const item of recent) seen.add(String(item.Id));
      if (recent.length > 0) yield recordsOf(recent, await seriesIdsOf(client, userId, recent), ctx);
      const listedAll = page.items.length < FINISHED_PAGE_SIZE || (page.total !== undefined && start + page.items.length >= page.total);
      // Nothing new on a full page: a server repeating its page would otherwise loop forever.
      if (reachedOlder || listedAll || recent.length === 0) break;
    }
  }
}

/** Every resumable movie and episode (whole server, or the whitelisted libraries). */
export async function* readResumable(
  client: MediaBrowserClient,
  userId: string,
  libraries: Library[] | undefined,
  ctx: { provider: string; server: string },
  onPage?: (seen: number, total: number | undefined) => void,
): AsyncGenerator<ProgressRecord[]> {
  const pages: ItemsPage[] = [];
  for (const query of scoped(libraries, videoQuery(client, { Filters: 'IsResumable' })))
    for await (const page of itemPages(client, userId, query, RESUME_PAGE_SIZE)) pages.push(page);
  // Series ids for all episodes, in a few batched calls.
  const series = await seriesIdsOf(
    client,
    userId,
    pages.flatMap((p) => p.items),
  );
  let seen = 0;
  for (const page of pages) {
    // A bad value stays, to be reported as `bad_position`.
    const items = page.items.filter((i) => holdsPositionField(i.UserData?.PlaybackPositionTicks));
    seen += items.length;
    onPage?.(seen, page.total);
    yield recordsOf(items, series, ctx);
  }
}
