// Feeding the shared external-id index (../id-index.ts) from Jellyfin / Emby: one paged scan of
// movies, series and episodes with ProviderIds, later only items saved since the last scan.
import { entriesFor, type IndexScan, type IndexSource } from '../id-index.ts';
import type { IndexEntry } from '../provider.ts';
import type { MediaBrowserClient } from './client.ts';
import { externalIds, itemPages, type Library } from './index.ts';
import type { BaseItem } from './schema.ts';

/**
 * Rows per index page. 500, not 1 000: each page's JSON is parsed whole, and a 100 000-item scan
 * of 1 000-row pages (0.5–1.25 MB of JSON each) let the heap's garbage reach ~110 MB before V8
 * collected it; 500-row pages measured ~25 MB (Plex) to ~55 MB (Jellyfin) less peak RSS for 100
 * more requests per full scan (a refresh is usually one page either way).
 */
const INDEX_PAGE_SIZE = 500;

function entriesOfItem(item: BaseItem): IndexEntry[] {
  const id = String(item.Id);
  const ids = externalIds(item);
  if (item.Type === 'Movie') return entriesFor({ id, type: 'movie', ids });
  if (item.Type === 'Series') return entriesFor({ id, type: 'show', ids });
  if (item.Type === 'Episode') {
    return entriesFor({
      id,
      type: 'episode',
      ids,
      ...(item.SeriesId ? { showId: String(item.SeriesId) } : {}),
      ...(item.ParentIndexNumber !== undefined && item.ParentIndexNumber !== null ? { season: item.ParentIndexNumber } : {}),
      ...(item.IndexNumber !== undefined && item.IndexNumber !== null ? { episode: item.IndexNumber } : {}),
    });
  }
  return [];
}

export function mediaBrowserIndexSource(client: MediaBrowserClient, userId: string, libraries: Library[] | undefined): IndexSource {
  return {
    scope: libraries ? libraries.map((l) => l.id).join(',') : 'all',
    async scan(onPage, sinceEpochS): Promise<IndexScan> {
      const base = {
        Recursive: 'true',
        IncludeItemTypes: 'Movie,Series,Episode',
        Fields: 'ProviderIds',
        EnableUserData: 'false',
        ...(sinceEpochS !== undefined ? { MinDateLastSaved: new Date(sinceEpochS * 1000).toISOString() } : {}),
      };
      const scopes = libraries ? libraries.map((l) => ({ ...base, ParentId: l.id })) : [base];
      let serverTime: number | undefined;
      for (const query of scopes) {
        for await (const page of itemPages(client, userId, query, INDEX_PAGE_SIZE)) {
          serverTime ??= page.serverTime;
          onPage(page.items.flatMap(entriesOfItem));
        }
      }
      return { serverTime };
    },
  };
}
