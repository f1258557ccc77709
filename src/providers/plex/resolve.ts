// Finding items on a Plex server by external id. `/library/all?guid=` only matches the primary
// (plex://) guid, so Plex needs our own index (see ../id-index.ts); this file says how Plex rows
// feed it: movies from type=1, show ids from type=2, episodes from type=4 listings.
import { idsFromPlexGuids } from '../../core/ids.ts';
import { entriesFor, type IndexScan, type IndexSource } from '../id-index.ts';
import type { IndexEntry } from '../provider.ts';
import type { PlexClient, PlexSection } from './client.ts';
import { guidsOf, sectionPages, showIdsOf } from './index.ts';
import type { PlexMetadata } from './schema.ts';

/**
 * Rows per index page. 500, not 1 000: each page's JSON is parsed whole, and a 100 000-item scan
 * of 1 000-row pages (0.5–1.25 MB of JSON each) let the heap's garbage reach ~110 MB before V8
 * collected it; 500-row pages measured ~25 MB (Plex) to ~55 MB (Jellyfin) less peak RSS for 100
 * more requests per full scan (a refresh is usually one page either way).
 */
const INDEX_PAGE_SIZE = 500;

/** Index entries contributed by one Plex row. */
export function entriesOfRow(row: PlexMetadata): IndexEntry[] {
  const id = String(row.ratingKey);
  if (row.type === 'movie') return entriesFor({ id, type: 'movie', ids: idsFromPlexGuids(guidsOf(row)).ids });
  if (row.type === 'show') return entriesFor({ id, type: 'show', ids: showIdsOf(row) });
  if (row.type === 'episode') {
    const parsed = idsFromPlexGuids(guidsOf(row));
    const season = row.parentIndex ?? parsed.season;
    const episode = row.index ?? parsed.episode;
    return entriesFor({
      id,
      type: 'episode',
      ids: parsed.ids,
      ...(row.grandparentRatingKey !== undefined ? { showId: String(row.grandparentRatingKey) } : {}),
      ...(season !== undefined ? { season } : {}),
      ...(episode !== undefined ? { episode } : {}),
    });
  }
  return [];
}

/** Section type → item types the index needs from it. */
const INDEXED_TYPES: Record<string, number[]> = { movie: [1], show: [2, 4] };

/** Paged `includeGuids=1` listings of the selected sections, optionally only `updatedAt>>=` since. */
export function plexIndexSource(client: PlexClient, sections: PlexSection[]): IndexSource {
  return {
    scope: sections.map((s) => s.id).join(','),
    async scan(onPage, sinceEpochS): Promise<IndexScan> {
      const filter = sinceEpochS === undefined ? {} : { 'updatedAt>>': sinceEpochS };
      let serverTime: number | undefined;
      for (const section of sections) {
        for (const type of INDEXED_TYPES[section.type] ?? []) {
          for await (const page of sectionPages(client, section.id, { type, includeGuids: 1, ...filter }, INDEX_PAGE_SIZE)) {
            serverTime ??= page.serverTime;
            onPage(page.rows.flatMap(entriesOfRow));
          }
        }
      }
      return { serverTime };
    },
  };
}
