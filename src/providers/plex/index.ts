// Reading Plex: one paged, server-filtered scan per library section — resume positions
// (`viewOffset>>=0`) or recent finishes (`unwatched=0&viewOffset=0&lastViewedAt>>=`) — rows mapped
// to ProgressRecords with external ids from every GUID.
import type { ExternalIds, ProgressRecord } from '../../core/model.ts';
import { idsFromPlexGuids } from '../../core/ids.ts';
import { toEpochMs } from '../../core/time.ts';
import type { Query } from '../http.ts';
import { pagesInOrder, type Page } from '../paging.ts';
import { ProviderError } from '../provider.ts';
import type { PlexClient, PlexPage, PlexSection } from './client.ts';
import type { PlexMetadata } from './schema.ts';
import { holdsPositionField, positionFrom } from '../wire.ts';

/** Section type → the Plex item type whose positions we read. */
const RESUMABLE_TYPE: Record<string, number> = { movie: 1, show: 4 };
export const RESUME_PAGE_SIZE = 200;

/** Keeps movie and show sections, honouring a whitelist; an unknown id is an error naming the real ones. */
export function selectSections(provider: string, sections: PlexSection[], libraries: string[] | undefined): PlexSection[] {
  const video = sections.filter((s) => s.type in RESUMABLE_TYPE);
  if (!libraries || libraries.length === 0) return sortSections(video);
  const known = new Map(video.map((s) => [s.id, s]));
  const missing = libraries.filter((id) => !known.has(id));
  if (missing.length > 0) {
    const available = video.map((s) => `${s.id} (${s.title}, ${s.type})`).join(', ') || 'none';
    throw new ProviderError(
      'config',
      provider,
      `${provider}: libraries ${missing.join(', ')} not found among movie/show sections; the server has: ${available}`,
    );
  }
  return sortSections(libraries.map((id) => known.get(id)).filter((s): s is PlexSection => s !== undefined));
}

function sortSections(sections: PlexSection[]): PlexSection[] {
  return [...sections].sort((a, b) => Number(a.id) - Number(b.id) || a.id.localeCompare(b.id));
}

/** Pages through a section listing in order (see ../paging.ts). */
export function sectionPages(client: PlexClient, sectionId: string, query: Query, pageSize: number): AsyncGenerator<PlexPage & Page<PlexMetadata>> {
  return pagesInOrder(
    async (start) => {
      const page = await client.sectionPage(sectionId, query, start, pageSize);
      return { ...page, total: page.totalSize };
    },
    pageSize,
    (r: PlexMetadata) => String(r.ratingKey),
  );
}

interface ShowInfo {
  ids: ExternalIds;
  title?: string;
}

/** Show ids for episodes, fetched in batches and remembered for the rest of the run. */
class ShowLookup {
  private readonly shows = new Map<string, ShowInfo>();
  constructor(private readonly client: PlexClient) {}

  async prefetch(showKeys: string[]): Promise<void> {
    const missing = [...new Set(showKeys)].filter((k) => !this.shows.has(k));
    if (missing.length === 0) return;
    for (const row of await this.client.metadata(missing)) {
      this.shows.set(String(row.ratingKey), { ids: showIdsOf(row), ...(row.title ? { title: row.title } : {}) });
    }
    for (const k of missing) if (!this.shows.has(k)) this.shows.set(k, { ids: {} });
  }

  get(showKey: string | undefined): ShowInfo | undefined {
    return showKey === undefined ? undefined : this.shows.get(showKey);
  }
}

export function guidsOf(row: PlexMetadata): string[] {
  return [row.guid, ...(row.Guid ?? []).map((g) => g.id)].filter((g): g is string => typeof g === 'string');
}

/** A show row's external ids (legacy thetvdb agents put the show id in the primary guid). */
export function showIdsOf(row: PlexMetadata): ExternalIds {
  const parsed = idsFromPlexGuids(guidsOf(row));
  return { ...parsed.show, ...parsed.ids };
}

export interface RowContext {
  provider: string;
  server: string;
  sectionId: string;
  show?: ShowInfo;
}

/** Maps one Plex row to our model. Times arrive as epoch seconds and leave as UTC epoch ms. */
export function recordFromRow(row: PlexMetadata, ctx: RowContext): ProgressRecord {
  const parsed = idsFromPlexGuids(guidsOf(row));
  const isEpisode = row.type === 'episode';
  const viewCount = row.viewCount ?? 0;
  const record: ProgressRecord = {
    type: isEpisode ? 'episode' : 'movie',
    ids: parsed.ids,
    title: row.title ?? row.grandparentTitle ?? `ratingKey ${row.ratingKey}`,
    ref: { provider: ctx.provider, server: ctx.server, id: String(row.ratingKey) },
    watched: viewCount > 0,
    playCount: viewCount,
    libraryId: ctx.sectionId,
  };
  if (row.year !== undefined) record.year = row.year;
  Object.assign(record, positionFrom('progressMs', 'viewOffset', row.viewOffset));
  if (row.duration !== undefined && row.duration > 0) record.durationMs = row.duration;
  const at = toEpochMs(row.lastViewedAt);
  if (at !== undefined) {
    record.progressAt = at;
    if (viewCount > 0) record.watchedAt = at;
  }
  if (isEpisode) {
    const showIds = { ...parsed.show, ...ctx.show?.ids };
    const showTitle = row.grandparentTitle ?? ctx.show?.title;
    record.show = { ids: showIds, ...(showTitle ? { title: showTitle } : {}) };
    const season = row.parentIndex ?? parsed.season;
    const episode = row.index ?? parsed.episode;
    if (season !== undefined) record.season = season;
    if (episode !== undefined) record.episode = episode;
  }
  return record;
}

/**
 * Which rows a read wants: the filters sent with every section listing (besides type and
 * includeGuids), and the same condition re-checked on each row, in case a server ignores a filter.
 */
export interface RowSelection {
  filter: Query;
  keep: (row: PlexMetadata) => boolean;
}

/** Resumable items. A bad position value is kept, to be reported as `bad_position`. */
export const RESUMABLE: RowSelection = { filter: { 'viewOffset>>': 0 }, keep: (row) => holdsPositionField(row.viewOffset) };

/**
 * Finished items: watched, with a watched time and no position left. A watched item holding a
 * position again is being re-watched: it is progress, not a finish. The filter is PMS's own
 * "Recently Watched" hub query (`unwatched=0&viewOffset=0`, spec 1.2.0) plus the time.
 */
function isFinishedRow(row: PlexMetadata): boolean {
  return (row.viewCount ?? 0) > 0 && toEpochMs(row.lastViewedAt) !== undefined && !holdsPositionField(row.viewOffset);
}

export const FINISHED: RowSelection = { filter: { unwatched: 0, viewOffset: 0 }, keep: isFinishedRow };

/** Finished at or after `sinceMs`. `>>=` is "after", so the second before `since` is sent (never
 * below 0: a negative number is not a time a server is sure to read as one). */
export function finishedSince(sinceMs: number): RowSelection {
  const after = Math.max(0, Math.ceil(sinceMs / 1000) - 1);
  return {
    filter: { ...FINISHED.filter, 'lastViewedAt>>': after },
    keep: (row) => isFinishedRow(row) && (row.lastViewedAt ?? 0) > after,
  };
}

/** The selected movies and episodes of the selected sections, one page at a time. */
export async function* readSections(
  client: PlexClient,
  sections: PlexSection[],
  ctx: { provider: string; server: string },
  selection: RowSelection,
  onPage?: (seen: number, total: number | undefined) => void,
): AsyncGenerator<ProgressRecord[]> {
  const shows = new ShowLookup(client);
  let seen = 0;
  for (const section of sections) {
    const type = RESUMABLE_TYPE[section.type];
    if (type === undefined) continue;
    const query = { type, ...selection.filter, includeGuids: 1 };
    const pages: PlexPage[] = [];
    for await (const page of sectionPages(client, section.id, query, RESUME_PAGE_SIZE)) {
      const rows = page.rows.filter(selection.keep);
      if (type === 1) {
        seen += rows.length;
        onPage?.(seen, page.totalSize);
        yield rows.map((row) => recordFromRow(row, { ...ctx, sectionId: section.id }));
      } else {
        // Episodes wait for the whole section, so their shows are looked up in full batches.
        pages.push({ ...page, rows });
      }
    }
    if (pages.length === 0) continue;
    await shows.prefetch(pages.flatMap((p) => p.rows.map((r) => r.grandparentRatingKey)).filter((k): k is string => k !== undefined));
    for (const page of pages) {
      seen += page.rows.length;
      onPage?.(seen, page.totalSize);
      yield page.rows.map((row) => recordFromRow(row, { ...ctx, sectionId: section.id, ...optionalShow(shows.get(row.grandparentRatingKey)) }));
    }
  }
}

function optionalShow(show: ShowInfo | undefined): { show?: ShowInfo } {
  return show ? { show } : {};
}

/**
 * The selected ones among these ratingKeys, as readSections maps them: one
 * `/library/metadata/{keys}?includeGuids=1` (plus one for the shows of episodes). Rows outside
 * the selected sections, of other types or not selected are left out, as the listing would.
 */
export async function readRows(
  client: PlexClient,
  sections: PlexSection[],
  ctx: { provider: string; server: string },
  ratingKeys: string[],
  selection: RowSelection,
): Promise<ProgressRecord[]> {
  const wanted = new Map(sections.map((s) => [s.id, RESUMABLE_TYPE[s.type]]));
  const rows = (await client.metadata(ratingKeys)).filter((row) => {
    const type = row.librarySectionID === undefined ? undefined : wanted.get(String(row.librarySectionID));
    const fits = (type === 1 && row.type === 'movie') || (type === 4 && row.type === 'episode');
    return fits && selection.keep(row);
  });
  const shows = new ShowLookup(client);
  await shows.prefetch(rows.map((r) => r.grandparentRatingKey).filter((k): k is string => k !== undefined));
  return rows.map((row) => recordFromRow(row, { ...ctx, sectionId: String(row.librarySectionID), ...optionalShow(shows.get(row.grandparentRatingKey)) }));
}
